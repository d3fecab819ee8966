# nnc-export and nnc-import (issue 10): a trained model through ONNX and back computes the same,
# through pipes too; a chip exported as programmed; and the bad inputs (each: one clear line
# naming the node, exit 2, no output file).
source "$(dirname "$0")/lib.sh"
D="$(dirname "$0")/../data/onnx"

M="$WORK/m.h5"
nnc-train --arch c4k3p1,bn,relu,mp2,flat,drop0.5,fc10 --dataset mnist --epochs 1 $VAL --quiet -o "$M"

nnc-export "$M" -o "$WORK/m.onnx" --quiet
[ -s "$WORK/m.onnx" ] || fail "no ONNX file written"
nnc-import "$WORK/m.onnx" -o "$WORK/back.h5" --arch-name small --quiet
nnc-info "$WORK/back.h5" | contains "arch: small" || fail "--arch-name not recorded"
nnc-info "$WORK/back.h5" | contains "onnx_opset: 13" || fail "opset not recorded"
a=$(nnc-eval "$M" --dataset mnist --json | json_get accuracy)
b=$(nnc-eval "$WORK/back.h5" --dataset mnist --json | json_get accuracy)
[ "$a" = "$b" ] || fail "accuracy $a before export, $b after import"
# Deterministic bytes, and pipes both ways.
nnc-export "$M" -o - --quiet | cmp -s - "$WORK/m.onnx" || fail "export bytes differ between runs"
c=$(nnc-export - -o - --quiet <"$M" | nnc-import - -o - --quiet | nnc-eval - --dataset mnist --json | json_get accuracy)
[ "$a" = "$c" ] || fail "accuracy $c through pipes, $a directly"

# A chip: its model part, or what its conductances compute.
nnc-program-rram "$M" -o "$WORK/c.h5" --sigma 0.1 --quiet
nnc-export "$WORK/c.h5" -o "$WORK/c_model.onnx" --quiet
cmp -s "$WORK/c_model.onnx" "$WORK/m.onnx" || fail "a chip exported without --as-programmed is not its model"
nnc-export "$WORK/c.h5" --as-programmed -o "$WORK/c_prog.onnx" --quiet
cmp -s "$WORK/c_prog.onnx" "$WORK/m.onnx" && fail "--as-programmed exported the ideal weights"
nnc-import "$WORK/c_prog.onnx" -o "$WORK/c_prog.h5" --quiet
p=$(nnc-eval "$WORK/c_prog.h5" --dataset mnist --json | json_get accuracy)
q=$(nnc-eval "$WORK/c.h5" --dataset mnist --json | json_get accuracy)
[ "$p" = "$q" ] || fail "chip exported as programmed: accuracy $p, the chip's $q"
expect_exit 2 "is an nnc model; --as-programmed needs a chip" nnc-export "$M" --as-programmed -o "$WORK/x.onnx"
[ ! -e "$WORK/x.onnx" ] || fail "output written for a refused export"

# Bad inputs.
bad() {
  local pattern=$1 file=$2
  expect_exit 2 "$pattern" nnc-import "$file" -o "$WORK/bad.h5"
  [ ! -e "$WORK/bad.h5" ] || fail "output written for $file"
}
bad "not an ONNX model" "$D/not_onnx.onnx"
bad "an HDF5 file" "$M"
bad "node 'act1' \(Sigmoid\): operator not supported" "$D/unsupported_op.onnx"
bad "node 'add1' \(Add\): reads 'c', which depends on its own output \(the graph has a cycle\)" "$D/cycle.onnx"
bad "node 'fc1' \(Gemm\): input 'h' \(data\) has no initializer and nothing produces it" "$D/dangling.onnx"
bad "node 'conv1' \(Conv\): weight \[4,3,3,3\] on 2 input channels" "$D/bad_shapes.onnx"
bad "node 'add1' \(Add\): adds tensors of shapes 4x4x4 and 2x4x4" "$D/add_shapes.onnx"
bad "node 'fc1' \(Gemm\): input 'fc1.weight' \(weight B\) has no initializer" "$D/missing_initializer.onnx"
bad "no such file|does not exist|cannot" "$WORK/absent.onnx"
expect_exit 2 "not an nnc|HDF5|not a" nnc-export "$D/unsupported_op.onnx" -o "$WORK/x.onnx"
[ ! -e "$WORK/x.onnx" ] || fail "output written for a refused export"
echo "onnx CLI tests passed"
