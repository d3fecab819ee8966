#include "nnc/algo/bn_recalibrate.hpp"

#include <algorithm>
#include <numeric>

#include "nnc/algo/rsa.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/parallel.hpp"

namespace nnc {

std::vector<int> batch_norm_layers(const Model& m) {
  std::vector<int> out;
  for (std::size_t i = 0; i < m.layers().size(); ++i) {
    if (dynamic_cast<const BatchNorm*>(m.layers()[i].get())) out.push_back(static_cast<int>(i));
  }
  return out;
}

namespace {

// Count, mean and centered sum of squares of one channel's values.
struct Moments {
  double count = 0, mean = 0, m2 = 0;
  // Chan et al.'s pairwise update: exact in exact arithmetic, stable in floating point.
  void merge(const Moments& o) {
    if (o.count == 0) return;
    const double n = count + o.count, delta = o.mean - mean;
    mean += delta * o.count / n;
    m2 += o.m2 + delta * delta * count * o.count / n;
    count = n;
  }
};

}  // namespace

BnRecalibrationReport recalibrate_batch_norm(Model& m, const Dataset& images, const std::vector<int>& mapped,
                                             double t_mvm_s, const BnRecalibrationOptions& o) {
  const std::vector<int> bns = batch_norm_layers(m);
  if (bns.empty()) throw Error("batch-norm recalibration: the model (" + m.spec() + ") has no batch-norm layer");
  if (o.chunk < 1) throw Error("batch-norm recalibration: chunk must be at least 1");
  if (images.shape != m.input_shape()) {
    throw Error("batch-norm recalibration: images of " + images.shape.str() + ", the model takes " +
                m.input_shape().str());
  }
  const std::size_t n = o.limit > 0 ? std::min(o.limit, images.size()) : images.size();
  BnRecalibrationReport rep;
  rep.images = n;
  rep.layers = static_cast<int>(bns.size());

  std::vector<std::size_t> idx(static_cast<std::size_t>(o.chunk));
  std::vector<int> labels(static_cast<std::size_t>(o.chunk));
  Tensor x, a, b;
  for (int bi : bns) {
    auto& bn = dynamic_cast<BatchNorm&>(*m.layers()[static_cast<std::size_t>(bi)]);
    const Shape in = bn.input_shape();
    const int C = in.c, HW = in.h * in.w;
    std::vector<Moments> total(static_cast<std::size_t>(C));
    for (std::size_t start = 0; start < n; start += static_cast<std::size_t>(o.chunk)) {
      const int cn = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(o.chunk), n - start));
      std::iota(idx.begin(), idx.begin() + cn, start);
      fill_batch(images, idx.data(), cn, x, labels.data());
      // Inference through layers [0, bi): the batch-norm layers before bi are already recalibrated.
      const Tensor* cur = &x;
      if (m.is_chain()) {
        for (int li = 0; li < bi; ++li) {
          Tensor& out = cur == &a ? b : a;
          m.layers()[static_cast<std::size_t>(li)]->forward(*cur, out, ForwardContext{false, 0, 0, li});
          cur = &out;
        }
      } else {  // a graph: the whole inference pass, then the batch norm's input as it left its layer
        m.forward(x, ForwardContext{false, 0, 0, 0});
        cur = &m.activation(static_cast<std::size_t>(m.layer_inputs(static_cast<std::size_t>(bi)).front() + 1));
      }
      const Tensor& act = *cur;
      std::vector<Moments> chunk(static_cast<std::size_t>(C));
      parallel_for(C, [&](int c) {
        Moments& mo = chunk[static_cast<std::size_t>(c)];
        double sum = 0;
        for (int s = 0; s < cn; ++s) {
          const Real* p = act.sample(s) + static_cast<std::size_t>(c) * HW;
          for (int i = 0; i < HW; ++i) sum += p[i];
        }
        mo.count = static_cast<double>(cn) * HW;
        mo.mean = sum / mo.count;
        double sq = 0;
        for (int s = 0; s < cn; ++s) {
          const Real* p = act.sample(s) + static_cast<std::size_t>(c) * HW;
          for (int i = 0; i < HW; ++i) sq += (p[i] - mo.mean) * (p[i] - mo.mean);
        }
        mo.m2 = sq;
      });
      for (int c = 0; c < C; ++c) total[static_cast<std::size_t>(c)].merge(chunk[static_cast<std::size_t>(c)]);
    }
    for (int c = 0; c < C; ++c) {
      const Moments& mo = total[static_cast<std::size_t>(c)];
      if (mo.count < 2) {
        throw Error("batch-norm recalibration needs at least 2 values per channel, layer " + std::to_string(bi) +
                    " saw " + std::to_string(static_cast<long>(mo.count)));
      }
      bn.running_mean.value[c] = static_cast<Real>(mo.mean);
      bn.running_var.value[c] = static_cast<Real>(mo.m2 / (mo.count - 1));
    }
    std::vector<int> before;
    for (int li : mapped) {
      if (li < bi) before.push_back(li);
    }
    rep.reads_per_image += crossbar_reads_per_sample(m, before);
  }
  rep.time_s = static_cast<double>(n) * rep.reads_per_image * t_mvm_s;
  return rep;
}

void copy_batch_norm_statistics(const Model& from, Model& to) {
  const std::vector<int> a = batch_norm_layers(from), b = batch_norm_layers(to);
  if (a != b) throw Error("batch-norm statistics: the models' batch-norm layers differ");
  for (int li : a) {
    const auto& s = dynamic_cast<const BatchNorm&>(*from.layers()[static_cast<std::size_t>(li)]);
    auto& d = dynamic_cast<BatchNorm&>(*to.layers()[static_cast<std::size_t>(li)]);
    if (s.running_mean.size() != d.running_mean.size()) {
      throw Error("batch-norm statistics: layer " + std::to_string(li) + " has " +
                  std::to_string(s.running_mean.size()) + " channels in one model, " +
                  std::to_string(d.running_mean.size()) + " in the other");
    }
    d.running_mean.value = s.running_mean.value;
    d.running_var.value = s.running_var.value;
  }
}

}  // namespace nnc
