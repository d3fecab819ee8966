# The benchmark's front ends without a benchmark (issues 44, 46): bench/compare.sh refuses a bad
# argument in one line with exit 2 before it looks for anything or runs anything, and nnc-bench
# measures a residual network (a few steps, one batch of inference, on the fixture's 600 CIFAR
# images, fewer than a batch), measures inference alone, and writes the network it measures.
source "$(dirname "$0")/lib.sh"

COMPARE="$(cd "$(dirname "$0")/../.." && pwd)/bench/compare.sh"
[ -f "$COMPARE" ] || fail "no $COMPARE"

# refused PATTERN ARGS...: compare.sh exits 2 with one line on stderr matching PATTERN and
# prints nothing on stdout. --bin names no directory: nothing could have run.
refused() {
  local pattern=$1; shift
  expect_exit 2 "$pattern" bash "$COMPARE" --bin "$WORK/no-bin" "$@"
  [ "$(grep -c . "$WORK/err")" -eq 1 ] || fail "compare.sh $*: more than one line: $(cat "$WORK/err")"
  [ ! -s "$WORK/out" ] || fail "compare.sh $*: printed $(cat "$WORK/out")"
}
refused "^compare.sh: --model must be lenet5, cnn9, vgg16, resnet20, resnet32 or resnet56, not 'resnet18'" --model resnet18
refused "^compare.sh: --peer must be torch \(PyTorch\) or ort \(ONNX Runtime\), not 'onnx'" --model resnet20 --peer onnx
refused "^compare.sh: --peer needs a value" --peer ""
refused "^compare.sh: --model needs a value" --model
refused "^compare.sh: unknown argument '--modle'" --modle resnet20
refused "^compare.sh: --threads must be a positive integer, not '0'" --model cnn9 --threads 0
refused "^compare.sh: --rounds must be a positive integer, not 'three'" --rounds three
refused "^compare.sh: --infer-images must be an integer of at least 1000 \(one batch\), not '999'" --infer-images 999
# Arguments that pass reach the checks of what is installed: here, the missing nnc-bench.
refused "^compare.sh: $WORK/no-bin/nnc-bench not found" --model resnet56 --peer ort --threads 2 --rounds 1
bash "$COMPARE" --help | contains "^Usage: bench/compare.sh .*--peer torch\|ort"

# nnc-bench on ResNet-20: a training line and an inference line, the CPU's record on each.
nnc-bench --model resnet20 --resnet-steps 2 --warmup 1 --infer-images 1000 --threads 1 >"$WORK/b.json"
[ "$(grep -c '^{' "$WORK/b.json")" -eq 2 ] || fail "expected two JSON lines: $(cat "$WORK/b.json")"
train=$(grep '"bench": "train"' "$WORK/b.json") || fail "no training line: $(cat "$WORK/b.json")"
infer=$(grep '"bench": "infer"' "$WORK/b.json") || fail "no inference line: $(cat "$WORK/b.json")"
for l in "$train" "$infer"; do
  contains '"arch": "resnet20"' <<<"$l" || fail "not resnet20: $l"
  contains '"cpu": "[^"]+", "cpu_flags": "' <<<"$l" || fail "no CPU record: $l"
  contains "\"data\": \"$FIX/cifar-10-batches-bin\"" <<<"$l" || fail "not the fixture's images: $l"
  awk -v r="$(json_get images_per_s <<<"$l")" 'BEGIN { exit !(r > 0) }' || fail "no rate: $l"
done
[ "$(json_get images <<<"$train")" = 128 ] || fail "2 steps of 64 are not 128 images: $train"
[ "$(json_get images <<<"$infer")" = 1000 ] || fail "one batch is not 1000 images: $infer"

# --infer-only: the inference line alone.
nnc-bench --model resnet32 --infer-only --infer-images 1000 --threads 1 >"$WORK/i.json"
[ "$(grep -c '^{' "$WORK/i.json")" -eq 1 ] && grep -q '"bench": "infer", "arch": "resnet32"' "$WORK/i.json" ||
  fail "--infer-only: $(cat "$WORK/i.json")"

# --write-model: the preset's network, which nnc-export takes; a measurement of no one network
# is refused as a bad flag.
nnc-bench --model resnet20 --write-model "$WORK/r.h5" >"$WORK/w.out"
[ ! -s "$WORK/w.out" ] || fail "--write-model measured: $(cat "$WORK/w.out")"
nnc-info "$WORK/r.h5" --json >"$WORK/r.info"
[ "$(json_get params <"$WORK/r.info")" = "$(nnc-info --arch resnet20 --json | json_get params)" ] ||
  fail "the written model is not resnet20: $(cat "$WORK/r.info")"
grep -q '"creator": "nnc-bench"' "$WORK/r.info" || fail "creator: $(cat "$WORK/r.info")"
nnc-export "$WORK/r.h5" -o "$WORK/r.onnx" --quiet
[ -s "$WORK/r.onnx" ] || fail "no ONNX export of the written model"
expect_exit 105 "needs one network as --model, not 'gemm'" nnc-bench --model gemm --write-model "$WORK/g.h5"
[ ! -e "$WORK/g.h5" ] || fail "--model gemm --write-model wrote a file"
echo "compare: ok"
