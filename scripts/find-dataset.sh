#!/usr/bin/env bash
# find-dataset.sh DIR: prints where the tools would find dataset folder DIR ($NNC_DATASETS/DIR,
# then data/DIR) and exits 0, or exits 1 if it is in neither.
for d in "${NNC_DATASETS:+$NNC_DATASETS/$1}" "data/$1"; do
  [ -n "$d" ] && [ -d "$d" ] && { echo "$d"; exit 0; }
done
exit 1
