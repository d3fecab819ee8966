#!/usr/bin/python3
"""Writes the small ONNX models that nnc-import must refuse (tests/test_onnx.cpp and
tests/cli/onnx.sh read them; they are committed, so the tests need no Python).
Run from this directory with Debian's python3-onnx: /usr/bin/python3 make_bad_models.py
"""
import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def tensor(name, shape):
    return numpy_helper.from_array(np.arange(np.prod(shape), dtype=np.float32).reshape(shape) * 0.01, name)


def model(nodes, inputs, output, inits, name):
    g = helper.make_graph(nodes, name, inputs, [output], inits)
    m = helper.make_model(g, producer_name="nnc-test", opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    save(m, name + ".onnx")


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
