#!/usr/bin/python3
"""Writes the malformed ONNX graphs of nnc's tests (tests/test_onnx_graph.cpp, tests/cli/onnx.sh)
and of the fuzz corpus: each must be refused with one line naming the node, never a crash.

  cycle.onnx          add1 reads relu1's output, relu1 reads add1's
  dangling.onnx       fc1 reads 'h', which no node writes and no initializer holds
  bad_shapes.onnx     conv1's weight has 3 input channels, its input 2
  add_shapes.onnx     add1 adds conv1's 4x4x4 output to the 2x4x4 input
  pad_spatial.onnx    pad1 pads rows and columns (nnc pads only channels: option A)

Run from this directory with Debian's python3-onnx: /usr/bin/python3 make_malformed.py
"""
import numpy as np
from onnx import TensorProto, helper, numpy_helper

from onnx_fixture import model, tensor


flat = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8])
img = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 4, 4])

model([helper.make_node("Add", ["x", "c"], ["b"], name="add1"),
       helper.make_node("Relu", ["b"], ["c"], name="relu1")],
      [flat], helper.make_tensor_value_info("b", TensorProto.FLOAT, ["N", 8]), [], "cycle")

model([helper.make_node("Relu", ["x"], ["a"], name="relu1"),
       helper.make_node("Gemm", ["h", "fc1.weight"], ["y"], name="fc1", transB=1)],
      [flat], helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4]), [tensor("fc1.weight", (4, 8))],
      "dangling")

model([helper.make_node("Conv", ["x", "W"], ["y"], name="conv1", pads=[1, 1, 1, 1])],
      [img], helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4, 4, 4]), [tensor("W", (4, 3, 3, 3))],
      "bad_shapes")

model([helper.make_node("Conv", ["x", "W"], ["c"], name="conv1", pads=[1, 1, 1, 1]),
       helper.make_node("Add", ["c", "x"], ["y"], name="add1")],
      [img], helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4, 4, 4]), [tensor("W", (4, 2, 3, 3))],
      "add_shapes")

model([helper.make_node("Pad", ["x", "pads"], ["y"], name="pad1")],
      [img], helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2, 6, 6]),
      [numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=np.int64), "pads")], "pad_spatial")
