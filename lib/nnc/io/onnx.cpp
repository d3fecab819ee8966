// ONNX files: parsing a model or a tensor, the summary of a graph, and the helpers import and
// export share (onnx_proto.hpp). The import is onnx_import.cpp and onnx_ops.cpp, the export
// onnx_export.cpp.
#include "nnc/io/onnx.hpp"

#include <climits>
#include <cstring>
#include <set>

#include "nnc/io/onnx_proto.hpp"

namespace nnc {

namespace onnx_detail {

ox::ModelProto parse_model(const Bytes& bytes, const std::string& file) {
  static const unsigned char hdf5_sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), hdf5_sig, 8) == 0) {
    throw bad_input(file, "is an HDF5 file (an nnc artifact?), expected an ONNX model");
  }
  ox::ModelProto m;
  if (bytes.size() > static_cast<std::size_t>(INT_MAX) ||
      !m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw bad_input(file, "is not an ONNX model (it does not parse as an ONNX ModelProto)");
  }
  // Protobuf accepts many byte strings as some message; an ONNX model has these.
  if (m.ir_version() <= 0 || !m.has_graph() || m.graph().node_size() == 0) {
    throw bad_input(file, "is not an ONNX model (no IR version or no graph with nodes)");
  }
  return m;
}

std::string dims_str(const std::vector<std::int64_t>& d) {
  std::string s = "[";
  for (std::size_t i = 0; i < d.size(); ++i) s += (i ? "," : "") + std::to_string(d[i]);
  return s + "]";
}

template <class T>
void from_raw(const std::string& raw, std::size_t count, std::vector<double>& out, const std::string& what) {
  if (raw.size() != count * sizeof(T)) {
    throw Error(what + " holds " + std::to_string(raw.size()) + " bytes, expected " +
                std::to_string(count * sizeof(T)), ErrorKind::bad_input);
  }
  out.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    T v;  // ONNX raw data is little-endian, as is every machine nnc builds on
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
    out[i] = static_cast<double>(v);
  }
}

template <class Field>
void from_field(const Field& f, std::size_t count, std::vector<double>& out, const std::string& what) {
  if (static_cast<std::size_t>(f.size()) != count) {
    throw Error(what + " holds " + std::to_string(f.size()) + " values, its shape says " + std::to_string(count),
                ErrorKind::bad_input);
  }
  out.assign(f.begin(), f.end());
}

OnnxTensor to_tensor(const ox::TensorProto& t, const std::string& file) {
  const std::string what = "tensor '" + t.name() + "'";
  try {
    if (t.data_location() == ox::TensorProto::EXTERNAL) {
      throw Error(what + " is stored in an external file, which nnc does not read", ErrorKind::bad_input);
    }
    OnnxTensor out;
    out.name = t.name();
    std::size_t count = 1;
    for (auto d : t.dims()) {
      if (d < 0) throw Error(what + " has a negative dimension", ErrorKind::bad_input);
      out.dims.push_back(d);
      count *= static_cast<std::size_t>(d);
    }
    const std::string& raw = t.raw_data();
    switch (t.data_type()) {
      case ox::TensorProto::FLOAT:
        if (!raw.empty() || count == 0) from_raw<float>(raw, count, out.values, what);
        else from_field(t.float_data(), count, out.values, what);
        break;
      case ox::TensorProto::DOUBLE:
        if (!raw.empty() || count == 0) from_raw<double>(raw, count, out.values, what);
        else from_field(t.double_data(), count, out.values, what);
        break;
      case ox::TensorProto::INT64:
        out.integer = true;
        if (!raw.empty() || count == 0) from_raw<std::int64_t>(raw, count, out.values, what);
        else from_field(t.int64_data(), count, out.values, what);
        break;
      case ox::TensorProto::INT32:
        out.integer = true;
        if (!raw.empty() || count == 0) from_raw<std::int32_t>(raw, count, out.values, what);
        else from_field(t.int32_data(), count, out.values, what);
        break;
      case ox::TensorProto::BOOL:
        out.integer = true;
        if (!raw.empty() || count == 0) from_raw<std::uint8_t>(raw, count, out.values, what);
        else from_field(t.int32_data(), count, out.values, what);
        break;
      default:
        throw Error(what + " has element type " + std::to_string(t.data_type()) +
                        " (nnc reads float, double, int32, int64 and bool tensors)",
                    ErrorKind::bad_input);
    }
    return out;
  } catch (const Error& e) {
    throw bad_input(file, e.what());
  }
}

std::int64_t ai_onnx_opset(const ox::ModelProto& m) {
  for (const auto& o : m.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
  }
  return 0;
}

std::string node_label(const ox::NodeProto& n, int index) {
  std::string s = "node '";
  if (n.name().empty()) s += "#" + std::to_string(index);
  else s += n.name();
  s += "' (";
  if (!n.domain().empty()) s += n.domain() + "::";
  s += n.op_type();
  s += ")";
  return s;
}

Attrs::Attrs(const ox::NodeProto& n, std::string label, const std::set<std::string>& known)
    : n_(n), label_(std::move(label)) {
  for (const auto& a : n.attribute()) {
    if (!known.count(a.name())) throw refuse("attribute '" + a.name() + "' is not supported");
  }
}

const ox::AttributeProto* Attrs::find(const std::string& name) const {
  for (const auto& a : n_.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

std::int64_t Attrs::i(const std::string& name, std::int64_t def) const {
  const auto* a = find(name);
  return a ? a->i() : def;
}

double Attrs::f(const std::string& name, double def) const {
  const auto* a = find(name);
  return a ? a->f() : def;
}

std::string Attrs::s(const std::string& name, const std::string& def) const {
  const auto* a = find(name);
  return a ? a->s() : def;
}

std::vector<std::int64_t> Attrs::ints(const std::string& name, std::vector<std::int64_t> def) const {
  const auto* a = find(name);
  return a ? std::vector<std::int64_t>(a->ints().begin(), a->ints().end()) : def;
}

}  // namespace onnx_detail

using namespace onnx_detail;

OnnxTensor read_onnx_tensor(const Bytes& bytes, const std::string& file) {
  ox::TensorProto t;
  if (bytes.size() > static_cast<std::size_t>(INT_MAX) ||
      !t.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw bad_input(file, "is not a serialized ONNX TensorProto");
  }
  return to_tensor(t, file);
}

OnnxGraphSummary summarize_onnx(const Bytes& bytes, const std::string& file) {
  const ox::ModelProto m = parse_model(bytes, file);
  OnnxGraphSummary s;
  s.opset = ai_onnx_opset(m);
  std::set<std::string> inits;
  for (const auto& t : m.graph().initializer()) inits.insert(t.name());
  for (const auto& n : m.graph().node()) s.op_types.push_back(n.op_type());
  for (const auto& v : m.graph().input())
    if (!inits.count(v.name())) s.inputs.push_back(v.name());
  for (const auto& v : m.graph().output()) s.outputs.push_back(v.name());
  return s;
}

}  // namespace nnc
