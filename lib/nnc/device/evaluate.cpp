#include "nnc/device/evaluate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "nnc/nn/error.hpp"

namespace nnc {

double ChipEvalSummary::seconds_per_chip() const {
  double sum = 0;
  for (double x : seconds) sum += x;
  return seconds.empty() ? 0.0 : sum / double(seconds.size());
}

void summarize_accuracy(ChipEvalSummary& s) {
  const auto n = s.chips.size();
  if (n == 0) return;
  double sum = 0;
  s.min = s.max = s.chips.front().accuracy;
  for (const auto& r : s.chips) {
    sum += r.accuracy;
    s.min = std::min(s.min, r.accuracy);
    s.max = std::max(s.max, r.accuracy);
  }
  s.mean = sum / double(n);
  double ss = 0;
  for (const auto& r : s.chips) ss += (r.accuracy - s.mean) * (r.accuracy - s.mean);
  s.std = n > 1 ? std::sqrt(ss / double(n - 1)) : 0.0;
}

Tensor adc_calibration_batch(const Dataset& train) {
  if (train.size() == 0) throw Error("ADC calibration needs training images; the training split is empty");
  const std::size_t n = std::min(train.size(), kAdcCalibrationImages);
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::vector<int> labels(n);
  Tensor x;
  fill_batch(train, idx.data(), static_cast<int>(n), x, labels.data());
  return x;
}

ChipEvalSummary evaluate_chips(const Model& model, const DeviceParams& device, const Dataset& test,
                               std::uint64_t seed, int chips, int batch,
                               const std::function<void(int, const EvalResult&)>& each, const Tensor* calibration) {
  device.validate();
  if (device.adc_bits > 0 && !calibration) throw Error("evaluate_chips: an ADC needs a calibration batch");
  ChipEvalSummary s;
  for (int i = 0; i < chips; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const std::uint64_t chip_seed = seed + static_cast<std::uint64_t>(i);
    const ChipState chip = program_chip(model, device, chip_seed);
    Model on_chip = read_back_weights(chip, model);
    if (device.adc_bits > 0) attach_adc(on_chip, chip, *calibration);
    s.chips.push_back(evaluate(on_chip, test, 0, batch));
    s.seeds.push_back(chip_seed);
    s.pulses.push_back(static_cast<double>(chip.pulses()));
    s.time_s.push_back(chip.time_s());
    s.seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (each) each(i, s.chips.back());
  }
  summarize_accuracy(s);
  return s;
}

}  // namespace nnc
