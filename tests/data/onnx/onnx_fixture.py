"""What make_models.py and make_malformed.py share: a deterministic initializer and the writer
of a one-graph model at opset 13."""
import numpy as np
from onnx import helper, numpy_helper, save


def tensor(name, shape):
    return numpy_helper.from_array(np.arange(np.prod(shape), dtype=np.float32).reshape(shape) * 0.01, name)


def model(nodes, inputs, output, inits, name):
    g = helper.make_graph(nodes, name, inputs, [output], inits)
    m = helper.make_model(g, producer_name="nnc-test", opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    save(m, name + ".onnx")
