# nnc-rsa-adapt --recalibrate-bn on the tiny CIFAR fixture with a small cnn9-like spec (batch
# norm after each convolution): the RRAM state is copied byte for byte, only the batch-norm
# running statistics of the model part change, nnc-eval on the output computes what the report
# says, the JSON carries the recalibrated accuracy and its modeled time, the result does not
# depend on --threads, and a model without batch norm is refused in one line.
source "$(dirname "$0")/lib.sh"

M="$WORK/m.h5"
nnc-train --arch c8p1,bn,relu,mp2,c8p1,bn,relu,mp2,flat,fc10 --dataset cifar10 --epochs 1 $VAL --quiet -o "$M"
C="$WORK/c.h5"
nnc-program-rram "$M" -o "$C" --sigma 0.5 --p-sf1 0.2 --p-sf0 0.05 --tile 32 --seed 3 --quiet

# Recalibration alone (--density 0).
nnc-rsa-adapt "$C" --dataset cifar10 $VAL --density 0 --recalibrate-bn --json --quiet -o "$WORK/b.h5" >"$WORK/b.json"
h5diff "$C" "$WORK/b.h5" /chip /chip >/dev/null || fail "the RRAM state changed"
for l in 000 004; do
  h5diff "$C" "$WORK/b.h5" /model/layers/$l /model/layers/$l >/dev/null || fail "conv weights of layer $l changed"
done
for l in 001 005; do
  h5diff "$C" "$WORK/b.h5" /model/layers/$l/gamma /model/layers/$l/gamma >/dev/null || fail "gamma of layer $l changed"
  h5diff "$C" "$WORK/b.h5" /model/layers/$l/running_mean /model/layers/$l/running_mean >/dev/null &&
    fail "running mean of layer $l not recalibrated"
done
grep -q '"bn_recalibrated_accuracy": [0-9]' "$WORK/b.json" || fail "no bn_recalibrated_accuracy in the JSON"
before=$(json_get accuracy_before <"$WORK/b.json")
bn=$(json_get bn_recalibrated_accuracy <"$WORK/b.json")
after=$(json_get accuracy_after <"$WORK/b.json")
[ "$bn" = "$after" ] || fail "with density 0 the final accuracy $after is not the recalibrated $bn"
[ "$(json_get cells <"$WORK/b.json")" = 0 ] || fail "density 0 selected cells"
[ "$(json_get steps <"$WORK/b.json")" = 0 ] || fail "density 0 ran RSA steps"
# Modeled time: 500 training images (600 less the 100 held out), reads = 32*32 (first bn) +
# 32*32 + 16*16 (second bn), 100 ns each.
t=$(grep -o '"bn_recalibration": {[^}]*}' "$WORK/b.json" | json_get time_s)
awk -v t="$t" 'BEGIN { e = 500 * (1024 + 1024 + 256) * 100e-9; exit !(t > e * 0.999 && t < e * 1.001) }' ||
  fail "modeled recalibration time $t"
e=$(nnc-eval "$WORK/b.h5" --dataset cifar10 --json | json_get accuracy)
awk -v a="$e" -v b="$bn" 'BEGIN { exit !(a == b) }' || fail "nnc-eval gives $e, nnc-rsa-adapt reported $bn"
e0=$(nnc-eval "$C" --dataset cifar10 --json | json_get accuracy)
awk -v a="$e0" -v b="$before" 'BEGIN { exit !(a == b) }' || fail "nnc-eval gives $e0 on the chip, adapt said $before"
nnc-info "$WORK/b.h5" | contains "batch norm recalibrated on the chip" || fail "nnc-info does not show the recalibration"
nnc-info "$WORK/b.h5" --json | contains '"bn_recalibration"' || fail "nnc-info --json does not show the recalibration"

# With RSA: recalibrated first, RSA trained on top; the same bytes whatever --threads.
nnc-rsa-adapt "$C" --dataset cifar10 $VAL --density 0.1 --epochs 1 --recalibrate-bn --bn-images 200 --threads 1 \
  --quiet -o - >"$WORK/t1.h5"
nnc-rsa-adapt "$C" --dataset cifar10 $VAL --density 0.1 --epochs 1 --recalibrate-bn --bn-images 200 --threads 2 \
  --quiet -o - >"$WORK/t2.h5"
cmp -s "$WORK/t1.h5" "$WORK/t2.h5" || fail "recalibrated and adapted chip bytes depend on --threads"
h5diff "$C" "$WORK/t1.h5" /chip /chip >/dev/null || fail "the RRAM state changed (with RSA)"
h5dump -a /rsa/bn_recalibration/images "$WORK/t1.h5" | contains "200" || fail "--bn-images 200 not recorded"
h5dump -a /rsa/augment "$WORK/t1.h5" | grep -q "(0): 0" || fail "RSA augmented CIFAR-10 images by default"
h5diff "$WORK/b.h5" "$WORK/t1.h5" /model/layers/001/running_var /model/layers/001/running_var >/dev/null &&
  fail "--bn-images did not change the statistics"

# Without the flag the model part is untouched.
nnc-rsa-adapt "$C" --dataset cifar10 $VAL --density 0 --quiet -o "$WORK/n.h5"
h5diff "$C" "$WORK/n.h5" /model /model >/dev/null || fail "the model part changed without --recalibrate-bn"

# A model without batch norm: one line, exit 2, no output.
P="$WORK/p.h5"
nnc-train --arch c4p1,relu,mp2,flat,fc10 --dataset cifar10 --epochs 1 $VAL --quiet -o "$P"
nnc-program-rram "$P" -o "$WORK/pc.h5" --seed 3 --quiet
expect_exit 2 "no batch-norm layer" nnc-rsa-adapt "$WORK/pc.h5" --dataset cifar10 $VAL --recalibrate-bn -o "$WORK/bad.h5"
expect_exit 107 "recalibrate-bn" nnc-rsa-adapt "$C" --dataset cifar10 --bn-images 10 -o "$WORK/bad.h5"
[ ! -e "$WORK/bad.h5" ] || fail "a failed run left an output file"
echo "rsa_bn: ok"
