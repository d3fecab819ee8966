#!/bin/bash
# Regenerates the issue-4 table of docs/results.md: accuracy of a model on simulated RRAM chips
# (mean +- std over N chips, seeds 1..N) for each device setting, with --w-scale max and a
# percentile side by side, and read-verify-write's accuracy, pulses and modeled time.
# usage: scripts/chip-table.sh <model.h5> <dataset> [chips=5] [limit=0] [percentile=p99]
# e.g.:  NNC_BIN=build/bin scripts/chip-table.sh exp/models/lenet5-mnist.h5 mnist 5 2000
set -euo pipefail
model=$1 dataset=$2 chips=${3:-5} limit=${4:-0} pct=${5:-p99}
bin=${NNC_BIN:-build/bin}
common=(--dataset "$dataset" --limit "$limit" --json --quiet)
get() { grep -o "\"$1\": [-0-9.e+]*" | head -1 | awk '{print $2}'; }
cell() {  # accuracy mean +- std over the chips for the device flags given
  local out
  out=$("$bin/nnc-eval" "$model" "${common[@]}" --chips "$chips" "$@")
  printf "%.4f ± %.4f" "$(get accuracy <<<"$out")" "$(get accuracy_std <<<"$out")"
}
row() {  # label, then device flags
  local label=$1; shift
  echo "| $label | $(cell --w-scale max "$@") | $(cell --w-scale "$pct" "$@") |"
}
ideal=$("$bin/nnc-eval" "$model" "${common[@]}" | get accuracy)
echo "Model $model on $dataset (limit $limit, 0 = whole test split), $chips chips per cell, seeds 1..$chips."
echo "Ideal (float) accuracy: $ideal"
echo
echo "| setting | --w-scale max | --w-scale $pct |"
echo "|---|---|---|"
for s in 0 0.1 0.3 0.5; do
  row "sigma $s, no faults" --sigma "$s" --p-sf0 0 --p-sf1 0
  row "sigma $s, faults" --sigma "$s"
done
for k in 0.1 0.25 0.5 1; do
  p0=$(awk -v k="$k" 'BEGIN { printf "%g", 0.0175 * k }')
  p1=$(awk -v k="$k" 'BEGIN { printf "%g", 0.0904 * k }')
  row "sigma 0.1, fault rates x $k (SF0 $p0, SF1 $p1)" --p-sf0 "$p0" --p-sf1 "$p1"
done
row "sigma 0.1, rates swapped (SF0 0.0904, SF1 0.0175)" --p-sf0 0.0904 --p-sf1 0.0175
for l in 8 16 32 64; do
  row "sigma 0.1, faults, $l levels" --levels "$l"
done
echo
echo "| R-V-W (faults on, max 20 pulses) | w-scale | accuracy | pulses per chip | modeled time per chip (s) | seconds per chip (simulation) |"
echo "|---|---|---|---|---|---|"
for s in 0.1 0.3 0.5; do
  for w in max "$pct"; do
    out=$("$bin/nnc-eval" "$model" "${common[@]}" --chips "$chips" --method rvw --sigma "$s" --w-scale "$w")
    printf "| sigma %s | %s | %.4f ± %.4f | %.0f | %.3f | %.2f |\n" "$s" "$w" "$(get accuracy <<<"$out")" \
      "$(get accuracy_std <<<"$out")" "$(get pulses_mean <<<"$out")" "$(get time_s_mean <<<"$out")" \
      "$(get seconds_per_chip <<<"$out")"
  done
done
out=$("$bin/nnc-eval" "$model" "${common[@]}" --chips "$chips")
printf "\nOne-shot chip, defaults: %.2f s per chip (program + evaluate %s images).\n" \
  "$(get seconds_per_chip <<<"$out")" "$(get samples <<<"$out")"
