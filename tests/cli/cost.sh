# nnc-cost end to end on the tiny fixture (issue 47): a model and chips are costed as text and
# JSON; faults change only the array energy; ADC energy grows by a bit cycle per bit; the
# activity measured on a dataset replaces the assumed one; RSA cells add SRAM area; R-V-W adds
# verify reads and energy; stdin works; bad inputs exit 2 and bad flags 105.
source "$(dirname "$0")/lib.sh"

M="$WORK/m.h5"
nnc-train --arch c4k5,mp2,flat,fc10 --dataset mnist --epochs 1 $VAL --quiet -o "$M"
nnc-program-rram "$M" -o "$WORK/c.h5" --sigma 0.1 --tile 32 --seed 3 --quiet
nnc-program-rram "$M" -o "$WORK/c0.h5" --sigma 0.1 --tile 32 --seed 3 --p-sf0 0 --p-sf1 0 --quiet
nnc-program-rram "$M" -o "$WORK/rvw.h5" --sigma 0.1 --tile 32 --seed 3 --method rvw --quiet

# total KEY: a number of the "total" object of the JSON on stdin (energies under energy_j first).
total() { sed 's/.*"total": {"energy_j": {/{/' | json_get "$1"; }
# same A B: the two numbers are equal; ratio A B R: B / A is R within 1e-9.
same() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a == b && a != "") }'; }
ratio() { awk -v a="$1" -v b="$2" -v r="$3" 'BEGIN { d = b / a - r; exit !(a > 0 && d < 1e-9 && d > -1e-9) }'; }

# A model is mapped onto the default device and costed: the table, the totals, programming.
nnc-cost "$M" >"$WORK/model.txt"
grep -q -E '^0 +conv ' "$WORK/model.txt" || fail "no conv row: $(cat "$WORK/model.txt")"
grep -q -E '^total: [0-9.e+]+ nJ per image' "$WORK/model.txt" || fail "no total line: $(cat "$WORK/model.txt")"
grep -q 'programming (oneshot)' "$WORK/model.txt" || fail "no programming line: $(cat "$WORK/model.txt")"
grep -q 'activity assumed' "$WORK/model.txt" || fail "the assumed activity is not stated"

# Faults change what the arrays draw, not the conversions, the area or the interconnect.
nnc-cost "$WORK/c.h5" --json >"$WORK/c.json"
nnc-cost "$WORK/c0.h5" --json >"$WORK/c0.json"
for k in adc_conversions area_um2 tiles_used tile_links adc interconnect buffer; do
  same "$(total $k <"$WORK/c.json")" "$(total $k <"$WORK/c0.json")" || fail "faults changed $k"
done
[ "$(total array <"$WORK/c.json")" != "$(total array <"$WORK/c0.json")" ] || fail "faults did not change the array energy"
grep -q '"kind": "chip"' "$WORK/c.json" || fail "no kind in $(cat "$WORK/c.json")"
grep -q '"adc_cycle_j": ' "$WORK/c.json" || fail "the constants are not in the JSON"

# A SAR's energy grows by a bit cycle per bit at low resolution (x5/4 from 4 to 5 bits, a little
# more for the DAC), not x2; the conversions stay.
a4=$(nnc-cost "$WORK/c.h5" --adc-bits 4 --json | total adc)
a5=$(nnc-cost "$WORK/c.h5" --adc-bits 5 --json | total adc)
awk -v a="$a4" -v b="$a5" 'BEGIN { exit !(a > 0 && b / a > 1.25 && b / a < 1.3) }' ||
  fail "ADC energy at 5 bits $a5 against $a4 at 4 bits is not a bit cycle more"

# The activity measured on test images replaces the assumed one.
nnc-cost "$WORK/c.h5" --dataset mnist --limit-test 20 --json >"$WORK/d.json"
grep -q '"activity": "measured"' "$WORK/d.json" || fail "activity not measured: $(cat "$WORK/d.json")"
same "$(json_get activity_images <"$WORK/d.json")" 20 || fail "not 20 images"
grep -q '"dataset": "mnist"' "$WORK/d.json" || fail "no dataset in the record"
[ "$(total array <"$WORK/d.json")" != "$(total array <"$WORK/c.json")" ] || fail "measured activity changed nothing"
same "$(total adc_conversions <"$WORK/d.json")" "$(total adc_conversions <"$WORK/c.json")" || fail "activity changed the conversions"

# RSA cells: SRAM area, read energy per image and the adaptation's update energy.
nnc-rsa-adapt "$WORK/c.h5" --dataset mnist $VAL --density 0.1 --epochs 1 --batch 32 --quiet -o "$WORK/rsa.h5"
nnc-cost "$WORK/rsa.h5" --json >"$WORK/rsa.json"
grep -q '"rsa": {"cells": [1-9]' "$WORK/rsa.json" || fail "no RSA cells: $(cat "$WORK/rsa.json")"
awk -v a="$(total area_um2 <"$WORK/c.json")" -v b="$(total area_um2 <"$WORK/rsa.json")" 'BEGIN { exit !(b > a) }' ||
  fail "RSA cells added no area"
nnc-cost "$WORK/rsa.h5" | grep -q '^RSA: [0-9]* cells of 32 bits' || fail "no RSA line in the text report"

# R-V-W: verify reads, more programming energy and time than one-shot.
nnc-cost "$WORK/rvw.h5" --json >"$WORK/rvw.json"
grep -q '"programming": {"method": "rvw"' "$WORK/rvw.json" || fail "not costed as R-V-W"
v=$(json_get verify_reads <"$WORK/rvw.json")
awk -v v="$v" 'BEGIN { exit !(v > 0) }' || fail "no verify reads"
pe() { sed 's/.*"programming": {/{/' | json_get "$1"; }
awk -v a="$(pe energy_j <"$WORK/c.json")" -v b="$(pe energy_j <"$WORK/rvw.json")" 'BEGIN { exit !(b > a) }' ||
  fail "R-V-W programming costs no more energy than one-shot"

# stdin, the same report.
nnc-cost - --json <"$WORK/c.h5" | total area_um2 | { read -r a; same "$a" "$(total area_um2 <"$WORK/c.json")"; } ||
  fail "stdin gives another report"

# DNN+NeuroSim's network CSV and traces: one row per mapped layer, weights in [-1, 1], input bits.
nnc-cost "$WORK/c.h5" --dataset mnist --neurosim-traces "$WORK/ns" --quiet >/dev/null
[ "$(cat "$WORK/ns/net.csv")" = $'28,28,1,5,5,4,1,1\n1,1,576,1,1,10,0,1' ] || fail "net.csv: $(cat "$WORK/ns/net.csv")"
[ "$(grep -c . "$WORK/ns/w1.csv")" -eq 25 ] && [ "$(head -1 "$WORK/ns/w1.csv" | tr , '\n' | grep -c .)" -eq 4 ] ||
  fail "w1.csv is not 25 x 4"
awk -F, '{ for (i = 1; i <= NF; i++) if ($i < -1 || $i > 1) exit 1 }' "$WORK/ns/w2.csv" || fail "a weight outside [-1, 1]"
[ "$(grep -c . "$WORK/ns/in1.csv")" -eq 25 ] && [ "$(head -1 "$WORK/ns/in1.csv" | tr , '\n' | grep -c .)" -eq $((24 * 24 * 8)) ] ||
  fail "in1.csv is not 25 rows of 24 x 24 vectors x 8 bits"
[ "$(tr -d ',01\n' <"$WORK/ns/in2.csv" | wc -c)" -eq 0 ] || fail "in2.csv holds more than 0/1"
grep -q 1 "$WORK/ns/in2.csv" || fail "in2.csv has no 1 bit"
expect_exit 105 "--neurosim-traces needs --dataset" nnc-cost "$WORK/c.h5" --neurosim-traces "$WORK/ns2"

# Bad inputs exit 2, bad flags 105.
expect_exit 2 "no such file" nnc-cost "$WORK/none.h5"
echo "not hdf5" >"$WORK/x.txt"
expect_exit 2 "x.txt" nnc-cost "$WORK/x.txt"
expect_exit 2 "cifar10 has 3x32x32" nnc-cost "$M" --dataset cifar10
expect_exit 105 "must be 0 or in \[2, 16\]" nnc-cost "$M" --adc-bits 1
expect_exit 105 "adc-bits" nnc-cost "$M" --adc-bits 17
expect_exit 105 "did you mean mnist" nnc-cost "$M" --dataset mnsit
expect_exit 105 "--data-dir needs --dataset" nnc-cost "$M" --data-dir "$WORK"
expect_exit 105 "limit" nnc-cost "$M" --dataset mnist --limit-test 0
echo "cost.sh: ok"
