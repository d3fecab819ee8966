// The ADC of a crossbar chip (docs/design.md section 6, docs/algorithms.md "ADC resolution" and
// "ADC and RSA"): a PartialSumReadout (nn/readout.hpp) that quantizes each tile row's column
// sums. attach_adc (device/chip.hpp) sets one on every mapped conv and dense layer of a chip's
// model and calibrates it.
//
// On a layer with one, the product is computed per block of block_rows inputs (one tile row of
// the crossbar matrix), each block's column sums (one per output, sample and output position)
// are quantized by a signed uniform mid-tread quantizer with saturation, and the blocks are
// added digitally in float; the digital part of the weight (weight - analog: RSA cells) is
// multiplied unquantized and added after the ADC. Backward ignores the ADC: a straight-through
// estimator (the quantizer's derivative taken as 1), so the weight gradient of the digital
// part is exact and the input gradient is that of the unquantized sum.
#pragma once
#include <memory>
#include <vector>

#include "nnc/nn/readout.hpp"

namespace nnc {

class AdcReadout : public PartialSumReadout {
 public:
  std::unique_ptr<PartialSumReadout> clone() const override { return std::make_unique<AdcReadout>(*this); }
  // Checks bits in [2, 30] and, unless calibrating, one full scale per block; when calibrating
  // sets up the per-chunk maxima.
  void begin_pass(const ReadoutPass& pass) override;
  // Quantizes part with the block's step, or (calibrating) leaves it as is and records its
  // largest |value| for the block in the chunk's maxima.
  void transform(Matrix& part, const ReadoutBlock& block) override;
  // Calibrating: raises observed[b] to the pass's largest |column sum| of block b (a maximum
  // does not depend on the order chunks are combined in).
  void end_pass() override;

  // Quantizes every value of part with block b's step (in place): q = clamp(round(v / step),
  // -2^(bits-1), 2^(bits-1) - 1) * step, round half to even, step = full_scale[b] / (2^(bits-1)
  // - 1); a block with full scale 0 reads 0.
  void quantize(Matrix& part, int b) const;

  int bits = 8;  // 2^bits levels
  // Per block: the largest |column sum| resolved. Calibrated per chip (attach_adc).
  std::vector<double> full_scale;
  // Calibration pass: when true, forward does not quantize and raises observed[b] to the
  // largest |column sum| block b produced.
  bool calibrating = false;
  std::vector<double> observed;

 private:
  int blocks_ = 0, chunks_ = 0;  // of the current pass
  std::vector<double> seen_;     // calibrating: chunks x blocks maxima of the current pass
};

}  // namespace nnc
