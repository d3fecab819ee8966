#include "nnc/nn/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "nnc/nn/error.hpp"

namespace nnc {

void sgd_step(const std::vector<Param*>& params, double lr, const SgdOptions& opt) {
  const Real mu = static_cast<Real>(opt.momentum), step = static_cast<Real>(lr);
  for (Param* p : params) {
    if (!p->trainable) continue;
    if (p->velocity.size() != p->value.size()) p->velocity.setZero(p->value.size());
    const Real wd = p->decay ? static_cast<Real>(opt.weight_decay) : Real(0);
    const Eigen::Index n = p->value.size();
    Real* w = p->value.data();
    Real* v = p->velocity.data();
    const Real* g = p->grad.data();
    if (p->has_mask()) {
      const std::uint8_t* m = p->mask.data();
      for (Eigen::Index i = 0; i < n; ++i) {
        v[i] = m[i] ? mu * v[i] + g[i] + wd * w[i] : Real(0);
        w[i] = m[i] ? w[i] - step * v[i] : Real(0);
      }
    } else {
      for (Eigen::Index i = 0; i < n; ++i) {
        v[i] = mu * v[i] + g[i] + wd * w[i];
        w[i] -= step * v[i];
      }
    }
  }
}

double Schedule::at(int epoch, int total_epochs, double progress) const {
  if (warmup_epochs >= total_epochs) {
    std::ostringstream what;
    what << "a warmup of " << warmup_epochs << " epochs must be shorter than the run (" << total_epochs << " epochs)";
    throw Error(what.str(), ErrorKind::bad_input);
  }
  const double done = progress * total_epochs;  // epochs done, fractional
  const double ramp = warmup_epochs > 0 && done < warmup_epochs ? done / warmup_epochs : 1.0;
  if (kind == "constant") return lr * ramp;
  if (kind == "cosine") return lr * ramp * 0.5 * (1 + std::cos(3.141592653589793 * progress));
  if (kind == "step") {
    const int every = step_epochs > 0 ? step_epochs : std::max(1, total_epochs / 3);
    return lr * ramp * std::pow(gamma, epoch / every);
  }
  throw Error("unknown schedule '" + kind + "' (constant, step or cosine)", ErrorKind::bad_input);
}

}  // namespace nnc
