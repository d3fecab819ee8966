#!/usr/bin/env bash
# Networks with branches (docs/design.md section 5, "Graphs"): nnc-info shows a CIFAR ResNet
# preset, a small residual spec trains, evaluates and reads back, its chips are programmed and
# evaluated (every conv on tiles, the adds and pooling digital), the tools that take only
# chains say so, and malformed graphs are one-line errors with exit 2.
FIXTURE_TRAIN=${FIXTURE_TRAIN:-600}
source "$(dirname "$0")/lib.sh"
cd "$WORK"

nnc-info --arch resnet20 >info.txt
grep -q "269722 parameters" info.txt || fail "resnet20: $(head -3 info.txt)"
grep -q -E "^[0-9]+ +add .* 0  [0-9]+,[0-9]+$" info.txt || fail "resnet20: no add with its two inputs: $(cat info.txt)"
grep -q -E "shortcut +id32s2 +32x16x16" info.txt || fail "resnet20: no option A shortcut to 32x16x16"
[ "$(grep -c ' add ' info.txt)" = 9 ] || fail "resnet20: not 9 adds"
nnc-info --presets | contains "resnet56 +input 3x32x32 +853018 parameters"

# Two blocks: an identity shortcut, then a 1x1 projection with batch norm at stride 2.
SPEC="c8p1,bn,b0=relu,c8p1,bn,relu,c8p1,bn,add@b0,b1=relu,c16k1s2,s=bn,c16s2p1@b1,bn,relu,c16p1,bn,add@s,relu,gap,fc10"
nnc-train --arch "$SPEC" --dataset cifar10 $VAL --epochs 3 --batch 32 --lr 0.05 --seed 3 --quiet -o r.h5 --json >train.json
nnc-info r.h5 | contains "add@b0"
nnc-eval r.h5 --dataset cifar10 --json >eval.json
acc=$(json_get accuracy <eval.json)
awk -v a="$acc" 'BEGIN { exit !(a > 0.3) }' || fail "residual spec: accuracy $acc on the bars"
# The same run writes the same bytes.
mkdir again
(cd again && nnc-train --arch "$SPEC" --dataset cifar10 $VAL --epochs 3 --batch 32 --lr 0.05 --seed 3 --quiet -o r.h5 --json >train.json)
cmp r.h5 again/r.h5 || fail "the same residual run wrote different bytes"

# Chips: every conv (the projection too) and the dense layer mapped; Monte Carlo over chips.
nnc-program-rram r.h5 --sigma 0.1 --seed 2 --quiet -o c.h5
nnc-info c.h5 | contains "add@b0"
nnc-eval c.h5 --dataset cifar10 --json | json_get accuracy >/dev/null
nnc-eval r.h5 --dataset cifar10 --chips 2 --sigma 0.1 --json | contains '"chips": 2'

# RSA on a graph's chip, with batch-norm recalibration (each batch norm's input from the graph).
nnc-rsa-adapt c.h5 --dataset cifar10 $VAL --density 0.1 --epochs 1 --recalibrate-bn --seed 2 --quiet -o a.h5
nnc-eval a.h5 --dataset cifar10 --json | json_get accuracy >/dev/null

# What takes only chains says so.
# Through ONNX and back (the adds, the projection and its batch norm as ONNX nodes): the same accuracy.
nnc-export r.h5 -o r.onnx --quiet
nnc-import r.onnx -o r_back.h5 --quiet
back=$(nnc-eval r_back.h5 --dataset cifar10 --json | json_get accuracy)
[ "$back" = "$acc" ] || fail "residual model through ONNX: accuracy $back, before $acc"
expect_exit 2 "CGaP does not support networks with branches" nnc-cgap --arch "$SPEC" --dataset cifar10 $VAL -o g.h5
expect_exit 2 "Small-World lattice does not support networks with branches" \
  nnc-swprune --arch "$SPEC" --dataset cifar10 $VAL -o sw.h5
# L and C take a chain's unit graph: the flags there for them refuse a graph before any training.
expect_exit 2 "--theta-probes \(the L and C it records\) does not support networks with branches" \
  nnc-swprune --baseline magnitude --arch "$SPEC" --dataset cifar10 $VAL --epochs 1 --target-params 3000 --theta-probes 1 -o sw.h5
! grep -q -E "epoch|dense:" "$WORK/err" || fail "a graph was trained before --theta-probes refused it: $(cat "$WORK/err")"
expect_exit 2 "--theta \(the L and C it records\) does not support networks with branches" \
  nnc-swprune --arch "$SPEC" --dataset cifar10 $VAL --theta 1 -o sw.h5
expect_exit 2 "--theta-sweep \(the L and C it records\) does not support networks with branches" \
  nnc-swprune --arch "$SPEC" --dataset cifar10 $VAL --theta-sweep 1,2 -o sw.h5
[ ! -e sw.h5 ] || fail "a refused nnc-swprune wrote its output"

# The magnitude baseline prunes a graph (issue 44), the trained model given (--init) or trained
# here (--arch): to the target, its records without L and C (null) but with tiles, links and
# FLOPs; the file evaluates to the record's accuracy.
nnc-swprune --baseline magnitude --init r.h5 --dataset cifar10 $VAL --target-params 1500 --prune-steps 2 \
  --retrain-epochs 1 --finetune-epochs 1 --json -o g.h5 --quiet >g.jsonl
grep -q '"record": "dense"' g.jsonl && [ "$(grep -c '"record": "step"' g.jsonl)" -eq 1 ] || fail "graph baseline records: $(cat g.jsonl)"
rec=$(grep '"record": "baseline"' g.jsonl)
for key in L C live path_length clustering path_length_random clustering_random small_world_sigma; do
  [[ $rec == *"\"$key\": null,"* ]] || fail "graph baseline record: $key is not null: $rec"
done
for key in params tiles tile_links flops; do
  [ "$(echo "$rec" | json_get $key)" -gt 0 ] || fail "graph baseline record: no $key: $rec"
done
pg=$(nnc-info g.h5 --json | json_get nonzero_params)
[ "$pg" -le 1500 ] && [ "$pg" -ge 1400 ] && [ "$pg" = "$(echo "$rec" | json_get params)" ] \
  || fail "graph baseline has $pg parameters, target 1500, record $(echo "$rec" | json_get params)"
nnc-info g.h5 | contains "swprune_metrics: .*\"L\": null"
acc=$(nnc-eval g.h5 --dataset cifar10 --json | json_get accuracy)
tacc=$(echo "$rec" | json_get test_accuracy)
awk -v a="$acc" -v b="$tacc" 'BEGIN { exit !(a - b < 1e-9 && b - a < 1e-9) }' || fail "graph baseline evaluates to $acc, its record $tacc"
nnc-swprune --baseline magnitude --arch "$SPEC" --dataset cifar10 $VAL --epochs 1 --target-params 2000 --prune-steps 1 \
  --finetune-epochs 1 --json -o g2.h5 2>g2.err >g2.jsonl
grep '"record": "dense"' g2.jsonl | contains '"L": null, "C": null'
[ "$(grep -c "no unit graph" g2.err)" -eq 1 ] || fail "the missing L and C not said once: $(cat g2.err)"
[ "$(nnc-info g2.h5 --json | json_get nonzero_params)" -le 2000 ] || fail "graph baseline from --arch above its target"

# Malformed graphs.
expect_exit 2 "reads 'x', which no layer is named" nnc-train --arch "c8,add@x,gap,fc10" --dataset cifar10 $VAL -o x.h5
expect_exit 2 "which is not an earlier layer" nnc-train --arch "c8,add@z,z=relu,gap,fc10" --dataset cifar10 $VAL -o x.h5
expect_exit 2 "inputs have different shapes" nnc-train --arch "a=c8,c16,add@a,gap,fc10" --dataset cifar10 $VAL -o x.h5
expect_exit 2 "is read by no layer" nnc-train --arch "c8,x=relu,c8@in,gap,fc10" --dataset cifar10 $VAL -o x.h5
[ ! -e x.h5 ] || fail "output left behind after an error"
echo "resnet: ok"
