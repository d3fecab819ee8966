#!/usr/bin/env bash
# CGaP table (docs/results.md, issue 7): LeNet-5 template grown and pruned on MNIST and
# Fashion-MNIST (CIFAR-10 with CIFAR=1), beside the full-width LeNet-5 trained by nnc-train for
# the same epochs, lr and batch. Writes exp/cgap/<dataset>-{cgap,base}.{h5,json,log}.
# Usage: scripts/cgap-table.sh [BIN_DIR]   (env: EPOCHS, LIMIT, GROW_EVERY, DATASETS)
set -euo pipefail
BIN=${1:-build/bin}
EPOCHS=${EPOCHS:-6}
LIMIT=${LIMIT:-10000}
GROW_EVERY=${GROW_EVERY:-0.5}
DATASETS=${DATASETS:-"mnist fashion-mnist"}
[ "${CIFAR:-0}" = 1 ] && DATASETS="$DATASETS cifar10"
OUT=exp/cgap
mkdir -p "$OUT"
COMMON=(--epochs "$EPOCHS" --limit-train "$LIMIT" --lr 0.01 --batch 64 --seed 1)
for ds in $DATASETS; do
  "$BIN/nnc-cgap" --arch lenet5 --dataset "$ds" "${COMMON[@]}" --growth-every "$GROW_EVERY" --json \
    -o "$OUT/$ds-cgap.h5" >"$OUT/$ds-cgap.json" 2>"$OUT/$ds-cgap.log"
  "$BIN/nnc-train" --arch lenet5 --dataset "$ds" "${COMMON[@]}" -o "$OUT/$ds-base.h5" 2>"$OUT/$ds-base.log"
  "$BIN/nnc-eval" "$OUT/$ds-base.h5" --dataset "$ds" --json >"$OUT/$ds-base.json"
done
# One line per dataset: end widths, test accuracy, params, FLOPs; and the baseline's.
for ds in $DATASETS; do
  printf '%s cgap: ' "$ds"; tr -d '\n ' <"$OUT/$ds-cgap.json" | grep -o '"test_accuracy":[0-9.e-]*,"params":[0-9]*,"flops":[0-9.e+]*' | head -1
  printf '%s base: ' "$ds"; tr -d '\n ' <"$OUT/$ds-base.json" | grep -o '"accuracy":[0-9.e-]*' | head -1
done
