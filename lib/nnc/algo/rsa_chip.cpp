#include "nnc/algo/rsa_chip.hpp"

#include <algorithm>

#include "nnc/algo/chip_eval.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/streams.hpp"
#include "nnc/train/train.hpp"

namespace nnc {

namespace {

std::vector<int> chip_layers(const ChipState& chip) {
  std::vector<int> layers;
  for (const LayerChip& lc : chip.layers) layers.push_back(lc.layer);
  return layers;
}

}  // namespace

bool leaves_tiles_unplaced(const ChipState& chip) {
  const auto placed = placed_tiles(chip, chip_layers(chip));
  return std::any_of(placed.begin(), placed.end(), [](const auto& u) { return !u.empty(); });
}

std::size_t ChipRsa::steps(std::size_t train_images) const {
  return static_cast<std::size_t>(steps_per_epoch(train_images, record.options.batch)) *
         static_cast<std::size_t>(record.options.epochs);
}

ChipRsa select_chip_rsa(ChipState& chip, const Model& pretrained, const Dataset& train_set, const Dataset& test,
                        const ChipRsaOptions& options) {
  ChipRsa a;
  a.layers = chip_layers(chip);
  RsaRecord& rec = a.record;
  rec.init_std_fraction = options.init_std;
  rec.options = options.train;
  rec.time = {chip.device.t_mvm_s, chip.device.t_sram_s};
  // Cells only in the tiles the chip placed: an unplaced tile has no crossbar beside which an
  // RSA array could sit.
  const auto placed = placed_tiles(chip, a.layers);
  const int tile = options.tile > 0 ? options.tile : chip.device.tile;
  if (tile != chip.device.tile &&
      std::any_of(placed.begin(), placed.end(), [](const auto& u) { return !u.empty(); })) {
    throw Error("selection tile " + std::to_string(tile) + " differs from the chip's tile " +
                std::to_string(chip.device.tile) + " and the chip leaves tiles unplaced");
  }
  rec.state = init_rsa(pretrained,
                       select_rsa(pretrained, a.layers, options.density, options.selection, options.seed, tile, placed),
                       options.mode, options.init_std, options.bits, options.seed);
  if (rec.state.cells() == 0) rec.options.epochs = 0;  // nothing to train: no steps, no modeled time
  // An ADC reads the RRAM alone: calibrated before adaptation, RSA added after it.
  if (chip.device.adc_bits > 0) {
    a.adc_calibration = adc_calibration_batch(train_set);
    calibrate_adc(chip, pretrained, a.adc_calibration);
  }
  a.rram = read_chip(chip, pretrained);
  for (const LayerChip& lc : chip.layers) a.weights += lc.size();
  a.placed_weights = rec.state.selection.placed();
  a.cells_percent = a.placed_weights ? 100.0 * rec.state.cells() / a.placed_weights : 0.0;
  start_reads(a.rram, stream::read::kTest);
  a.accuracy_before = evaluate(a.rram, test).accuracy;
  a.accuracy_bn = a.accuracy_before;
  return a;
}

void recalibrate_chip_bn(ChipRsa& a, ChipState& chip, const Dataset& train_set, const Dataset& test,
                         const BnRecalibrationOptions& options) {
  start_reads(a.rram, stream::read::kBnRecalibration);
  a.record.bn_recalibration = recalibrate_batch_norm(a.rram, train_set, a.layers, a.record.time.t_mvm_s, options);
  if (chip.device.adc_bits > 0) {  // the ranges follow the statistics every later read uses
    calibrate_adc(chip, a.rram, a.adc_calibration);
    attach_readout(a.rram, chip);
  }
  start_reads(a.rram, stream::read::kTest);
  a.accuracy_bn = evaluate(a.rram, test).accuracy;
}

void adapt_chip_rsa(ChipRsa& a, const Dataset& train_set, const Dataset& validation, const Dataset& test,
                    const std::function<void(long, long, double)>& progress) {
  const auto accuracy_with = [&](const RsaState& state) {
    Model adapted = a.rram;
    apply_rsa(adapted, state);
    start_reads(adapted, stream::read::kTest);
    return evaluate(adapted, test).accuracy;
  };
  a.test_after_epoch.clear();
  const auto after_epoch = [&](int epoch, const RsaState& state) {
    if (std::find(a.test_epochs.begin(), a.test_epochs.end(), epoch) == a.test_epochs.end()) return;
    a.test_after_epoch.emplace_back(epoch, accuracy_with(state));
  };
  a.record.report = adapt_rsa(a.rram, a.record.state, train_set, validation, a.record.options, a.record.time, progress,
                              after_epoch);
  a.accuracy_after = accuracy_with(a.record.state);
}

}  // namespace nnc
