# nnc-cgap end to end on the synthetic fixture: a run that grows and prunes, a model that
# loads and evaluates, the widths and summary recorded in it, and refusal of bad flags.
source "$(dirname "$0")/lib.sh"

ARCH="c8k3,relu,mp2,flat,fc16,relu,fc10"
FLAGS=(--arch "$ARCH" --dataset mnist $VAL --batch 25 --lr 0.05 --start-width 0.25 --growth-rate 1
       --growth-every 0.25 --max-width-ratio 0.75 --plateau 0 --noise-z 0 --prune-rate 0.2 --prune-tolerance 0.05 --quiet)
nnc-cgap "${FLAGS[@]}" --epochs 4 --json -o "$WORK/g.h5" >"$WORK/g.json" || fail "nnc-cgap failed"
grep -q '"growth_stop"' "$WORK/g.json" || fail "no summary in the JSON: $(cat "$WORK/g.json")"
acc=$(json_get test_accuracy <"$WORK/g.json")
awk -v a="$acc" 'BEGIN { exit !(a > 0.5) }' || fail "test accuracy $acc after CGaP"
params=$(json_get params <"$WORK/g.json")
tparams=$(json_get template_params <"$WORK/g.json")
[ "$params" -lt "$tparams" ] || fail "end model has $params parameters, the template $tparams"
# Training FLOPs: below the template's over the same steps (widths never reach the template's).
ratio=$(json_get train_flops_ratio <"$WORK/g.json")
awk -v r="$ratio" 'BEGIN { exit !(r > 0 && r < 1) }' || fail "training FLOPs ratio $ratio"

# A short run with --growth-every 1 still grows: 2 epochs give a growth budget of 0.3 epochs,
# so the 8 steps from the seed to the cap come every 0.3 / 8 epochs.
nnc-cgap --arch "$ARCH" --dataset mnist $VAL --batch 25 --start-width 0.25 --epochs 2 --growth-every 1 --quiet --json \
  -o "$WORK/short.h5" >"$WORK/short.json" || fail "short nnc-cgap failed"
seed=$(tr -d ' \n' <"$WORK/short.json" | grep -o '"seed":{[^}]*' | grep -o '"params":[0-9]*' | cut -d: -f2)
peak=$(tr -d ' \n' <"$WORK/short.json" | grep -o '"peak":{[^}]*' | grep -o '"params":[0-9]*' | cut -d: -f2)
[ -n "$seed" ] && [ -n "$peak" ] && [ "$peak" -gt "$seed" ] ||
  fail "a 2-epoch run did not grow (seed $seed, peak $peak parameters): $(cat "$WORK/short.json")"

# The model loads, evaluates, and nnc-info shows the recorded widths and summary.
nnc-eval "$WORK/g.h5" --dataset mnist --json >"$WORK/e.json" || fail "nnc-eval of the CGaP model failed"
nnc-info "$WORK/g.h5" >"$WORK/info.txt" || fail "nnc-info failed"
for key in cgap_widths cgap_steps cgap_summary cgap_layers cgap_growth_stop; do
  grep -q "$key" "$WORK/info.txt" || fail "nnc-info does not show $key"
done
# Widths stay in [1, cap]: caps 6 and 12.
nnc-info "$WORK/g.h5" --json | tr -d ' \n' | grep -o '"cgap_widths":{"dims":\[[0-9,]*\],"values":\[[0-9.,]*\]' \
  | sed 's/.*"values":\[//; s/\]//' | tr ',' '\n' >"$WORK/widths"
[ -s "$WORK/widths" ] || fail "no cgap_widths series"
awk 'NR % 2 == 1 && ($1 < 1 || $1 > 6) { exit 1 } NR % 2 == 0 && ($1 < 1 || $1 > 12) { exit 1 }' "$WORK/widths" \
  || fail "a width outside [1, cap]: $(tr '\n' ' ' <"$WORK/widths")"

# Same seed, same file content whatever --threads.
nnc-cgap "${FLAGS[@]}" --epochs 4 --threads 1 -o "$WORK/g1.h5"
if command -v h5diff >/dev/null; then
  # (the provenance differs: the first run also had --json)
  h5diff "$WORK/g.h5" "$WORK/g1.h5" /layers /layers >/dev/null || fail "--threads 1 changed the weights"
  h5diff "$WORK/g.h5" "$WORK/g1.h5" /history /history >/dev/null || fail "--threads 1 changed the record"
fi

# Stopped by SIGTERM (wherever the signal lands) and resumed, a run writes the uninterrupted
# run's model and records; the checkpoint is gone once the output is written.
nnc-cgap "${FLAGS[@]}" --epochs 4 --checkpoint-every 3 -o "$WORK/c.h5" || fail "nnc-cgap failed"
rc=0; timeout -s TERM 1 nnc-cgap "${FLAGS[@]}" --epochs 4 --checkpoint-every 3 -o "$WORK/s.h5" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 130 ] || [ "$rc" = 124 ] || fail "a stopped nnc-cgap exited $rc"
nnc-cgap "${FLAGS[@]}" --epochs 4 --checkpoint-every 3 --resume -o "$WORK/s.h5" || fail "nnc-cgap --resume failed"
[ ! -e "$WORK/s.h5.ckpt" ] || fail "the checkpoint is left after the output was written"
if command -v h5diff >/dev/null; then
  h5diff "$WORK/c.h5" "$WORK/s.h5" /layers /layers >/dev/null || fail "a resumed run changed the weights"
  h5diff "$WORK/c.h5" "$WORK/s.h5" /history /history >/dev/null || fail "a resumed run changed the record"
fi

# --newborn random runs too; output to stdout.
nnc-cgap "${FLAGS[@]}" --newborn random --epochs 2 -o - >"$WORK/r.h5" || fail "--newborn random failed"
nnc-info "$WORK/r.h5" >/dev/null || fail "streamed model does not load"

# Bad flags: one clear line, non-zero exit.
B=(--arch "$ARCH" --dataset mnist $VAL -o "$WORK/x.h5")
expect_exit 105 "start-width" nnc-cgap "${B[@]}" --start-width 0
expect_exit 105 "start-width" nnc-cgap "${B[@]}" --start-width 1.5
expect_exit 105 "growth-rate" nnc-cgap "${B[@]}" --growth-rate=-0.5
expect_exit 105 "growth-every" nnc-cgap "${B[@]}" --growth-every 0
expect_exit 105 "max-width-ratio" nnc-cgap "${B[@]}" --max-width-ratio=-1
expect_exit 105 "prune-tolerance" nnc-cgap "${B[@]}" --prune-tolerance 2
expect_exit 105 "newborn" nnc-cgap "${B[@]}" --newborn clone
expect_exit 105 "prune-scope" nnc-cgap "${B[@]}" --prune-scope all
expect_exit 105 "noise-z" nnc-cgap "${B[@]}" --noise-z=-1
expect_exit 105 "growth-budget" nnc-cgap "${B[@]}" --growth-budget 0.9 --final-epochs 0.3
expect_exit 2 "architecture" nnc-cgap --arch c8k3,zz,fc10 --dataset mnist $VAL -o "$WORK/x.h5"
expect_exit 2 "no layer to grow" nnc-cgap --arch flat,fc10 --dataset mnist $VAL -o "$WORK/x.h5"
[ ! -e "$WORK/x.h5" ] || fail "a failed run left an output file"
echo "cgap ok"
