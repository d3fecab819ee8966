// RSA on a programmed chip (docs/design.md section 7; nnc-rsa-adapt): cells selected only in
// the tiles the chip placed, the chip's read-back weights (through its ADC) as the read-only
// RRAM part, optionally batch norm recalibrated on the chip first, then the cells trained; test
// accuracy before, after recalibration and after adaptation. Three steps, so a caller can
// report between them.
#pragma once
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "nnc/algo/bn_recalibrate.hpp"
#include "nnc/algo/rsa.hpp"
#include "nnc/device/chip.hpp"

namespace nnc {

struct ChipRsaOptions {
  double density = 0.05;  // cells per tile, a fraction of its weight positions
  RsaMode mode = RsaMode::additive;
  RsaSelectionKind selection = RsaSelectionKind::balanced;
  int tile = 0;           // selection tile; 0: the chip's
  double init_std = 0.01; // additive: initial values' std, a fraction of the layer's weight std
  int bits = 0;           // 0: float cells; else signed fixed point of this many bits
  RsaTrainOptions train;  // its seed is used for training
  std::uint64_t seed = 1; // selection and initial values
};

// True if some mapped layer of the chip has a tile it did not place (no crossbar there), so
// cells can only be selected on the chip's own tile grid.
bool leaves_tiles_unplaced(const ChipState& chip);

struct ChipRsa {
  RsaRecord record;             // what the chip file keeps in /rsa
  Model rram;                   // what the RRAM computes: read-back weights, ADC, batch norm
  Tensor adc_calibration;       // the ADC's calibration batch (empty without an ADC)
  std::vector<int> layers;      // the chip's mapped layers
  std::size_t weights = 0;      // weight positions of the mapped layers
  std::size_t placed_weights = 0;
  double cells_percent = 0;     // cells as a percent of placed_weights (0 if none is placed)
  double accuracy_before = 0;   // test accuracy of the chip as programmed
  double accuracy_bn = 0;       // after batch-norm recalibration (accuracy_before without it)
  double accuracy_after = 0;    // with the trained cells
  // Test accuracy after these epochs of training (1-based; set before adapt_chip_rsa), and
  // what it measured there, in epoch order.
  std::vector<int> test_epochs;
  std::vector<std::pair<int, double>> test_after_epoch;
  // Training steps adapt_chip_rsa will take (0 without cells).
  std::size_t steps(std::size_t train_images) const;
};

// Step 1: selects the cells in the placed tiles and initializes them (from `pretrained`, the
// model as programmed), reads the chip back at its read-out conditions (time, read noise, and
// the ADC, calibrated by calibrate_adc on train_set's first images and stored in `chip`) and
// evaluates it on `test`. Without cells, training is set to 0 epochs (no steps, no modeled
// time). Throws Error if options.tile differs from the chip's tile while the chip leaves tiles
// unplaced.
ChipRsa select_chip_rsa(ChipState& chip, const Model& pretrained, const Dataset& train_set, const Dataset& test,
                        const ChipRsaOptions& options);

// Step 2 (optional): re-estimates batch norm's running statistics on a.rram from train_set
// (the RSA cells then train with them frozen), records the report, calibrates the chip's ADC
// again with the new statistics (the one rule: calibrate_adc after recalibration), and
// evaluates on `test`.
void recalibrate_chip_bn(ChipRsa& a, ChipState& chip, const Dataset& train_set, const Dataset& test,
                         const BnRecalibrationOptions& options = {});

// Step 3: trains the cells (adapt_rsa, `progress` gets step, steps, loss) and evaluates the
// adapted chip on `test`, also after each epoch in a.test_epochs.
void adapt_chip_rsa(ChipRsa& a, const Dataset& train_set, const Dataset& validation, const Dataset& test,
                    const std::function<void(long, long, double)>& progress = {});

}  // namespace nnc
