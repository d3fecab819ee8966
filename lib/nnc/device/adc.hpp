// The read-out of a crossbar chip's column sums (docs/design.md section 6, docs/algorithms.md
// "Read noise", "ADC resolution" and "ADC and RSA"): a PartialSumReadout (nn/readout.hpp) that,
// on each tile row's column sums, adds fresh read noise on every read and then quantizes them by
// the ADC; either may be off. attach_readout (device/chip.hpp) sets one on every mapped conv and
// dense layer of a chip's model.
//
// On a layer with one, the product is computed per block of block_rows inputs (one tile row of
// the crossbar matrix); each block's column sums (one per output, sample and output position)
// get read noise, then are quantized by a signed uniform mid-tread quantizer with saturation,
// and the blocks are added digitally in float; the digital part of the weight (weight - analog:
// RSA cells) is multiplied exactly and added after the ADC. Backward ignores the read-out: a
// straight-through estimator (its derivative taken as 1), so the weight gradient of the digital
// part is exact and the input gradient is that of the noiseless, unquantized sum.
//
// Read noise without an ADC needs no block's sums: the tile rows' independent noises add up to
// one normal per sum with the summed variance, so the readout is then sums_only() and the layer
// keeps its fast product (docs/algorithms.md "Read noise"). Draws: device/read_noise.hpp.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "nnc/nn/readout.hpp"

namespace nnc {

class AdcReadout : public PartialSumReadout {
 public:
  std::unique_ptr<PartialSumReadout> clone() const override { return std::make_unique<AdcReadout>(*this); }
  // Checks bits (0, or [2, 30]), unless calibrating one full scale per block, and the noise
  // power's size; when calibrating sets up the per-chunk maxima.
  void begin_pass(const ReadoutPass& pass) override;
  // Adds read noise (if any) to part, then quantizes it with the block's step (if bits > 0), or
  // (calibrating) records its largest |value| for the block in the chunk's maxima.
  void transform(Matrix& part, const ReadoutBlock& block) override;
  // transform() and the sum in one pass: acc (+)= Q(part + noise) (calibrating: part, recorded).
  void accumulate(Matrix& part, const ReadoutBlock& block, Matrix& acc, bool first) override;
  // Without read noise and not calibrating, with bits > 0: quantize()'s quantizer of block b.
  bool quantizer(int block, BlockQuantizer& q) const override;
  // Read noise without an ADC (and not calibrating): the layer's whole sums get it.
  bool sums_only() const override { return bits == 0 && !calibrating && noise_power.size() != 0; }
  const Vector* variance_weight() const override { return &noise_power; }
  // Each sum y gets sqrt(variance) z, z = draw o * P + p (output o, position p) of
  // Rng key (chip_seed, {stream::kChipReadNoise, read_seed, stream, read index, layer,
  // kWholeSum}); counts the pass's reads.
  void add_to_sums(Real* sums, const Real* variance, int per_sample, const ReadoutPass& pass) override;
  std::uint64_t reads() const override { return reads_; }
  void set_reads(std::uint64_t reads) override { reads_ = reads; }
  // Counts the pass's reads; calibrating, raises observed[b] to the pass's largest |column sum|
  // of block b (a maximum does not depend on the order chunks are combined in).
  void end_pass() override;
  // Numbers reads from 0 again, in read stream `stream`.
  void start_reads(std::uint64_t stream) override;

  // Quantizes every value of part with block b's step (in place): q = clamp(round(v / step),
  // -2^(bits-1), 2^(bits-1) - 1) * step, round half to even, step = full_scale[b] / (2^(bits-1)
  // - 1); a block with full scale 0 reads 0.
  void quantize(Matrix& part, int b) const;
  // Adds read noise to one block's partial sums (in place): each sum y = sum_i x_i w_i gets
  // sqrt(sum_i x_i^2 noise_power_i) z, z ~ N(0, 1), z = draw o * P + p (output o, position p)
  // of the key (chip_seed, {stream::kChipReadNoise, read_seed, stream, read index, layer, block})
  // (device/read_noise.hpp), read index = reads before this pass + the sample's index in the batch.
  void add_read_noise(Matrix& part, const ReadoutBlock& block) const;
  // The "tile row" id of the noise drawn on a layer's whole sums (sums_only).
  static constexpr std::uint64_t kWholeSum = 0xFFFFFFFFu;

  int bits = 8;  // 2^bits levels; 0: no ADC (sums pass through, with read noise if any)
  // Per block: the largest |column sum| resolved. Calibrated per chip (calibrate_adc).
  std::vector<double> full_scale;
  // Calibration pass: when true, forward does not quantize and raises observed[b] to the
  // largest |column sum| block b produced.
  bool calibrating = false;
  std::vector<double> observed;

  // Read noise: per weight position (the weight's layout), the variance a read adds to a column
  // sum per unit of input squared: (s * scale)^2 (G+^2 + G-^2) for relative per-cell noise s,
  // scale = weight units per siemens. Empty: no read noise.
  Vector noise_power;
  std::uint64_t chip_seed = 0, read_seed = 0;
  int layer = 0;  // the layer's index in the model (its noise stream)

 private:
  // Block b's quantizer from its full scale (zero: the block reads 0), whatever the read-out's state.
  BlockQuantizer block_quantizer(int b) const;
  int blocks_ = 0, chunks_ = 0, samples_ = 0;  // of the current pass
  std::uint64_t stream_ = 0, reads_ = 0;      // read stream, reads before the current pass
  std::vector<double> seen_;                   // calibrating: chunks x blocks maxima of the current pass
  void record(const Matrix& part, const ReadoutBlock& at);  // calibrating: raises the chunk's maximum
};

}  // namespace nnc
