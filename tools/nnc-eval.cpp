// nnc-eval: accuracy, loss, confusion and per-layer size of a model or a chip on a dataset's
// test split; on a model with device flags and --chips N, a Monte Carlo over N chips; on a chip,
// at other read-out conditions (--time, --read-noise, --adc-bits, ...) and --repeats K reads.
#include <cstdio>
#include <iostream>
#include <limits>

#include "nnc/algo/rsa.hpp"
#include "nnc/cli/chip_report.hpp"
#include "nnc/cli/device_flags.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/report.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/algo/chip_eval.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/io/chip.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-eval", "Evaluate a model, a chip, or N chips programmed from a model, on a test split.",
                 "nnc-eval <model.h5|chip.h5|-> --dataset <name> [--limit-test N] [--chips N device flags] "
                 "[chip: read-out flags, --repeats K] [--json]",
                 "nnc-eval exp/mnist/lenet5.h5 --dataset mnist --chips 5 --sigma 0.1 --json");
  auto& app = tool.app();
  std::string input;
  std::size_t limit = 0;
  int batch = 1000, chips = 0, repeats = 1;
  cli::DataOptions data;
  DeviceParams device;
  app.add_option("input", input, "model or chip file, - for stdin")->required();
  data.Register(app, false);
  app.add_option("--limit-test,--limit", limit, "evaluate only the first N test images (0 = all; --limit: old name)");
  app.add_option("--batch", batch, "inference batch size")->check(CLI::Range(1, 1 << 20));
  app.add_option("--chips", chips, "program N chips from the model (seeds seed..seed+N-1) and evaluate each")
      ->check(CLI::Range(0, 100000));
  app.add_option("--repeats", repeats, "chip file: read it K times with read seeds --read-seed..+K-1 (fresh read "
                 "noise each) and report the mean and spread")->check(CLI::Range(1, 100000));
  cli::register_device_flags(app, device);
  tool.add_json_flag();

  return tool.run(argc, argv, [&] {
    if (chips > 0) device.validate();
    if (device.read_seed > std::numeric_limits<int>::max() - (repeats - 1)) {
      throw CLI::ValidationError("--read-seed " + std::to_string(device.read_seed) + " + --repeats must stay below 2^31");
    }
    const Bytes bytes = read_bytes(input);
    const std::string kind = artifact_kind(bytes, input);
    if (kind == "chip" && chips > 0) {
      throw bad_input(input, "is a chip; --chips programs new chips and needs a model file");
    }
    if (kind != "chip" && chips == 0 && cli::device_flags_given(app)) {
      throw CLI::ValidationError("device flags need --chips N (chips programmed from a model) or a chip file");
    }
    if (kind != "chip" && repeats > 1) {
      throw CLI::ValidationError("--repeats reads one chip file several times; with --chips N vary --read-seed instead");
    }
    ModelArtifact a;
    ChipArtifact chip;
    ChipReads reads;
    if (kind == "chip") {
      if (const std::string flag = cli::programming_flag_given(app); !flag.empty()) {
        throw CLI::ValidationError(flag + " changes how a chip is programmed, and " + input +
                                   " is programmed already; a chip file takes only read-out flags (--read-noise, "
                                   "--read-seed, --adc-bits, --time, --drift-*)");
      }
      chip = decode_chip(bytes, input);
      tool.add_input("chip", input, bytes, &chip.provenance);
      cli::warn_dataset_mismatch(chip.provenance, input, data.dataset);
      cli::apply_readout_flags(app, device, chip.chip.device);
      if (chip.chip.device.adc_bits > 0 && !adc_calibrated(chip.chip)) {
        cli::info("calibrating the ADC (the chip holds no full scales) on the first " +
                  std::to_string(kAdcCalibrationImages) + " training images");
        calibrate_adc(chip.chip, chip.model.model, adc_calibration_batch(data.load(Split::train)));
      }
      a.model = read_chip(chip.chip, chip.model.model);
      if (chip.rsa) apply_rsa(a.model, chip.rsa->state);  // RRAM output (through the ADC) + RSA output
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
    EvalResult r;
    if (kind == "chip") {
      reads = evaluate_reads(chip.chip, chip.model.model, test, repeats, batch, [&](Model& m) {
        if (chip.rsa) apply_rsa(m, chip.rsa->state);
      });
      r = reads.reads.front();
    } else {
      r = evaluate(a.model, test, 0, batch);
    }
    const auto stats = layer_stats(a.model);
    if (tool.json) {
      Json j = cli::eval_json(r);
      j.set("file", input).set("dataset", data.dataset).set("data_dir", data.dir()).set("kind", kind);
      j.set("params", a.model.param_count()).set("nonzero_params", a.model.nonzero_param_count());
      j.set("layers", cli::layers_json(stats));
      if (kind == "chip") j.set("chip", cli::chip_json(chip.chip)).set("device", cli::device_json(chip.chip.device));
      if (repeats > 1) cli::set_reads_json(j, reads);
      std::cout << j.dump() << std::endl;
      return;
    }
    std::printf("%s (%s) on %s test (%zu images): accuracy %.4f, loss %.4f\n", input.c_str(), kind.c_str(),
                data.dataset.c_str(), r.samples, r.accuracy, r.loss);
    if (repeats > 1) std::printf("%s", cli::reads_text(reads).c_str());
    std::printf("%s", cli::layers_text(stats).c_str());
  });
}
