#!/usr/bin/env bash
# nnc-swprune end to end on the tiny fixture: a Small-World theta sweep with JSON records,
# the selected model with its masks and sweep table, the magnitude baseline, thread
# independence, and bad flags.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
ARCH="c6k5,mp2,c12k5,mp2,flat,fc32,relu,fc10"
SW="--arch $ARCH --dataset mnist $VAL --epochs 4 --lr 0.05 --finetune-epochs 1 --finetune-lr 0.005 --density 1,0.5,0.1,0.5 --p 0.01"

nnc-swprune $SW --theta-sweep 0.5,1,2 --tolerance 0.05 --json -o sw.h5 --quiet >sweep.jsonl
[ "$(grep -c '"record": "theta"' sweep.jsonl)" -eq 3 ] || fail "expected 3 theta records: $(cat sweep.jsonl)"
grep -q '"record": "unpruned"' sweep.jsonl || fail "no unpruned record"
rec=$(grep -m1 '"record": "theta"' sweep.jsonl)
for key in L C live path_length clustering small_world_sigma tiles tile_links params flops; do
  [[ $rec == *"\"$key\": "[0-9]* ]] || fail "theta record lacks $key (or it is not a number)"
done
# Parameters fall as theta grows.
p05=$(grep '"theta": 0.5,' sweep.jsonl | json_get params)
p2=$(grep '"theta": 2,' sweep.jsonl | json_get params)
[ "$p2" -lt "$p05" ] || fail "params at theta 2 ($p2) not below theta 0.5 ($p05)"
# The output is the largest theta whose validation accuracy is within the tolerance of the
# unpruned model's, or the unpruned model if none is (the rule, worked out from the records).
val0=$(grep '"record": "unpruned"' sweep.jsonl | json_get val_accuracy)
want=$(grep '"record": "theta"' sweep.jsonl | awk -v v0="$val0" '
  { t = $0; sub(/.*"theta": /, "", t); sub(/,.*/, "", t)
    v = $0; sub(/.*"val_accuracy": /, "", v); sub(/,.*/, "", v)
    if (v + 0 >= v0 - 0.05 - 1e-12 && t + 0 > best + 0) best = t }
  END { print (best == "" ? "null" : best) }')
sel=$(grep '"record": "summary"' sweep.jsonl | grep -o '"selected_theta": [^,]*' | awk '{print $2}')
[ "$sel" = "$want" ] || fail "selected theta $sel, the records say $want: $(cat sweep.jsonl)"
if [ "$sel" = null ]; then rec='"record": "unpruned"'; note="none (unpruned)"; else rec="\"theta\": $sel,"; note=$sel; fi
# Its parameters and accuracy are that record's.
psel=$(grep "$rec" sweep.jsonl | json_get params)
pout=$(nnc-info sw.h5 --json | json_get nonzero_params)
[ "$psel" = "$pout" ] || fail "output has $pout parameters, the selected record ($rec) had $psel"
nnc-info sw.h5 >info.txt
grep -q "swprune_sweep" info.txt || fail "sweep table not in the model"
grep -qF "swprune_selected_theta: $note" info.txt || fail "selected theta not noted"
acc=$(nnc-eval sw.h5 --dataset mnist --json | json_get accuracy)
tsel=$(grep "$rec" sweep.jsonl | json_get test_accuracy)
awk -v a="$acc" -v b="$tsel" 'BEGIN { exit !(a - b < 1e-9 && b - a < 1e-9) }' || fail "output accuracy $acc, selected record $tsel"
# The network learned: well above chance (10 classes) before pruning.
t0=$(grep '"record": "unpruned"' sweep.jsonl | json_get test_accuracy)
awk -v a="$t0" 'BEGIN { exit !(a > 0.5) }' || fail "unpruned accuracy $t0"

# Same seed, any thread count: identical bytes.
# (Same output name in two directories: the command line, -o included, is in the file.)
mkdir r1 r2
(cd r1 && nnc-swprune $SW --theta 1 -o t.h5 --quiet)
(cd r2 && nnc-swprune $SW --theta 1 -o t.h5 --quiet --threads 1)
cmp r1/t.h5 r2/t.h5 || fail "thread count changed the output"

# Baseline: magnitude pruning of a dense model to a parameter count, then fine-tuning.
nnc-train --arch $ARCH --dataset mnist $VAL --epochs 2 -o dense.h5 --quiet
nnc-swprune --baseline magnitude --init dense.h5 --target-params 3000 --dataset mnist $VAL --finetune-epochs 1 \
  --json -o mag.h5 --quiet >mag.jsonl
grep -q '"record": "baseline"' mag.jsonl || fail "no baseline record"
pm=$(nnc-info mag.h5 --json | json_get nonzero_params)
[ "$pm" -le 3000 ] && [ "$pm" -ge 2900 ] || fail "baseline has $pm parameters, target 3000"
# One count everywhere (docs/design.md section 8): the baseline record's params are the
# model's nonzero weights plus biases, as nnc-info and nnc-eval count them.
rec=$(grep '"record": "baseline"' mag.jsonl)
echo "$rec" | contains '"L": [0-9][^,]*, "C": [0-9]' || fail "a chain's baseline record lacks L and C: $rec"
pr=$(echo "$rec" | json_get params); wn=$(echo "$rec" | json_get weights_nonzero); bi=$(echo "$rec" | json_get biases)
[ "$pr" = "$pm" ] && [ "$pr" -eq $((wn + bi)) ] || fail "baseline record says $pr ($wn + $bi), the model holds $pm"
pe=$(nnc-eval mag.h5 --dataset mnist --json | json_get params)
[ "$pe" = "$pm" ] || fail "nnc-eval counts $pe parameters, nnc-info $pm"
nnc-info mag.h5 >info.txt
grep -q "<- init dense.h5" info.txt || fail "baseline provenance lacks its init"
# Without --init the baseline trains the dense network first, then prunes it in steps.
nnc-swprune --baseline magnitude --arch $ARCH --dataset mnist $VAL --epochs 1 --target-params 3000 --prune-steps 2 \
  --retrain-epochs 1 --finetune-epochs 1 --json -o mag2.h5 --quiet >mag2.jsonl
grep -q '"record": "dense"' mag2.jsonl && grep -q '"record": "step"' mag2.jsonl || fail "no dense or step record: $(cat mag2.jsonl)"
pm=$(nnc-info mag2.h5 --json | json_get nonzero_params)
[ "$pm" -le 3000 ] || fail "baseline without --init has $pm parameters, target 3000"

# Small-World pruned to a parameter count (the default mode when no theta is given): prune
# steps, each retrained, inside the lattice; the summary says no theta was used and why.
nnc-swprune $SW --target-params 1200 --prune-steps 2 --retrain-epochs 1 --json -o swt.h5 --quiet >target.jsonl
[ "$(grep -c '"record": "step"' target.jsonl)" -eq 1 ] || fail "expected 1 step record: $(cat target.jsonl)"
grep '"record": "target"' target.jsonl | grep -q '"prune_steps": 2' || fail "no target record with 2 steps"
grep '"record": "summary"' target.jsonl | grep -q '"selected_theta": null, .*"selection": "no theta: pruned by magnitude inside the lattice to 1200' \
  || fail "summary does not give the rule: $(grep summary target.jsonl)"
pt=$(nnc-info swt.h5 --json | json_get nonzero_params)
[ "$pt" -le 1200 ] && [ "$pt" -ge 1100 ] || fail "target run has $pt parameters, target 1200"

# Bad flags: usage errors, one line, no output.
expect_exit 105 "density" nnc-swprune $SW --density 1.5 -o bad.h5
expect_exit 105 "density" nnc-swprune $SW --density 0.5,0 -o bad.h5
expect_exit 105 "theta" nnc-swprune $SW --theta -1 -o bad.h5
expect_exit 105 "theta" nnc-swprune $SW --theta-sweep 0.5,-2 -o bad.h5
expect_exit 107 "init" nnc-swprune --init dense.h5 --arch $ARCH --dataset mnist $VAL -o bad.h5
expect_exit 108 "target-params" nnc-swprune $SW --theta 1 --target-params 100 -o bad.h5
expect_exit 105 "density.*4 conv and dense" nnc-swprune --arch $ARCH --dataset mnist $VAL --density 0.5,0.5 -o bad.h5
expect_exit 2 "warmup must be shorter than the run \\(1 epochs, --finetune-epochs\\)" nnc-swprune $SW --warmup 1 --theta 1 -o bad.h5
expect_exit 2 "missing.h5" nnc-swprune --baseline magnitude --init missing.h5 --target-params 100 --dataset mnist $VAL -o bad.h5
[ ! -e bad.h5 ] || fail "an output was written by a failing run"
echo "swprune: ok"
