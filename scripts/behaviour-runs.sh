#!/usr/bin/env bash
# Runs one small train, program (one-shot and R-V-W), rsa-adapt, swprune (Small-World and
# magnitude), cgap and Monte Carlo eval with the tools in BIN_DIR, writing every output to
# OUT_DIR: two builds' outputs can then be compared by content (scripts/behaviour-diff.sh), to
# show that a refactor changed no result. Needs MNIST (data/fetch.sh mnist).
# Usage: scripts/behaviour-runs.sh BIN_DIR OUT_DIR
set -euo pipefail
[[ $# -eq 2 ]] || { sed -n '2,6p' "$0" >&2; exit 2; }
B=$1 O=$2
mkdir -p "$O"
D=(--dataset mnist --threads 2)
L=(--limit-train 3000 --validation 500)
run() { echo "+ $*" >&2; "$@"; }
run "$B/nnc-train" --arch lenet5 "${D[@]}" "${L[@]}" --epochs 1 --seed 3 -o "$O/train.h5" 2>/dev/null
run "$B/nnc-program-rram" "$O/train.h5" --sigma 0.3 --seed 2 -o "$O/chip.h5" 2>/dev/null
run "$B/nnc-program-rram" "$O/train.h5" --sigma 0.3 --method rvw --seed 2 -o "$O/chip-rvw.h5" 2>/dev/null
run "$B/nnc-rsa-adapt" "$O/chip.h5" "${D[@]}" --density 0.05 --epochs 1 --limit-train 2000 --limit-test 1000 \
  --val-limit 500 --json -o "$O/rsa.h5" > "$O/rsa.json" 2>/dev/null
run "$B/nnc-swprune" --arch lenet5 "${D[@]}" "${L[@]}" --epochs 1 --finetune-epochs 1 --theta-sweep 0.5,1 \
  --json -o "$O/sw.h5" > "$O/sw.jsonl" 2>/dev/null
run "$B/nnc-swprune" --baseline magnitude --init "$O/train.h5" "${D[@]}" "${L[@]}" --target-params 20000 \
  --finetune-epochs 1 --json -o "$O/mag.h5" > "$O/mag.jsonl" 2>/dev/null
run "$B/nnc-cgap" --arch lenet5 "${D[@]}" "${L[@]}" --epochs 2 --growth-every 0.5 --json -o "$O/cgap.h5" \
  > "$O/cgap.json" 2>/dev/null
run "$B/nnc-eval" "$O/train.h5" "${D[@]}" --chips 2 --sigma 0.1 --limit 500 --json > "$O/mc.json" 2>/dev/null
echo "behaviour-runs: outputs in $O" >&2
