#!/usr/bin/env bash
# Regenerates the numbers of docs/results.md, issue 6 (Small-World pruning, LeNet-5/MNIST).
# Usage: scripts/swprune-table.sh [outdir]   (env: BIN, LIMIT, EPOCHS, FT, SEEDS, PS, DENSE)
# Writes <outdir>/*.jsonl (one JSON record per theta / run) and the models.
set -euo pipefail
OUT=${1:-exp/swprune}
BIN=${BIN:-build-sw/bin}
LIMIT=${LIMIT:-6000}         # training images (of the 55,000 left after validation)
EPOCHS=${EPOCHS:-2}
FT=${FT:-1}                  # fine-tuning epochs after pruning
SEEDS=${SEEDS:-1}
PS=${PS:-"0 0.0001 0.001 0.01 0.1"}
DENSE=${DENSE:-exp/models/lenet5-mnist.h5}
DENSITY=1,0.2,0.012,0.2      # conv1 (1 input channel: always dense), conv2, fc1, fc2
COMMON="--dataset mnist --limit-train $LIMIT --validation ${VALN:-2000} --limit-test ${LIMIT_TEST:-0} --lr 0.02 --finetune-lr 0.002 --finetune-epochs $FT --threads 1"
mkdir -p "$OUT"

# Rewiring probability: accuracy, parameters and tiles after training and pruning at theta 0.5
# (in the background, one thread each, beside the seed runs).
for p in $PS; do
  "$BIN"/nnc-swprune --arch lenet5 $COMMON --epochs "$EPOCHS" --density $DENSITY --p "$p" --theta 0.5 \
    --tolerance 1 --seed 1 --json -o "$OUT/p$p.h5" >"$OUT/p$p.jsonl" 2>"$OUT/p$p.log" &
done

# Table I and Figure 7: Small-World at p = 0.0001 with a theta sweep, per seed; then the
# magnitude baseline pruned to the selected Small-World model's parameter count.
for seed in $(seq 1 "$SEEDS"); do
  "$BIN"/nnc-swprune --arch lenet5 $COMMON --epochs "$EPOCHS" --density $DENSITY --p 0.0001 \
    --theta-sweep 0.25,0.5,1,1.5 --tolerance 0.002 --seed "$seed" --json \
    -o "$OUT/sw-s$seed.h5" >"$OUT/sw-s$seed.jsonl"
  n=$("$BIN"/nnc-info "$OUT/sw-s$seed.h5" --json | grep -o '"nonzero_params": [0-9]*' | head -1 | awk '{print $2}')
  "$BIN"/nnc-swprune --baseline magnitude --init "$DENSE" --target-params "$n" $COMMON --seed "$seed" --json \
    -o "$OUT/mag-s$seed.h5" >"$OUT/mag-s$seed.jsonl"
done

wait
