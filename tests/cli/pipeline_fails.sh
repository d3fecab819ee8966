# A failing step fails the pipeline: `make -f Makefile.pipeline quick` (and `all`) exit non-zero
# when any step fails, without printing "quick: done". The steps run fake tools (NNC_BIN_DIR)
# that write their -o file, or fail when named by FAKE_FAIL; NNC_SKIP_SETUP skips the packages
# and the data, so nothing is installed or fetched and the test takes seconds.
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)

FAKE="$WORK/bin"
mkdir -p "$FAKE"
for tool in nnc-train nnc-eval nnc-info nnc-program-rram nnc-rsa-adapt nnc-swprune nnc-cgap nnc-cost; do
  cat >"$FAKE/$tool" <<'EOF'
#!/bin/bash
name=${0##*/}
if [ "$name" = "${FAKE_FAIL:-}" ]; then echo "$name: failing on purpose" >&2; exit 3; fi
while [ $# -gt 0 ]; do [ "$1" = -o ] && echo fake >"$2"; shift; done
echo '{}'
EOF
  chmod +x "$FAKE/$tool"
done

# pipeline TARGET OUT [VAR=value...]: runs the pipeline on the fake tools; its exit code in $rc.
pipeline() {
  local target=$1 out=$2; shift 2
  rc=0
  timeout 120 make -s -C "$SRC" -f Makefile.pipeline "$target" NNC_BIN_DIR="$FAKE" NNC_SKIP_SETUP=1 \
    OUT="$out" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
}

# The set-up fails (the bug this test was written for: quick printed "quick: done" and exited 0):
# quick stops before any step.
rc=0
timeout 120 make -s -C "$SRC" -f Makefile.pipeline quick NNC_BIN_DIR="$FAKE" SETUP=false OUT="$WORK/q0" \
  >"$WORK/out" 2>"$WORK/err" || rc=$?
[ "$rc" != 0 ] || fail "quick exited 0 when its set-up failed: $(cat "$WORK/out" "$WORK/err")"
grep -q "quick: done" "$WORK/out" && fail "quick printed 'quick: done' after its set-up failed"
[ ! -e "$WORK/q0/mnist" ] || fail "steps ran after the set-up failed"

# The first step (nnc-train) fails: quick stops there, with make's error and the tool's message.
FAKE_FAIL=nnc-train pipeline quick "$WORK/q1"
[ "$rc" != 0 ] || fail "quick exited 0 with a failing nnc-train: $(cat "$WORK/out" "$WORK/err")"
[ "$rc" != 124 ] || fail "quick did not stop within 120 s"
grep -q "quick: done" "$WORK/out" && fail "quick printed 'quick: done' after a failure"
grep -q "nnc-train: failing on purpose" "$WORK/err" || fail "the failing step's log is not shown: $(cat "$WORK/err")"
[ ! -e "$WORK/q1/mnist/lenet5.h5" ] || fail "the failed step left its output"
[ ! -e "$WORK/q1/mnist/lenet5.h5.time" ] || fail "the failed step recorded a time"

# A later step fails (nnc-eval after nnc-train succeeded): quick fails too; the step that ran
# recorded its command and its wall time.
FAKE_FAIL=nnc-eval pipeline quick "$WORK/q2"
[ "$rc" != 0 ] || fail "quick exited 0 with a failing nnc-eval: $(cat "$WORK/out" "$WORK/err")"
grep -q "quick: done" "$WORK/out" && fail "quick printed 'quick: done' after a failure"
[ -s "$WORK/q2/mnist/lenet5.h5" ] || fail "nnc-train's step did not run before nnc-eval's"
grep -q -E '^[0-9]+$' "$WORK/q2/mnist/lenet5.h5.time" || fail "no wall time recorded: $(cat "$WORK/q2/mnist/lenet5.h5.time")"
grep -q -- "--arch lenet5" "$WORK/q2/mnist/lenet5.h5.cmd" || fail "no command recorded"
[ ! -e "$WORK/q2/mnist/lenet5.eval.json" ] || fail "the failed step left its output"

# all: the same.
FAKE_FAIL=nnc-train pipeline all "$WORK/a1"
[ "$rc" != 0 ] || fail "all exited 0 with a failing nnc-train: $(cat "$WORK/out" "$WORK/err")"

# plan reads the measured time of the step that ran, and estimates the others.
timeout 60 make -s -C "$SRC" -f Makefile.pipeline plan PLAN_PROFILE=quick NNC_BIN_DIR="$FAKE" OUT="$WORK/q2" >"$WORK/plan"
grep -q -E "done, measured +mnist/lenet5.h5$" "$WORK/plan" || fail "plan does not show the measured step: $(head -5 "$WORK/plan")"
grep -q -E "to run, estimated +mnist/fault-aware/rsa/fa-1.json$" "$WORK/plan" || fail "plan does not list fault-aware's steps"
grep -q -E "^[0-9]+ steps: total .* hours" "$WORK/plan" || fail "plan prints no total: $(tail -3 "$WORK/plan")"
echo "pipeline_fails: ok"
