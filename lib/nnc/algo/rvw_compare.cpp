#include "nnc/algo/rvw_compare.hpp"

#include "nnc/train/train.hpp"

namespace nnc {

std::optional<double> time_to_reach(const std::vector<RsaPoint>& points, double accuracy) {
  for (const RsaPoint& p : points) {
    if (p.val_accuracy >= accuracy) return p.time_s;
  }
  return std::nullopt;
}

RvwComparison compare_with_rvw(const ChipState& chip, const Model& pretrained, const Tensor& adc_calibration,
                               const Dataset& test, const Dataset& validation, std::size_t val_limit,
                               const RsaReport& rsa) {
  DeviceParams d = chip.device;
  d.method = "rvw";
  // R-V-W continues a one-shot chip's own first write (what program_chip with its seed would
  // redo), so the comparison keeps its fault map and placement, measured ones included.
  ChipState rvw = chip;
  if (chip.verified()) {
    rvw = program_chip(pretrained, d, chip.seed);
  } else {
    rvw.device = d;
    read_verify_write(pretrained, rvw);
  }
  Model rvw_model = read_back_weights(rvw, pretrained);
  attach_adc(rvw_model, rvw, adc_calibration);
  RvwComparison c;
  c.test_accuracy = evaluate(rvw_model, test).accuracy;
  c.val_accuracy = evaluate(rvw_model, validation, val_limit).accuracy;
  c.pulses = rvw.pulses();
  c.time_s = rvw.time_s();
  c.t_write_s = d.t_write_s;
  c.t_read_s = d.t_read_s;
  c.rsa_time_to_rvw_val_accuracy_s = time_to_reach(rsa.points, c.val_accuracy);
  return c;
}

}  // namespace nnc
