// ONNX interchange: an ONNX graph of the layers nnc has, chain or residual network, becomes an
// nnc Model (import), and an nnc Model becomes an ONNX graph (export, opset kOnnxOpset).
// Protobuf parsing is Debian's libonnx/libprotobuf; nothing outside lib/nnc/io/onnx*.cpp sees
// their types.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nnc/io/bytes.hpp"
#include "nnc/nn/model.hpp"

namespace nnc {

// The opset nnc-export writes (ai.onnx domain), with IR version 7.
inline constexpr int kOnnxOpset = 13;

// One ONNX tensor, values widened to double (float, double, int32 and int64 tensors; a
// float or int64 value survives the round trip exactly).
struct OnnxTensor {
  std::string name;
  std::vector<std::int64_t> dims;
  std::vector<double> values;  // row-major
  bool integer = false;        // of an integer or bool element type
};

// A serialized TensorProto (the input_N.pb / output_N.pb files of ONNX's test data).
// Throws a bad-input error naming `file` if it is not one or holds a type nnc cannot read.
OnnxTensor read_onnx_tensor(const Bytes& bytes, const std::string& file);

// What a graph holds, before any judgement of whether nnc can take it.
struct OnnxGraphSummary {
  std::vector<std::string> op_types;     // node by node
  std::vector<std::string> inputs;       // graph inputs that are not initializers, in order
  std::vector<std::string> outputs;
  std::int64_t opset = 0;                // of the ai.onnx domain
};
OnnxGraphSummary summarize_onnx(const Bytes& bytes, const std::string& file);

struct OnnxImport {
  Model model;                      // weights set, arch() = the name given (or the spec)
  std::string input_name, output_name;
  std::vector<std::int64_t> input_dims;  // as declared; the batch dimension is -1 if symbolic
  bool softmax_dropped = false;     // a final Softmax was dropped: nnc models output logits
  std::vector<std::string> notes;   // every other rewrite (folded biases, epsilon, ...)
  std::int64_t opset = 0;
  std::string producer;             // producer_name and producer_version of the file
};

// Reads an ONNX model whose graph nnc can hold (docs/algorithms.md, "ONNX import and export"):
// Conv (2-D, square kernel, symmetric padding, one stride, dilation 1, group 1), Gemm or MatMul
// (with an Add of a constant as the bias), Relu, MaxPool/AveragePool (window = stride, no
// padding), GlobalAveragePool and ReduceMean over H and W, BatchNormalization (inference),
// Flatten/Reshape to [N, rest], Dropout (inference), Identity, Add of two computed tensors of
// one shape, option A's shortcut (Slice x[:, :, ::S, ::S], then zero channels by Pad or by
// Concat with zeros), a final Softmax (dropped), and the shape arithmetic exporters write over
// constants (Constant, ConstantOfShape, Shape, Gather, Unsqueeze, Squeeze, Concat, Reshape,
// Slice, Transpose, Cast, Sub, Mul, Div), which is folded. Nodes run in topological order,
// whatever the file's order. `bind` gives values to graph inputs, which then act as
// initializers (ONNX's node tests pass weights that way). Anything else, a cycle, a tensor that
// nothing writes and shapes that do not fit included, is refused with a bad-input error naming
// the node and its operator; nothing is silently skipped (a layer whose output never reaches
// the graph output is left out, noted).
OnnxImport import_onnx(const Bytes& bytes, const std::string& file, const std::string& arch_name = "",
                       const std::map<std::string, OnnxTensor>& bind = {});

// The model, chain or graph, as an ONNX graph (opset kOnnxOpset): input "input" [N, C, H, W]
// (or [N, C] when H = W = 1), output "logits"; masks applied, so pruned weights are exact
// zeros. add is Add, gap GlobalAveragePool, idN[sS] a Slice (S > 1) then a Pad of the channels.
Bytes export_onnx(const Model& model, const std::string& graph_name, const std::string& producer_version);

}  // namespace nnc
