#include "nnc/nn/model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <map>
#include <regex>

#include <omp.h>

#include "nnc/nn/error.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/nn/residual.hpp"
#include "nnc/nn/streams.hpp"

namespace nnc {

namespace {

// The CIFAR ResNet of He et al. 2016 (section 4.2) with 6n + 2 layers: a 3x3 conv of 16
// filters, three stages of n basic blocks (two 3x3 convs, each with batch norm) of 16, 32 and
// 64 filters, the first block of the second and third stages at stride 2, global average
// pooling and a dense layer of 10. Shortcuts are identities; where a block halves the side and
// doubles the width, the identity of option A (PadShortcut: subsampled, the new channels zero),
// as the paper's CIFAR networks do, so the shortcuts have no parameters.
std::string cifar_resnet_spec(int n) {
  std::string s = "c16p1,bn,b0=relu";
  int block = 0, width = 16;
  for (int stage = 0; stage < 3; ++stage) {
    const int w = 16 << stage;
    for (int b = 0; b < n; ++b) {
      const std::string in = "b" + std::to_string(block), out = "b" + std::to_string(block + 1);
      const std::string c = "c" + std::to_string(w);
      if (w == width) {
        s += "," + c + "p1,bn,relu," + c + "p1,bn,add@" + in;
      } else {
        const std::string id = "s" + std::to_string(block + 1);
        s += "," + id + "=id" + std::to_string(w) + "s2," + c + "s2p1@" + in + ",bn,relu," + c + "p1,bn,add@" + id;
        width = w;
      }
      s += "," + out + "=relu";
      ++block;
    }
  }
  return s + ",gap,fc10";
}

}  // namespace

std::string preset_spec(const std::string& name) {
  static const std::map<std::string, std::string> presets = {
      {"resnet20", cifar_resnet_spec(3)},
      {"resnet32", cifar_resnet_spec(5)},
      {"resnet56", cifar_resnet_spec(9)},
      {"lenet5", "c20k5,mp2,c50k5,mp2,flat,fc500,relu,fc10"},
      {"lenet300", "flat,fc300,relu,fc100,relu,fc10"},
      {"cnn9",
       "c32p1,bn,relu,c32p1,bn,relu,mp2,c64p1,bn,relu,c64p1,bn,relu,mp2,c128p1,bn,relu,"
       "c128p1,bn,relu,c128p1,bn,relu,mp2,flat,fc256,relu,fc10"},
      {"vgg16",
       "c64p1,bn,relu,c64p1,bn,relu,mp2,c128p1,bn,relu,c128p1,bn,relu,mp2,"
       "c256p1,bn,relu,c256p1,bn,relu,c256p1,bn,relu,mp2,c512p1,bn,relu,c512p1,bn,relu,"
       "c512p1,bn,relu,mp2,c512p1,bn,relu,c512p1,bn,relu,c512p1,bn,relu,mp2,"
       "flat,fc512,relu,fc512,relu,fc10"},
  };
  auto it = presets.find(name);
  return it == presets.end() ? "" : it->second;
}

std::string resolve_arch(const std::string& arch) {
  std::string spec = preset_spec(arch);
  return spec.empty() ? arch : spec;
}

namespace {

// One comma-separated item of a spec: [name=]token[@ref[+ref]].
struct SpecItem {
  std::string text, name, token;
  bool has_name = false;
  std::vector<std::string> refs;
};

SpecItem split_item(const std::string& text) {
  SpecItem it;
  it.text = text;
  std::string rest = text;
  const std::size_t eq = rest.find('=');
  if (eq != std::string::npos) {
    it.has_name = true;
    it.name = rest.substr(0, eq);
    rest = rest.substr(eq + 1);
  }
  const std::size_t at = rest.find('@');
  it.token = rest.substr(0, at);
  if (at != std::string::npos) {
    std::size_t start = at + 1;
    for (;;) {
      const std::size_t plus = rest.find('+', start);
      it.refs.push_back(rest.substr(start, plus == std::string::npos ? std::string::npos : plus - start));
      if (plus == std::string::npos) break;
      start = plus + 1;
    }
  }
  return it;
}

}  // namespace

SpecGraph parse_graph(const std::string& spec) {
  static const std::regex conv(R"(c([0-9]{1,5})(?:k([0-9]{1,3}))?(?:s([0-9]{1,3}))?(?:p([0-9]{1,3}))?)");
  static const std::regex fc(R"(fc([0-9]{1,7}))"), pool(R"((mp|ap)([0-9]{1,3}))");
  static const std::regex drop(R"(drop(0(?:\.[0-9]+)?|\.[0-9]+))");
  static const std::regex shortcut(R"(id([0-9]{1,5})(?:s([0-9]{1,3}))?)");
  static const std::regex name_re(R"([a-z][a-z0-9_]{0,31})");
  std::vector<SpecItem> items;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = spec.find(',', start);
    items.push_back(split_item(spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  auto bad = [&](const std::string& token, const std::string& why) {
    return Error("architecture '" + spec + "': layer '" + token + "' " + why +
                 " (a preset: lenet5, lenet300, cnn9, vgg16, resnet20, resnet32, resnet56; or a spec such as "
                 "c20k5,mp2,flat,fc10)",
                 ErrorKind::bad_input);
  };
  std::map<std::string, int> named;  // name -> layer index
  for (std::size_t i = 0; i < items.size(); ++i) {
    const SpecItem& it = items[i];
    if (!it.has_name) continue;
    if (!std::regex_match(it.name, name_re) || it.name == "in") {
      throw bad(it.text, "has the name '" + it.name + "', expected a lower-case letter, then up to 31 lower-case "
                         "letters, digits or _ (not 'in', the network's input)");
    }
    if (!named.emplace(it.name, static_cast<int>(i)).second) throw bad(it.text, "repeats the name '" + it.name + "'");
  }
  SpecGraph g;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const SpecItem& it = items[i];
    const std::string& t = it.token;
    std::smatch m;
    auto num = [&](int k, int def) { return m[k].matched ? std::stoi(m[k].str()) : def; };
    LayerPtr layer;
    if (std::regex_match(t, m, conv)) {
      const int out = num(1, 0), k = num(2, 3), s = num(3, 1), p = num(4, 0);
      if (out < 1 || k < 1 || s < 1) throw bad(it.text, "needs filters, kernel and stride of at least 1");
      // No bias when the next layer is a batch norm reading this conv.
      const bool next_is_bn = i + 1 < items.size() && items[i + 1].token == "bn" && items[i + 1].refs.empty();
      layer = std::make_unique<Conv2d>(out, k, s, p, !next_is_bn);
    } else if (std::regex_match(t, m, fc)) {
      if (num(1, 0) < 1) throw bad(it.text, "needs at least 1 output");
      layer = std::make_unique<Dense>(num(1, 0));
    } else if (std::regex_match(t, m, pool)) {
      if (num(2, 0) < 1) throw bad(it.text, "needs a window of at least 1");
      layer = std::make_unique<Pool>(m[1].str() == "mp", num(2, 0));
    } else if (std::regex_match(t, m, drop)) {
      layer = std::make_unique<Dropout>(std::stod(m[1].str()));
    } else if (std::regex_match(t, m, shortcut)) {
      if (num(1, 0) < 1 || num(2, 1) < 1) throw bad(it.text, "needs channels and stride of at least 1");
      layer = std::make_unique<PadShortcut>(num(1, 0), num(2, 1));
    } else if (t == "relu") {
      layer = std::make_unique<Relu>();
    } else if (t == "bn") {
      layer = std::make_unique<BatchNorm>();
    } else if (t == "flat") {
      layer = std::make_unique<Flatten>();
    } else if (t == "add") {
      layer = std::make_unique<Add>();
    } else if (t == "gap") {
      layer = std::make_unique<GlobalAvgPool>();
    } else {
      throw bad(it.text, t.empty() ? "is empty" : "is not a layer");
    }
    std::vector<int> in;
    for (const std::string& r : it.refs) {
      if (r == "in") {
        in.push_back(-1);
        continue;
      }
      const auto found = named.find(r);
      if (found == named.end()) throw bad(it.text, "reads '" + r + "', which no layer is named");
      if (found->second >= static_cast<int>(i)) {
        throw bad(it.text, "reads '" + r + "', which is not an earlier layer (a layer reads only layers before "
                           "it: no cycles)");
      }
      in.push_back(found->second);
    }
    const int prev = static_cast<int>(i) - 1;
    if (layer->arity() == 1) {
      if (in.size() > 1) throw bad(it.text, "reads one input, given " + std::to_string(in.size()));
      if (in.empty()) in.push_back(prev);
    } else {
      if (in.empty()) throw bad(it.text, "needs a second input (add@NAME: the previous layer's output and NAME's)");
      if (in.size() == 1) in.insert(in.begin(), prev);
      if (in.size() != 2) throw bad(it.text, "adds two inputs, given " + std::to_string(in.size()));
    }
    g.layers.push_back(std::move(layer));
    g.inputs.push_back(std::move(in));
    g.names.push_back(it.name);
  }
  // Every output but the last (the logits) must be read: a branch that joins nothing is a mistake.
  std::vector<char> read(items.size(), 0);
  for (const auto& in : g.inputs)
    for (int j : in)
      if (j >= 0) read[static_cast<std::size_t>(j)] = 1;
  for (std::size_t i = 0; i + 1 < items.size(); ++i) {
    if (!read[i]) throw bad(items[i].text, "is read by no layer (a branch must join the network again, e.g. add@NAME)");
  }
  return g;
}

std::vector<LayerPtr> parse_spec(const std::string& spec) { return std::move(parse_graph(spec).layers); }

Model::Model(const std::string& arch, Shape input, int classes)
    : arch_(arch), input_(input), classes_(classes) {
  const std::string spec = resolve_arch(arch);
  SpecGraph g = parse_graph(spec);
  layers_ = std::move(g.layers);
  inputs_ = std::move(g.inputs);
  names_ = std::move(g.names);
  try {
    setup();
  } catch (const Error& e) {
    throw Error("architecture '" + arch + "' on " + input.str() + " inputs: " + e.what(),
                ErrorKind::bad_input);
  }
  const Shape out = layers_.back()->output_shape();
  if (out.size() != static_cast<std::size_t>(classes)) {
    throw Error("architecture '" + arch + "' ends with " + std::to_string(out.size()) +
                " outputs, the dataset has " + std::to_string(classes) + " classes",
                ErrorKind::bad_input);
  }
}

Model::Model(const Model& o)
    : arch_(o.arch_), input_(o.input_), classes_(o.classes_), inputs_(o.inputs_), names_(o.names_), readers_(o.readers_) {
  for (const auto& l : o.layers_) layers_.push_back(l->clone());
}

Model& Model::operator=(const Model& o) {
  if (this != &o) {
    Model copy(o);
    *this = std::move(copy);
  }
  return *this;
}

void Model::setup() {
  // Layers count a sample's values and compute conv geometry in int, so shapes beyond these
  // limits (which a spec or a model file can ask for) are refused before a layer sees them.
  constexpr int kMaxSide = 1 << 20;
  constexpr std::size_t kMaxSampleValues = std::size_t{1} << 30;
  auto check_shape = [&](const Shape& sh, const std::string& where) {
    if (sh.c < 1 || sh.h < 1 || sh.w < 1 || sh.h > kMaxSide || sh.w > kMaxSide ||
        sh.size() > kMaxSampleValues) {
      throw Error(where + " has shape " + sh.str() +
                      ", expected height and width of 1 to 2^20 and 1 to 2^30 values per sample",
                  ErrorKind::bad_input);
    }
  };
  const std::size_t L = layers_.size();
  if (inputs_.size() != L) inputs_.resize(L);
  if (names_.size() != L) names_.resize(L);
  readers_.assign(L + 1, 0);
  for (std::size_t li = 0; li < L; ++li) {
    if (inputs_[li].empty()) inputs_[li] = {static_cast<int>(li) - 1};
    if (static_cast<int>(inputs_[li].size()) != layers_[li]->arity()) {
      throw Error("layer " + std::to_string(li) + " (" + layers_[li]->spec() + ") takes " +
                      std::to_string(layers_[li]->arity()) + " inputs, given " + std::to_string(inputs_[li].size()),
                  ErrorKind::bad_input);
    }
    for (int j : inputs_[li]) {
      if (j < -1 || j >= static_cast<int>(li)) {
        throw Error("layer " + std::to_string(li) + " (" + layers_[li]->spec() + ") reads layer " + std::to_string(j) +
                        ", which is not an earlier layer (no cycles)",
                    ErrorKind::bad_input);
      }
      ++readers_[static_cast<std::size_t>(j + 1)];
    }
  }
  for (std::size_t li = 0; li + 1 < L; ++li) {
    if (readers_[li + 1] == 0) {
      throw Error("the output of layer " + std::to_string(li) + " (" + layers_[li]->spec() + ") is read by no layer",
                  ErrorKind::bad_input);
    }
  }
  std::vector<Shape> node(L + 1);  // node 0: the input; node i + 1: layer i's output
  node[0] = input_;
  auto node_name = [&](std::size_t n) {
    return n == 0 ? std::string("the input")
                  : "the output of layer " + std::to_string(n - 1) + " (" + layers_[n - 1]->spec() + ")";
  };
  std::vector<Shape> in;
  for (std::size_t li = 0; li < L; ++li) {
    auto& l = layers_[li];
    in.clear();
    for (int j : inputs_[li]) {
      const auto n = static_cast<std::size_t>(j + 1);
      check_shape(node[n], node_name(n));
      in.push_back(node[n]);
    }
    // Keep params across a re-setup when their shapes still fit (a width change elsewhere).
    std::vector<Param> saved;
    for (Param* p : l->params()) saved.push_back(*p);
    node[li + 1] = in.size() == 1 ? l->setup(in.front()) : l->setup_inputs(in);
    auto ps = l->params();
    for (std::size_t i = 0; i < ps.size() && i < saved.size(); ++i) {
      if (saved[i].shape == ps[i]->shape) *ps[i] = saved[i];
    }
  }
  if (L > 0) check_shape(node[L], node_name(L));
  acts_.clear();
  grads_.clear();
}

bool Model::follows_alone(std::size_t j) const {
  return j > 0 && j < layers_.size() && inputs_[j].size() == 1 && inputs_[j][0] == static_cast<int>(j) - 1 &&
         readers_[j] == 1;
}

bool Model::relu_follows(std::size_t i) const {
  return i + 1 < layers_.size() &&
         (dynamic_cast<const BatchNorm*>(layers_[i].get()) || dynamic_cast<const Add*>(layers_[i].get())) &&
         dynamic_cast<const Relu*>(layers_[i + 1].get()) && follows_alone(i + 1);
}

bool Model::is_chain() const {
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (inputs_[i].size() != 1 || inputs_[i][0] != static_cast<int>(i) - 1) return false;
  }
  return true;
}

void Model::require_chain(const std::string& what) const {
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (inputs_[i].size() == 1 && inputs_[i][0] == static_cast<int>(i) - 1) continue;
    std::string from;
    for (int j : inputs_[i]) from += (from.empty() ? "" : " and ") + (j < 0 ? std::string("the input") : "layer " + std::to_string(j));
    throw Error(what + " does not support networks with branches, only chains of layers (layer " + std::to_string(i) +
                    ", " + layers_[i]->spec() + ", reads " + from + ")",
                ErrorKind::bad_input);
  }
}

void Model::init(std::uint64_t seed) {
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    Rng rng(seed, {stream::kModelInit, static_cast<std::uint64_t>(i)});
    layers_[i]->init(rng);
  }
}

const Tensor& Model::forward(const Tensor& x, const ForwardContext& ctx) {
  if (x.sample_size() != input_.size()) {
    throw Error("model expects inputs of " + input_.str() + ", got " + x.shape().str());
  }
  const std::size_t L = layers_.size();
  acts_.resize(L);
  relu_folded_.assign(L, 0);
  last_input_ = &x;
  ForwardContext c = ctx;
  std::vector<const Tensor*> xs;
  for (std::size_t i = 0; i < L; ++i) {
    if (relu_folded_[i]) {
      acts_[i] = Tensor();
      continue;
    }
    c.layer_index = static_cast<int>(i);
    c.relu_after = relu_follows(i);
    if (c.relu_after) relu_folded_[i + 1] = 1;
    const auto& in = inputs_[i];
    if (in.size() == 1) {
      layers_[i]->forward(activation(static_cast<std::size_t>(in[0] + 1)), acts_[i], c);
    } else {
      xs.clear();
      for (int j : in) xs.push_back(&activation(static_cast<std::size_t>(j + 1)));
      layers_[i]->forward_inputs(xs, acts_[i], c);
    }
  }
  return activation(L);
}

const Tensor& Model::activation(std::size_t i) const {
  if (i == 0) return *last_input_;
  // A folded ReLU's output is its batch norm's.
  return acts_[relu_folded(i - 1) ? i - 2 : i - 1];
}

namespace {

// Folds every conv's batch norm, the ReLU after it and a 2x2 max pool after that into the conv
// (Conv2d::fuse_inference) of a model that will only run inference; returns which layers are
// folded away. The results differ from the unfused layers' by float rounding only; a conv read
// through a readout applies the batch norm after the read-out, and gives the layers' bits.
// Only a layer that reads the previous layer alone, as its only reader, is folded (alone[i]).
std::vector<char> fuse_for_inference(std::vector<LayerPtr>& layers, const std::vector<char>& alone) {
  std::vector<char> fused(layers.size(), 0);
  auto at = [&](std::size_t i) { return i < layers.size() && alone[i] ? layers[i].get() : nullptr; };
  std::vector<Real> scale, shift;
  for (std::size_t i = 0; i + 1 < layers.size(); ++i) {
    // Only the batch norm must read the conv alone. A conv read through a readout folds the
    // layers after it to the layers' bits, whatever it reads (the first layer, a residual
    // block's first conv); one without keeps to convs that read the previous layer alone, as
    // it did: folding the first conv's batch norm into its weights would change the logits.
    auto* conv = dynamic_cast<Conv2d*>(layers[i].get());
    if (conv && !conv->readout && !alone[i]) conv = nullptr;
    const auto* bn = dynamic_cast<const BatchNorm*>(at(i + 1));
    if (!conv || !bn) continue;
    const bool relu = dynamic_cast<const Relu*>(at(i + 2)) != nullptr;
    const auto* pool = relu ? dynamic_cast<const Pool*>(at(i + 3)) : nullptr;
    const bool pooled = pool && pool->is_max() && pool->kernel() == 2 && conv->can_fuse_pool();
    bn->inference_affine(scale, shift);
    conv->fuse_inference(scale, shift, relu, pooled);
    fused[i + 1] = 1;
    if (relu) fused[i + 2] = 1;
    if (pooled) fused[i + 3] = 1;
  }
  return fused;
}

}  // namespace

std::vector<int> Model::inference_slots(const std::vector<char>& fused) const {
  const std::size_t L = layers_.size();
  // holder[v]: the node whose buffer holds node v (a folded layer's output is its conv's).
  std::vector<std::size_t> holder(L + 1);
  for (std::size_t v = 0; v <= L; ++v) holder[v] = v > 0 && fused[v - 1] ? holder[v - 1] : v;
  std::vector<std::size_t> last_read(L + 1, 0);
  for (std::size_t i = 0; i < L; ++i) {
    if (fused[i]) continue;
    for (int j : inputs_[i]) last_read[holder[static_cast<std::size_t>(j + 1)]] = i;
  }
  last_read[holder[L]] = L;  // the logits are read after the last layer
  std::vector<int> slot(L + 1, -1);  // node 0 stays in the input buffer (-1)
  std::vector<char> busy;
  for (std::size_t i = 0; i < L; ++i) {
    if (fused[i]) continue;
    // The output's buffer is taken before the inputs' are given back: a layer never writes
    // a buffer it reads.
    std::size_t free_slot = 0;
    while (free_slot < busy.size() && busy[free_slot]) ++free_slot;
    if (free_slot == busy.size()) busy.push_back(0);
    busy[free_slot] = 1;
    slot[i + 1] = static_cast<int>(free_slot);
    for (int j : inputs_[i]) {
      const std::size_t h = holder[static_cast<std::size_t>(j + 1)];
      if (h > 0 && last_read[h] == i) busy[static_cast<std::size_t>(slot[h])] = 0;
    }
  }
  for (std::size_t v = 1; v <= L; ++v) slot[v] = slot[holder[v]];
  return slot;
}

void Model::infer(const Tensor& x, Tensor& logits) {
  if (x.sample_size() != input_.size()) {
    throw Error("model expects inputs of " + input_.str() + ", got " + x.shape().str());
  }
  const int N = x.n();
  // What forward() would hold: a chain's activations are about its largest (LeNet-5's stay
  // below), a graph's every layer's output (ResNet-20's 2.4 GB at batch 1000 before the
  // pipeline took graphs by their sum).
  std::size_t largest = input_.size(), sum = input_.size();
  for (const auto& l : layers_) {
    largest = std::max(largest, l->output_shape().size());
    sum += l->output_shape().size();
  }
  const std::size_t held = is_chain() ? largest : sum;
  if (held * static_cast<std::size_t>(N) * sizeof(Real) <= kPipelineBytes) {
    const Tensor& y = forward(x, ForwardContext{});
    logits.resize(N, y.shape());
    std::copy_n(y.data(), y.size(), logits.data());
    return;
  }
  logits.resize(N, layers_.empty() ? input_ : layers_.back()->output_shape());
  if (N == 0) return;
  // Each worker call takes `chunk` samples, a multiple of kSampleChunk, which the layers cut
  // into their usual chunks.
  int chunk = kSampleChunk;
  for (const auto& l : layers_) chunk = std::max(chunk, l->inference_samples());
  const int chunks = num_chunks(N, chunk);
  const int threads = std::min(max_threads(), chunks);
  // Copies of the model without gradients or momentum, which inference does not touch, with
  // each conv's batch norm and ReLU folded into it, and with what the layers precompute from
  // their weights done once.
  std::vector<Model> workers;
  workers.push_back(*this);
  for (Param* p : workers.front().params()) p->grad = p->velocity = Vector();
  std::vector<char> alone(layers_.size());
  for (std::size_t i = 0; i < layers_.size(); ++i) alone[i] = follows_alone(i);
  std::vector<char> fused = fuse_for_inference(workers.front().layers_, alone);
  // An add's ReLU runs in the add's pass (relu_after), as in forward().
  std::vector<char> relu_after(layers_.size(), 0);
  for (std::size_t i = 0; i + 1 < layers_.size(); ++i) {
    if (!fused[i] && !fused[i + 1] && dynamic_cast<const Add*>(layers_[i].get()) && relu_follows(i)) {
      relu_after[i] = fused[i + 1] = 1;
    }
  }
  for (auto& l : workers.front().layers()) l->prepare_inference();
  for (int t = 1; t < threads; ++t) workers.push_back(workers.front());
  // A worker keeps no activations for backward: each output goes to a buffer (a slot) that is
  // free again once its last reader has run; for a chain, two buffers taking turns.
  const std::vector<int> slot = inference_slots(fused);
  // Reads made so far by each layer's readout (nn/readout.hpp): per-read noise is numbered by them.
  std::vector<std::uint64_t> reads(layers_.size(), 0);
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (const ReadoutPtr* r = readout_slot(*layers_[i]); r && *r) reads[i] = (*r)->reads();
  }
  const int slots = slot.empty() ? 0 : *std::max_element(slot.begin(), slot.end()) + 1;
  std::vector<Tensor> inputs(static_cast<std::size_t>(threads));
  std::vector<std::vector<Tensor>> acts(static_cast<std::size_t>(threads), std::vector<Tensor>(static_cast<std::size_t>(slots)));
  std::vector<std::exception_ptr> failed(static_cast<std::size_t>(chunks));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int k = 0; k < chunks; ++k) {
    const auto t = static_cast<std::size_t>(omp_get_thread_num());
    const int begin = k * chunk, n = std::min(N, begin + chunk) - begin;
    try {
      inputs[t].resize(n, input_);
      std::copy_n(x.sample(begin), x.sample_size() * n, inputs[t].sample(0));
      auto node = [&](std::size_t v) -> Tensor& {
        return slot[v] < 0 ? inputs[t] : acts[t][static_cast<std::size_t>(slot[v])];
      };
      ForwardContext ctx;
      for (std::size_t i = 0; i < layers_.size(); ++i) {  // the part's reads follow the samples before it
        if (ReadoutPtr* r = readout_slot(*workers[t].layers_[i]); r && *r) (*r)->set_reads(reads[i] + static_cast<std::uint64_t>(begin));
      }
      std::vector<const Tensor*> xs;
      for (std::size_t i = 0; i < layers_.size(); ++i) {
        if (fused[i]) continue;
        ctx.layer_index = static_cast<int>(i);
        ctx.relu_after = relu_after[i] != 0;
        Tensor& out = node(i + 1);
        const auto& in = inputs_[i];
        if (in.size() == 1) {
          workers[t].layers_[i]->forward(node(static_cast<std::size_t>(in[0] + 1)), out, ctx);
        } else {
          xs.clear();
          for (int j : in) xs.push_back(&node(static_cast<std::size_t>(j + 1)));
          workers[t].layers_[i]->forward_inputs(xs, out, ctx);
        }
      }
      const Tensor& y = node(layers_.size());
      std::copy_n(y.sample(0), y.sample_size() * n, logits.sample(begin));
    } catch (...) {
      failed[static_cast<std::size_t>(k)] = std::current_exception();
    }
  }
  for (const auto& e : failed) {
    if (e) std::rethrow_exception(e);
  }
  // The copies read the batch; the next pass reads after it (nn/readout.hpp).
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (ReadoutPtr* r = readout_slot(*layers_[i]); r && *r) (*r)->set_reads(reads[i] + static_cast<std::uint64_t>(N));
  }
}

void Model::backward(const Tensor& dlogits, bool keep_input_grad) {
  const std::size_t L = layers_.size();
  grads_.resize(L + 1);
  // A node read by several layers gets the sum of their gradients: the first (in backward
  // order) writes it, the others write extra_grads_ and are added in.
  std::vector<char> written(L + 1, 0);
  std::vector<const Tensor*> xs;
  std::vector<Tensor*> dxs;
  for (std::size_t i = L; i-- > 0;) {
    if (relu_folded(i)) continue;  // its batch norm takes dy as it is
    const std::size_t out = relu_folded(i + 1) ? i + 2 : i + 1;  // the node whose gradient layer i takes
    const Tensor& dy = out == L ? dlogits : grads_[out];
    const auto& in = inputs_[i];
    xs.clear();
    dxs.clear();
    for (std::size_t k = 0; k < in.size(); ++k) {
      const auto v = static_cast<std::size_t>(in[k] + 1);
      xs.push_back(&activation(v));
      if (v == 0 && !keep_input_grad) {
        dxs.push_back(nullptr);
      } else if (!written[v]) {
        dxs.push_back(&grads_[v]);
        written[v] = 1;
      } else {
        dxs.push_back(&extra_grads_.at(k));
      }
    }
    if (in.size() == 1) {
      layers_[i]->backward(*xs[0], acts_[i], dy, dxs[0]);
    } else {
      layers_[i]->backward_inputs(xs, acts_[i], dy, dxs);
    }
    for (std::size_t k = 0; k < in.size(); ++k) {
      if (dxs[k] == &extra_grads_[k]) grads_[static_cast<std::size_t>(in[k] + 1)].mat() += extra_grads_[k].mat();
    }
  }
}

std::vector<Param*> Model::params() {
  std::vector<Param*> out;
  for (auto& l : layers_)
    for (Param* p : l->params()) out.push_back(p);
  return out;
}

std::vector<const Param*> Model::params() const {
  std::vector<const Param*> out;
  for (auto& l : layers_)
    for (Param* p : l->params()) out.push_back(p);
  return out;
}

std::size_t Model::param_count() const {
  std::size_t n = 0;
  for (const Param* p : params())
    if (p->trainable) n += p->size();
  return n;
}

ParamCounts Model::param_counts() const {
  ParamCounts c;
  for (const auto& l : layers_) {
    auto ps = l->params();
    if (!l->is_mapped()) {
      for (Param* p : ps)
        if (p->trainable) c.batch_norm += p->size();
      continue;
    }
    const Param& w = *ps[0];
    c.weights += w.size();
    c.weights_nonzero += static_cast<std::size_t>((w.value.array() != 0).count());
    for (std::size_t k = 1; k < ps.size(); ++k)
      if (ps[k]->trainable) c.biases += ps[k]->size();
  }
  return c;
}

std::size_t Model::nonzero_param_count() const { return param_counts().params(); }

double Model::macs() const {
  double m = 0;
  for (const auto& l : layers_) m += l->macs();
  return m;
}

std::string Model::spec() const {
  // Layers read out of turn need a name: their spec name, or l<index> when they have none.
  std::vector<std::string> name(names_);
  name.resize(layers_.size());
  auto ref = [&](int j) { return j < 0 ? std::string("in") : name[static_cast<std::size_t>(j)]; };
  for (std::size_t i = 0; i < layers_.size() && i < inputs_.size(); ++i) {
    for (std::size_t k = 0; k < inputs_[i].size(); ++k) {
      const int j = inputs_[i][k];
      const bool in_turn = k == 0 && j == static_cast<int>(i) - 1;
      if (!in_turn && j >= 0 && name[static_cast<std::size_t>(j)].empty()) name[static_cast<std::size_t>(j)] = "l" + std::to_string(j);
    }
  }
  std::string s;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    s += (s.empty() ? "" : ",") + (name[i].empty() ? "" : name[i] + "=") + layers_[i]->spec();
    if (i >= inputs_.size()) continue;
    const auto& in = inputs_[i];
    const int prev = static_cast<int>(i) - 1;
    if (in.size() == 1 && in[0] != prev) s += "@" + ref(in[0]);
    if (in.size() == 2) s += in[0] == prev ? "@" + ref(in[1]) : "@" + ref(in[0]) + "+" + ref(in[1]);
  }
  return s;
}

void Model::check_finite() const {
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    for (Param* p : layers_[i]->params()) {
      if (!p->value.allFinite()) {
        throw Error("layer " + std::to_string(i) + " (" + layers_[i]->spec() + ") " + p->name +
                        " holds NaN or Inf values",
                    ErrorKind::bad_input);
      }
    }
  }
}

}  // namespace nnc
