#include "nnc/device/adc.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "nnc/nn/error.hpp"

namespace nnc {

void AdcReadout::begin_pass(const ReadoutPass& pass) {
  if (bits < 2 || bits > 30) throw Error("layer " + pass.layer + ": ADC needs bits in [2, 30]");
  if (!calibrating && full_scale.size() != static_cast<std::size_t>(pass.blocks)) {
    throw Error("layer " + pass.layer + ": ADC has " + std::to_string(full_scale.size()) + " full-scale values for " +
                std::to_string(pass.blocks) + " row blocks");
  }
  blocks_ = pass.blocks;
  chunks_ = pass.chunks;
  seen_.clear();
  if (calibrating) seen_.assign(static_cast<std::size_t>(pass.chunks) * static_cast<std::size_t>(blocks_), 0.0);
}

void AdcReadout::transform(Matrix& part, const ReadoutBlock& at) {
  if (!calibrating) {
    quantize(part, at.block);
    return;
  }
  if (part.size() > 0) {
    double& seen = seen_[static_cast<std::size_t>(at.chunk) * static_cast<std::size_t>(blocks_) + static_cast<std::size_t>(at.block)];
    seen = std::max(seen, static_cast<double>(part.cwiseAbs().maxCoeff()));
  }
}

void AdcReadout::end_pass() {
  if (!calibrating) return;
  const auto B = static_cast<std::size_t>(blocks_);
  if (observed.size() < B) observed.resize(B, 0.0);
  for (std::size_t k = 0; k < static_cast<std::size_t>(chunks_); ++k) {
    for (std::size_t b = 0; b < B; ++b) observed[b] = std::max(observed[b], seen_[k * B + b]);
  }
  seen_.clear();
}

void AdcReadout::quantize(Matrix& part, int b) const {
  const double fs = full_scale.at(static_cast<std::size_t>(b));
  if (!(fs > 0)) {
    part.setZero();
    return;
  }
  const double top = std::ldexp(1.0, bits - 1) - 1;  // positive levels; -top - 1 is the lowest
  const double step = fs / top, inv = top / fs;
  Real* v = part.data();
  const Eigen::Index n = part.size();
  for (Eigen::Index i = 0; i < n; ++i) {
    v[i] = static_cast<Real>(std::clamp(std::nearbyint(double(v[i]) * inv), -top - 1, top) * step);
  }
}

}  // namespace nnc
