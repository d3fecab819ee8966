// Accuracy of chips: one programmed chip, or a Monte Carlo over N chips programmed in memory
// from one model with seeds seed..seed+N-1 (docs/design.md section 6, nnc-eval --chips).
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "nnc/data/dataset.hpp"
#include "nnc/device/chip.hpp"
#include "nnc/train/train.hpp"

namespace nnc {

struct ChipEvalSummary {
  std::vector<EvalResult> chips;       // one per chip, in seed order
  std::vector<std::uint64_t> seeds;
  std::vector<double> pulses, time_s;  // R-V-W record per chip (0 after one-shot)
  std::vector<double> seconds;         // wall time per chip: programming and evaluation
  double mean = 0, std = 0, min = 0, max = 0;  // of accuracy; std is the sample std (n - 1)
  double seconds_per_chip() const;             // mean wall time per chip
};

// Images of the ADC calibration batch: the first this many of the training split.
constexpr std::size_t kAdcCalibrationImages = 256;
// The ADC calibration batch (attach_adc) of a training split: its first kAdcCalibrationImages
// images (all if it has fewer), normalized, never augmented. Throws if train is empty.
Tensor adc_calibration_batch(const Dataset& train);

// Programs `chips` chips of `model` with `device` (seeds seed, seed+1, ...) and evaluates what
// each computes on `test`. `each` (optional) is called after every chip with its index. With
// device.adc_bits > 0, each chip's ADC is calibrated on `calibration` (adc_calibration_batch of
// the training split; required then, ignored otherwise). On several MPI ranks the chips are
// shared out and gathered (docs/design.md section 13): the summary is one process's, on every
// rank; `each` sees this rank's chips as they finish, then the others' in order.
ChipEvalSummary evaluate_chips(const Model& model, const DeviceParams& device, const Dataset& test,
                               std::uint64_t seed, int chips, int batch = 1000,
                               const std::function<void(int, const EvalResult&)>& each = {},
                               const Tensor* calibration = nullptr);

// Mean, sample standard deviation, min and max of accuracies into summary.
void summarize_accuracy(ChipEvalSummary& summary);

// One chip read `repeats` times (nnc-eval chip.h5 --repeats K): read k uses read seed
// chip.device.read_seed + k, so each draws fresh read noise; the rest of the chip is the same.
struct ChipReads {
  std::vector<EvalResult> reads;  // one per repeat, in order
  std::vector<int> read_seeds;
  double mean = 0, std = 0, min = 0, max = 0;  // of accuracy; std is the sample std (n - 1)
  double loss_mean = 0;
};
// Evaluates read_chip(chip, model) (then `finish`, e.g. RSA applied, if given) on `test`,
// `repeats` times; chip.device.read_seed is restored. With an ADC the chip must be calibrated.
// On several MPI ranks the reads are shared out and gathered in order (docs/design.md section 13).
ChipReads evaluate_reads(ChipState& chip, const Model& model, const Dataset& test, int repeats, int batch = 1000,
                         const std::function<void(Model&)>& finish = {});

}  // namespace nnc
