#include "nnc/nn/layers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <utility>

#include "nnc/nn/error.hpp"
#include "nnc/nn/layer_detail.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/nn/streams.hpp"

namespace nnc {

void Param::resize(std::vector<int> s) {
  shape = std::move(s);
  Eigen::Index n = 1;
  for (int d : shape) n *= d;
  value.setZero(n);
  grad.setZero(n);
  mask.clear();
}

void Param::apply_mask() {
  if (mask.empty()) return;
  for (Eigen::Index i = 0; i < value.size(); ++i) {
    if (!mask[static_cast<std::size_t>(i)]) value[i] = 0;
  }
}

int Layer::inference_samples() const { return kSampleChunk; }

void Layer::throw_not_mapped(const char* what) const {
  throw Error("layer " + spec() + " is not a conv or dense layer (" + what + ")");
}

namespace layer_detail {

// Kaiming-uniform: U(-b, b) with b = sqrt(6 / fan_in), written here so draws are portable.
void init_uniform(Vector& v, double fan_in, Rng& rng) {
  const double b = std::sqrt(6.0 / fan_in);
  for (Eigen::Index i = 0; i < v.size(); ++i) v[i] = static_cast<Real>((2 * rng.uniform() - 1) * b);
}

ReadoutProduct readout_weights(const PartialSumReadout& r, const Vector& weight, const std::string& layer) {
  ReadoutProduct p;
  p.analog = weight.data();
  if (r.analog.size() != 0) {
    if (r.analog.size() != weight.size()) {
      throw Error("layer " + layer + ": the read-out's analog weights have " + std::to_string(r.analog.size()) +
                  " values, the weight " + std::to_string(weight.size()));
    }
    p.analog = r.analog.data();
    if (!(weight.array() == r.analog.array()).all()) p.digital = weight - r.analog;  // no copy per pass without RSA
  }
  return p;
}

// Checks the readout against the layer and starts its pass (PartialSumReadout::begin_pass).
ReadoutProduct begin_readout(PartialSumReadout& r, const Vector& weight, int rows, int samples,
                             const ForwardContext& ctx, const std::string& layer) {
  if (r.block_rows < 1) throw Error("layer " + layer + ": read-out needs block rows >= 1");
  ReadoutProduct p = readout_weights(r, weight, layer);
  ReadoutPass pass;
  pass.layer = layer;
  pass.rows = rows;
  pass.blocks = r.blocks(rows);
  pass.samples = samples;
  pass.chunks = num_chunks(samples, kSampleChunk);
  pass.ctx = ctx;
  r.begin_pass(pass);
  return p;
}

}  // namespace layer_detail

using layer_detail::begin_readout;
using layer_detail::ensure_size;
using layer_detail::init_uniform;
using layer_detail::readout_blocks;
using layer_detail::ReadoutProduct;

// ---------------------------------------------------------------------------------------
// Partial-sum readout (nn/readout.hpp; used only by layers that have one, e.g. an ADC on a
// chip: docs/design.md section 6, docs/algorithms.md "ADC")

ReadoutPtr* readout_slot(Layer& l) {
  if (auto* c = dynamic_cast<Conv2d*>(&l)) return &c->readout;
  if (auto* d = dynamic_cast<Dense*>(&l)) return &d->readout;
  return nullptr;
}

const ReadoutPtr* readout_slot(const Layer& l) {
  if (const auto* c = dynamic_cast<const Conv2d*>(&l)) return &c->readout;
  if (const auto* d = dynamic_cast<const Dense*>(&l)) return &d->readout;
  return nullptr;
}

// ---------------------------------------------------------------------------------------
// Dense

Shape Dense::setup(Shape in) {
  in_ = in;
  out_ = {outputs_, 1, 1};
  weight.resize({outputs_, static_cast<int>(in.size())});
  bias.resize({outputs_});
  return out_;
}

void Dense::init(Rng& rng) {
  init_uniform(weight.value, static_cast<double>(in_.size()), rng);
  bias.value.setZero();
  weight.apply_mask();
}

void Dense::forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) {
  const int N = x.n();
  const auto K = static_cast<Eigen::Index>(in_.size());
  if (static_cast<Eigen::Index>(x.sample_size()) != K) {
    throw Error("layer " + spec() + ": expected " + std::to_string(K) + " inputs, got " +
                std::to_string(x.sample_size()));
  }
  y.resize(N, out_);
  if (readout && !readout->sums_only()) {
    forward_readout(x, y, ctx);
    return;
  }
  const ConstMatrixMap W(weight.value.data(), K, outputs_);
  const auto X = x.mat();
  auto Y = y.mat();
  parallel_chunks(N, kSampleChunk, [&](int, int begin, int end) {
    Y.middleCols(begin, end - begin).noalias() = W.transpose() * X.middleCols(begin, end - begin);
    Y.middleCols(begin, end - begin).colwise() += bias.value;
  });
  if (readout) add_sum_noise(x, y, ctx);
}

// Read noise on the whole sums (PartialSumReadout::sums_only): each sum's variance is the
// product of the squared inputs with the readout's variance weights.
void Dense::add_sum_noise(const Tensor& x, Tensor& y, const ForwardContext& ctx) {
  const int N = x.n(), K = static_cast<int>(in_.size());
  const Vector* power = readout->variance_weight();
  if (!power || power->size() != weight.value.size()) {
    throw Error("layer " + spec() + ": the read-out's variance weights have " + std::to_string(power ? power->size() : 0) +
                " values, the weight " + std::to_string(weight.value.size()));
  }
  const ConstMatrixMap P(power->data(), K, outputs_);
  const auto X = x.mat();
  Matrix var(outputs_, N);
  parallel_chunks(N, kSampleChunk, [&](int, int begin, int end) {
    var.middleCols(begin, end - begin).noalias() = P.transpose() * X.middleCols(begin, end - begin).array().square().matrix();
  });
  ReadoutPass pass;
  pass.layer = spec();
  pass.rows = K;
  pass.blocks = 1;
  pass.samples = N;
  pass.chunks = num_chunks(N, kSampleChunk);
  pass.ctx = ctx;
  readout->add_to_sums(y.data(), var.data(), outputs_, pass);
}

void Dense::forward_readout(const Tensor& x, Tensor& y, const ForwardContext& ctx) {
  const int N = x.n(), K = static_cast<int>(in_.size());
  const ReadoutProduct rp = begin_readout(*readout, weight.value, K, N, ctx, spec());
  const ConstMatrixMap Wa(rp.analog, K, outputs_);
  const auto X = x.mat();
  auto Y = y.mat();
  parallel_chunks(N, kSampleChunk, [&](int k, int begin, int end) {
    const int n = end - begin;
    Matrix acc, part;
    const ReadoutBlock at{.chunk = k, .sample_begin = begin, .sample_end = end, .positions = 1, .outputs_in_rows = true};
    readout_blocks(*readout, K, at, acc, part, [&](int r0, int rb, Matrix& p, ReadoutBlock& in) {
      p.noalias() = Wa.middleRows(r0, rb).transpose() * X.block(r0, begin, rb, n);
      in.inputs = X.data() + static_cast<Eigen::Index>(begin) * K + r0;
      in.input_rows = rb;
      in.input_cols = n;
      in.input_stride = K;
    });
    if (rp.digital.size() != 0) {
      acc.noalias() += ConstMatrixMap(rp.digital.data(), K, outputs_).transpose() * X.middleCols(begin, n);
    }
    Y.middleCols(begin, n) = acc;
    Y.middleCols(begin, n).colwise() += bias.value;
  });
  readout->end_pass();
}

void Dense::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
  const int N = x.n();
  const auto K = static_cast<Eigen::Index>(in_.size());
  const int chunks = num_chunks(N, kSampleChunk);
  ensure_size(dw_, static_cast<std::size_t>(chunks));
  ensure_size(db_, static_cast<std::size_t>(chunks));
  if (dx) dx->resize(N, in_);
  const ConstMatrixMap W(weight.value.data(), K, outputs_);
  const auto X = x.mat();
  const auto dY = dy.mat();
  parallel_chunks(N, kSampleChunk, [&](int k, int begin, int end) {
    const int n = end - begin;
    dw_[static_cast<std::size_t>(k)].noalias() = X.middleCols(begin, n) * dY.middleCols(begin, n).transpose();
    db_[static_cast<std::size_t>(k)] = dY.middleCols(begin, n).rowwise().sum();
    if (dx) dx->mat().middleCols(begin, n).noalias() = W * dY.middleCols(begin, n);
  });
  MatrixMap dW(weight.grad.data(), K, outputs_);
  dW = dw_[0];
  bias.grad = db_[0];
  for (int k = 1; k < chunks; ++k) {
    dW += dw_[static_cast<std::size_t>(k)];
    bias.grad += db_[static_cast<std::size_t>(k)];
  }
}

// ---------------------------------------------------------------------------------------
// Relu

void Relu::forward(const Tensor& x, Tensor& y, const ForwardContext&) {
  y.resize(x.n(), x.shape());
  const Real* a = x.data();
  Real* b = y.data();
  const auto n = static_cast<std::ptrdiff_t>(x.size());
#pragma omp parallel for schedule(static) if (n > 65536)
  for (std::ptrdiff_t i = 0; i < n; ++i) b[i] = a[i] > 0 ? a[i] : Real(0);
}

void Relu::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
  if (!dx) return;
  dx->resize(x.n(), x.shape());
  const Real* a = x.data();
  const Real* g = dy.data();
  Real* d = dx->data();
  const auto n = static_cast<std::ptrdiff_t>(x.size());
#pragma omp parallel for schedule(static) if (n > 65536)
  for (std::ptrdiff_t i = 0; i < n; ++i) d[i] = a[i] > 0 ? g[i] : Real(0);
}

// ---------------------------------------------------------------------------------------
// Pool

Shape Pool::setup(Shape in) {
  if (in.h < k_ || in.w < k_) {
    throw Error("layer " + spec() + ": window does not fit input " + in.str());
  }
  in_ = in;
  out_ = {in.c, in.h / k_, in.w / k_};
  return out_;
}

void Pool::forward(const Tensor& x, Tensor& y, const ForwardContext&) {
  const int N = x.n();
  y.resize(N, out_);
  if (max_) ensure_size(argmax_, y.size());
  const Real inv = Real(1) / static_cast<Real>(k_ * k_);
  const int k = k_, OW = out_.w, IW = in_.w;
  parallel_chunks(N, kSampleChunk, [&](int, int begin, int end) {
    for (int s = begin; s < end; ++s) {
      const Real* in = x.sample(s);
      Real* out = y.sample(s);
      int* arg = max_ ? argmax_.data() + static_cast<std::size_t>(s) * out_.size() : nullptr;
      for (int c = 0; c < out_.c; ++c) {
        for (int oy = 0; oy < out_.h; ++oy) {
          const int o0 = (c * out_.h + oy) * OW;
          const int base = (c * in_.h + oy * k) * IW;  // top-left input of window (oy, 0)
          if (max_ && k == 2) {
            // The common 2x2 window without branches: the same first maximum.
            const Real* r0 = in + base;
            const Real* r1 = r0 + IW;
            Real* __restrict o = out + o0;
            int* __restrict g = arg + o0;
            for (int ox = 0; ox < OW; ++ox) {
              const Real a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
              Real m = a;
              int at = 0;
              at = b > m ? 1 : at;
              m = b > m ? b : m;
              at = c > m ? IW : at;
              m = c > m ? c : m;
              at = d > m ? IW + 1 : at;
              m = d > m ? d : m;
              o[ox] = m;
              g[ox] = base + 2 * ox + at;
            }
          } else if (max_) {
            // Row by row, first maximum kept (strict >), as a scan in window order would.
            for (int ox = 0; ox < OW; ++ox) {
              out[o0 + ox] = in[base + ox * k];
              arg[o0 + ox] = base + ox * k;
            }
            for (int i = 0; i < k; ++i) {
              const int r = base + i * IW;
              for (int ox = 0; ox < OW; ++ox) {
                for (int j = (i == 0 ? 1 : 0); j < k; ++j) {
                  const int idx = r + ox * k + j;
                  if (in[idx] > out[o0 + ox]) { out[o0 + ox] = in[idx]; arg[o0 + ox] = idx; }
                }
              }
            }
          } else {
            for (int ox = 0; ox < OW; ++ox) {
              Real acc = 0;
              for (int i = 0; i < k; ++i)
                for (int j = 0; j < k; ++j) acc += in[base + i * IW + ox * k + j];
              out[o0 + ox] = acc * inv;
            }
          }
        }
      }
    }
  });
}

void Pool::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
  if (!dx) return;
  const int N = x.n();
  dx->resize(N, in_);
  const Real inv = Real(1) / static_cast<Real>(k_ * k_);
  parallel_for(N, [&](int s) {
    Real* d = dx->sample(s);
    std::fill(d, d + in_.size(), Real(0));
    const Real* g = dy.sample(s);
    if (max_) {
      const int* arg = argmax_.data() + static_cast<std::size_t>(s) * out_.size();
      for (std::size_t o = 0; o < out_.size(); ++o) d[arg[o]] += g[o];
      return;
    }
    for (int c = 0; c < out_.c; ++c)
      for (int oy = 0; oy < out_.h; ++oy)
        for (int ox = 0; ox < out_.w; ++ox) {
          const Real v = g[(c * out_.h + oy) * out_.w + ox] * inv;
          for (int i = 0; i < k_; ++i)
            for (int j = 0; j < k_; ++j) d[(c * in_.h + oy * k_ + i) * in_.w + ox * k_ + j] += v;
        }
  });
}

// ---------------------------------------------------------------------------------------
// BatchNorm

Shape BatchNorm::setup(Shape in) {
  in_ = out_ = in;
  for (Param* p : {&gamma, &beta, &running_mean, &running_var}) p->resize({in.c});
  gamma.decay = beta.decay = false;
  running_mean.trainable = running_var.trainable = false;
  running_mean.decay = running_var.decay = false;
  reset();
  return out_;
}

void BatchNorm::reset() {
  gamma.value.setOnes();
  beta.value.setZero();
  running_mean.value.setZero();
  running_var.value.setOnes();
}

namespace {

// The channel sums of batch norm (layer_detail::lane_sum, in double).
using layer_detail::kLanes;
using layer_detail::lane_sum;

// Two lane sums in one pass over the values, each the same as lane_sum's.
template <class Term1, class Term2>
std::pair<double, double> lane_sums(int n, Term1 term1, Term2 term2) {
  Real acc1[kLanes] = {}, acc2[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      acc1[j] += term1(i + j);
      acc2[j] += term2(i + j);
    }
  }
  double sum1 = 0, sum2 = 0;
  for (int j = 0; j < kLanes; ++j) {
    sum1 += acc1[j];
    sum2 += acc2[j];
  }
  for (; i < n; ++i) {
    sum1 += term1(i);
    sum2 += term2(i);
  }
  return {sum1, sum2};
}

// Batch norm as y = x*scale + shift for a channel of mean `mean` and 1/std `inv`.
std::pair<Real, Real> affine(Real gamma, Real beta, double mean, double inv) {
  return {static_cast<Real>(gamma * inv), static_cast<Real>(beta - gamma * mean * inv)};
}

}  // namespace

void BatchNorm::inference_affine(std::vector<Real>& scale, std::vector<Real>& shift) const {
  const auto C = static_cast<std::size_t>(in_.c);
  scale.resize(C);
  shift.resize(C);
  for (std::size_t c = 0; c < C; ++c) {
    const double inv = 1.0 / std::sqrt(static_cast<double>(running_var.value[c]) + kEps);
    std::tie(scale[c], shift[c]) = affine(gamma.value[c], beta.value[c], running_mean.value[c], inv);
  }
}

void BatchNorm::forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) {
  const int N = x.n(), C = in_.c, HW = in_.h * in_.w;
  y.resize(N, out_);
  const bool batch_stats = ctx.training && !frozen;
  mean_.assign(static_cast<std::size_t>(C), 0.0);
  inv_std_.assign(static_cast<std::size_t>(C), 0.0);
  const double count = static_cast<double>(N) * HW;
  if (batch_stats && count < 2) throw Error("batch norm needs at least 2 values per channel in training");
  auto plane = [&](int s, int c) { return x.sample(s) + static_cast<std::size_t>(c) * HW; };
  parallel_for(C, [&](int c) {
    double mean, var;
    if (batch_stats) {
      double sum = 0, sq = 0;
      for (int s = 0; s < N; ++s) {
        const Real* p = plane(s, c);
        sum += lane_sum(HW, [p](int i) { return p[i]; });
      }
      mean = sum / count;
      const auto m = static_cast<Real>(mean);
      for (int s = 0; s < N; ++s) {
        const Real* p = plane(s, c);
        sq += lane_sum(HW, [p, m](int i) { return (p[i] - m) * (p[i] - m); });
      }
      var = sq / count;
      running_mean.value[c] = static_cast<Real>((1 - kMomentum) * running_mean.value[c] + kMomentum * mean);
      running_var.value[c] =
          static_cast<Real>((1 - kMomentum) * running_var.value[c] + kMomentum * var * count / (count - 1));
    } else {
      mean = running_mean.value[c];
      var = running_var.value[c];
    }
    const double inv = 1.0 / std::sqrt(var + kEps);
    mean_[static_cast<std::size_t>(c)] = mean;
    inv_std_[static_cast<std::size_t>(c)] = inv;
    const auto [scale, shift] = affine(gamma.value[c], beta.value[c], mean, inv);
    for (int s = 0; s < N; ++s) {
      const Real* p = plane(s, c);
      Real* q = y.sample(s) + static_cast<std::size_t>(c) * HW;
      if (ctx.relu_after) {
        for (int i = 0; i < HW; ++i) q[i] = std::max(p[i] * scale + shift, Real(0));
      } else {
        for (int i = 0; i < HW; ++i) q[i] = p[i] * scale + shift;
      }
    }
  });
  last_batch_stats_ = batch_stats;
  last_relu_ = ctx.relu_after;
}

// After a forward pass with relu_after, dy is the gradient of the ReLU's output y, and the
// gradient of batch norm's own output is g = dy where y > 0, else 0.
void BatchNorm::backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) {
  const int N = x.n(), C = in_.c, HW = in_.h * in_.w;
  if (dx) dx->resize(N, in_);
  const double count = static_cast<double>(N) * HW;
  parallel_for(C, [&](int c) {
    const double mean = mean_[static_cast<std::size_t>(c)], inv = inv_std_[static_cast<std::size_t>(c)];
    const auto m = static_cast<Real>(mean);
    double dgamma = 0, dbeta = 0;  // dgamma = sum g (x - mean) * inv, dbeta = sum g
    auto add_sums = [&](const Real* p, const auto& g) {
      const auto [dg, db] = lane_sums(HW, [p, &g, m](int i) { return g(i) * (p[i] - m); }, g);
      dgamma += dg;
      dbeta += db;
    };
    for (int s = 0; s < N; ++s) {
      const Real* p = x.sample(s) + static_cast<std::size_t>(c) * HW;
      const Real* g = dy.sample(s) + static_cast<std::size_t>(c) * HW;
      if (last_relu_) {
        const Real* out = y.sample(s) + static_cast<std::size_t>(c) * HW;
        add_sums(p, [g, out](int i) { return out[i] > 0 ? g[i] : Real(0); });
      } else {
        add_sums(p, [g](int i) { return g[i]; });
      }
    }
    dgamma *= inv;
    gamma.grad[c] = static_cast<Real>(dgamma);
    beta.grad[c] = static_cast<Real>(dbeta);
    if (!dx) return;
    // With batch statistics dx = gi (g - dbeta / count - xhat dgamma / count), xhat = (x - mean)
    // inv: a * g + b * x + c0 per value; with running statistics dx = gi g.
    const double gi = gamma.value[c] * inv;
    const auto a = static_cast<Real>(gi);
    const auto b = static_cast<Real>(last_batch_stats_ ? -gi * inv * dgamma / count : 0.0);
    const auto c0 = static_cast<Real>(last_batch_stats_ ? gi * (inv * mean * dgamma - dbeta) / count : 0.0);
    for (int s = 0; s < N; ++s) {
      const Real* p = x.sample(s) + static_cast<std::size_t>(c) * HW;
      const Real* g = dy.sample(s) + static_cast<std::size_t>(c) * HW;
      Real* d = dx->sample(s) + static_cast<std::size_t>(c) * HW;
      if (last_relu_) {
        const Real* out = y.sample(s) + static_cast<std::size_t>(c) * HW;
        for (int i = 0; i < HW; ++i) d[i] = a * (out[i] > 0 ? g[i] : Real(0)) + b * p[i] + c0;
      } else {
        for (int i = 0; i < HW; ++i) d[i] = a * g[i] + b * p[i] + c0;
      }
    }
  });
}

// ---------------------------------------------------------------------------------------
// Dropout

std::string Dropout::spec() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "drop%g", p_);
  return buf;
}

void Dropout::forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) {
  y.resize(x.n(), x.shape());
  if (!ctx.training || p_ <= 0) {
    std::copy(x.data(), x.data() + x.size(), y.data());
    keep_.clear();
    return;
  }
  keep_.resize(x.size());
  const Real scale = static_cast<Real>(1.0 / (1.0 - p_));
  const std::size_t S = x.sample_size();
  parallel_for(x.n(), [&](int s) {
    Rng rng(ctx.seed, {stream::kDropout, ctx.step, static_cast<std::uint64_t>(ctx.layer_index),
                       ctx.first_sample + static_cast<std::uint64_t>(s)});
    for (std::size_t i = 0; i < S; ++i) {
      const std::size_t j = static_cast<std::size_t>(s) * S + i;
      keep_[j] = rng.uniform() >= p_;
      y.data()[j] = keep_[j] ? x.data()[j] * scale : Real(0);
    }
  });
}

void Dropout::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
  if (!dx) return;
  dx->resize(x.n(), x.shape());
  if (keep_.empty()) {
    std::copy(dy.data(), dy.data() + dy.size(), dx->data());
    return;
  }
  const Real scale = static_cast<Real>(1.0 / (1.0 - p_));
  for (std::size_t j = 0; j < dy.size(); ++j) dx->data()[j] = keep_[j] ? dy.data()[j] * scale : Real(0);
}

// ---------------------------------------------------------------------------------------
// Flatten

Shape Flatten::setup(Shape in) {
  in_ = in;
  out_ = {static_cast<int>(in.size()), 1, 1};
  return out_;
}

void Flatten::forward(const Tensor& x, Tensor& y, const ForwardContext&) {
  y.resize(x.n(), out_);
  std::copy(x.data(), x.data() + x.size(), y.data());
}

void Flatten::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
  if (!dx) return;
  dx->resize(x.n(), in_);
  std::copy(dy.data(), dy.data() + dy.size(), dx->data());
}

}  // namespace nnc
