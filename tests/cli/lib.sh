# Shared by the CLI tests: a fresh temp dir with tiny synthetic datasets, and assertions.
# Each test script sources this, then runs tools from $NNC_BIN with NNC_DATASETS=$FIX.
set -euo pipefail
: "${NNC_BIN:?set NNC_BIN to the bin directory of the build}"
: "${NNC_FIXTURE_MAKER:?set NNC_FIXTURE_MAKER to the nnc-make-fixture binary}"
export PATH="$NNC_BIN:$PATH"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
FIX="$WORK/datasets"
"$NNC_FIXTURE_MAKER" "$FIX" "${FIXTURE_TRAIN:-600}" "${FIXTURE_TEST:-200}"
export NNC_DATASETS="$FIX"
# Small validation split for the tiny fixture.
VAL="--validation 100"

fail() { echo "FAIL: $*" >&2; exit 1; }
# A command that fails under set -e (a grep that finds nothing, say) names itself.
trap 'rc=$?; echo "FAIL: line $LINENO of ${0##*/}: $BASH_COMMAND (exit $rc)" >&2' ERR

# expect_exit CODE PATTERN cmd...: the command exits with CODE and its stderr matches PATTERN.
expect_exit() {
  local code=$1 pattern=$2; shift 2
  local rc=0
  "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  [ "$rc" -eq "$code" ] || fail "expected exit $code, got $rc: $* ($(cat "$WORK/err"))"
  grep -q -E -- "$pattern" "$WORK/err" || fail "stderr of '$*' does not match '$pattern': $(cat "$WORK/err")"
  [ "$(grep -c . "$WORK/err")" -le 3 ] || fail "more than a few lines of errors from '$*': $(cat "$WORK/err")"
}

# cmd | contains PATTERN: stdin matches PATTERN (grep -E), read to the end first, so the writer
# never meets a closed pipe (grep -q would exit at the first match and could SIGPIPE it).
contains() { local text; text=$(cat); grep -q -E -- "$1" <<<"$text"; }

# json_get KEY: a top-level number from the JSON object on stdin (its first occurrence).
# No `| head` in these pipelines: under pipefail, a writer killed by SIGPIPE when head exits
# early would fail the test at random.
json_get() { grep -o "\"$1\": [-0-9.e+]*" | awk 'NR == 1 { print $2 }'; }
