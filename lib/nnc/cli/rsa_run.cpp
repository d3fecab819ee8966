#include "nnc/cli/rsa_run.hpp"

#include <cstdio>
#include <iostream>

#include "nnc/algo/rvw_compare.hpp"
#include "nnc/cli/device_flags.hpp"
#include "nnc/cli/rsa_report.hpp"
#include "nnc/io/chip.hpp"
#include "nnc/nn/error.hpp"

namespace nnc::cli {

namespace {
// The words are the library's own (to_string), the names /rsa records.
const Choices<RsaMode> kRsaModes = {{to_string(RsaMode::additive), RsaMode::additive},
                                    {to_string(RsaMode::replace), RsaMode::replace}};
const Choices<RsaSelectionKind> kRsaSelections = {{to_string(RsaSelectionKind::balanced), RsaSelectionKind::balanced},
                                                  {to_string(RsaSelectionKind::random), RsaSelectionKind::random}};
const std::vector<std::string> kRsaSchedules = {"constant", "cosine"};  // RsaTrainOptions::schedule
const std::vector<std::string> kRsaOptimizers = {"sgd", "adam"};        // RsaTrainOptions::optimizer
}  // namespace

void RsaFlags::Register(Registrar r) {
  data.needs_validation = true;
  data.Register(r);
  ChipRsaOptions& ro = options;
  RsaTrainOptions& o = options.train;
  r.add("--density", ro.density, "RSA cells per tile, as a fraction of its weight positions", 0.0, 1.0);
  r.add_choice("--mode", ro.mode, kRsaModes, "additive (RRAM + RSA) or replace (RRAM cell wired out)");
  r.add_choice("--selection", ro.selection, kRsaSelections, "balanced (rows and columns within one cell) or random");
  r.add("--tile", ro.tile, "tile size for the selection (0: the chip's)", 0, 1 << 20);
  r.add("--init-std", ro.init_std, "additive: initial values N(0, s^2), s = this times the layer's weight std", 0.0, 1e6);
  r.add("--bits", ro.bits, "RSA cell precision: 0 = 32-bit float, else signed fixed point of N bits", 0, 24);
  r.add("--epochs", o.epochs, "training epochs (--density 0: no cells, nothing trained)", 1, 1000);
  r.add("--lr", o.lr, "learning rate", 0.0, 1e6);
  r.add_choice("--schedule", o.schedule, kRsaSchedules,
               "learning rate over the run: constant, or cosine (from --lr down to 0)");
  r.add_choice("--optimizer", o.optimizer, kRsaOptimizers,
               "sgd (with momentum), or adam (per-cell step sizes; beta1 = --momentum, beta2 0.999)");
  r.add("--momentum", o.momentum, "SGD momentum; Adam's beta1 (below 1)", 0.0, 1.0);
  augment.by_default = AugmentFlags::On::none;  // docs/results.md: it does not help RSA
  augment.Register(r);
  r.add("--batch", o.batch, "batch size", 1, 1 << 20);
  r.add("--eval-points", o.eval_points, "validation accuracy at this many points of the run (plus the start)", 1, 10000);
  r.add("--val-limit,--limit-val", o.val_limit, "validate on the first N held-out images (0 = all)");
  r.add("--limit-test", limit_test, "report test accuracy on the first N test images (0 = all)");
  r.add("--test-epochs", test_epochs, "also report test accuracy after these epochs (comma list, e.g. 1,2)")
      ->delimiter(',')
      ->check(CLI::Range(1, 1000));
  r.add_flag("--compare-rvw", compare_rvw,
             "also program the same chip (its seed and device) with read-verify-write and report its accuracy and time");
  auto* recal_flag = r.add_flag("--recalibrate-bn", recalibrate_bn,
                                "first re-estimate every batch-norm layer's running statistics from the training images on "
                                "the chip (read-back weights, faults included) and keep them in the output's model part; "
                                "RSA then trains with them frozen (--density 0: recalibration alone)");
  r.add("--bn-images", bn.limit, "--recalibrate-bn: use the first N training images (0 = all)")->needs(recal_flag);
  register_device_flags(r, readout, false, true);
}

namespace {

// The chip as read, at the read-out conditions given (recorded in the output's /device).
ChipArtifact read_chip_input(Tool& tool, const RsaFlags& f) {
  const Bytes bytes = read_bytes(f.input);
  ChipArtifact chip = decode_chip(bytes, f.input);
  apply_readout_flags(tool.app(), f.readout, chip.chip.device);
  tool.add_input("chip", f.input, bytes, &chip.provenance);
  warn_dataset_mismatch(chip.provenance, f.input, f.data.dataset);
  if (chip.rsa) throw bad_input(f.input, "already has RSA cells (/rsa); adapt the chip as programmed");
  return chip;
}

}  // namespace

void run_rsa_adapt(Tool& tool, RsaFlags& f) {
  ChipRsaOptions& ro = f.options;
  RsaTrainOptions& o = ro.train;
  for (int e : f.test_epochs) {
    if (e > o.epochs) throw CLI::ValidationError("--test-epochs", std::to_string(e) + " is past --epochs " + std::to_string(o.epochs));
  }
  const AugmentFlags::Resolved aug = f.augment.resolved(f.data.dataset);
  o.augment = aug.augment;
  o.augment_pad = aug.pad;
  o.augment_flip = aug.flip;
  o.cutout = aug.cutout;
  check_writable(f.output);
  ChipArtifact chip = read_chip_input(tool, f);
  // The model as programmed: R-V-W and replace mode start from it, even once the chip's model
  // part holds recalibrated batch-norm statistics.
  const Model pretrained = chip.model.model;
  if (f.recalibrate_bn && batch_norm_layers(pretrained).empty()) {
    throw bad_input(f.input, "chip's model (" + pretrained.spec() + ") has no batch-norm layer to recalibrate");
  }
  auto [train_set, val] = f.data.load_train();
  check_model_fits(pretrained, train_set, f.input, f.data.dataset);
  const Dataset test = f.data.load_test(f.limit_test);
  if (ro.tile > 0 && ro.tile != chip.chip.device.tile && leaves_tiles_unplaced(chip.chip)) {
    throw CLI::ValidationError("--tile " + std::to_string(ro.tile) + " differs from the chip's tile " +
                               std::to_string(chip.chip.device.tile) + " and the chip leaves tiles unplaced; omit --tile");
  }
  ro.seed = o.seed = tool.seed;
  ChipRsa a = select_chip_rsa(chip.chip, pretrained, train_set, test, ro);
  info(chip_rsa_cells_text(a));
  if (f.recalibrate_bn) {
    recalibrate_chip_bn(a, chip.chip, train_set, test, f.bn);
    copy_batch_norm_statistics(a.rram, chip.model.model);
    info(chip_bn_text(a));
  }
  a.test_epochs = f.test_epochs;
  Progress progress("adapting", a.steps(train_set.size()));
  adapt_chip_rsa(a, train_set, val, test, [&](long step, long, double loss) {
    if (stop_requested()) throw Error("interrupted; nothing written", ErrorKind::interrupted);
    progress.update(static_cast<std::size_t>(step), "loss " + std::to_string(loss));
  });
  progress.finish();
  chip.rsa = a.record;
  chip.creator = tool.name();
  chip.provenance = tool.provenance();
  save_chip(f.output, chip);
  info(chip_rsa_result_text(a, f.output));

  Json j = chip_rsa_json(a, f.output, f.data.dataset, test.size());
  j.set("data_dir", f.data.dir());
  if (f.compare_rvw) {
    const RvwComparison c = compare_with_rvw(chip.chip, pretrained, a.adc_calibration, test, val, o.val_limit, a.record.report);
    info(rvw_text(c));
    j.set("rvw", rvw_json(c));
  }
  if (tool.json) {
    std::cout << j.dump() << std::endl;
  } else if (f.output != "-") {
    std::printf("%s", chip_rsa_text(a, f.output).c_str());
  }
}

}  // namespace nnc::cli
