#include "nnc/device/adc.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "nnc/device/read_noise.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/nn/streams.hpp"

namespace nnc {

namespace {

using ArrayMap = Eigen::Map<Eigen::Array<Real, Eigen::Dynamic, 1>>;
using ConstArrayMap = Eigen::Map<const Eigen::Array<Real, Eigen::Dynamic, 1>>;

// A thread's scratch for add_read_noise (chunks run concurrently, each on one thread).
struct Scratch {
  Matrix squares, variance;
  std::vector<Real> z;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

}  // namespace

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
  record(part, at);
}

void AdcReadout::accumulate(Matrix& part, const ReadoutBlock& at, Matrix& acc, bool first) {
  if (noise_power.size() != 0) add_read_noise(part, at);
  if (calibrating) record(part, at);
  if (calibrating || bits == 0) {
    if (first) {
      acc.swap(part);
    } else {
      acc += part;
    }
    return;
  }
  // The quantizer of quantize() and the sum in one pass.
  const Eigen::Index n = part.size();
  if (first) acc.resize(part.rows(), part.cols());
  const BlockQuantizer bq = block_quantizer(at.block);
  if (bq.zero) {
    if (first) acc.setZero();
    return;
  }
  const auto q = (ConstArrayMap(part.data(), n) * bq.inv_step).rint().max(bq.lo).min(bq.hi) * bq.step;
  if (first) {
    ArrayMap(acc.data(), n) = q;
  } else {
    ArrayMap(acc.data(), n) += q;
  }
}

bool AdcReadout::quantizer(int b, BlockQuantizer& q) const {
  if (bits == 0 || calibrating || noise_power.size() != 0) return false;
  q = block_quantizer(b);
  return true;
}

// In float, vectorized by its users (before December 2026 in double): a float holds every
// level of up to 24 bits exactly (the tools take 2..16).
BlockQuantizer AdcReadout::block_quantizer(int b) const {
  const double fs = full_scale.at(static_cast<std::size_t>(b));
  BlockQuantizer q;
  q.zero = !(fs > 0);
  if (q.zero) return q;
  const Real top = std::ldexp(Real(1), bits - 1) - 1;  // positive levels; -top - 1 is the lowest
  q.step = static_cast<Real>(fs / top);
  q.inv_step = static_cast<Real>(top / fs);
  q.lo = -top - 1;
  q.hi = top;
  return q;
}

void AdcReadout::record(const Matrix& part, const ReadoutBlock& at) {
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
  const int P = at.positions;
  const Eigen::Index outputs = at.outputs_in_rows ? part.rows() / P : part.cols();
  if (outputs == 0 || part.size() == 0) return;
  Scratch& s = scratch();
  const Real* variance = at.variance;
  if (!variance) {
    // Variance of every sum of the block: sum over its rows of x^2 * noise power, as part's layout.
    const ConstMatrixMap power(noise_power.data(), noise_power.size() / outputs, outputs);  // rows x outputs
    const auto in = at.input_map();
    const Eigen::Index r0 = static_cast<Eigen::Index>(at.block) * block_rows;
    s.squares = in.array().square();
    if (at.outputs_in_rows) {  // dense: part outputs x samples, inputs rows x samples
      s.variance.noalias() = power.middleRows(r0, in.rows()).transpose() * s.squares;
    } else {  // conv: part (samples * positions) x outputs, inputs (samples * positions) x rows
      s.variance.noalias() = s.squares * power.middleRows(r0, in.cols());
    }
    variance = s.variance.data();
  }
  // Draw o * P + p goes to output o, position p: outputs in rows (dense, Winograd conv), the
  // sample's column of part in draw order, drawn and added in cache-sized batches; im2col conv,
  // each output's run of P rows.
  const Eigen::Index per_sample = outputs * P;
  if (!at.outputs_in_rows) s.z.resize(static_cast<std::size_t>(per_sample));
  for (int smp = at.sample_begin; smp < at.sample_end; ++smp) {
    const NoiseKey key = noise_key(chip_seed, {stream::kChipReadNoise, read_seed, stream_, reads_ + static_cast<std::uint64_t>(smp),
                                               static_cast<std::uint64_t>(layer), static_cast<std::uint64_t>(at.block)});
    const Eigen::Index local = smp - at.sample_begin;
    if (at.outputs_in_rows) {
      add_normal_noise(key, variance + local * part.rows(), per_sample, part.data() + local * part.rows());
      continue;
    }
    fill_normals(key, 0, per_sample, s.z.data());
    // The product, then the sum, as add_normal_noise (read_noise.cpp says why).
    for (Eigen::Index o = 0; o < outputs; ++o) {
      const Eigen::Index at0 = local * P + o * part.rows();
      ArrayMap noise(s.z.data() + o * P, P);
      noise *= ConstArrayMap(variance + at0, P).max(Real(0)).sqrt();
      ArrayMap(part.data() + at0, P) += noise;
    }
  }
}

void AdcReadout::add_to_sums(Real* sums, const Real* variance, int per_sample, const ReadoutPass& pass) {
  parallel_for(pass.samples, [&](int smp) {
    const NoiseKey key = noise_key(chip_seed, {stream::kChipReadNoise, read_seed, stream_, reads_ + static_cast<std::uint64_t>(smp),
                                               static_cast<std::uint64_t>(layer), kWholeSum});
    const auto at = static_cast<std::size_t>(smp) * static_cast<std::size_t>(per_sample);
    add_normal_noise(key, variance + at, per_sample, sums + at);
  });
  reads_ += static_cast<std::uint64_t>(pass.samples);
}

void AdcReadout::quantize(Matrix& part, int b) const {
  const BlockQuantizer q = block_quantizer(b);
  if (q.zero) {
    part.setZero();
    return;
  }
  ArrayMap v(part.data(), part.size());
  v = (v * q.inv_step).rint().max(q.lo).min(q.hi) * q.step;
}

}  // namespace nnc
