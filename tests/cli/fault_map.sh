# Measured fault maps and fault-aware mapping (issue 20): nnc-program-rram --write-fault-map and
# --fault-map (CSV and HDF5, each round trip), --map fault-aware with --spare-cols evaluated,
# adapted by RSA, shown by nnc-info and run as nnc-eval's Monte Carlo, and bad fault maps refused
# (one clear line, exit 2, no output).
source "$(dirname "$0")/lib.sh"

M="$WORK/m.h5"
nnc-train --arch c4k5,mp2,flat,fc10 --dataset mnist --epochs 1 $VAL --quiet -o "$M"
P="--tile 32 --seed 3 --quiet"

# A chip test measures the map before programming: the seed's map, as CSV, then as HDF5 from the
# CSV, then as CSV again from the HDF5. A measured map equal to the drawn one programs the same chip.
nnc-program-rram "$M" -o "$WORK/d.h5" $P --write-fault-map "$WORK/f.csv"
head -1 "$WORK/f.csv" | contains '^layer,row,col,cell,fault$' || fail "CSV fault map has no header: $(head -2 "$WORK/f.csv")"
[ "$(grep -c . "$WORK/f.csv")" -gt 10 ] || fail "CSV fault map lists almost no stuck cells"
nnc-program-rram "$M" -o "$WORK/d2.h5" $P --fault-map "$WORK/f.csv" --write-fault-map "$WORK/f.h5"
h5diff "$WORK/d.h5" "$WORK/d2.h5" /chip /chip >/dev/null || fail "the measured map (CSV) did not program the seed's chip"
nnc-program-rram "$M" -o "$WORK/d3.h5" $P --fault-map "$WORK/f.h5" --write-fault-map "$WORK/f2.csv"
h5diff "$WORK/d.h5" "$WORK/d3.h5" /chip /chip >/dev/null || fail "the measured map (HDF5) did not program the seed's chip"
cmp -s "$WORK/f.csv" "$WORK/f2.csv" || fail "fault map CSV -> HDF5 -> CSV is not the same file"
h5dump -a /nnc_kind "$WORK/f.h5" | contains 'fault_map' || fail "HDF5 fault map lacks @nnc_kind fault_map"
# The chip records the map as an input of its provenance.
h5dump -a /provenance/inputs/001/role "$WORK/d2.h5" | contains 'fault_map' || fail "fault map not in the provenance"

# A measured map replaces the drawn faults: a map with two stuck cells gives a chip with two.
printf 'layer,row,col,cell,fault\n0,3,1,plus,2\n3,100,7,minus,1\n' >"$WORK/two.csv"
nnc-program-rram "$M" -o "$WORK/two.h5" $P --fault-map "$WORK/two.csv" --json >"$WORK/two.json"
[ "$(json_get sf0 <"$WORK/two.json")" = 1 ] && [ "$(json_get sf1 <"$WORK/two.json")" = 1 ] ||
  fail "chip from a two-cell map: $(cat "$WORK/two.json")"

# Fault-aware mapping with spare columns: fewer weights off target, no extra writes, stored in
# the chip, shown by nnc-info, evaluated by nnc-eval, adapted by RSA.
nnc-program-rram "$M" -o "$WORK/dj.h5" $P --json >"$WORK/d.json"
nnc-program-rram "$M" -o "$WORK/fa.h5" $P --map fault-aware --spare-cols 2 --json >"$WORK/fa.json"
off_d=$(json_get off_target <"$WORK/d.json")
off_f=$(json_get off_target <"$WORK/fa.json")
[ "$off_f" -lt "$off_d" ] || fail "fault-aware mapping left $off_f weights off target, the default $off_d"
w_d=$(json_get write_pulses <"$WORK/d.json")
w_f=$(json_get write_pulses <"$WORK/fa.json")
[ "$w_f" -le "$w_d" ] || fail "fault-aware mapping cost more write pulses: $w_f against $w_d"
h5dump -d /chip/layers/003/col_map "$WORK/fa.h5" >/dev/null || fail "no col_map in the fault-aware chip"
nnc-info "$WORK/fa.h5" | contains 'map fault-aware' || fail "nnc-info does not show the mapping"
nnc-info "$WORK/fa.h5" | contains 'spare columns 2' || fail "nnc-info does not show the spare columns"
a_fa=$(nnc-eval "$WORK/fa.h5" --dataset mnist --json | json_get accuracy)
awk -v a="$a_fa" 'BEGIN { exit !(a > 0 && a <= 1) }' || fail "fault-aware chip accuracy '$a_fa'"
nnc-rsa-adapt "$WORK/fa.h5" --dataset mnist --density 0.05 --epochs 1 --limit-train 200 --limit-test 200 $VAL \
  -o "$WORK/fa-rsa.h5" --quiet
h5diff "$WORK/fa.h5" "$WORK/fa-rsa.h5" /chip /chip >/dev/null || fail "RSA changed the chip's placement or cells"
a_r=$(nnc-eval "$WORK/fa-rsa.h5" --dataset mnist --json | json_get accuracy)
awk -v a="$a_r" 'BEGIN { exit !(a > 0 && a <= 1) }' || fail "adapted fault-aware chip accuracy '$a_r'"
# The Monte Carlo takes --map and --spare-cols, and its chips are nnc-program-rram's.
nnc-eval "$M" --dataset mnist --chips 2 --tile 32 --seed 3 --map fault-aware --spare-cols 2 --json >"$WORK/mc.json"
grep -q "\"seed\": 3, \"accuracy\": $a_fa" "$WORK/mc.json" || fail "chip seed 3 accuracy $a_fa not in $(cat "$WORK/mc.json")"
# The same chip bytes whatever the thread count.
nnc-program-rram "$M" -o - $P --map fault-aware --spare-cols 2 --threads 1 >"$WORK/t1.h5"
nnc-program-rram "$M" -o - $P --map fault-aware --spare-cols 2 --threads 2 >"$WORK/t2.h5"
cmp -s "$WORK/t1.h5" "$WORK/t2.h5" || fail "fault-aware chip bytes depend on --threads"

# Bad fault maps and flags: one clear line, non-zero exit, no output.
bad() {
  local code=$1 pattern=$2; shift 2
  rm -f "$WORK/out.h5"
  expect_exit "$code" "$pattern" "$@"
  [ ! -e "$WORK/out.h5" ] || fail "output left behind by: $*"
}
map() { printf 'layer,row,col,cell,fault\n%s\n' "$1" >"$WORK/bad.csv"; }
map "1,0,0,plus,1"
bad 2 "bad.csv: line 2: layer 1 is not a mapped layer of the chip \(mapped: 0, 3\)" nnc-program-rram "$M" -o "$WORK/out.h5" $P --fault-map "$WORK/bad.csv"
map "0,25,0,plus,1"
bad 2 "bad.csv: line 2: cell \(25, 0\) is outside" nnc-program-rram "$M" -o "$WORK/out.h5" $P --fault-map "$WORK/bad.csv"
map "3,0,10,minus,1"
bad 2 "outside layer 3's 576 rows x 10 physical columns" nnc-program-rram "$M" -o "$WORK/out.h5" $P --fault-map "$WORK/bad.csv"
map "0,0,0,plus,3"
bad 2 "line 2: fault must be 0 \(none\), 1 \(SF1\) or 2 \(SF0\), found 3" nnc-program-rram "$M" -o "$WORK/out.h5" $P --fault-map "$WORK/bad.csv"
map "0,0,0,middle,1"
bad 2 "cell must be plus or minus" nnc-program-rram "$M" -o "$WORK/out.h5" $P --fault-map "$WORK/bad.csv"
printf 'row,col\n' >"$WORK/bad.csv"
bad 2 "line 1: expected the header" nnc-program-rram "$M" -o "$WORK/out.h5" $P --fault-map "$WORK/bad.csv"
# An HDF5 map of another shape: measured with one spare column per tile column, given to a chip without.
nnc-program-rram "$M" -o "$WORK/s.h5" $P --spare-cols 1 --write-fault-map "$WORK/spare.h5"
bad 2 "spare.h5.*fault_plus" nnc-program-rram "$M" -o "$WORK/out.h5" $P --fault-map "$WORK/spare.h5"
bad 2 "m.h5: is an nnc model, expected a fault map" nnc-program-rram "$M" -o "$WORK/out.h5" $P --fault-map "$M"
bad 2 "no-such.csv" nnc-program-rram "$M" -o "$WORK/out.h5" $P --fault-map "$WORK/no-such.csv"
bad 105 "--map: must be default or fault-aware" nnc-program-rram "$M" -o "$WORK/out.h5" --map best
bad 105 "--spare-cols" nnc-program-rram "$M" -o "$WORK/out.h5" --spare-cols -1
bad 105 "--spare-cols" nnc-eval "$M" --dataset mnist --chips 2 --spare-cols -1
bad 105 "--write-fault-map: needs a file of its own" nnc-program-rram "$M" -o "$WORK/out.h5" --write-fault-map -
echo "fault map CLI tests passed"
