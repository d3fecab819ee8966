// The R-V-W comparison beside RSA (docs/design.md section 7, nnc-rsa-adapt --compare-rvw): the
// same chip (its seed and device) programmed with read-verify-write instead of one-shot, its
// accuracy, write pulses and modeled time, and when RSA's validation accuracy first reached it.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "nnc/data/dataset.hpp"
#include "nnc/device/chip.hpp"
#include "nnc/device/rsa_record.hpp"
#include "nnc/nn/model.hpp"

namespace nnc {

struct RvwComparison {
  double test_accuracy = 0;  // of the R-V-W chip
  double val_accuracy = 0;   // on the validation images RSA was scored on
  std::uint64_t pulses = 0;  // R-V-W write pulses
  double time_s = 0;         // modeled R-V-W time
  double t_write_s = 0, t_read_s = 0;  // the time model it used (the chip's device)
  // Modeled RSA time at which its validation accuracy first reached val_accuracy; none if never.
  std::optional<double> rsa_time_to_rvw_val_accuracy_s;
};

// The modeled time of the first point (in order) whose validation accuracy is at least
// `accuracy`; none if no point reaches it.
std::optional<double> time_to_reach(const std::vector<RsaPoint>& points, double accuracy);

// Programs `pretrained` with the chip's device switched to method "rvw" and the chip's seed,
// reads it back (through an ADC calibrated on adc_calibration when the device has one, as for
// the chip), evaluates it on `test` and on the first val_limit images of `validation` (0: all),
// and finds when `rsa` reached that validation accuracy.
RvwComparison compare_with_rvw(const ChipState& chip, const Model& pretrained, const Tensor& adc_calibration,
                               const Dataset& test, const Dataset& validation, std::size_t val_limit,
                               const RsaReport& rsa);

}  // namespace nnc
