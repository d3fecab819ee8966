// ONNX export (docs/algorithms.md, "ONNX import and export"): an nnc model as an ONNX graph.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>

#include "nnc/io/onnx.hpp"
#include "nnc/io/onnx_proto.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/residual.hpp"

namespace nnc {

namespace {

using namespace onnx_detail;

// Builds the graph node by node; names are stable, so the same model gives the same bytes.
class GraphWriter {
 public:
  explicit GraphWriter(ox::GraphProto* g) : g_(g) {}

  std::string add_init(const std::string& name, const std::vector<std::int64_t>& dims, const Vector& v,
                       const std::vector<std::uint8_t>* mask = nullptr) {
    auto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(ox::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    std::string raw(static_cast<std::size_t>(v.size()) * sizeof(float), '\0');
    for (Eigen::Index i = 0; i < v.size(); ++i) {
      const float x = (mask && !mask->empty() && (*mask)[static_cast<std::size_t>(i)] == 0) ? 0.0f : v[i];
      std::memcpy(raw.data() + static_cast<std::size_t>(i) * sizeof(float), &x, sizeof(float));
    }
    t->set_raw_data(raw);
    return name;
  }
  std::string add_init_i64(const std::string& name, const std::vector<std::int64_t>& values) {
    auto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(ox::TensorProto::INT64);
    t->add_dims(static_cast<std::int64_t>(values.size()));
    std::string raw(values.size() * sizeof(std::int64_t), '\0');
    if (!values.empty()) std::memcpy(raw.data(), values.data(), raw.size());
    t->set_raw_data(raw);
    return name;
  }
  ox::NodeProto* add_node(const std::string& op, const std::string& name, std::vector<std::string> inputs) {
    auto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& i : inputs) n->add_input(i);
    n->add_output(name);
    return n;
  }
  static void ints(ox::NodeProto* n, const std::string& name, std::vector<std::int64_t> v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(ox::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  }
  static void i(ox::NodeProto* n, const std::string& name, std::int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(ox::AttributeProto::INT);
    a->set_i(v);
  }
  static void f(ox::NodeProto* n, const std::string& name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(ox::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void value_info(ox::ValueInfoProto* v, const std::string& name, const std::vector<std::int64_t>& dims) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(ox::TensorProto::FLOAT);
    auto* s = tt->mutable_shape();
    s->add_dim()->set_dim_param("N");
    for (auto d : dims) s->add_dim()->set_dim_value(d);
  }

 private:
  ox::GraphProto* g_;
};

std::vector<std::int64_t> chw(Shape s, int rank) {
  if (rank == 2) return {static_cast<std::int64_t>(s.size())};
  return {s.c, s.h, s.w};
}

// One layer on its way into the graph: its ONNX name ("l003_conv"), the tensors it reads (the
// first with its rank) and the writer. A writer adds the layer's nodes, the last writing the
// layer's output, and leaves `rank` at the rank of that output.
struct LayerOut {
  GraphWriter& w;
  Layer& layer;
  std::size_t index;
  std::string name;
  std::vector<std::string> inputs;
  std::vector<int> ranks;
  int rank;  // of inputs[0]; the writer sets the output's
  Error refuse(const std::string& why) const { return Error("export: layer " + std::to_string(index) + " " + why); }
};

void write_conv(LayerOut& o) {
  auto& c = static_cast<Conv2d&>(o.layer);
  std::vector<std::string> ins = {o.inputs[0], o.w.add_init(o.name + ".weight", {c.weight.shape.begin(), c.weight.shape.end()},
                                                            c.weight.value, &c.weight.mask)};
  if (c.has_bias()) ins.push_back(o.w.add_init(o.name + ".bias", {c.out_channels()}, c.bias.value));
  auto* n = o.w.add_node("Conv", o.name, ins);
  GraphWriter::ints(n, "kernel_shape", {c.kernel(), c.kernel()});
  GraphWriter::ints(n, "strides", {c.stride(), c.stride()});
  GraphWriter::ints(n, "pads", {c.pad(), c.pad(), c.pad(), c.pad()});
}

// A dense layer reading a spatial tensor gets a Flatten first (re-imported: a flat layer).
void write_dense(LayerOut& o) {
  auto& d = static_cast<Dense&>(o.layer);
  std::string x = o.inputs[0];
  if (o.rank != 2) {
    auto* f = o.w.add_node("Flatten", o.name + ".flatten", {x});
    GraphWriter::i(f, "axis", 1);
    x = f->output(0);
    o.rank = 2;
  }
  auto* n = o.w.add_node("Gemm", o.name,
                         {x, o.w.add_init(o.name + ".weight", {d.weight.shape.begin(), d.weight.shape.end()},
                                          d.weight.value, &d.weight.mask),
                          o.w.add_init(o.name + ".bias", {d.outputs()}, d.bias.value)});
  GraphWriter::i(n, "transB", 1);
}

void write_relu(LayerOut& o) { o.w.add_node("Relu", o.name, {o.inputs[0]}); }

void write_pool(LayerOut& o) {
  if (o.rank != 4) throw o.refuse("pools a flat tensor");
  const int k = static_cast<Pool&>(o.layer).kernel();
  auto* n = o.w.add_node(o.layer.type() == "maxpool" ? "MaxPool" : "AveragePool", o.name, {o.inputs[0]});
  GraphWriter::ints(n, "kernel_shape", {k, k});
  GraphWriter::ints(n, "strides", {k, k});
}

void write_bn(LayerOut& o) {
  auto& b = static_cast<BatchNorm&>(o.layer);
  const std::int64_t C = b.gamma.value.size();
  auto* n = o.w.add_node("BatchNormalization", o.name,
                         {o.inputs[0], o.w.add_init(o.name + ".gamma", {C}, b.gamma.value),
                          o.w.add_init(o.name + ".beta", {C}, b.beta.value),
                          o.w.add_init(o.name + ".running_mean", {C}, b.running_mean.value),
                          o.w.add_init(o.name + ".running_var", {C}, b.running_var.value)});
  GraphWriter::f(n, "epsilon", static_cast<float>(BatchNorm::kEps));
}

void write_dropout(LayerOut& o) {
  Vector ratio(1);
  ratio[0] = static_cast<Real>(static_cast<Dropout&>(o.layer).rate());
  o.w.add_node("Dropout", o.name, {o.inputs[0], o.w.add_init(o.name + ".ratio", {}, ratio)});
}

void write_flatten(LayerOut& o) {
  auto* n = o.w.add_node("Flatten", o.name, {o.inputs[0]});
  GraphWriter::i(n, "axis", 1);
  o.rank = 2;
}

void write_add(LayerOut& o) {
  if (o.ranks[1] != o.rank) throw o.refuse("adds tensors of two ranks");
  o.w.add_node("Add", o.name, {o.inputs[0], o.inputs[1]});
}

void write_gap(LayerOut& o) {
  if (o.rank != 4) throw o.refuse("pools a flat tensor");
  o.w.add_node("GlobalAveragePool", o.name, {o.inputs[0]});
}

// Option A: x[:, :, ::S, ::S] (Slice), then the input's channels centred among N (Pad).
void write_shortcut(LayerOut& o) {
  if (o.rank != 4) throw o.refuse("subsamples a flat tensor");
  const auto& p = static_cast<PadShortcut&>(o.layer);
  const std::int64_t S = p.stride(), C = p.input_shape().c, N = p.channels(), off = p.channel_offset();
  std::string x = o.inputs[0];
  if (S > 1) {
    x = o.w.add_node("Slice", N > C ? o.name + ".slice" : o.name,
                     {x, o.w.add_init_i64(o.name + ".starts", {0, 0}),
                      o.w.add_init_i64(o.name + ".ends", {INT64_MAX, INT64_MAX}), o.w.add_init_i64(o.name + ".axes", {2, 3}),
                      o.w.add_init_i64(o.name + ".steps", {S, S})})
            ->output(0);
  }
  if (N > C) o.w.add_node("Pad", o.name, {x, o.w.add_init_i64(o.name + ".pads", {0, off, 0, 0, 0, N - C - off, 0, 0})});
  if (S == 1 && N == C) o.w.add_node("Identity", o.name, {x});
}

using LayerWriter = void (*)(LayerOut&);

// Every layer type nnc exports, by Layer::type().
const std::map<std::string, LayerWriter>& layer_writers() {
  static const std::map<std::string, LayerWriter> table = {
      {"add", write_add},         {"avgpool", write_pool}, {"bn", write_bn},     {"conv", write_conv},
      {"dense", write_dense},     {"dropout", write_dropout}, {"flatten", write_flatten}, {"gap", write_gap},
      {"maxpool", write_pool},    {"relu", write_relu},    {"shortcut", write_shortcut},
  };
  return table;
}

}  // namespace

Bytes export_onnx(const Model& model, const std::string& graph_name, const std::string& producer_version) {
  ox::ModelProto m;
  m.set_ir_version(7);
  m.set_producer_name("nnc");
  m.set_producer_version(producer_version);
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  ox::GraphProto* g = m.mutable_graph();
  g->set_name(graph_name);
  GraphWriter w(g);

  // [N, C] when the model never looks at space, [N, C, H, W] otherwise.
  const Shape in = model.input_shape();
  bool spatial = in.h != 1 || in.w != 1;
  for (const auto& l : model.layers())
    if (l->type() == "conv" || l->type() == "maxpool" || l->type() == "avgpool" || l->type() == "gap" ||
        l->type() == "shortcut")
      spatial = true;
  const int input_rank = spatial ? 4 : 2;
  GraphWriter::value_info(g->add_input(), "input", chw(in, input_rank));

  // Each layer's output tensor and its rank; a layer reads its inputs'.
  const auto& layers = model.layers();
  std::vector<std::string> out_name(layers.size());
  std::vector<int> out_rank(layers.size());
  int rank = input_rank;
  for (std::size_t li = 0; li < layers.size(); ++li) {
    Layer& l = *layers[li];
    const auto writer = layer_writers().find(l.type());
    if (writer == layer_writers().end()) {
      throw Error("export: layer " + std::to_string(li) + " of type '" + l.type() + "' has no ONNX counterpart here");
    }
    char prefix[32];
    std::snprintf(prefix, sizeof prefix, "l%03zu_", li);
    LayerOut o{w, l, li, prefix + l.type(), {}, {}, 0};
    for (int j : model.layer_inputs(li)) {
      o.inputs.push_back(j < 0 ? std::string("input") : out_name[static_cast<std::size_t>(j)]);
      o.ranks.push_back(j < 0 ? input_rank : out_rank[static_cast<std::size_t>(j)]);
    }
    o.rank = o.ranks.front();
    writer->second(o);
    rank = o.rank;
    out_name[li] = g->node(g->node_size() - 1).output(0);
    out_rank[li] = rank;
  }
  // The last node writes the graph output, named "logits".
  g->mutable_node(g->node_size() - 1)->set_output(0, "logits");
  GraphWriter::value_info(g->add_output(), "logits", chw(layers.back()->output_shape(), rank));

  std::string s;
  if (!m.SerializeToString(&s)) throw Error("export: protobuf could not serialize the model");
  return Bytes(s.begin(), s.end());
}

}  // namespace nnc
