# nnc-program-rram, nnc-eval on chips and Monte Carlo, nnc-info on chips, and the bad inputs of
# issue 4 (each: one clear line, non-zero exit, no output file).
source "$(dirname "$0")/lib.sh"

M="$WORK/m.h5"
nnc-train --arch c4k5,mp2,flat,fc10 --dataset mnist --epochs 1 $VAL --quiet -o "$M"

# One-shot chip, then evaluate what it computes.
nnc-program-rram "$M" -o "$WORK/c.h5" --sigma 0.1 --tile 32 --seed 3 --quiet
[ -s "$WORK/c.h5" ] || fail "no chip written"
nnc-eval "$WORK/c.h5" --dataset mnist --json >"$WORK/e.json"
grep -q '"kind": "chip"' "$WORK/e.json" || fail "nnc-eval did not see a chip: $(cat "$WORK/e.json")"
acc=$(json_get accuracy <"$WORK/e.json")
awk -v a="$acc" 'BEGIN { exit !(a > 0 && a <= 1) }' || fail "chip accuracy '$acc'"

# An output over an input is refused before any work, and the input is left as it was.
sum=$(sha256sum <"$M")
expect_exit 105 "would overwrite the input" nnc-program-rram "$M" -o "$M" --sigma 0.1
expect_exit 105 "would overwrite the input" nnc-program-rram "$M" -o "$WORK/./m.h5" --sigma 0.1
expect_exit 105 "would overwrite the input" nnc-train --arch c4k5,mp2,flat,fc10 --dataset mnist $VAL --init "$M" -o "$M"
cp "$WORK/c.h5" "$WORK/c-copy.h5"
expect_exit 105 "would overwrite the input" nnc-rsa-adapt "$WORK/c-copy.h5" --dataset mnist -o "$WORK/c-copy.h5"
[ "$(sha256sum <"$M")" = "$sum" ] || fail "a refused run changed its input"
cmp -s "$WORK/c.h5" "$WORK/c-copy.h5" || fail "a refused rsa-adapt changed its input chip"

# An ideal chip (no faults, no variation, many levels) computes what the model computes.
nnc-program-rram "$M" -o "$WORK/ideal.h5" --sigma 0 --p-sf0 0 --p-sf1 0 --levels 4096 --quiet
m_acc=$(nnc-eval "$M" --dataset mnist --json | json_get accuracy)
i_acc=$(nnc-eval "$WORK/ideal.h5" --dataset mnist --json | json_get accuracy)
awk -v a="$m_acc" -v b="$i_acc" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.011) }' ||
  fail "ideal chip accuracy $i_acc differs from the model's $m_acc"

# Same seed, same chip bytes whatever the thread count (the command line, recorded in the
# provenance, is the same but for --threads, which is not recorded).
nnc-program-rram "$M" -o - --sigma 0.1 --tile 32 --seed 3 --threads 1 --quiet >"$WORK/c1.h5"
nnc-program-rram "$M" -o - --sigma 0.1 --tile 32 --seed 3 --threads 2 --quiet >"$WORK/c2.h5"
cmp -s "$WORK/c1.h5" "$WORK/c2.h5" || fail "chip bytes depend on --threads"
nnc-program-rram "$M" -o - --sigma 0.1 --tile 32 --seed 4 --quiet >"$WORK/c3.h5"
cmp -s "$WORK/c1.h5" "$WORK/c3.h5" && fail "different seeds gave the same chip"
h5diff "$WORK/c1.h5" "$WORK/c3.h5" /model /model >/dev/null || fail "the model part depends on the seed"

# Read-verify-write records pulses and modeled time.
nnc-program-rram "$M" -o "$WORK/r.h5" --method rvw --sigma 0.3 --max-pulses 10 --tile 32 --seed 3 --quiet --json >"$WORK/r.json"
pulses=$(json_get pulses <"$WORK/r.json")
time_s=$(json_get time_s <"$WORK/r.json")
awk -v p="$pulses" -v t="$time_s" 'BEGIN { exit !(p > 0 && t > 0 && (t - p * 6.6e-6) ^ 2 < (1e-9 * t) ^ 2 + 1e-18) }' ||
  fail "R-V-W pulses $pulses and time $time_s do not agree with 6.5 us + 100 ns per pulse"

# Monte Carlo over chips from a model.
nnc-eval "$M" --dataset mnist --chips 3 --sigma 0.3 --seed 5 --json >"$WORK/mc.json"
for key in accuracy accuracy_std accuracy_min accuracy_max chips samples seconds_per_chip; do
  [ -n "$(json_get $key <"$WORK/mc.json")" ] || fail "Monte Carlo JSON lacks $key: $(cat "$WORK/mc.json")"
done
[ "$(json_get chips <"$WORK/mc.json")" = 3 ] || fail "chips != 3"
# Its chips are the chips nnc-program-rram makes with the same seeds.
nnc-program-rram "$M" -o "$WORK/s6.h5" --sigma 0.3 --seed 6 --quiet
a6=$(nnc-eval "$WORK/s6.h5" --dataset mnist --json | json_get accuracy)
grep -q "\"seed\": 6, \"accuracy\": $a6" "$WORK/mc.json" || fail "chip seed 6 accuracy $a6 not in $(cat "$WORK/mc.json")"

# nnc-info on a chip: device parameters with units, faults per layer, levels, tiles.
nnc-info "$WORK/r.h5" >"$WORK/info.txt"
grep -q "G_on 0.0001 S" "$WORK/info.txt" || fail "nnc-info shows no device parameters: $(cat "$WORK/info.txt")"
grep -q "SF1" "$WORK/info.txt" || fail "nnc-info shows no fault counts"
nnc-info "$WORK/r.h5" --json >"$WORK/info.json"
for key in g_on_siemens t_write_s sf0 sf1 levels_used tiles_used; do
  grep -q "\"$key\"" "$WORK/info.json" || fail "nnc-info --json lacks $key"
done

# ADC resolution of column sums (--adc-bits): kept in the chip file and shown by nnc-info; off
# (0) is exactly the plain chip; 16 bits on an ideal chip still compute what the model does;
# the same result whatever --threads; RSA trains through it.
nnc-eval "$M" --dataset mnist --chips 3 --sigma 0.3 --seed 5 --adc-bits 0 --json >"$WORK/mc0.json"
[ "$(json_get accuracy <"$WORK/mc0.json")" = "$(json_get accuracy <"$WORK/mc.json")" ] ||
  fail "--adc-bits 0 changed the Monte Carlo accuracy"
nnc-program-rram "$M" -o "$WORK/adc.h5" --sigma 0.1 --tile 32 --seed 3 --adc-bits 4 --quiet
nnc-info "$WORK/adc.h5" >"$WORK/adc-info.txt"
grep -q "ADC 4 bits" "$WORK/adc-info.txt" || fail "nnc-info does not show the ADC: $(cat "$WORK/adc-info.txt")"
nnc-info "$WORK/adc.h5" --json >"$WORK/adc-info.json"
grep -q '"adc_bits": 4' "$WORK/adc-info.json" || fail "nnc-info --json lacks adc_bits 4"
grep -q "ADC off" "$WORK/info.txt" || fail "nnc-info does not show the ADC off"
a1=$(nnc-eval "$WORK/adc.h5" --dataset mnist --json --threads 1 | json_get accuracy)
a2=$(nnc-eval "$WORK/adc.h5" --dataset mnist --json --threads 2 | json_get accuracy)
[ -n "$a1" ] && [ "$a1" = "$a2" ] || fail "ADC chip accuracy depends on --threads: $a1 vs $a2"
nnc-program-rram "$M" -o "$WORK/ideal16.h5" --sigma 0 --p-sf0 0 --p-sf1 0 --levels 4096 --adc-bits 16 --quiet
i16=$(nnc-eval "$WORK/ideal16.h5" --dataset mnist --json | json_get accuracy)
awk -v a="$m_acc" -v b="$i16" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.011) }' ||
  fail "ideal chip with a 16-bit ADC: accuracy $i16, the model's $m_acc"
# The adapted chip holds the ADC's full scales (one calibration rule, docs/algorithms.md "ADC
# resolution"), so nnc-eval computes exactly the accuracy nnc-rsa-adapt reported, although
# --limit-train 200 leaves nnc-rsa-adapt fewer images than nnc-eval's calibration batch.
nnc-rsa-adapt "$WORK/adc.h5" --dataset mnist --density 0.05 --epochs 1 --limit-train 200 --limit-test 200 $VAL \
  -o "$WORK/adc-rsa.h5" --json --quiet >"$WORK/adc-rsa.json"
adapted=$(json_get accuracy_after <"$WORK/adc-rsa.json")
ar=$(nnc-eval "$WORK/adc-rsa.h5" --dataset mnist --limit-test 200 --json | json_get accuracy)
[ -n "$ar" ] && [ "$ar" = "$adapted" ] || fail "RSA through an ADC: nnc-eval gives $ar, nnc-rsa-adapt reported $adapted"

# Bad inputs: one clear line, non-zero exit, no output.
bad() {
  local code=$1 pattern=$2; shift 2
  rm -f "$WORK/out.h5"
  expect_exit "$code" "$pattern" "$@"
  [ ! -e "$WORK/out.h5" ] || fail "output left behind by: $*"
  ls "$WORK" | contains '\.tmp' && fail "temporary file left behind by: $*" || true
}
bad 2 "expected a model" nnc-program-rram "$WORK/c.h5" -o "$WORK/out.h5"
bad 2 "is a chip" nnc-eval "$WORK/c.h5" --dataset mnist --chips 2
# Device flags out of range are bad flags (CLI11's 105), checked by the parameter table's rules.
bad 105 "--levels: must be in \[2, 32768\], found 1" nnc-program-rram "$M" -o "$WORK/out.h5" --levels 1
bad 105 "--sigma: must be >= 0" nnc-program-rram "$M" -o "$WORK/out.h5" --sigma -0.1
bad 105 "--p-sf0: must be in \[0, 1\]" nnc-program-rram "$M" -o "$WORK/out.h5" --p-sf0 -0.5
bad 105 "--p-sf1" nnc-program-rram "$M" -o "$WORK/out.h5" --p-sf1 1.5
bad 105 "--p-sf0 \+ --p-sf1 must be <= 1" nnc-program-rram "$M" -o "$WORK/out.h5" --p-sf0 0.6 --p-sf1 0.6
bad 105 "--g-on must be greater than --g-off" nnc-program-rram "$M" -o "$WORK/out.h5" --g-off 1e-4 --g-on 1e-4
bad 105 "--tile" nnc-program-rram "$M" -o "$WORK/out.h5" --tile 0
bad 105 "--w-scale" nnc-program-rram "$M" -o "$WORK/out.h5" --w-scale p0
bad 105 "--method" nnc-program-rram "$M" -o "$WORK/out.h5" --method twoshot
bad 105 "--digital-layers" nnc-program-rram "$M" -o "$WORK/out.h5" --digital-layers first,x
bad 105 "--digital-layers: .*digital_layers names layer 1, which is not a conv or dense layer" nnc-program-rram "$M" -o "$WORK/out.h5" --digital-layers 1
bad 105 "--levels" nnc-eval "$M" --dataset mnist --chips 2 --levels 1
bad 105 "need --chips" nnc-eval "$M" --dataset mnist --sigma 0.3
bad 105 "--adc-bits" nnc-program-rram "$M" -o "$WORK/out.h5" --adc-bits 1
bad 105 "--adc-bits" nnc-program-rram "$M" -o "$WORK/out.h5" --adc-bits 17
bad 105 "--adc-bits" nnc-eval "$M" --dataset mnist --chips 2 --adc-bits -2
# A chip whose model part does not match its conductance arrays: a chip of a 4-filter model with
# its last layer digital, given the last layer's arrays from a chip of a 5-filter model.
nnc-train --arch c5k5,mp2,flat,fc10 --dataset mnist --epochs 1 --limit-train 200 $VAL --quiet -o "$WORK/m5.h5"
nnc-program-rram "$WORK/m5.h5" -o "$WORK/c5.h5" --quiet
nnc-program-rram "$M" -o "$WORK/graft.h5" --digital-layers last --quiet
h5copy -i "$WORK/c5.h5" -o "$WORK/graft.h5" -s /chip/layers/003 -d /chip/layers/003
bad 2 "graft.h5.*(shape|match)" nnc-eval "$WORK/graft.h5" --dataset mnist
bad 2 "graft.h5.*(shape|match)" nnc-info "$WORK/graft.h5"
echo "chip CLI tests passed"
