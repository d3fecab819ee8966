#include "nnc/io/onnx.hpp"

#include "nnc/io/onnx_proto.hpp"

#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

#include "nnc/nn/error.hpp"
#include "nnc/nn/layers.hpp"

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
        if (!raw.empty() || count == 0) from_raw<std::int64_t>(raw, count, out.values, what);
        else from_field(t.int64_data(), count, out.values, what);
        break;
      case ox::TensorProto::INT32:
        if (!raw.empty() || count == 0) from_raw<std::int32_t>(raw, count, out.values, what);
        else from_field(t.int32_data(), count, out.values, what);
        break;
      case ox::TensorProto::BOOL:
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

namespace {

using namespace onnx_detail;

// A layer on its way into the spec: its token and its params in nnc's order.
struct Pending {
  std::string token;
  std::vector<std::vector<Real>> params;
  bool conv_bias_given = false;  // a conv whose ONNX node had a bias input
};

const std::set<std::string> kSupportedOps = {"Conv",    "Gemm",    "MatMul",   "Add",      "Relu",
                                             "MaxPool", "AveragePool", "BatchNormalization", "Flatten",
                                             "Reshape", "Dropout", "Softmax",  "Identity", "Constant"};

std::string fmt_ratio(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "drop%g", p);
  return buf;
}

}  // namespace

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

OnnxImport import_onnx(const Bytes& bytes, const std::string& file, const std::string& arch_name,
                       const std::map<std::string, OnnxTensor>& bind) {
  const ox::ModelProto m = parse_model(bytes, file);
  const ox::GraphProto& g = m.graph();
  OnnxImport out;
  out.opset = ai_onnx_opset(m);
  out.producer = m.producer_name() + (m.producer_version().empty() ? "" : " " + m.producer_version());
  auto fail = [&](const std::string& why) { return bad_input(file, why); };
  if (out.opset == 0) throw fail("the model imports no ai.onnx opset");
  if (g.sparse_initializer_size() > 0) throw fail("sparse initializers are not supported");

  std::map<std::string, OnnxTensor> init;
  for (const auto& t : g.initializer()) init[t.name()] = to_tensor(t, file);
  for (const auto& [name, t] : bind) init[name] = t;

  std::set<std::string> graph_inputs;
  const ox::ValueInfoProto* data = nullptr;
  for (const auto& v : g.input()) {
    if (init.count(v.name())) continue;
    graph_inputs.insert(v.name());
    if (!data) data = &v;
  }
  if (!data) throw fail("the graph has no input that is not an initializer (nothing to feed the network)");
  if (g.output_size() != 1) {
    throw fail("the graph has " + std::to_string(g.output_size()) + " outputs; an nnc model has one");
  }
  out.input_name = data->name();
  out.output_name = g.output(0).name();

  // The data input: a float tensor [N, C(, H(, W))] with every dimension but N known.
  const auto& type = data->type();
  if (!type.has_tensor_type() || type.tensor_type().elem_type() != ox::TensorProto::FLOAT) {
    throw fail("graph input '" + data->name() + "' is not a float tensor");
  }
  const auto& shp = type.tensor_type().shape();
  for (int i = 0; i < shp.dim_size(); ++i) {
    const auto& d = shp.dim(i);
    out.input_dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    if (i > 0 && (!d.has_dim_value() || d.dim_value() <= 0)) {
      throw fail("graph input '" + data->name() + "' has dimension " + std::to_string(i) +
                 " unknown; nnc needs every dimension but the batch");
    }
  }
  int rank = static_cast<int>(out.input_dims.size());
  if (rank < 2 || rank > 4) {
    throw fail("graph input '" + data->name() + "' has shape " + dims_str(out.input_dims) +
               "; nnc takes [N,C], [N,C,L] or [N,C,H,W]");
  }
  const std::int64_t batch = out.input_dims[0];
  Shape input{static_cast<int>(out.input_dims[1]), rank > 2 ? static_cast<int>(out.input_dims[2]) : 1,
              rank > 3 ? static_cast<int>(out.input_dims[3]) : 1};
  Shape cur = input;

  // Who reads each tensor: a chain's every intermediate has exactly one reader.
  std::map<std::string, int> readers;
  std::map<std::string, std::string> producer;
  for (int i = 0; i < g.node_size(); ++i) {
    for (const auto& in : g.node(i).input())
      if (!in.empty()) readers[in]++;
    for (const auto& o : g.node(i).output()) producer[o] = node_label(g.node(i), i);
  }
  readers[out.output_name]++;

  std::vector<Pending> layers;
  std::string cur_name = data->name();
  bool last_was_matmul = false;  // the previous node made a dense layer an Add may bias
  bool ended = false;            // a Softmax was the last node

  for (int ni = 0; ni < g.node_size(); ++ni) {
    const ox::NodeProto& n = g.node(ni);
    const std::string label = node_label(n, ni);
    auto refuse = [&](const std::string& why) { return fail(label + ": " + why); };
    const std::string& op = n.op_type();
    if (!(n.domain().empty() || n.domain() == "ai.onnx") || !kSupportedOps.count(op)) {
      throw refuse("operator not supported by nnc (it takes Conv, Gemm, MatMul with Add, Relu, MaxPool, "
                   "AveragePool, BatchNormalization, Flatten, Reshape, Dropout, Identity, and Softmax last)");
    }
    if (op == "Constant") {
      Attrs a(n, file + ": " + label, {"value"});
      const auto* v = a.find("value");
      if (!v || !v->has_t() || n.output_size() != 1) throw refuse("only a tensor 'value' is supported");
      OnnxTensor t = to_tensor(v->t(), file);
      t.name = n.output(0);
      init[n.output(0)] = std::move(t);
      continue;
    }
    if (ended) throw refuse("follows the Softmax, which nnc takes only as the last node");

    // The chain: this node reads the previous node's output (Add may read it second).
    int data_slot = 0;
    if (op == "Add" && n.input_size() == 2 && n.input(1) == cur_name) data_slot = 1;
    if (n.input_size() == 0 || n.input(data_slot) != cur_name) {
      throw refuse("reads '" + (n.input_size() ? n.input(0) : std::string()) + "', not '" + cur_name +
                   "' (the output of the node before it): nnc takes only a graph that is a simple chain");
    }
    if (readers[cur_name] != 1) {
      throw refuse("its input '" + cur_name + "' is read " + std::to_string(readers[cur_name]) +
                   " times: nnc takes only a graph that is a simple chain");
    }
    for (int k = 1; k < n.output_size(); ++k) {
      if (!n.output(k).empty() && readers.count(n.output(k))) {
        throw refuse("its output " + std::to_string(k) + " ('" + n.output(k) +
                     "') is used; nnc takes only the first output");
      }
    }
    // Initializer inputs: present, or a clear word why not.
    auto weight = [&](int slot, const std::string& what) -> const OnnxTensor& {
      if (slot >= n.input_size() || n.input(slot).empty()) throw refuse("has no " + what + " input");
      const std::string& name = n.input(slot);
      auto it = init.find(name);
      if (it != init.end()) return it->second;
      if (graph_inputs.count(name)) {
        throw refuse("input '" + name + "' (" + what + ") has no initializer: it is a graph input, and nnc needs "
                     "its values in the model file");
      }
      if (producer.count(name)) {
        throw refuse("input '" + name + "' (" + what + ") is computed by " + producer[name] +
                     "; nnc takes only weights stored as initializers (a simple chain)");
      }
      throw refuse("input '" + name + "' (" + what + ") has no initializer and nothing produces it");
    };
    auto has_input = [&](int slot) { return slot < n.input_size() && !n.input(slot).empty(); };
    const bool was_matmul = last_was_matmul;
    last_was_matmul = false;

    if (op == "Identity") {
      Attrs a(n, file + ": " + label, {});
    } else if (op == "Relu") {
      Attrs a(n, file + ": " + label, {});
      layers.push_back({"relu", {}});
    } else if (op == "Conv") {
      Attrs a(n, file + ": " + label, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
      if (rank != 4) throw refuse("a convolution of a rank-" + std::to_string(rank) + " tensor; nnc has 2-D only");
      const OnnxTensor& W = weight(1, "weight");
      if (W.dims.size() != 4) throw refuse("weight of shape " + dims_str(W.dims) + ", expected [M,C,kH,kW]");
      if (a.i("group", 1) != 1) throw refuse("group " + std::to_string(a.i("group", 1)) + " (nnc has group 1 only)");
      if (W.dims[1] != cur.c) {
        throw refuse("weight " + dims_str(W.dims) + " on " + std::to_string(cur.c) + " input channels");
      }
      const int k = static_cast<int>(W.dims[2]);
      if (W.dims[3] != k) throw refuse("kernel " + dims_str({W.dims[2], W.dims[3]}) + " is not square");
      if (a.find("kernel_shape") && a.ints("kernel_shape", {}) != std::vector<std::int64_t>{k, k}) {
        throw refuse("kernel_shape disagrees with the weight");
      }
      for (auto d : a.ints("dilations", {1, 1}))
        if (d != 1) throw refuse("dilation " + std::to_string(d) + " (nnc has dilation 1 only)");
      const auto st = a.ints("strides", {1, 1});
      if (st.size() != 2 || st[0] != st[1]) throw refuse("strides " + dims_str(st) + " differ (nnc: one stride)");
      const int s = static_cast<int>(st[0]);
      int p = 0;
      const std::string auto_pad = a.s("auto_pad", "NOTSET");
      if (auto_pad == "NOTSET") {
        const auto pads = a.ints("pads", {0, 0, 0, 0});
        if (pads.size() != 4 || pads[0] != pads[1] || pads[0] != pads[2] || pads[0] != pads[3]) {
          throw refuse("pads " + dims_str(pads) + " are not the same on every side (nnc pads symmetrically)");
        }
        p = static_cast<int>(pads[0]);
      } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        auto total = [&](int in) { return std::max(0, ((in + s - 1) / s - 1) * s + k - in); };
        const int th = total(cur.h), tw = total(cur.w);
        if (th != tw || th % 2) throw refuse("auto_pad " + auto_pad + " pads asymmetrically here (nnc pads symmetrically)");
        p = th / 2;
      } else if (auto_pad != "VALID") {
        throw refuse("auto_pad " + auto_pad + " is not supported");
      }
      if (cur.h + 2 * p < k || cur.w + 2 * p < k) throw refuse("kernel larger than the padded input");
      Pending l;
      l.token = "c" + std::to_string(W.dims[0]) + "k" + std::to_string(k) + "s" + std::to_string(s) + "p" +
                std::to_string(p);
      l.params.emplace_back(W.values.begin(), W.values.end());
      std::vector<Real> bias(static_cast<std::size_t>(W.dims[0]), Real(0));
      if (has_input(2)) {
        const OnnxTensor& B = weight(2, "bias");
        if (B.values.size() != bias.size()) throw refuse("bias of shape " + dims_str(B.dims));
        bias.assign(B.values.begin(), B.values.end());
        l.conv_bias_given = true;
      }
      l.params.push_back(std::move(bias));
      layers.push_back(std::move(l));
      cur = Shape{static_cast<int>(W.dims[0]), (cur.h + 2 * p - k) / s + 1, (cur.w + 2 * p - k) / s + 1};
    } else if (op == "Gemm" || op == "MatMul") {
      Attrs a(n, file + ": " + label, op == "Gemm" ? std::set<std::string>{"alpha", "beta", "transA", "transB", "broadcast"}
                                                     : std::set<std::string>{});
      if (rank != 2) throw refuse("input of rank " + std::to_string(rank) + "; nnc needs [N, features] here (Flatten first)");
      if (a.i("transA", 0) != 0) throw refuse("transA 1 (nnc needs the samples as rows of A)");
      const bool tb = a.i("transB", 0) != 0;
      const double alpha = a.f("alpha", 1.0), beta = a.f("beta", 1.0);
      const OnnxTensor& B = weight(1, "weight B");
      if (B.dims.size() != 2) throw refuse("B of shape " + dims_str(B.dims) + ", expected 2-D");
      const std::int64_t K = tb ? B.dims[1] : B.dims[0], N = tb ? B.dims[0] : B.dims[1];
      if (K != cur.c) throw refuse("B " + dims_str(B.dims) + " on " + std::to_string(cur.c) + " features");
      Pending l;
      l.token = "fc" + std::to_string(N);
      std::vector<Real> w(static_cast<std::size_t>(N * K));
      for (std::int64_t o = 0; o < N; ++o)
        for (std::int64_t i = 0; i < K; ++i)
          w[static_cast<std::size_t>(o * K + i)] =
              static_cast<Real>(alpha * B.values[static_cast<std::size_t>(tb ? o * K + i : i * N + o)]);
      std::vector<Real> bias(static_cast<std::size_t>(N), Real(0));
      if (op == "Gemm" && has_input(2)) {
        const OnnxTensor& C = weight(2, "bias C");
        const bool row = C.values.size() == static_cast<std::size_t>(N) &&
                         (C.dims.size() == 1 || (C.dims.size() == 2 && C.dims[0] == 1));
        const bool scalar = C.values.size() == 1 && C.dims.size() <= 2;
        if (!row && !scalar) throw refuse("bias C of shape " + dims_str(C.dims) + " varies by sample (nnc: one bias per output)");
        for (std::size_t o = 0; o < bias.size(); ++o) bias[o] = static_cast<Real>(beta * C.values[row ? o : 0]);
      }
      if (alpha != 1.0 || beta != 1.0) out.notes.push_back(label + ": alpha and beta folded into the weights");
      l.params = {std::move(w), std::move(bias)};
      layers.push_back(std::move(l));
      cur = Shape{static_cast<int>(N), 1, 1};
      last_was_matmul = true;
    } else if (op == "Add") {
      Attrs a(n, file + ": " + label, {"broadcast"});  // opsets before 7 mark broadcasting
      if (!was_matmul) throw refuse("nnc takes Add only as the bias right after a MatMul or Gemm");
      const OnnxTensor& b = weight(1 - data_slot, "bias");
      auto& bias = layers.back().params[1];
      const bool row = b.values.size() == bias.size() && (b.dims.size() == 1 || (b.dims.size() == 2 && b.dims[0] == 1));
      const bool scalar = b.values.size() == 1 && b.dims.size() <= 2;
      if (!row && !scalar) throw refuse("bias of shape " + dims_str(b.dims) + " (nnc: one bias per output)");
      for (std::size_t o = 0; o < bias.size(); ++o) bias[o] += static_cast<Real>(b.values[row ? o : 0]);
    } else if (op == "MaxPool" || op == "AveragePool") {
      Attrs a(n, file + ": " + label,
              op == "MaxPool" ? std::set<std::string>{"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
                                                      "storage_order", "strides"}
                              : std::set<std::string>{"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape",
                                                      "pads", "strides"});
      if (rank != 4) throw refuse("pooling of a rank-" + std::to_string(rank) + " tensor; nnc has 2-D only");
      const auto ks = a.ints("kernel_shape", {});
      if (ks.size() != 2 || ks[0] != ks[1]) throw refuse("kernel_shape " + dims_str(ks) + " is not square 2-D");
      const int k = static_cast<int>(ks[0]);
      if (a.ints("strides", {1, 1}) != std::vector<std::int64_t>{k, k}) {
        throw refuse("strides " + dims_str(a.ints("strides", {1, 1})) + " differ from the window " +
                     std::to_string(k) + " (nnc pools with stride = window)");
      }
      for (auto p : a.ints("pads", {0, 0, 0, 0}))
        if (p != 0) throw refuse("padding (nnc pools without padding)");
      for (auto d : a.ints("dilations", {1, 1}))
        if (d != 1) throw refuse("dilation " + std::to_string(d) + " (nnc pools with dilation 1)");
      const std::string auto_pad = a.s("auto_pad", "NOTSET");
      // SAME pads only when the input does not divide; VALID never does.
      const bool divides = cur.h % k == 0 && cur.w % k == 0;
      if (!(auto_pad == "NOTSET" || auto_pad == "VALID" || (divides && (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER")))) {
        throw refuse("auto_pad " + auto_pad + " pads this input (nnc pools without padding)");
      }
      if (a.i("ceil_mode", 0) != 0 && !divides) throw refuse("ceil_mode 1 keeps partial windows (nnc drops them)");
      if (a.i("storage_order", 0) != 0) throw refuse("storage_order 1 is not supported");
      if (cur.h < k || cur.w < k) throw refuse("window larger than the input");
      layers.push_back({(op == "MaxPool" ? "mp" : "ap") + std::to_string(k), {}});
      cur = Shape{cur.c, cur.h / k, cur.w / k};
    } else if (op == "BatchNormalization") {
      Attrs a(n, file + ": " + label, {"epsilon", "momentum", "spatial", "is_test", "training_mode"});
      if (a.i("training_mode", 0) != 0) throw refuse("training_mode 1 (nnc imports inference batch norm)");
      if (a.i("spatial", 1) != 1) throw refuse("spatial 0 (nnc normalizes per channel)");
      const OnnxTensor &scale = weight(1, "scale"), &B = weight(2, "bias"), &mean = weight(3, "mean"),
                       &var = weight(4, "variance");
      const std::size_t C = static_cast<std::size_t>(cur.c);
      for (const OnnxTensor* t : {&scale, &B, &mean, &var})
        if (t->values.size() != C) throw refuse("'" + t->name + "' of shape " + dims_str(t->dims) + " on " + std::to_string(C) + " channels");
      // nnc's epsilon is fixed at 1e-5: another epsilon moves into the running variance.
      const double eps = a.f("epsilon", 1e-5);
      std::vector<Real> v(C), mu(mean.values.begin(), mean.values.end());
      for (std::size_t c = 0; c < C; ++c) {
        if (var.values[c] + eps <= 0) throw refuse("variance + epsilon is not positive for channel " + std::to_string(c));
        v[c] = static_cast<Real>(var.values[c] + (eps - BatchNorm::kEps));
      }
      if (std::abs(eps - BatchNorm::kEps) > 1e-12) {
        out.notes.push_back(label + ": epsilon " + std::to_string(eps) + " folded into the running variance");
      }
      // A conv followed by bn has no bias in nnc: its bias moves into the running mean.
      if (!layers.empty() && layers.back().token[0] == 'c' && layers.back().params.size() == 2) {
        Pending& conv = layers.back();
        for (std::size_t c = 0; c < C; ++c) mu[c] -= conv.params[1][c];
        if (conv.conv_bias_given) out.notes.push_back(label + ": the bias of the convolution before it folded into the running mean");
        conv.params.pop_back();
      }
      layers.push_back({"bn", {std::vector<Real>(scale.values.begin(), scale.values.end()),
                               std::vector<Real>(B.values.begin(), B.values.end()), std::move(mu), std::move(v)}});
    } else if (op == "Flatten" || op == "Reshape") {
      if (op == "Flatten") {
        Attrs a(n, file + ": " + label, {"axis"});
        std::int64_t axis = a.i("axis", 1);
        if (axis < 0) axis += rank;
        if (axis != 1) throw refuse("axis " + std::to_string(a.i("axis", 1)) + " (nnc flattens to [N, rest], axis 1)");
      } else {
        Attrs a(n, file + ": " + label, {"allowzero"});
        const OnnxTensor& t = weight(1, "shape");
        const auto S = static_cast<std::int64_t>(cur.size());
        const bool zero_copies = a.i("allowzero", 0) == 0;
        bool ok = t.values.size() == 2;
        if (ok) {
          const auto d0 = static_cast<std::int64_t>(t.values[0]), d1 = static_cast<std::int64_t>(t.values[1]);
          const bool keeps_batch = (d0 == 0 && zero_copies) || (batch > 0 && d0 == batch) || (d0 == -1 && d1 == S);
          ok = keeps_batch && (d1 == -1 || d1 == S);
        }
        if (!ok) {
          std::vector<std::int64_t> target;
          for (double v : t.values) target.push_back(static_cast<std::int64_t>(v));
          throw refuse("to " + dims_str(target) + " (nnc reshapes only to [N, rest])");
        }
      }
      layers.push_back({"flat", {}});
      cur = Shape{static_cast<int>(cur.size()), 1, 1};
      rank = 2;
    } else if (op == "Dropout") {
      Attrs a(n, file + ": " + label, {"ratio", "is_test", "seed"});
      double ratio = a.f("ratio", 0.5);
      if (has_input(1)) ratio = weight(1, "ratio").values.at(0);
      if (has_input(2) && weight(2, "training_mode").values.at(0) != 0) throw refuse("training_mode true");
      if (ratio < 0 || ratio >= 1) throw refuse("ratio " + std::to_string(ratio) + " outside [0, 1)");
      const std::string token = fmt_ratio(ratio);
      if (std::abs(std::stod(token.substr(4)) - ratio) > 1e-6 || token.find('e') != std::string::npos) {
        throw refuse("ratio " + std::to_string(ratio) + " has no short decimal form in nnc's spec");
      }
      layers.push_back({token, {}});
    } else if (op == "Softmax") {
      Attrs a(n, file + ": " + label, {"axis"});
      std::int64_t axis = a.i("axis", out.opset >= 13 ? -1 : 1);
      if (axis < 0) axis += rank;
      // Before opset 13 Softmax flattens from its axis: axis 1 is the whole sample.
      if (axis != 1 || (out.opset >= 13 && rank != 2)) {
        throw refuse("softmax over axis " + std::to_string(a.i("axis", out.opset >= 13 ? -1 : 1)) + " of a rank-" +
                     std::to_string(rank) + " tensor (nnc drops only a final softmax over the whole sample)");
      }
      if (n.output(0) != out.output_name) throw refuse("nnc takes Softmax only as the last node");
      out.softmax_dropped = true;
      ended = true;
    }
    if (n.output_size() == 0) throw refuse("has no output");
    cur_name = n.output(0);
  }
  if (cur_name != out.output_name) {
    throw fail("graph output '" + out.output_name + "' is not the output of the last node ('" + cur_name +
               "'): nnc takes only a graph that is a simple chain");
  }
  // In nnc's spec a conv followed by bn has no bias; without bn it has one.
  std::string spec;
  for (const Pending& l : layers) spec += (spec.empty() ? "" : ",") + l.token;
  if (spec.empty()) {
    spec = "drop0";  // a spec cannot be empty; dropout at inference is the identity
    layers.push_back({"drop0", {}});
    out.notes.push_back("the graph computes the identity: imported as one drop0 layer");
  }
  if (out.softmax_dropped) out.notes.push_back("the final Softmax was dropped: nnc models output logits");
  try {
    out.model = Model(spec, input, static_cast<int>(cur.size()));
  } catch (const Error& e) {
    throw fail(std::string("the layers make no valid nnc model: ") + e.what());
  }
  if (!arch_name.empty()) out.model.set_arch(arch_name);
  auto& ml = out.model.layers();
  for (std::size_t i = 0; i < ml.size(); ++i) {
    auto ps = ml[i]->params();
    if (ps.size() != layers[i].params.size()) {
      throw Error("nnc-import: layer " + std::to_string(i) + " (" + ml[i]->spec() + ") has " +
                  std::to_string(ps.size()) + " params, the graph gave " + std::to_string(layers[i].params.size()));
    }
    for (std::size_t k = 0; k < ps.size(); ++k) {
      const auto& v = layers[i].params[k];
      if (v.size() != ps[k]->size()) {
        throw fail("layer " + std::to_string(i) + " (" + ml[i]->spec() + ") " + ps[k]->name + ": " +
                   std::to_string(v.size()) + " values, nnc expects " + std::to_string(ps[k]->size()));
      }
      ps[k]->value = ConstVectorMap(v.data(), static_cast<Eigen::Index>(v.size()));
    }
  }
  try {
    out.model.check_finite();
  } catch (const Error& e) {
    throw fail(e.what());
  }
  return out;
}

}  // namespace nnc
