#!/usr/bin/python3
"""Writes the small ONNX models of nnc's tests (tests/test_onnx.cpp, tests/cli/onnx.sh): ones
nnc-import must refuse, and one it must fold (conv bias into batch norm, MatMul + Add into a
dense layer, Reshape, final Softmax) with its input and numpy-computed expected output.
They are committed, so the tests need no Python.
Run from this directory with Debian's python3-onnx: /usr/bin/python3 make_models.py
"""
import numpy as np
from onnx import TensorProto, helper, numpy_helper

from onnx_fixture import model, tensor


x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])

# A Gemm then a Sigmoid, which nnc does not have.
model([helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"], name="fc1", transB=1),
       helper.make_node("Sigmoid", ["h"], ["y"], name="act1")],
      [x], y, [tensor("fc1.weight", (4, 8)), tensor("fc1.bias", (4,))], "unsupported_op")

# A residual: relu1's output feeds fc1 and the Add, so the graph is not a chain.
model([helper.make_node("Relu", ["x"], ["a"], name="relu1"),
       helper.make_node("Gemm", ["a", "fc1.weight", "fc1.bias"], ["b"], name="fc1", transB=1),
       helper.make_node("Add", ["b", "a"], ["y"], name="add1")],
      [x], helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 8]),
      [tensor("fc1.weight", (8, 8)), tensor("fc1.bias", (8,))], "not_chain")

# fc1's weight is declared as a graph input with no initializer.
model([helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["y"], name="fc1", transB=1)],
      [x, helper.make_tensor_value_info("fc1.weight", TensorProto.FLOAT, [4, 8])], y,
      [tensor("fc1.bias", (4,))], "missing_initializer")


# Conv (with bias) -> BatchNormalization (epsilon 1e-3) -> Relu -> Reshape [0,-1] -> MatMul -> Add
# -> Softmax, and the output numpy computes for a fixed input.
rng = np.random.default_rng(5)
W = rng.standard_normal((3, 2, 3, 3)).astype(np.float32) * 0.5
B = rng.standard_normal(3).astype(np.float32)
gamma, beta = rng.uniform(0.5, 1.5, 3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
mean, var = rng.standard_normal(3).astype(np.float32), rng.uniform(0.5, 1.5, 3).astype(np.float32)
W2 = rng.standard_normal((75, 4)).astype(np.float32) * 0.2
b2 = rng.standard_normal(4).astype(np.float32)
xin = rng.standard_normal((2, 2, 5, 5)).astype(np.float32)
xp = np.pad(xin.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
conv = np.zeros((2, 3, 5, 5))
for o in range(3):
    for i in range(5):
        for j in range(5):
            conv[:, o, i, j] = (xp[:, :, i:i + 3, j:j + 3] * W[o]).sum(axis=(1, 2, 3)) + B[o]
bn = (conv - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-3) * gamma[None, :, None, None] \
    + beta[None, :, None, None]
h = np.maximum(bn, 0).reshape(2, -1) @ W2 + b2
e = np.exp(h - h.max(axis=1, keepdims=True))
yout = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
arr = numpy_helper.from_array
model([helper.make_node("Conv", ["x", "W", "B"], ["c"], name="conv1", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
       helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["n"], name="bn1", epsilon=1e-3),
       helper.make_node("Relu", ["n"], ["r"], name="relu1"),
       helper.make_node("Reshape", ["r", "shape"], ["f"], name="flat1"),
       helper.make_node("MatMul", ["f", "W2"], ["m"], name="fc1"),
       helper.make_node("Add", ["m", "b2"], ["a"], name="fc1_bias"),
       helper.make_node("Softmax", ["a"], ["y"], name="prob")],
      [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 5, 5])],
      helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4]),
      [arr(W, "W"), arr(B, "B"), arr(gamma, "gamma"), arr(beta, "beta"), arr(mean, "mean"), arr(var, "var"),
       arr(np.array([0, -1], dtype=np.int64), "shape"), arr(W2, "W2"), arr(b2, "b2")], "folds")
with open("folds_input.pb", "wb") as f:
    f.write(arr(xin, "x").SerializeToString())
with open("folds_output.pb", "wb") as f:
    f.write(arr(yout, "y").SerializeToString())
