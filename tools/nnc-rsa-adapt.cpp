// nnc-rsa-adapt: Random Sparse Adaptation of a programmed chip (docs/design.md section 7): selects
// RSA cells per tile, trains their values by backprop with the RRAM read-only, and writes the
// chip with an /rsa group (the RRAM state is copied unchanged). With --recalibrate-bn it first
// re-estimates the batch-norm statistics on the chip (the baseline beside RSA) and writes them
// into the chip's model part.
#include <cstdio>
#include <iostream>

#include "nnc/algo/rsa_chip.hpp"
#include "nnc/algo/rvw_compare.hpp"
#include "nnc/cli/device_flags.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/rsa_report.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/io/chip.hpp"
#include "nnc/nn/error.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-rsa-adapt", "Repair a programmed RRAM chip with Random Sparse Adaptation (RSA cells trained, RRAM read-only).",
                 "nnc-rsa-adapt <chip.h5|-> --dataset <name> -o <chip.h5|-> [--density F] [--mode additive|replace] "
                 "[--selection balanced|random] [--epochs N] [--lr X] [--batch N] [--no-augment] [--limit-train N] [--recalibrate-bn]",
                 "nnc-rsa-adapt exp/mnist/lenet5-chip.h5 --dataset mnist --density 0.05 --limit-train 10000 -o exp/mnist/lenet5-rsa.h5");
  tool.graceful_stop = true;
  auto& app = tool.app();
  std::string input, output, mode = "additive", selection = "balanced";
  std::size_t limit_test = 0;
  bool compare_rvw = false, recalibrate_bn = false;
  cli::DataOptions data;
  data.needs_validation = true;
  ChipRsaOptions ro;
  RsaTrainOptions& o = ro.train;
  BnRecalibrationOptions bo;
  app.add_option("input", input, "chip file, - for stdin")->required();
  tool.add_output(output, "output chip file, - for stdout");
  data.Register(app);
  app.add_option("--density", ro.density, "RSA cells per tile, as a fraction of its weight positions")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--mode", mode, "additive (RRAM + RSA) or replace (RRAM cell wired out)")
      ->check(CLI::IsMember({"additive", "replace"}));
  app.add_option("--selection", selection, "balanced (rows and columns within one cell) or random")
      ->check(CLI::IsMember({"balanced", "random"}));
  app.add_option("--tile", ro.tile, "tile size for the selection (0: the chip's)")->check(CLI::Range(0, 1 << 20));
  app.add_option("--init-std", ro.init_std, "additive: initial values N(0, s^2), s = this times the layer's weight std")
      ->check(CLI::Range(0.0, 1e6));
  app.add_option("--bits", ro.bits, "RSA cell precision: 0 = 32-bit float, else signed fixed point of N bits")
      ->check(CLI::Range(0, 24));
  app.add_option("--epochs", o.epochs, "training epochs (--density 0: no cells, nothing trained)")->check(CLI::Range(1, 1000));
  app.add_option("--lr", o.lr, "learning rate")->check(CLI::Range(0.0, 1e6));
  app.add_option("--schedule", o.schedule, "learning rate over the run: constant, or cosine (from --lr down to 0)")
      ->check(CLI::IsMember({"constant", "cosine"}));
  app.add_option("--momentum", o.momentum, "SGD momentum")->check(CLI::Range(0.0, 1.0));
  cli::AugmentFlags augment;  // as in training: on by default for CIFAR
  augment.Register(app);
  app.add_option("--batch", o.batch, "batch size")->check(CLI::Range(1, 1 << 20));
  app.add_option("--eval-points", o.eval_points, "validation accuracy at this many points of the run (plus the start)")
      ->check(CLI::Range(1, 10000));
  app.add_option("--val-limit,--limit-val", o.val_limit, "validate on the first N held-out images (0 = all)");
  app.add_option("--limit-test", limit_test, "report test accuracy on the first N test images (0 = all)");
  std::vector<int> test_epochs;
  app.add_option("--test-epochs", test_epochs, "also report test accuracy after these epochs (comma list, e.g. 1,2)")
      ->delimiter(',')
      ->check(CLI::Range(1, 1000));
  app.add_flag("--compare-rvw", compare_rvw,
               "also program the same chip (its seed and device) with read-verify-write and report its accuracy and time");
  auto* recal_flag = app.add_flag("--recalibrate-bn", recalibrate_bn,
               "first re-estimate every batch-norm layer's running statistics from the training images on the chip "
               "(read-back weights, faults included) and keep them in the output's model part; RSA then trains with "
               "them frozen (--density 0: recalibration alone)");
  app.add_option("--bn-images", bo.limit, "--recalibrate-bn: use the first N training images (0 = all)")
      ->needs(recal_flag);
  DeviceParams readout;  // read-out conditions to adapt at (--read-noise, --time, ...); the rest is the chip's
  cli::register_device_flags(app, readout, false, true);
  tool.add_json_flag("print the report as one JSON object on stdout (needs -o to a file)");

  return tool.run(argc, argv, [&] {
    for (int e : test_epochs) {
      if (e > o.epochs) throw CLI::ValidationError("--test-epochs", std::to_string(e) + " is past --epochs " + std::to_string(o.epochs));
    }
    const cli::AugmentFlags::Resolved aug = augment.resolved(data.dataset);
    o.augment = aug.augment;
    o.augment_pad = aug.pad;
    o.augment_flip = aug.flip;
    o.cutout = aug.cutout;
    check_writable(output);
    const Bytes bytes = read_bytes(input);
    ChipArtifact chip = decode_chip(bytes, input);
    cli::apply_readout_flags(app, readout, chip.chip.device);  // recorded in the output's /device
    tool.add_input("chip", input, bytes, &chip.provenance);
    cli::warn_dataset_mismatch(chip.provenance, input, data.dataset);
    if (chip.rsa) throw bad_input(input, "already has RSA cells (/rsa); adapt the chip as programmed");
    // The model as programmed: R-V-W and replace mode start from it, even once the chip's model
    // part holds recalibrated batch-norm statistics.
    const Model pretrained = chip.model.model;
    if (recalibrate_bn && batch_norm_layers(pretrained).empty()) {
      throw bad_input(input, "chip's model (" + pretrained.spec() + ") has no batch-norm layer to recalibrate");
    }
    auto [train_set, val] = data.load_train();
    cli::check_model_fits(pretrained, train_set, input, data.dataset);
    const Dataset test = data.load_test(limit_test);
    if (ro.tile > 0 && ro.tile != chip.chip.device.tile && leaves_tiles_unplaced(chip.chip)) {
      throw CLI::ValidationError("--tile " + std::to_string(ro.tile) + " differs from the chip's tile " +
                  std::to_string(chip.chip.device.tile) + " and the chip leaves tiles unplaced; omit --tile");
    }
    ro.mode = parse_rsa_mode(mode);
    ro.selection = parse_rsa_selection(selection);
    ro.seed = o.seed = tool.seed;
    ChipRsa a = select_chip_rsa(chip.chip, pretrained, train_set, test, ro);
    cli::info(cli::chip_rsa_cells_text(a));
    if (recalibrate_bn) {
      recalibrate_chip_bn(a, chip.chip, train_set, test, bo);
      copy_batch_norm_statistics(a.rram, chip.model.model);
      cli::info(cli::chip_bn_text(a));
    }
    a.test_epochs = test_epochs;
    cli::Progress progress("adapting", a.steps(train_set.size()));
    adapt_chip_rsa(a, train_set, val, test, [&](long step, long, double loss) {
      if (cli::stop_requested()) throw Error("interrupted; nothing written", ErrorKind::interrupted);
      progress.update(static_cast<std::size_t>(step), "loss " + std::to_string(loss));
    });
    progress.finish();
    chip.rsa = a.record;
    chip.creator = tool.name();
    chip.provenance = tool.provenance();
    save_chip(output, chip);
    cli::info(cli::chip_rsa_result_text(a, output));

    Json j = cli::chip_rsa_json(a, output, data.dataset, test.size());
    j.set("data_dir", data.dir());
    if (compare_rvw) {
      const RvwComparison c = compare_with_rvw(chip.chip, pretrained, a.adc_calibration, test, val, o.val_limit, a.record.report);
      cli::info(cli::rvw_text(c));
      j.set("rvw", cli::rvw_json(c));
    }
    if (tool.json) {
      std::cout << j.dump() << std::endl;
    } else if (output != "-") {
      std::printf("%s", cli::chip_rsa_text(a, output).c_str());
    }
  });
}
