// Internal to lib/nnc/io: what ONNX import and export share over protobuf's ONNX types (the
// parsed model, tensors widened to double, node labels for messages, checked attributes).
// Nothing outside lib/nnc/io/onnx*.cpp includes this header.
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "nnc/io/onnx.hpp"
#include "nnc/nn/error.hpp"

namespace nnc::onnx_detail {

namespace ox = ::ONNX_NAMESPACE;

// The bytes as an ONNX ModelProto; throws a bad-input error naming `file` if they are an HDF5
// file, do not parse, or hold no IR version or no graph with nodes.
ox::ModelProto parse_model(const Bytes& bytes, const std::string& file);
// A tensor's values widened to double (float, double, int32, int64 and bool).
OnnxTensor to_tensor(const ox::TensorProto& t, const std::string& file);
// The model's ai.onnx opset (0 if it imports none).
std::int64_t ai_onnx_opset(const ox::ModelProto& m);
std::string dims_str(const std::vector<std::int64_t>& d);
// "node 'NAME' (OP)" for messages; "#index" when the node has no name.
std::string node_label(const ox::NodeProto& n, int index);

// Attribute access that refuses attributes the importer does not know, so nothing is ignored.
class Attrs {
 public:
  Attrs(const ox::NodeProto& n, std::string label, const std::set<std::string>& known);
  const ox::AttributeProto* find(const std::string& name) const;
  std::int64_t i(const std::string& name, std::int64_t def) const;
  double f(const std::string& name, double def) const;
  std::string s(const std::string& name, const std::string& def) const;
  std::vector<std::int64_t> ints(const std::string& name, std::vector<std::int64_t> def) const;
  Error refuse(const std::string& why) const { return Error(label_ + ": " + why, ErrorKind::bad_input); }

 private:
  const ox::NodeProto& n_;
  std::string label_;
};

}  // namespace nnc::onnx_detail
