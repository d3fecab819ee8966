#include "nnc/device/adc.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "nnc/nn/error.hpp"
#include "nnc/nn/rng.hpp"
#include "nnc/nn/streams.hpp"

namespace nnc {

void AdcReadout::begin_pass(const ReadoutPass& pass) {
  if (bits != 0 && (bits < 2 || bits > 30)) throw Error("layer " + pass.layer + ": ADC needs bits 0 or in [2, 30]");
  if (!calibrating && bits > 0 && full_scale.size() != static_cast<std::size_t>(pass.blocks)) {
    throw Error("layer " + pass.layer + ": ADC has " + std::to_string(full_scale.size()) + " full-scale values for " +
                std::to_string(pass.blocks) + " row blocks");
  }
  if (noise_power.size() != 0 && (pass.rows < 1 || noise_power.size() % pass.rows != 0)) {
    throw Error("layer " + pass.layer + ": read noise power has " + std::to_string(noise_power.size()) +
                " values, not a multiple of the layer's " + std::to_string(pass.rows) + " rows");
  }
  blocks_ = pass.blocks;
  chunks_ = pass.chunks;
  samples_ = pass.samples;
  seen_.clear();
  if (calibrating) seen_.assign(static_cast<std::size_t>(pass.chunks) * static_cast<std::size_t>(blocks_), 0.0);
}

void AdcReadout::transform(Matrix& part, const ReadoutBlock& at) {
  if (noise_power.size() != 0) add_read_noise(part, at);
  if (!calibrating) {
    if (bits > 0) quantize(part, at.block);
    return;
  }
  if (part.size() > 0) {
    double& seen = seen_[static_cast<std::size_t>(at.chunk) * static_cast<std::size_t>(blocks_) + static_cast<std::size_t>(at.block)];
    seen = std::max(seen, static_cast<double>(part.cwiseAbs().maxCoeff()));
  }
}

void AdcReadout::end_pass() {
  reads_ += static_cast<std::uint64_t>(samples_);
  if (!calibrating) return;
  const auto B = static_cast<std::size_t>(blocks_);
  if (observed.size() < B) observed.resize(B, 0.0);
  for (std::size_t k = 0; k < static_cast<std::size_t>(chunks_); ++k) {
    for (std::size_t b = 0; b < B; ++b) observed[b] = std::max(observed[b], seen_[k * B + b]);
  }
  seen_.clear();
}

void AdcReadout::start_reads(std::uint64_t stream) {
  stream_ = stream;
  reads_ = 0;
}

void AdcReadout::add_read_noise(Matrix& part, const ReadoutBlock& at) const {
  const Eigen::Index outputs = at.outputs_in_rows ? part.rows() : part.cols();
  if (outputs == 0 || part.size() == 0) return;
  const ConstMatrixMap power(noise_power.data(), noise_power.size() / outputs, outputs);  // rows x outputs
  const auto in = at.input_map();
  const Eigen::Index r0 = static_cast<Eigen::Index>(at.block) * block_rows;
  // Variance of every sum of the block: sum over its rows of x^2 * noise power, as part's layout.
  Matrix var;
  if (at.outputs_in_rows) {  // dense: part outputs x samples, inputs rows x samples
    var.noalias() = power.middleRows(r0, in.rows()).transpose() * in.array().square().matrix();
  } else {  // conv: part (samples * positions) x outputs, inputs (samples * positions) x rows
    var.noalias() = in.array().square().matrix() * power.middleRows(r0, in.cols());
  }
  const int P = at.positions;
  for (int s = at.sample_begin; s < at.sample_end; ++s) {
    Rng rng(chip_seed, {stream::kChipReadNoise, read_seed, stream_, reads_ + static_cast<std::uint64_t>(s),
                        static_cast<std::uint64_t>(layer), static_cast<std::uint64_t>(at.block)});
    const Eigen::Index local = s - at.sample_begin;
    for (Eigen::Index o = 0; o < outputs; ++o) {
      for (int p = 0; p < P; ++p) {
        const Eigen::Index row = at.outputs_in_rows ? o : local * P + p;
        const Eigen::Index col = at.outputs_in_rows ? local : o;
        const double z = rng.normal();
        part(row, col) += static_cast<Real>(std::sqrt(std::max(0.0, double(var(row, col)))) * z);
      }
    }
  }
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
