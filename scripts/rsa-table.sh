#!/usr/bin/env bash
# RSA on LeNet-5/MNIST chips (issue 5, docs/results.md): accuracy vs density at sigma 0.1 and
# 0.5 (default faults), RSA vs R-V-W, additive vs replace, balanced vs random. Short runs:
# --limit-train 2000 (1 epoch = 31 steps of 64), first 2000 test images, 1000 validation images.
# Usage: scripts/rsa-table.sh [BIN_DIR] [OUT_DIR]; writes OUT_DIR/runs.jsonl and prints tables.
set -euo pipefail
BIN=${1:-build/bin}
OUT=${2:-exp/rsa}
MODEL=exp/models/lenet5-mnist.h5
CHIPS="1 2"
COMMON="--dataset mnist --limit-train 2000 --limit-test 2000 --val-limit 1000 --epochs 1 --lr 0.01 --batch 64 --json"
mkdir -p "$OUT"
: > "$OUT/runs.jsonl"
"$BIN/nnc-eval" "$MODEL" --dataset mnist --limit 2000 --json > "$OUT/ideal.json"
for sigma in 0.1 0.5; do
  for c in $CHIPS; do
    chip="$OUT/chip-s$sigma-$c.h5"
    "$BIN/nnc-program-rram" "$MODEL" --sigma "$sigma" --seed "$c" -o "$chip" --quiet
    for d in 0 0.005 0.01 0.02 0.05; do
      extra=""
      [ "$d" = 0.05 ] && extra="--compare-rvw"
      echo "{\"sigma\": $sigma, \"chip\": $c, \"run\": \"density\", \"result\": $("$BIN/nnc-rsa-adapt" "$chip" $COMMON --density $d $extra --quiet -o "$OUT/rsa.h5")}" >> "$OUT/runs.jsonl"
    done
    if [ "$sigma" = 0.5 ]; then
      echo "{\"sigma\": $sigma, \"chip\": $c, \"run\": \"replace\", \"result\": $("$BIN/nnc-rsa-adapt" "$chip" $COMMON --density 0.05 --mode replace --quiet -o "$OUT/rsa.h5")}" >> "$OUT/runs.jsonl"
      echo "{\"sigma\": $sigma, \"chip\": $c, \"run\": \"random\", \"result\": $("$BIN/nnc-rsa-adapt" "$chip" $COMMON --density 0.05 --selection random --quiet -o "$OUT/rsa.h5")}" >> "$OUT/runs.jsonl"
    fi
  done
done
python3 "$(dirname "$0")/rsa-table.py" "$OUT"
