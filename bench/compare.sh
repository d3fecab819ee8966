#!/usr/bin/env bash
# compare.sh: nnc against a peer on the same CPU, in one run, alternating, for LeNet-5 on MNIST
# or cnn9 / VGG-16 / the CIFAR ResNets on 3x32x32 inputs. Peer torch (PyTorch): training
# images/s (batch 64), inference images/s (batch 1000), their ratios and each process's peak
# memory. Peer ort (ONNX Runtime, on nnc's own ONNX export of the network): inference only.
# Every table starts with the CPU, its vector extensions, the thread count and the GEMM rate.
#
# Usage: bench/compare.sh [--model lenet5|cnn9|vgg16|resnet20|resnet32|resnet56] [--peer torch|ort] [--threads N] [--rounds N] [--infer-images N] [--mnist-dir DIR] [--cifar-dir DIR] [--bin DIR]
# e.g.:  bench/compare.sh --model resnet20 --peer ort --threads 2 --rounds 3
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
model=lenet5
peer=torch
threads=2
rounds=3
infer_images=10000
mnist_dir="$root/data/mnist"
cifar_dir="$root/data/cifar-10-batches-bin"
bin="$root/build/bin"
usage_error() { echo "compare.sh: $* (see --help)" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model|--peer|--threads|--rounds|--infer-images|--mnist-dir|--cifar-dir|--bin)
      [[ $# -ge 2 && -n "$2" ]] || usage_error "$1 needs a value"
      case "$1" in
        --model) model=$2 ;;
        --peer) peer=$2 ;;
        --threads) threads=$2 ;;
        --rounds) rounds=$2 ;;
        --infer-images) infer_images=$2 ;;
        --mnist-dir) mnist_dir=$2 ;;
        --cifar-dir) cifar_dir=$2 ;;
        --bin) bin=$2 ;;
      esac
      shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done

# The arguments first, before anything is looked for or run.
case "$model" in
  lenet5|cnn9|vgg16|resnet20|resnet32|resnet56) ;;
  *) usage_error "--model must be lenet5, cnn9, vgg16, resnet20, resnet32 or resnet56, not '$model'" ;;
esac
case "$peer" in
  torch|ort) ;;
  *) usage_error "--peer must be torch (PyTorch) or ort (ONNX Runtime), not '$peer'" ;;
esac
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || usage_error "--threads must be a positive integer, not '$threads'"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || usage_error "--rounds must be a positive integer, not '$rounds'"
[[ "$infer_images" =~ ^[1-9][0-9]*$ && "$infer_images" -ge 1000 ]] ||
  usage_error "--infer-images must be an integer of at least 1000 (one batch), not '$infer_images'"

# nnc-bench's arguments for the model, and the PyTorch peer's. The convnets' peer uses random
# inputs; nnc-bench reads CIFAR-10 if it finds it, else random images (speed does not depend on
# the values). Inference: batch 1000, --infer-images images timed after one warm-up batch.
nnc_args=(--infer-images "$infer_images")
[[ -d "$cifar_dir" ]] && nnc_args+=(--cifar-dir "$cifar_dir")
case "$model" in
  lenet5)
    torch_peer="$root/../shared/bench/torch_lenet5.py"
    torch_args=("$mnist_dir")  # it times inference on 10,000 images whatever --infer-images
    nnc_args=(--infer-images "$infer_images" --mnist-dir "$mnist_dir")
    [[ -f "$mnist_dir/train-images-idx3-ubyte" ]] ||
      { echo "compare.sh: MNIST IDX files not found in $mnist_dir (data/fetch.sh mnist, or --mnist-dir)" >&2; exit 2; } ;;
  *)
    torch_peer="$root/../shared/bench/torch_convnet_bench.py"
    torch_args=("$model" --infer-images "$infer_images") ;;
esac
ort_peer="$root/../shared/bench/ort_bench.sh"
ort_home=${ORT_HOME:-$HOME/.cache/nnc-ort}  # where ort_bench.sh installs onnxruntime-node

[[ -x "$bin/nnc-bench" ]] || { echo "compare.sh: $bin/nnc-bench not found (build it: make nnc-bench, or pass --bin)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "compare.sh: /usr/bin/time not found (apt-get install time)" >&2; exit 2; }
if [[ $peer == torch ]]; then
  [[ -f "$torch_peer" ]] || { echo "compare.sh: PyTorch peer $torch_peer not found" >&2; exit 2; }
else
  [[ -f "$ort_peer" ]] || { echo "compare.sh: ONNX Runtime peer $ort_peer not found" >&2; exit 2; }
  [[ -x "$bin/nnc-export" ]] || { echo "compare.sh: $bin/nnc-export not found (build it, or pass --bin)" >&2; exit 2; }
  for t in node npm; do
    command -v "$t" >/dev/null ||
      { echo "compare.sh: $t not found; the ONNX Runtime peer runs in Node.js (apt-get install nodejs npm)" >&2; exit 2; }
  done
fi

# Debian's python3-torch installs into the system python; a python3 earlier on PATH (pyenv,
# a venv) may not see it. The ONNX Runtime comparison needs only a python3.
python=""
need='import torch'
[[ $peer == ort ]] && need='import json'
for p in "${PYTHON:-}" python3 /usr/bin/python3; do
  [[ -n "$p" ]] || continue
  if "$p" -c "$need" 2>/dev/null; then python=$p; break; fi
done
[[ -n "$python" ]] || {
  if [[ $peer == torch ]]; then echo "compare.sh: PyTorch is not importable; install it with: apt-get install python3-torch" >&2
  else echo "compare.sh: no python3 found" >&2; fi
  exit 2
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The line of a tool's stderr that says what went wrong: the first naming an error, else the
# first that says anything (for one-line messages).
err_line() {
  { grep -m1 -E '[Ee]rror|ERR!' "$1" || grep -m1 -v '^[[:space:]]*$' "$1" || echo "(no message)"; } |
    sed 's/^[[:space:]]*//' | cut -c1-300
}

# ONNX Runtime: nnc's network (nnc-bench --write-model: the preset with the initial weights
# nnc-bench times; trained weights do not change the speed) exported by nnc-export, then
# loaded once on a small batch. onnxruntime-node is installed here when absent, at the version
# ort_bench.sh names (it installs it silently itself), so that npm's error can be shown.
if [[ $peer == ort ]]; then
  onnx="$tmp/$model.onnx"
  "$bin/nnc-bench" --model "$model" --write-model "$tmp/$model.h5" 2>"$tmp/err" ||
    { echo "compare.sh: nnc-bench --write-model failed for $model: $(err_line "$tmp/err")" >&2; exit 1; }
  "$bin/nnc-export" "$tmp/$model.h5" -o "$onnx" --quiet 2>"$tmp/err" ||
    { echo "compare.sh: nnc-export could not export $model to ONNX: $(err_line "$tmp/err")" >&2; exit 1; }
  if [[ ! -d "$ort_home/node_modules/onnxruntime-node" ]]; then
    pkg=$(grep -o -m1 'onnxruntime-node@[0-9][0-9.]*' "$ort_peer" || echo onnxruntime-node)
    echo "# installing $pkg from the npm registry into $ort_home (once)" >&2
    mkdir -p "$ort_home"
    (cd "$ort_home" && npm install --ignore-scripts --no-audit --no-fund "$pkg") >"$tmp/npm.out" 2>"$tmp/err" ||
      { echo "compare.sh: could not install $pkg from the npm registry into $ort_home: $(err_line "$tmp/err")" >&2; exit 2; }
  fi
  "$ort_peer" "$onnx" 2 1 1 >"$tmp/probe" 2>"$tmp/err" ||
    { echo "compare.sh: ONNX Runtime ($ort_home) could not load or run nnc's export of $model: $(err_line "$tmp/err")" >&2; exit 1; }
fi

# Pulls a value out of a one-line JSON object: field KEY of the line whose "bench" is BENCH
# (- for the first object).
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

# The processor and its matrix-product rate, measured once, before the rounds (nnc-bench's
# float GEMM, n = 2048, cut in column blocks over the threads as nnc's layers are).
"$bin/nnc-bench" --model gemm --threads "$threads" >"$tmp/gemm.json"
cpu=$(field "$tmp/gemm.json" gemm cpu)
cpu_flags=$(field "$tmp/gemm.json" gemm cpu_flags)
bf16=$(field "$tmp/gemm.json" gemm bf16_products)
gemm=$(field "$tmp/gemm.json" gemm gflops)
has() { [[ ",$cpu_flags," == *",$1,"* ]] && echo yes || echo no; }
if [[ $peer == torch ]]; then
  peer_name=pytorch
  peer_version=$("$python" -c 'import torch; print(torch.__version__)')
else
  peer_name=onnxruntime
  peer_version=$(field "$tmp/probe" - version)
fi
now=$(date -u +%FT%TZ)
rounds_word=rounds
[[ $rounds -eq 1 ]] && rounds_word=round
load=$(cut -d' ' -f1-3 /proc/loadavg)
printf "# %s: AVX2 %s, FMA %s, AVX-512F %s, AVX512_BF16 %s (nnc's 3x3 convolutions multiply in %s); %s threads of %s cores; GEMM %.1f GFLOP/s\n" \
  "$cpu" "$(has avx2)" "$(has fma)" "$(has avx512f)" "$(has avx512_bf16)" \
  "$([[ $bf16 == True || $bf16 == true ]] && echo bf16 || echo float)" "$threads" "$(nproc)" "$gemm"
if [[ $peer == torch ]]; then
  echo "# nnc vs PyTorch $peer_version, $model, $threads threads, $rounds $rounds_word alternating ($now, load $load)"
  [[ $model == resnet* ]] &&
    echo "# shortcuts: nnc's preset pads (He et al.'s option A); the PyTorch peer's are 1x1 convolutions (option B, under 1% more products)"
else
  echo "# nnc vs ONNX Runtime $peer_version on nnc's ONNX export, $model inference, $threads threads, $rounds $rounds_word alternating ($now, load $load)"
fi
note=""
[[ $infer_images -lt 10000 ]] && note="; fewer than 10,000: a smoke run, not a figure"
if [[ $model == lenet5 && $peer == torch ]]; then
  peer_images=10000
  echo "# inference: batch 1000, nnc $infer_images images after a warm-up batch$note; PyTorch's LeNet-5 script 10,000 images after its training"
else
  peer_images=$infer_images
  echo "# inference: batch 1000, $infer_images images a side after a warm-up batch$note"
fi

# One round: nnc-bench, then the peer under /usr/bin/time (its peak memory).
ort_batches=$(( (infer_images + 999) / 1000 ))
for r in $(seq 1 "$rounds"); do
  if [[ $peer == torch ]]; then
    "$bin/nnc-bench" --model "$model" --threads "$threads" "${nnc_args[@]}" > "$tmp/nnc$r.json"
    /usr/bin/time -v -o "$tmp/peer$r.time" env OMP_NUM_THREADS="$threads" \
      "$python" "$torch_peer" "${torch_args[@]}" --threads "$threads" > "$tmp/peer$r.json"
    nt=$(field "$tmp/nnc$r.json" train images_per_s)
    pt=$(field "$tmp/peer$r.json" - train_images_per_s); pi=$(field "$tmp/peer$r.json" - infer_images_per_s)
  else
    "$bin/nnc-bench" --model "$model" --threads "$threads" --infer-only "${nnc_args[@]}" > "$tmp/nnc$r.json"
    /usr/bin/time -v -o "$tmp/peer$r.time" "$ort_peer" "$onnx" 1000 "$ort_batches" "$threads" > "$tmp/peer$r.json"
    nt=0 pt=0
    pi=$(field "$tmp/peer$r.json" - images_per_s)
  fi
  ni=$(field "$tmp/nnc$r.json" infer images_per_s)
  nm=$(field "$tmp/nnc$r.json" infer max_rss_kb)
  pm=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/peer$r.time")
  printf '%s %s %s %s %s %s\n' "$nt" "$ni" "$nm" "$pt" "$pi" "$pm" >> "$tmp/rows"
  if [[ $peer == torch ]]; then
    printf 'round %d: nnc train %.0f infer %.0f img/s (max RSS %d MB) | pytorch train %.0f infer %.0f img/s (max RSS %d MB)\n' \
      "$r" "$nt" "$ni" $((${nm%.*} / 1024)) "$pt" "$pi" $((pm / 1024))
  else
    printf 'round %d: nnc infer %.0f img/s (max RSS %d MB) | onnxruntime infer %.0f img/s (max RSS %d MB)\n' \
      "$r" "$ni" $((${nm%.*} / 1024)) "$pi" $((pm / 1024))
  fi
done
data=$(field "$tmp/nnc1.json" infer data)

# Medians over the rounds, the ratios of the medians, and the record as one JSON line (last).
CPU="$cpu" CPU_FLAGS="$cpu_flags" BF16="$bf16" GEMM="$gemm" MODEL="$model" PEER="$peer_name" \
PEER_VERSION="$peer_version" THREADS="$threads" CORES="$(nproc)" ROUNDS="$rounds" NOW="$now" LOAD="$load" \
DATA="$data" INFER_IMAGES="$infer_images" PEER_IMAGES="$peer_images" "$python" - "$tmp/rows" <<'EOF'
import json, os, statistics, sys
e = os.environ
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
nt, ni, nm, pt, pi, pm = [statistics.median(c) for c in zip(*rows)]
peer, threads, images = e["PEER"], int(e["THREADS"]), int(e["INFER_IMAGES"])
rec = {"bench": "compare", "model": e["MODEL"], "peer": peer, "peer_version": e["PEER_VERSION"],
       "cpu": e["CPU"], "cpu_flags": e["CPU_FLAGS"], "nnc_bf16_products": e["BF16"] in ("True", "true"),
       "threads": threads, "cores": int(e["CORES"]), "gemm_gflops": round(float(e["GEMM"]), 1),
       "rounds": int(e["ROUNDS"]), "date": e["NOW"], "load": e["LOAD"], "nnc_data": e["DATA"],
       "infer_batch": 1000, "infer_images": images, "peer_infer_images": int(e["PEER_IMAGES"])}
if peer == "pytorch":
    print(f"median: nnc train {nt:.0f} img/s, infer {ni:.0f} img/s, max RSS {nm/1024:.0f} MB")
    print(f"median: pytorch train {pt:.0f} img/s, infer {pi:.0f} img/s, max RSS {pm/1024:.0f} MB")
    print(f"ratio nnc/pytorch ({threads} threads): train {nt/pt:.2f}x, infer {ni/pi:.2f}x, "
          f"peak memory {nm/pm:.2f}x")
    rec.update(train_batch=64, nnc_train_images_per_s=round(nt, 1), peer_train_images_per_s=round(pt, 1),
               train_ratio=round(nt / pt, 3))
else:
    print(f"median: nnc infer {ni:.0f} img/s, max RSS {nm/1024:.0f} MB")
    print(f"median: onnxruntime infer {pi:.0f} img/s (a round's figure: the median of its {-(-images // 1000)} "
          f"batches), max RSS {pm/1024:.0f} MB")
    print(f"ratio nnc/onnxruntime ({threads} threads): infer {ni/pi:.2f}x, peak memory {nm/pm:.2f}x")
rec.update(nnc_infer_images_per_s=round(ni, 1), peer_infer_images_per_s=round(pi, 1), infer_ratio=round(ni / pi, 3),
           nnc_max_rss_mb=round(nm / 1024), peer_max_rss_mb=round(pm / 1024), memory_ratio=round(nm / pm, 3))
print(json.dumps(rec))
EOF
