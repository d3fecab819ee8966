// nnc-eval: accuracy, loss, confusion and per-layer size of a model or a chip on a dataset's
// test split; on a model with device flags and --chips N, a Monte Carlo over N chips.
#include <cstdio>
#include <iostream>

#include "nnc/algo/rsa.hpp"
#include "nnc/cli/chip_report.hpp"
#include "nnc/cli/device_flags.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/report.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/device/evaluate.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/io/chip.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-eval", "Evaluate a model, a chip, or N chips programmed from a model, on a test split.",
                 "nnc-eval <model.h5|chip.h5|-> --dataset <name> [--limit-test N] [--chips N device flags] [--json]",
                 "nnc-eval exp/mnist/lenet5.h5 --dataset mnist --chips 5 --sigma 0.1 --json");
  auto& app = tool.app();
  std::string input;
  std::size_t limit = 0;
  int batch = 1000, chips = 0;
  cli::DataOptions data;
  DeviceParams device;
  app.add_option("input", input, "model or chip file, - for stdin")->required();
  data.Register(app, false);
  app.add_option("--limit-test,--limit", limit, "evaluate only the first N test images (0 = all; --limit: old name)");
  app.add_option("--batch", batch, "inference batch size")->check(CLI::Range(1, 1 << 20));
  app.add_option("--chips", chips, "program N chips from the model (seeds seed..seed+N-1) and evaluate each")
      ->check(CLI::Range(0, 100000));
  cli::register_device_flags(app, device);
  tool.add_json_flag();

  return tool.run(argc, argv, [&] {
    if (chips > 0) device.validate();
    if (chips == 0 && cli::device_flags_given(app)) {
      throw CLI::ValidationError("device flags need --chips N (chips programmed from a model); a chip file carries its own");
    }
    const Bytes bytes = read_bytes(input);
    const std::string kind = artifact_kind(bytes, input);
    if (kind == "chip" && chips > 0) {
      throw bad_input(input, "is a chip; --chips programs new chips and needs a model file");
    }
    ModelArtifact a;
    ChipArtifact chip;
    if (kind == "chip") {
      chip = decode_chip(bytes, input);
      tool.add_input("chip", input, bytes, &chip.provenance);
      cli::warn_dataset_mismatch(chip.provenance, input, data.dataset);
      a.model = read_back_weights(chip.chip, chip.model.model);
      if (chip.chip.device.adc_bits > 0) {  // calibrated on the RRAM alone, RSA is added after the ADC
        attach_adc(a.model, chip.chip, adc_calibration_batch(data.load(Split::train)));
      }
      if (chip.rsa) apply_rsa(a.model, chip.rsa->state);  // RRAM output + RSA output
    } else {
      a = decode_model(bytes, input);
      tool.add_input("model", input, bytes, &a.provenance);
      cli::warn_dataset_mismatch(a.provenance, input, data.dataset);
    }
    Dataset test = data.load_test(limit);
    cli::check_model_fits(a.model, test, input, data.dataset);
    if (chips > 0) {
      cli::check_device_flags(device, a.model);
      Tensor calibration;
      if (device.adc_bits > 0) {
        calibration = adc_calibration_batch(data.load(Split::train));
      }
      const ChipEvalSummary s = evaluate_chips(a.model, device, test, tool.seed, chips, batch, [&](int i, const EvalResult& r) {
        cli::info("chip " + std::to_string(i + 1) + "/" + std::to_string(chips) + " (seed " +
                  std::to_string(tool.seed + i) + "): accuracy " + std::to_string(r.accuracy));
      }, &calibration);
      if (tool.json) {
        Json j = cli::chip_eval_json(s);
        j.set("file", input).set("dataset", data.dataset).set("data_dir", data.dir()).set("kind", "chips");
        j.set("device", cli::device_json(device));
        std::cout << j.dump() << std::endl;
        return;
      }
      std::printf("%s on %s test (%zu images), %d chips (seeds %llu..%llu): accuracy mean %.4f std %.4f min %.4f max %.4f, "
                  "%.2f s per chip\n", input.c_str(), data.dataset.c_str(), test.size(), chips,
                  static_cast<unsigned long long>(tool.seed), static_cast<unsigned long long>(tool.seed + chips - 1),
                  s.mean, s.std, s.min, s.max, s.seconds_per_chip());
      std::printf("%s", cli::device_text(device).c_str());
      return;
    }
    const EvalResult r = evaluate(a.model, test, 0, batch);
    const auto stats = layer_stats(a.model);
    if (tool.json) {
      Json j = cli::eval_json(r);
      j.set("file", input).set("dataset", data.dataset).set("data_dir", data.dir()).set("kind", kind);
      j.set("params", a.model.param_count()).set("nonzero_params", a.model.nonzero_param_count());
      j.set("layers", cli::layers_json(stats));
      if (kind == "chip") j.set("chip", cli::chip_json(chip.chip));
      std::cout << j.dump() << std::endl;
      return;
    }
    std::printf("%s (%s) on %s test (%zu images): accuracy %.4f, loss %.4f\n", input.c_str(), kind.c_str(),
                data.dataset.c_str(), r.samples, r.accuracy, r.loss);
    std::printf("%s", cli::layers_text(stats).c_str());
  });
}
