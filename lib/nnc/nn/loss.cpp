#include "nnc/nn/loss.hpp"

#include <cmath>

#include "nnc/nn/error.hpp"

namespace nnc {

int argmax(const Tensor& logits, int i) {
  const Real* z = logits.sample(i);
  int best = 0;
  for (int k = 1; k < static_cast<int>(logits.sample_size()); ++k)
    if (z[k] > z[best]) best = k;
  return best;
}

LossResult softmax_cross_entropy(const Tensor& logits, const int* labels, Tensor* dlogits, double smoothing) {
  const int n = logits.n(), K = static_cast<int>(logits.sample_size());
  if (!(smoothing >= 0 && smoothing < 1)) throw Error("label smoothing must be in [0, 1)");
  const double off = smoothing / K, on = 1 - smoothing + off;  // the target's entries
  if (dlogits) dlogits->resize(n, logits.shape());
  LossResult r;
  for (int i = 0; i < n; ++i) {
    const Real* z = logits.sample(i);
    const int y = labels[i];
    if (y < 0 || y >= K) throw Error("label " + std::to_string(y) + " outside the model's " + std::to_string(K) + " classes");
    double zmax = z[0];
    for (int k = 1; k < K; ++k) zmax = std::max(zmax, double(z[k]));
    double sum = 0;
    for (int k = 0; k < K; ++k) sum += std::exp(z[k] - zmax);
    const double logsum = std::log(sum) + zmax;
    if (smoothing == 0) {
      r.loss += logsum - z[y];
    } else {  // sum over k of target_k * (logsum - z_k)
      double zsum = 0;
      for (int k = 0; k < K; ++k) zsum += z[k];
      r.loss += logsum - off * zsum - (on - off) * z[y];
    }
    r.correct += argmax(logits, i) == y;
    if (dlogits) {
      Real* d = dlogits->sample(i);
      for (int k = 0; k < K; ++k) {
        d[k] = static_cast<Real>((std::exp(z[k] - logsum) - (k == y ? on : off)) / n);
      }
    }
  }
  return r;
}

}  // namespace nnc
