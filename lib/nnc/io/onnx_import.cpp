// ONNX import (docs/algorithms.md, "ONNX import and export"): walks the graph in topological
// order, hands each node to its operator's handler (onnx_ops.cpp), then merges the steps the
// handlers leave (a dense layer's bias, option A's shortcut, a conv's bias into its batch norm)
// and writes the layers as an nnc spec with their weights.
#include <algorithm>
#include <numeric>
#include <set>

#include "nnc/io/onnx_import.hpp"
#include "nnc/nn/layers.hpp"

namespace nnc {

namespace onnx_detail {

Error NodeIo::refuse(const std::string& why) const { return bad_input(st_.file, label_ + ": " + why); }

Attrs NodeIo::attrs(const std::set<std::string>& known) const { return Attrs(n_, st_.file + ": " + label_, known); }

const Value& NodeIo::input(int slot, const std::string& what) const {
  if (!has_input(slot)) throw refuse("has no " + what + " input");
  const std::string& name = n_.input(slot);
  const auto it = st_.values.find(name);
  if (it == st_.values.end()) {
    if (st_.unbound_inputs.count(name)) {
      throw refuse("input '" + name + "' (" + what + ") has no initializer: it is a graph input, and nnc needs "
                   "its values in the model file");
    }
    throw refuse("input '" + name + "' (" + what + ") has no initializer and nothing produces it");
  }
  if (it->second.after_softmax) throw refuse("follows the Softmax, which nnc takes only as the last node");
  return it->second;
}

bool NodeIo::is_constant(int slot) const {
  if (!has_input(slot)) return false;
  const auto it = st_.values.find(n_.input(slot));
  return it != st_.values.end() && !it->second.computed;
}

bool NodeIo::all_constant() const {
  for (int i = 0; i < n_.input_size(); ++i)
    if (has_input(i) && !is_constant(i)) return false;
  return true;
}

const OnnxTensor& NodeIo::constant(int slot, const std::string& what) const {
  const Value& v = input(slot, what);
  if (v.computed) {
    const std::string& name = n_.input(slot);
    const auto w = st_.writer.find(name);
    if (w == st_.writer.end()) {
      throw refuse("input '" + name + "' (" + what + ") is the network's input; nnc needs a constant here");
    }
    throw refuse("input '" + name + "' (" + what + ") is computed by " + w->second +
                 "; nnc takes only weights stored as initializers or computed from constants");
  }
  if (v.any_batch) {
    throw refuse("input '" + n_.input(slot) + "' (" + what + ") is as large as the batch, known only when the "
                 "network runs; nnc takes such zeros only as channels that Concat adds (option A's shortcut)");
  }
  return v.constant;
}

const Value& NodeIo::computed(int slot, const std::string& what) const {
  const Value& v = input(slot, what);
  if (!v.computed) {
    throw refuse("input '" + n_.input(slot) + "' (" + what + ") is a constant; nnc needs a tensor the network "
                 "computes here");
  }
  return v;
}

void NodeIo::set_constant(OnnxTensor t) {
  t.name = n_.output(0);
  Value v;
  v.constant = std::move(t);
  set_value(std::move(v));
}

void NodeIo::add_layer(PendingLayer l, int rank) {
  l.label = label_;
  Value v;
  v.computed = true;
  v.layer = static_cast<int>(st_.layers.size());
  v.shape = l.out;
  v.rank = rank;
  st_.layers.push_back(std::move(l));
  set_value(std::move(v));
}

namespace {

bool is_conv(const PendingLayer& l) {
  return l.kind == PendingLayer::Kind::layer && l.token.size() > 1 && l.token[0] == 'c' && l.token[1] >= '0' &&
         l.token[1] <= '9';
}
bool is_dense(const PendingLayer& l) { return l.kind == PendingLayer::Kind::layer && l.token.rfind("fc", 0) == 0; }

// The order in which nodes run: ONNX lists nodes topologically, but a file may not; a cycle, or
// a tensor written twice, is refused naming a node.
std::vector<int> topological_order(const ox::GraphProto& g, const std::string& file,
                                   std::map<std::string, int>& writer_of) {
  const int n = g.node_size();
  for (int i = 0; i < n; ++i) {
    for (const auto& o : g.node(i).output()) {
      if (o.empty()) continue;
      const auto [it, fresh] = writer_of.emplace(o, i);
      if (!fresh) {
        throw bad_input(file, node_label(g.node(i), i) + ": writes '" + o + "', which " +
                                  node_label(g.node(it->second), it->second) + " writes too");
      }
    }
  }
  std::vector<std::vector<int>> readers(n);
  std::vector<int> waiting(n, 0);
  for (int i = 0; i < n; ++i) {
    std::set<int> deps;
    for (const auto& in : g.node(i).input()) {
      const auto w = writer_of.find(in);
      if (!in.empty() && w != writer_of.end()) deps.insert(w->second);
    }
    for (int d : deps) readers[d].push_back(i);
    waiting[i] = static_cast<int>(deps.size());
  }
  std::set<int> ready;
  for (int i = 0; i < n; ++i)
    if (waiting[i] == 0) ready.insert(i);
  std::vector<int> order;
  while (!ready.empty()) {
    const int i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(i);
    for (int r : readers[i])
      if (--waiting[r] == 0) ready.insert(r);
  }
  if (static_cast<int>(order.size()) < n) {
    std::vector<char> done(n, 0);
    for (int i : order) done[i] = 1;
    for (int i = 0; i < n; ++i) {
      if (done[i]) continue;
      for (const auto& in : g.node(i).input()) {
        const auto w = writer_of.find(in);
        if (!in.empty() && w != writer_of.end() && !done[w->second]) {
          throw bad_input(file, node_label(g.node(i), i) + ": reads '" + in + "', which depends on its own output "
                                "(the graph has a cycle)");
        }
      }
    }
  }
  return order;
}

// The layers the handlers left, as a spec and its weights: biases merged into their dense
// layers, option A's steps into idN[sS] layers, conv biases into the batch norm after them,
// layers that do not reach the output left out (noted).
struct Assembled {
  std::string spec;
  std::vector<PendingLayer> layers;  // in spec order
};

Assembled assemble(ImportState& st, int out_layer) {
  std::vector<PendingLayer>& L = st.layers;
  const int n = static_cast<int>(L.size());
  auto refuse = [&](const PendingLayer& l, const std::string& why) { return bad_input(st.file, l.label + ": " + why); };
  std::vector<int> fwd(n);
  std::iota(fwd.begin(), fwd.end(), 0);
  auto resolve = [&](int j) {
    while (j >= 0 && fwd[j] != j) j = fwd[j];
    return j;
  };
  auto kept = [&](int i) { return fwd[i] == i; };
  // What the output does not need is left out.
  std::vector<char> live(n, 0);
  std::vector<int> stack = {out_layer};
  while (!stack.empty()) {
    const int j = stack.back();
    stack.pop_back();
    if (j < 0 || live[j]) continue;
    live[j] = 1;
    for (int k : L[j].inputs) stack.push_back(k);
  }
  for (int i = 0; i < n; ++i) {
    if (!live[i]) {
      st.notes.push_back(L[i].label + ": its output does not reach the graph output; left out");
      fwd[i] = -1;
    }
  }
  auto count_readers = [&] {
    std::vector<int> r(n, 0);
    for (int i = 0; i < n; ++i) {
      if (!kept(i)) continue;
      for (int j : L[i].inputs)
        if (resolve(j) >= 0) ++r[resolve(j)];
    }
    if (resolve(out_layer) >= 0) ++r[resolve(out_layer)];
    return r;
  };
  // Biases into their dense layers; consecutive shortcut steps into one.
  std::vector<int> readers = count_readers();
  for (int i = 0; i < n; ++i) {
    PendingLayer& p = L[i];
    if (!kept(i) || p.kind == PendingLayer::Kind::layer) continue;
    const int q = resolve(p.inputs.front());
    if (p.kind == PendingLayer::Kind::bias) {
      if (q < 0 || !is_dense(L[q]) || readers[q] != 1) {
        throw refuse(p, "nnc takes Add of a constant only as the bias right after a MatMul or Gemm");
      }
      for (std::size_t o = 0; o < p.bias.size(); ++o) L[q].params[1][o] += p.bias[o];
    } else if (q >= 0 && L[q].kind == PendingLayer::Kind::shortcut && readers[q] == 1) {
      L[q].stride_h *= p.stride_h;
      L[q].stride_w *= p.stride_w;
      L[q].pad_before += p.pad_before;
      L[q].pad_after += p.pad_after;
      L[q].out = p.out;
      if (p.pad_before || p.pad_after) L[q].label = p.label;  // messages about the channels name the padding
    } else {
      continue;
    }
    fwd[i] = q;
    readers[q] = readers[i];
  }
  // Shortcut steps as nnc's idN[sS]: one stride, the input channels centred.
  for (int i = 0; i < n; ++i) {
    PendingLayer& p = L[i];
    if (!kept(i) || p.kind != PendingLayer::Kind::shortcut) continue;
    if (p.stride_h != p.stride_w) {
      throw refuse(p, "subsamples rows by " + std::to_string(p.stride_h) + " and columns by " +
                          std::to_string(p.stride_w) + " (nnc's shortcut layer idN[sS] takes one stride)");
    }
    const int C = p.in.c, N = p.out.c;
    if (p.pad_before != (N - C) / 2) {
      throw refuse(p, "pads " + std::to_string(p.pad_before) + " zero channels before the input's " + std::to_string(C) +
                          " and " + std::to_string(p.pad_after) + " after (nnc's shortcut layer idN[sS] puts (N - C) / 2 "
                          "before)");
    }
    p.kind = PendingLayer::Kind::layer;
    p.token = "id" + std::to_string(N) + (p.stride_h > 1 ? "s" + std::to_string(p.stride_h) : "");
  }
  // A conv's bias into the batch norm that alone reads it (nnc's conv before a bn has none).
  readers = count_readers();
  std::vector<int> attached(n, -1);  // conv -> the batch norm that must follow it in the spec
  std::vector<char> is_attached(n, 0);
  for (int b = 0; b < n; ++b) {
    if (!kept(b) || L[b].token != "bn") continue;
    const int q = resolve(L[b].inputs.front());
    if (q < 0 || !is_conv(L[q]) || L[q].params.size() != 2 || readers[q] != 1) continue;
    auto& mean = L[b].params[2];
    for (std::size_t c = 0; c < mean.size(); ++c) mean[c] -= L[q].params[1][c];
    if (L[q].conv_bias_given) {
      st.notes.push_back(L[b].label + ": the bias of the convolution before it folded into the running mean");
    }
    L[q].params.pop_back();
    attached[q] = b;
    is_attached[b] = 1;
  }
  // The order of the spec: the handlers' (a topological one), each folded bn right after its conv.
  std::vector<int> order;
  for (int i = 0; i < n; ++i) {
    if (!kept(i) || is_attached[i]) continue;
    order.push_back(i);
    if (attached[i] >= 0) order.push_back(attached[i]);
  }
  std::vector<int> index(n, -1);
  for (std::size_t j = 0; j < order.size(); ++j) index[order[j]] = static_cast<int>(j);
  const int last = resolve(out_layer);
  if (order.empty() || last < 0 || index[last] != static_cast<int>(order.size()) - 1) {
    throw Error("onnx import: the output layer is not the last one (an importer bug)");
  }
  Assembled a;
  std::vector<std::vector<int>> ins(order.size());
  std::vector<std::string> name(order.size());
  for (std::size_t j = 0; j < order.size(); ++j) {
    for (int k : L[order[j]].inputs) ins[j].push_back(resolve(k) < 0 ? -1 : index[resolve(k)]);
    const int prev = static_cast<int>(j) - 1;
    if (ins[j].size() == 2 && ins[j][1] == prev && ins[j][0] != prev) std::swap(ins[j][0], ins[j][1]);
    // Layers read out of turn get a name: l<index>, as Model::spec() writes them.
    for (std::size_t k = 0; k < ins[j].size(); ++k) {
      const int src = ins[j][k];
      if (src >= 0 && !(k == 0 && src == prev)) name[static_cast<std::size_t>(src)] = "l" + std::to_string(src);
    }
  }
  auto ref = [&](int j) { return j < 0 ? std::string("in") : name[static_cast<std::size_t>(j)]; };
  for (std::size_t j = 0; j < order.size(); ++j) {
    const PendingLayer& l = L[order[j]];
    const int prev = static_cast<int>(j) - 1;
    std::string item = (name[j].empty() ? "" : name[j] + "=") + l.token;
    const auto& in = ins[j];
    if (in.size() == 1 && in[0] != prev) item += "@" + ref(in[0]);
    if (in.size() == 2) item += in[0] == prev ? "@" + ref(in[1]) : "@" + ref(in[0]) + "+" + ref(in[1]);
    a.spec += (a.spec.empty() ? "" : ",") + item;
    // nnc's spec gives a conv no bias when a bn reading it comes next.
    if (j > 0 && l.token == "bn" && in.size() == 1 && in[0] == prev && is_conv(L[order[j - 1]]) &&
        L[order[j - 1]].params.size() == 2) {
      throw refuse(l, "reads a convolution with a bias that other nodes read too (nnc's spec holds a convolution "
                      "before its batch norm without a bias)");
    }
  }
  for (int i : order) a.layers.push_back(std::move(L[i]));
  return a;
}

std::string supported_ops() {
  std::string s;
  for (const auto& [op, handler] : op_handlers()) s += (s.empty() ? "" : ", ") + op;
  return s;
}

}  // namespace

}  // namespace onnx_detail

using namespace onnx_detail;

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

  ImportState st;
  st.file = file;
  st.opset = out.opset;
  for (const auto& t : g.initializer()) st.values[t.name()].constant = to_tensor(t, file);
  for (const auto& [name, t] : bind) st.values[name].constant = t;

  const ox::ValueInfoProto* data = nullptr;
  for (const auto& v : g.input()) {
    if (st.values.count(v.name())) continue;
    if (!data) data = &v;
    else st.unbound_inputs.insert(v.name());
  }
  if (!data) throw fail("the graph has no input that is not an initializer (nothing to feed the network)");
  if (g.output_size() != 1) {
    throw fail("the graph has " + std::to_string(g.output_size()) + " outputs; an nnc model has one");
  }
  out.input_name = data->name();
  out.output_name = st.output_name = g.output(0).name();

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
    if (i > 0 && d.dim_value() > (1 << 20)) {
      throw fail("graph input '" + data->name() + "' has dimension " + std::to_string(i) + " of " +
                 std::to_string(d.dim_value()) + "; nnc takes up to 2^20");
    }
  }
  const int rank = static_cast<int>(out.input_dims.size());
  if (rank < 2 || rank > 4) {
    throw fail("graph input '" + data->name() + "' has shape " + dims_str(out.input_dims) +
               "; nnc takes [N,C], [N,C,L] or [N,C,H,W]");
  }
  st.batch = out.input_dims[0] > 0 ? out.input_dims[0] : -1;
  const Shape input{static_cast<int>(out.input_dims[1]), rank > 2 ? static_cast<int>(out.input_dims[2]) : 1,
                    rank > 3 ? static_cast<int>(out.input_dims[3]) : 1};
  Value x;
  x.computed = true;
  x.shape = input;
  x.rank = rank;
  st.values[data->name()] = x;

  std::map<std::string, int> writer_of;
  const std::vector<int> order = topological_order(g, file, writer_of);
  std::map<std::string, int> readers;  // nodes (and the graph output) that read each tensor
  for (const auto& n : g.node())
    for (const auto& in : n.input())
      if (!in.empty()) readers[in]++;
  readers[out.output_name]++;
  for (const auto& [tensor, node] : writer_of) {
    if (st.values.count(tensor)) {
      throw fail(node_label(g.node(node), node) + ": writes '" + tensor + "', which is an initializer or the graph's input");
    }
  }

  const auto& handlers = op_handlers();
  for (int ni : order) {
    const ox::NodeProto& n = g.node(ni);
    const std::string label = node_label(n, ni);
    auto refuse = [&](const std::string& why) { return fail(label + ": " + why); };
    const auto h = handlers.find(n.op_type());
    if (!(n.domain().empty() || n.domain() == "ai.onnx") || h == handlers.end()) {
      throw refuse("operator not supported by nnc (it imports " + supported_ops() + "; Softmax only last)");
    }
    if (n.output_size() == 0 || n.output(0).empty()) throw refuse("has no output");
    for (int k = 1; k < n.output_size(); ++k) {
      if (!n.output(k).empty() && readers.count(n.output(k))) {
        throw refuse("its output " + std::to_string(k) + " ('" + n.output(k) + "') is used; nnc takes only the first output");
      }
    }
    st.writer[n.output(0)] = label;
    NodeIo io(st, n, label);
    h->second(io);
  }

  // The logits: the graph output, or the input of a final Softmax that was dropped.
  const auto found = st.values.find(out.output_name);
  if (found == st.values.end()) throw fail("graph output '" + out.output_name + "' is written by no node");
  const Value logits = st.softmax_dropped ? st.logits : found->second;
  if (!logits.computed) {
    throw fail("graph output '" + out.output_name + "' is a constant; nnc models compute their output from the input");
  }
  std::string spec;
  std::vector<PendingLayer> layers;
  Shape out_shape = logits.shape;
  bool identity = logits.layer < 0;
  if (!identity) {
    Assembled a = assemble(st, logits.layer);
    spec = std::move(a.spec);
    layers = std::move(a.layers);
  }
  out.softmax_dropped = st.softmax_dropped;
  out.notes = std::move(st.notes);
  if (identity) {
    spec = "drop0";  // a spec cannot be empty; dropout at inference is the identity
    PendingLayer l;
    l.token = "drop0";
    layers.push_back(std::move(l));
    out.notes.push_back("the graph computes the identity: imported as one drop0 layer");
  }
  if (out.softmax_dropped) out.notes.push_back("the final Softmax was dropped: nnc models output logits");
  try {
    out.model = Model(spec, input, static_cast<int>(out_shape.size()));
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
