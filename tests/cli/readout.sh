# Read-out conditions on an existing chip (issue 20): per-read noise seeded by --read-seed (same
# seed, same result on 1 and 2 threads; another seed, another result), --repeats, drift with
# --time and --drift-compensation, flags that need reprogramming refused, and the ADC
# calibration rule: nnc-eval on a chip adapted with batch-norm recalibration reproduces the
# adapted accuracy exactly.
source "$(dirname "$0")/lib.sh"

M="$WORK/m.h5"
nnc-train --arch c4k5,mp2,flat,fc10 --dataset mnist --epochs 1 $VAL --quiet -o "$M"
nnc-program-rram "$M" -o "$WORK/c.h5" --sigma 0.1 --tile 32 --seed 3 --quiet
loss_of() { nnc-eval "$WORK/c.h5" --dataset mnist --json "$@" | json_get loss; }

# Read noise: fresh per read, the same for the same --read-seed whatever --threads.
plain=$(loss_of)
n1=$(loss_of --read-noise 0.2 --read-seed 1 --threads 1)
n1b=$(loss_of --read-noise 0.2 --read-seed 1 --threads 2)
n2=$(loss_of --read-noise 0.2 --read-seed 2 --threads 1)
n2b=$(loss_of --read-noise 0.2 --read-seed 2 --threads 2)
[ -n "$n1" ] && [ "$n1" = "$n1b" ] || fail "read seed 1: loss $n1 on 1 thread, $n1b on 2"
[ "$n2" = "$n2b" ] || fail "read seed 2: loss $n2 on 1 thread, $n2b on 2"
[ "$n1" != "$n2" ] || fail "read seeds 1 and 2 gave the same loss $n1"
[ "$n1" != "$plain" ] || fail "read noise 0.2 did not change the loss $plain"
# The chip file is unchanged by evaluation, and a noiseless read is the old result.
[ "$(loss_of --read-noise 0 --read-seed 7)" = "$plain" ] || fail "no read noise but the result changed"

# --repeats K: K reads with seeds read-seed..read-seed+K-1; the mean and spread in JSON and text.
nnc-eval "$WORK/c.h5" --dataset mnist --read-noise 0.2 --read-seed 1 --repeats 3 --json >"$WORK/r.json"
grep -q '"repeats": 3' "$WORK/r.json" || fail "no repeats in $(cat "$WORK/r.json")"
grep -q '"read_seed": 3' "$WORK/r.json" || fail "the third read is not seed 3: $(cat "$WORK/r.json")"
std=$(json_get accuracy_std <"$WORK/r.json")
awk -v s="$std" 'BEGIN { exit !(s >= 0) }' || fail "accuracy_std '$std'"
nnc-eval "$WORK/c.h5" --dataset mnist --read-noise 0.2 --repeats 2 | contains "over 2 reads \(read seeds 0..1\): accuracy mean"

# Drift: at t0 nothing changes; later the result changes, deterministically; compensation applies.
[ "$(loss_of --time 1 --drift-nu 0.05)" = "$plain" ] || fail "reading at t0 changed the result"
d1=$(loss_of --time 86400 --drift-nu 0.05 --drift-nu-std 0.01 --threads 1)
d2=$(loss_of --time 86400 --drift-nu 0.05 --drift-nu-std 0.01 --threads 2)
[ "$d1" = "$d2" ] || fail "drift depends on --threads: $d1 vs $d2"
[ "$d1" != "$plain" ] || fail "a day of drift changed nothing"
dc=$(loss_of --time 86400 --drift-nu 0.05 --drift-nu-std 0.01 --drift-compensation)
[ "$dc" != "$d1" ] || fail "drift compensation changed nothing"
nnc-eval "$WORK/c.h5" --dataset mnist --json --time 86400 | contains '"time_s": 86400'

# Flags that need reprogramming are refused on a chip file; read-out flags are range-checked.
expect_exit 105 "--sigma changes how a chip is programmed" nnc-eval "$WORK/c.h5" --dataset mnist --sigma 0.2
expect_exit 105 "--p-sf0 changes how a chip is programmed" nnc-eval "$WORK/c.h5" --dataset mnist --p-sf0 0
expect_exit 105 "--time" nnc-eval "$WORK/c.h5" --dataset mnist --time 0.5
expect_exit 105 "--repeats" nnc-eval "$M" --dataset mnist --repeats 2
expect_exit 105 "need --chips N" nnc-eval "$M" --dataset mnist --read-noise 0.1

# The ADC rule: a batch-norm model, its chip adapted with batch-norm recalibration before RSA
# and fewer training images than the calibration batch; nnc-eval reproduces accuracy_after.
B="$WORK/bn.h5"
nnc-train --arch c4k3,bn,relu,mp2,flat,fc10 --dataset mnist --epochs 1 $VAL --quiet -o "$B"
nnc-program-rram "$B" -o "$WORK/bnc.h5" --sigma 0.3 --tile 16 --seed 2 --adc-bits 4 --quiet
nnc-rsa-adapt "$WORK/bnc.h5" --dataset mnist --density 0.05 --epochs 1 --limit-train 120 $VAL --recalibrate-bn \
  -o "$WORK/bnr.h5" --json --quiet >"$WORK/bnr.json"
adapted=$(json_get accuracy_after <"$WORK/bnr.json")
evaluated=$(nnc-eval "$WORK/bnr.h5" --dataset mnist --json | json_get accuracy)
[ -n "$adapted" ] && [ "$evaluated" = "$adapted" ] ||
  fail "ADC chip after batch-norm recalibration and RSA: nnc-eval $evaluated, nnc-rsa-adapt $adapted"
h5ls -r "$WORK/bnr.h5" | contains "adc_full_scale"
# Under read noise too: RSA adapts and evaluates with fresh reads, the same reads nnc-eval makes.
nnc-rsa-adapt "$WORK/bnc.h5" --dataset mnist --density 0.05 --epochs 1 --limit-train 120 $VAL --read-noise 0.1 \
  -o "$WORK/noisy.h5" --json --quiet >"$WORK/noisy.json"
adapted=$(json_get accuracy_after <"$WORK/noisy.json")
evaluated=$(nnc-eval "$WORK/noisy.h5" --dataset mnist --json | json_get accuracy)
[ "$evaluated" = "$adapted" ] || fail "noisy reads: nnc-eval $evaluated, nnc-rsa-adapt $adapted"
# Read at another time, the adapted chip still evaluates (does RSA at t0 hold at t?).
nnc-eval "$WORK/bnr.h5" --dataset mnist --time 2592000 --drift-compensation --json | contains '"accuracy"'
echo "read-out CLI tests passed"
