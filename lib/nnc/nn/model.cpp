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
#include "nnc/nn/streams.hpp"

namespace nnc {

std::string preset_spec(const std::string& name) {
  static const std::map<std::string, std::string> presets = {
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

std::vector<LayerPtr> parse_spec(const std::string& spec) {
  static const std::regex conv(R"(c([0-9]{1,5})(?:k([0-9]{1,3}))?(?:s([0-9]{1,3}))?(?:p([0-9]{1,3}))?)");
  static const std::regex fc(R"(fc([0-9]{1,7}))"), pool(R"((mp|ap)([0-9]{1,3}))");
  static const std::regex drop(R"(drop(0(?:\.[0-9]+)?|\.[0-9]+))");
  std::vector<std::string> tokens;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = spec.find(',', start);
    tokens.push_back(spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  auto bad = [&](const std::string& token, const std::string& why) {
    return Error("architecture '" + spec + "': layer '" + token + "' " + why +
                 " (a preset: lenet5, lenet300, cnn9, vgg16; or a spec such as c20k5,mp2,flat,fc10)",
                 ErrorKind::bad_input);
  };
  std::vector<LayerPtr> layers;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    std::smatch m;
    auto num = [&](int g, int def) { return m[g].matched ? std::stoi(m[g].str()) : def; };
    if (std::regex_match(t, m, conv)) {
      const int out = num(1, 0), k = num(2, 3), s = num(3, 1), p = num(4, 0);
      if (out < 1 || k < 1 || s < 1) throw bad(t, "needs filters, kernel and stride of at least 1");
      const bool next_is_bn = i + 1 < tokens.size() && tokens[i + 1] == "bn";
      layers.push_back(std::make_unique<Conv2d>(out, k, s, p, !next_is_bn));
    } else if (std::regex_match(t, m, fc)) {
      if (num(1, 0) < 1) throw bad(t, "needs at least 1 output");
      layers.push_back(std::make_unique<Dense>(num(1, 0)));
    } else if (std::regex_match(t, m, pool)) {
      if (num(2, 0) < 1) throw bad(t, "needs a window of at least 1");
      layers.push_back(std::make_unique<Pool>(m[1].str() == "mp", num(2, 0)));
    } else if (std::regex_match(t, m, drop)) {
      layers.push_back(std::make_unique<Dropout>(std::stod(m[1].str())));
    } else if (t == "relu") {
      layers.push_back(std::make_unique<Relu>());
    } else if (t == "bn") {
      layers.push_back(std::make_unique<BatchNorm>());
    } else if (t == "flat") {
      layers.push_back(std::make_unique<Flatten>());
    } else {
      throw bad(t, t.empty() ? "is empty" : "is not a layer");
    }
  }
  return layers;
}

Model::Model(const std::string& arch, Shape input, int classes)
    : arch_(arch), input_(input), classes_(classes) {
  const std::string spec = resolve_arch(arch);
  layers_ = parse_spec(spec);
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

Model::Model(const Model& o) : arch_(o.arch_), input_(o.input_), classes_(o.classes_) {
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
  Shape s = input_;
  for (std::size_t li = 0; li < layers_.size(); ++li) {
    auto& l = layers_[li];
    check_shape(s, li == 0 ? std::string("the input")
                           : "the output of layer " + std::to_string(li - 1) + " (" + layers_[li - 1]->spec() + ")");
    // Keep params across a re-setup when their shapes still fit (a width change elsewhere).
    std::vector<Param> saved;
    for (Param* p : l->params()) saved.push_back(*p);
    s = l->setup(s);
    auto ps = l->params();
    for (std::size_t i = 0; i < ps.size() && i < saved.size(); ++i) {
      if (saved[i].shape == ps[i]->shape) *ps[i] = saved[i];
    }
  }
  if (!layers_.empty()) check_shape(s, "the output of layer " + std::to_string(layers_.size() - 1) + " (" + layers_.back()->spec() + ")");
  acts_.clear();
  grads_.clear();
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
  acts_.resize(layers_.size());
  relu_folded_.assign(layers_.size(), 0);
  last_input_ = &x;
  const Tensor* cur = &x;
  ForwardContext c = ctx;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (relu_folded_[i]) {
      acts_[i] = Tensor();
      continue;
    }
    c.layer_index = static_cast<int>(i);
    c.relu_after = i + 1 < layers_.size() && dynamic_cast<const BatchNorm*>(layers_[i].get()) &&
                   dynamic_cast<const Relu*>(layers_[i + 1].get());
    if (c.relu_after) relu_folded_[i + 1] = 1;
    layers_[i]->forward(*cur, acts_[i], c);
    cur = &acts_[i];
  }
  return *cur;
}

const Tensor& Model::activation(std::size_t i) const {
  if (i == 0) return *last_input_;
  // A folded ReLU's output is its batch norm's.
  return acts_[relu_folded(i - 1) ? i - 2 : i - 1];
}

namespace {

// Folds every conv's batch norm, the ReLU after it and a 2x2 max pool after that into the conv
// (Conv2d::fuse_inference) of a model that will only run inference; returns which layers are
// folded away. The results differ from the unfused layers' by float rounding only.
std::vector<char> fuse_for_inference(std::vector<LayerPtr>& layers) {
  std::vector<char> fused(layers.size(), 0);
  auto at = [&](std::size_t i) { return i < layers.size() ? layers[i].get() : nullptr; };
  std::vector<Real> scale, shift;
  for (std::size_t i = 0; i + 1 < layers.size(); ++i) {
    auto* conv = dynamic_cast<Conv2d*>(at(i));
    const auto* bn = dynamic_cast<const BatchNorm*>(at(i + 1));
    if (!conv || !bn || conv->readout) continue;
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

void Model::infer(const Tensor& x, Tensor& logits) {
  if (x.sample_size() != input_.size()) {
    throw Error("model expects inputs of " + input_.str() + ", got " + x.shape().str());
  }
  const int N = x.n();
  std::size_t largest = input_.size();
  for (const auto& l : layers_) largest = std::max(largest, l->output_shape().size());
  if (largest * static_cast<std::size_t>(N) * sizeof(Real) <= kPipelineBytes) {
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
  const std::vector<char> fused = fuse_for_inference(workers.front().layers_);
  for (auto& l : workers.front().layers()) l->prepare_inference();
  for (int t = 1; t < threads; ++t) workers.push_back(workers.front());
  // A worker keeps no activations for backward: two buffers, each layer reading one and
  // writing the other.
  std::vector<Tensor> inputs(static_cast<std::size_t>(threads));
  std::vector<std::array<Tensor, 2>> acts(static_cast<std::size_t>(threads));
  std::vector<std::exception_ptr> failed(static_cast<std::size_t>(chunks));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int k = 0; k < chunks; ++k) {
    const auto t = static_cast<std::size_t>(omp_get_thread_num());
    const int begin = k * chunk, n = std::min(N, begin + chunk) - begin;
    try {
      inputs[t].resize(n, input_);
      std::copy_n(x.sample(begin), x.sample_size() * n, inputs[t].sample(0));
      const Tensor* cur = &inputs[t];
      ForwardContext ctx;
      for (std::size_t i = 0; i < layers_.size(); ++i) {
        if (fused[i]) continue;
        ctx.layer_index = static_cast<int>(i);
        Tensor& out = acts[t][cur == &acts[t][0] ? 1 : 0];
        workers[t].layers_[i]->forward(*cur, out, ctx);
        cur = &out;
      }
      std::copy_n(cur->sample(0), cur->sample_size() * n, logits.sample(begin));
    } catch (...) {
      failed[static_cast<std::size_t>(k)] = std::current_exception();
    }
  }
  for (const auto& e : failed) {
    if (e) std::rethrow_exception(e);
  }
}

void Model::backward(const Tensor& dlogits, bool keep_input_grad) {
  grads_.resize(layers_.size() + 1);
  const Tensor* dy = &dlogits;
  for (std::size_t i = layers_.size(); i-- > 0;) {
    if (relu_folded(i)) continue;  // its batch norm takes dy as it is
    const bool need_dx = i > 0 || keep_input_grad;
    layers_[i]->backward(activation(i), acts_[i], *dy, need_dx ? &grads_[i] : nullptr);
    dy = &grads_[i];
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
  std::string s;
  for (const auto& l : layers_) s += (s.empty() ? "" : ",") + l->spec();
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
