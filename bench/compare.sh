#!/usr/bin/env bash
# compare.sh: nnc against PyTorch on the same CPU, in one run, alternating, for LeNet-5 on
# MNIST or cnn9 / VGG-16 on 3x32x32 inputs: training images/s (batch 64), inference images/s
# (batch 1000), their ratios and the peak memory of each process. Installs nothing.
#
# Usage: bench/compare.sh [--model lenet5|cnn9|vgg16] [--threads N] [--rounds N] [--mnist-dir DIR] [--bin DIR]
# e.g.:  bench/compare.sh --model cnn9 --threads 2 --rounds 3
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
model=lenet5
threads=2
rounds=3
mnist_dir="$root/data/mnist"
bin="$root/build/bin"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) model=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --mnist-dir) mnist_dir=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# The peer script and both sides' arguments for each model. cnn9 and vgg16: the peer uses
# synthetic inputs and nnc-bench CIFAR-10 if data/ has it (speed does not depend on the values).
case "$model" in
  lenet5)
    peer="$root/../shared/bench/torch_lenet5.py"
    peer_args=("$mnist_dir")
    nnc_args=(--mnist-dir "$mnist_dir")
    [[ -f "$mnist_dir/train-images-idx3-ubyte" ]] ||
      { echo "compare.sh: MNIST IDX files not found in $mnist_dir (data/fetch.sh mnist, or --mnist-dir)" >&2; exit 2; } ;;
  cnn9) peer="$root/../shared/bench/torch_convnet_bench.py"; peer_args=(cnn9); nnc_args=() ;;
  vgg16)
    peer="$root/../shared/bench/torch_convnet_bench.py"
    peer_args=(vgg16 --infer-images 2000)
    nnc_args=(--infer-images 2000) ;;
  *) echo "compare.sh: --model must be lenet5, cnn9 or vgg16, not '$model'" >&2; exit 2 ;;
esac
[[ -f "$peer" ]] || { echo "compare.sh: PyTorch peer $peer not found" >&2; exit 2; }
[[ -x "$bin/nnc-bench" ]] || { echo "compare.sh: $bin/nnc-bench not found (build it: make nnc-bench, or pass --bin)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "compare.sh: /usr/bin/time not found (apt-get install time)" >&2; exit 2; }

# Debian's python3-torch installs into the system python; a python3 earlier on PATH (pyenv,
# a venv) may not see it.
python=""
for p in "${PYTHON:-}" python3 /usr/bin/python3; do
  [[ -n "$p" ]] || continue
  if "$p" -c 'import torch' 2>/dev/null; then python=$p; break; fi
done
[[ -n "$python" ]] || { echo "compare.sh: PyTorch is not importable; install it with: apt-get install python3-torch" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Pulls a number out of a one-line JSON object: field KEY of the line whose "bench" is BENCH.
field() {  # file bench key
  "$python" - "$@" <<'EOF'
import json, sys
path, bench, key = sys.argv[1:4]
for line in open(path):
    line = line.strip()
    if not line.startswith("{"):
        continue
    j = json.loads(line)
    if bench == "-" or j.get("bench") == bench:
        print(j[key]); break
EOF
}

echo "# nnc vs PyTorch, $model, $threads threads, $rounds rounds alternating ($(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
for r in $(seq 1 "$rounds"); do
  "$bin/nnc-bench" --model "$model" --threads "$threads" "${nnc_args[@]}" > "$tmp/nnc$r.json"
  /usr/bin/time -v -o "$tmp/torch$r.time" env OMP_NUM_THREADS="$threads" \
    "$python" "$peer" "${peer_args[@]}" --threads "$threads" > "$tmp/torch$r.json"
  nt=$(field "$tmp/nnc$r.json" train images_per_s); ni=$(field "$tmp/nnc$r.json" infer images_per_s)
  nm=$(field "$tmp/nnc$r.json" infer max_rss_kb)
  tt=$(field "$tmp/torch$r.json" - train_images_per_s); ti=$(field "$tmp/torch$r.json" - infer_images_per_s)
  tm=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/torch$r.time")
  printf '%s %s %s %s %s %s\n' "$nt" "$ni" "$nm" "$tt" "$ti" "$tm" >> "$tmp/rows"
  printf 'round %d: nnc train %.0f infer %.0f img/s (max RSS %d MB) | pytorch train %.0f infer %.0f img/s (max RSS %d MB)\n' \
    "$r" "$nt" "$ni" $((${nm%.*} / 1024)) "$tt" "$ti" $((tm / 1024))
done

# Medians over the rounds, and the ratios of the medians.
"$python" - "$tmp/rows" "$threads" <<'EOF'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
med = [statistics.median(c) for c in zip(*rows)]
nt, ni, nm, tt, ti, tm = med
print(f"median: nnc train {nt:.0f} img/s, infer {ni:.0f} img/s, max RSS {nm/1024:.0f} MB")
print(f"median: pytorch train {tt:.0f} img/s, infer {ti:.0f} img/s, max RSS {tm/1024:.0f} MB")
print(f"ratio nnc/pytorch ({sys.argv[2]} threads): train {nt/tt:.2f}x, infer {ni/ti:.2f}x, "
      f"peak memory {nm/tm:.2f}x")
EOF
