#include "nnc/cli/eval_run.hpp"

#include <cstdio>
#include <iostream>
#include <limits>

#include "nnc/algo/rsa.hpp"
#include "nnc/cli/chip_report.hpp"
#include "nnc/cli/device_flags.hpp"
#include "nnc/cli/report.hpp"
#include "nnc/algo/chip_eval.hpp"
#include "nnc/io/chip.hpp"
#include "nnc/nn/error.hpp"

namespace nnc::cli {

void EvalFlags::Register(Registrar r) {
  r.add("input", input, "model or chip file, - for stdin")->required();
  data.Register(r, false);
  r.add("--limit-test,--limit", limit, "evaluate only the first N test images (0 = all; --limit: old name)");
  r.add("--batch", batch, "inference batch size", 1, 1 << 20);
  r.add("--chips", chips, "program N chips from the model (seeds seed..seed+N-1) and evaluate each", 0, 100000);
  r.add("--repeats", repeats, "chip file: read it K times with read seeds --read-seed..+K-1 (fresh read "
        "noise each) and report the mean and spread", 1, 100000);
  register_device_flags(r, device);
}

namespace {

// The flags that need the input's kind: --chips needs a model, device flags a chip or --chips,
// --repeats a chip, and a chip file takes only read-out flags.
void check_flags_for(const std::string& kind, Tool& tool, const EvalFlags& f) {
  if (kind == "chip" && f.chips > 0) {
    throw bad_input(f.input, "is a chip; --chips programs new chips and needs a model file");
  }
  if (kind != "chip" && f.chips == 0 && device_flags_given(tool.app())) {
    throw CLI::ValidationError("device flags need --chips N (chips programmed from a model) or a chip file");
  }
  if (kind != "chip" && f.repeats > 1) {
    throw CLI::ValidationError("--repeats reads one chip file several times; with --chips N vary --read-seed instead");
  }
}

// The chip file at the read-out conditions given, its ADC calibrated if it holds no full scales.
ChipArtifact read_chip_input(Tool& tool, const EvalFlags& f, const Bytes& bytes) {
  if (const std::string flag = programming_flag_given(tool.app()); !flag.empty()) {
    throw CLI::ValidationError(flag + " changes how a chip is programmed, and " + f.input +
                               " is programmed already; a chip file takes only read-out flags (--read-noise, "
                               "--read-seed, --adc-bits, --time, --drift-*)");
  }
  ChipArtifact chip = decode_chip(bytes, f.input);
  tool.add_input("chip", f.input, bytes, &chip.provenance);
  warn_dataset_mismatch(chip.provenance, f.input, f.data.dataset);
  apply_readout_flags(tool.app(), f.device, chip.chip.device);
  if (chip.chip.device.adc_bits > 0 && !adc_calibrated(chip.chip)) {
    info("calibrating the ADC (the chip holds no full scales) on the first " + std::to_string(kAdcCalibrationImages) +
         " training images");
    calibrate_adc(chip.chip, chip.model.model, adc_calibration_batch(f.data.load(Split::train)));
  }
  return chip;
}

// --chips N: N chips programmed from `model`, each evaluated; their mean, spread and device.
void eval_chips(const Tool& tool, const EvalFlags& f, const Model& model, const Dataset& test) {
  check_device_flags(f.device, model);
  Tensor calibration;
  if (f.device.adc_bits > 0) {
    calibration = adc_calibration_batch(f.data.load(Split::train));
  }
  const ChipEvalSummary s = evaluate_chips(model, f.device, test, tool.seed, f.chips, f.batch, [&](int i, const EvalResult& r) {
    info("chip " + std::to_string(i + 1) + "/" + std::to_string(f.chips) + " (seed " + std::to_string(tool.seed + i) +
         "): accuracy " + std::to_string(r.accuracy));
  }, &calibration);
  if (tool.json) {
    Json j = chip_eval_json(s);
    j.set("file", f.input).set("dataset", f.data.dataset).set("data_dir", f.data.dir()).set("kind", "chips");
    j.set("device", device_json(f.device));
    std::cout << j.dump() << std::endl;
    return;
  }
  std::printf("%s on %s test (%zu images), %d chips (seeds %llu..%llu): accuracy mean %.4f std %.4f min %.4f max %.4f, "
              "%.2f s per chip\n", f.input.c_str(), f.data.dataset.c_str(), test.size(), f.chips,
              static_cast<unsigned long long>(tool.seed), static_cast<unsigned long long>(tool.seed + f.chips - 1),
              s.mean, s.std, s.min, s.max, s.seconds_per_chip());
  std::printf("%s", device_text(f.device).c_str());
}

}  // namespace

void run_eval(Tool& tool, EvalFlags& f) {
  if (f.chips > 0) f.device.validate();
  if (f.device.read_seed > std::numeric_limits<int>::max() - (f.repeats - 1)) {
    throw CLI::ValidationError("--read-seed " + std::to_string(f.device.read_seed) + " + --repeats must stay below 2^31");
  }
  const Bytes bytes = read_bytes(f.input);
  const std::string kind = artifact_kind(bytes, f.input);
  check_flags_for(kind, tool, f);
  ModelArtifact a;
  ChipArtifact chip;
  if (kind == "chip") {
    chip = read_chip_input(tool, f, bytes);
    a.model = read_chip(chip.chip, chip.model.model);
    if (chip.rsa) apply_rsa(a.model, chip.rsa->state);  // RRAM output (through the ADC) + RSA output
  } else {
    a = decode_model(bytes, f.input);
    tool.add_input("model", f.input, bytes, &a.provenance);
    warn_dataset_mismatch(a.provenance, f.input, f.data.dataset);
  }
  Dataset test = f.data.load_test(f.limit);
  check_model_fits(a.model, test, f.input, f.data.dataset);
  if (f.chips > 0) return eval_chips(tool, f, a.model, test);

  EvalResult r;
  ChipReads reads;
  if (kind == "chip") {
    reads = evaluate_reads(chip.chip, chip.model.model, test, f.repeats, f.batch, [&](Model& m) {
      if (chip.rsa) apply_rsa(m, chip.rsa->state);
    });
    r = reads.reads.front();
  } else {
    r = evaluate(a.model, test, 0, f.batch);
  }
  const auto stats = layer_stats(a.model);
  if (tool.json) {
    Json j = eval_json(r);
    j.set("file", f.input).set("dataset", f.data.dataset).set("data_dir", f.data.dir()).set("kind", kind);
    set_param_counts(j, a.model.param_counts());
    j.set("nonzero_params", a.model.nonzero_param_count());  // the older name of params
    j.set("layers", layers_json(stats));
    if (kind == "chip") j.set("chip", chip_json(chip.chip)).set("device", device_json(chip.chip.device));
    if (f.repeats > 1) set_reads_json(j, reads);
    std::cout << j.dump() << std::endl;
    return;
  }
  std::printf("%s (%s) on %s test (%zu images): accuracy %.4f, loss %.4f\n", f.input.c_str(), kind.c_str(),
              f.data.dataset.c_str(), r.samples, r.accuracy, r.loss);
  if (f.repeats > 1) std::printf("%s", reads_text(reads).c_str());
  std::printf("%s", layers_text(stats).c_str());
}

}  // namespace nnc::cli
