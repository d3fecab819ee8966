# nnc-rsa-adapt end to end on the tiny fixture: the RRAM state is copied byte for byte, /rsa is
# written and read back (nnc-eval computes RRAM + RSA, nnc-info shows the cells), density 0
# changes nothing, RSA raises a faulty chip's accuracy, and bad inputs exit with one clear line.
source "$(dirname "$0")/lib.sh"

M="$WORK/m.h5"
nnc-train --arch c4k5,mp2,flat,fc10 --dataset mnist --epochs 2 $VAL --quiet -o "$M"
C="$WORK/c.h5"
nnc-program-rram "$M" -o "$C" --sigma 0.5 --p-sf1 0.2 --p-sf0 0.05 --tile 32 --seed 3 --quiet

nnc-rsa-adapt "$C" --dataset mnist $VAL --density 0.1 --epochs 3 --lr 0.05 --batch 16 --seed 2 --test-epochs 1,3 \
  --json --quiet -o "$WORK/a.h5" >"$WORK/a.json"
h5diff "$C" "$WORK/a.h5" /chip /chip >/dev/null || fail "the RRAM state changed"
h5diff "$C" "$WORK/a.h5" /model /model >/dev/null || fail "the model part changed"
before=$(json_get accuracy_before <"$WORK/a.json")
after=$(json_get accuracy_after <"$WORK/a.json")
awk -v a="$before" -v b="$after" 'BEGIN { exit !(b > a) }' || fail "RSA did not help: $before -> $after"
# --test-epochs 1,3: test accuracy after epochs 1 and 3, the last one the final accuracy.
grep -o '"epoch": [0-9]*' "$WORK/a.json" | awk '{ printf "%s ", $2 }' | grep -qx "1 3 " ||
  fail "test_after_epoch does not list epochs 1 and 3"
e3=$(grep -o '"epoch": 3, "accuracy": [0-9.e+-]*' "$WORK/a.json" | awk '{ print $4 }')
awk -v a="$e3" -v b="$after" 'BEGIN { exit !(a == b) }' || fail "accuracy after epoch 3 is $e3, the final one $after"
# nnc-eval on the adapted chip computes RRAM + RSA: the accuracy the adaptation reported.
e=$(nnc-eval "$WORK/a.h5" --dataset mnist --json | json_get accuracy)
awk -v a="$e" -v b="$after" 'BEGIN { exit !(a == b) }' || fail "nnc-eval gives $e, nnc-rsa-adapt reported $after"
e0=$(nnc-eval "$C" --dataset mnist --json | json_get accuracy)
awk -v a="$e0" -v b="$before" 'BEGIN { exit !(a == b) }' || fail "nnc-eval gives $e0 on the chip, adapt said $before"
nnc-info "$WORK/a.h5" >"$WORK/info.txt"
grep -q "RSA: additive, balanced selection, density 0.1" "$WORK/info.txt" || fail "nnc-info shows no RSA"
nnc-info "$WORK/a.h5" --json >"$WORK/info.json"
grep -q '"sram_bytes"' "$WORK/info.json" || fail "nnc-info --json shows no SRAM bytes"
cells=$(json_get cells <"$WORK/a.json")
h5dump -d /rsa/layers/000/value "$WORK/a.h5" >/dev/null || fail "no /rsa/layers/000/value"

# Same seed, same bytes whatever --threads; another seed, other cells.
nnc-rsa-adapt "$C" --dataset mnist $VAL --density 0.1 --epochs 1 --seed 2 --threads 1 --quiet -o - >"$WORK/t1.h5"
nnc-rsa-adapt "$C" --dataset mnist $VAL --density 0.1 --epochs 1 --seed 2 --threads 2 --quiet -o - >"$WORK/t2.h5"
cmp -s "$WORK/t1.h5" "$WORK/t2.h5" || fail "adapted chip bytes depend on --threads"
nnc-rsa-adapt "$C" --dataset mnist $VAL --density 0.1 --epochs 1 --seed 5 --quiet -o "$WORK/t3.h5"
h5diff "$WORK/t1.h5" "$WORK/t3.h5" /rsa/layers/000/row /rsa/layers/000/row >/dev/null && fail "seed does not move the cells"

# Density 0: no cells, accuracy unchanged; stdin/stdout work.
nnc-rsa-adapt - --dataset mnist $VAL --density 0 --epochs 1 --quiet -o - <"$C" >"$WORK/z.h5"
z=$(nnc-eval "$WORK/z.h5" --dataset mnist --json | json_get accuracy)
awk -v a="$z" -v b="$before" 'BEGIN { exit !(a == b) }' || fail "density 0 changed accuracy $before -> $z"

# Replace mode and random selection run; quantized cells take a quarter of float's SRAM at 8 bits.
nnc-rsa-adapt "$C" --dataset mnist $VAL --density 0.1 --mode replace --selection random --bits 8 --json --quiet \
  -o "$WORK/r.h5" >"$WORK/r.json"
rc=$(json_get cells <"$WORK/r.json")
rb=$(json_get sram_bytes <"$WORK/r.json")
[ "$rc" = "$cells" ] || fail "random selection chose $rc cells, balanced $cells"
[ "$rb" = "$rc" ] || fail "8-bit cells take $rb bytes for $rc cells"

# Augmentation (off by default for RSA): recorded in the chip and the JSON; augmented
# training sees other images, so it ends elsewhere, and the same seed repeats it exactly.
grep -q '"augment": false' "$WORK/a.json" || fail "RSA augmented by default"
for k in 1 2; do
  nnc-rsa-adapt "$C" --dataset mnist $VAL --density 0.1 --epochs 1 --lr 0.05 --batch 16 --augment --cutout 4 \
    --json --quiet -o "$WORK/aug$k.h5" >"$WORK/aug$k.json"
done
grep -q '"augment": true' "$WORK/aug1.json" || fail "--augment not recorded in the JSON"
[ "$(json_get cutout <"$WORK/aug1.json")" = "4" ] || fail "--cutout not recorded in the JSON"
h5dump -a /rsa/augment "$WORK/aug1.h5" | grep -q "(0): 1" || fail "/rsa@augment is not 1"
cmp -s <(json_get accuracy_after <"$WORK/aug1.json") <(json_get accuracy_after <"$WORK/aug2.json") ||
  fail "two augmented runs with one seed differ"
nnc-rsa-adapt "$C" --dataset mnist $VAL --density 0.1 --epochs 1 --lr 0.05 --batch 16 --json --quiet \
  -o "$WORK/plain.h5" >"$WORK/plain.json"
h5diff -q "$WORK/plain.h5" "$WORK/aug1.h5" /rsa/layers /rsa/layers >/dev/null && fail "augmentation changed no RSA value"

# Bad inputs: one line, non-zero exit, no output.
expect_exit 105 "needs augmentation" nnc-rsa-adapt "$C" --dataset mnist --cutout 4 -o "$WORK/bad.h5"
expect_exit 2 "expected a chip" nnc-rsa-adapt "$M" --dataset mnist $VAL -o "$WORK/bad.h5"
expect_exit 2 "already has RSA" nnc-rsa-adapt "$WORK/a.h5" --dataset mnist $VAL -o "$WORK/bad.h5"
expect_exit 105 "density" nnc-rsa-adapt "$C" --dataset mnist --density 1.5 -o "$WORK/bad.h5"
expect_exit 105 "mode" nnc-rsa-adapt "$C" --dataset mnist --mode both -o "$WORK/bad.h5"
expect_exit 105 "past --epochs" nnc-rsa-adapt "$C" --dataset mnist --epochs 2 --test-epochs 3 -o "$WORK/bad.h5"
echo garbage >"$WORK/g.h5"
expect_exit 2 "g.h5" nnc-rsa-adapt "$WORK/g.h5" --dataset mnist -o "$WORK/bad.h5"
[ ! -e "$WORK/bad.h5" ] || fail "a failed run left an output file"
echo "rsa: ok"
