// nnc-rsa-adapt: Random Sparse Adaptation of a programmed chip (docs/design.md section 7): selects
// RSA cells per tile, trains their values by backprop with the RRAM read-only, and writes the
// chip with an /rsa group (the RRAM state is copied unchanged). With --recalibrate-bn it first
// re-estimates the batch-norm statistics on the chip (the baseline beside RSA) and writes them
// into the chip's model part.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "nnc/algo/bn_recalibrate.hpp"
#include "nnc/algo/rsa.hpp"
#include "nnc/cli/json.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/device/evaluate.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/io/chip.hpp"

using namespace nnc;

// Programs the same chip (its seed and device) with read-verify-write and reports its accuracy,
// pulses and modeled time, and when RSA's validation accuracy first reached R-V-W's.
static Json compare_with_rvw(const ChipState& chip, const Model& pretrained, const Tensor& adc_calibration,
                             const Dataset& test, const Dataset& val, std::size_t val_limit, const RsaReport& rsa) {
  DeviceParams d = chip.device;
  d.method = "rvw";
  const ChipState rvw = program_chip(pretrained, d, chip.seed);
  Model rvw_model = read_back_weights(rvw, pretrained);
  attach_adc(rvw_model, rvw, adc_calibration);
  const double rvw_test = evaluate(rvw_model, test).accuracy;
  const double rvw_val = evaluate(rvw_model, val, val_limit).accuracy;
  Json reach;
  for (const RsaPoint& p : rsa.points) {
    if (p.val_accuracy >= rvw_val) {
      reach = Json(p.time_s);
      break;
    }
  }
  cli::info("R-V-W on the same chip: test accuracy " + std::to_string(rvw_test) + ", " + std::to_string(rvw.pulses()) +
            " pulses, modeled " + std::to_string(rvw.time_s()) + " s");
  return Json::object()
      .set("accuracy", rvw_test)
      .set("val_accuracy", rvw_val)
      .set("pulses", static_cast<double>(rvw.pulses()))
      .set("time_s", rvw.time_s())
      .set("t_write_s", d.t_write_s)
      .set("t_read_s", d.t_read_s)
      .set("rsa_time_to_rvw_val_accuracy_s", reach);
}

int main(int argc, char** argv) {
  cli::Tool tool("nnc-rsa-adapt", "Repair a programmed RRAM chip with Random Sparse Adaptation (RSA cells trained, RRAM read-only).",
                 "nnc-rsa-adapt <chip.h5|-> --dataset <name> -o <chip.h5|-> [--density F] [--mode additive|replace] "
                 "[--selection balanced|random] [--epochs N] [--lr X] [--batch N] [--limit-train N] [--recalibrate-bn]",
                 "nnc-rsa-adapt exp/mnist/lenet5-chip.h5 --dataset mnist --density 0.05 --limit-train 10000 -o exp/mnist/lenet5-rsa.h5");
  auto& app = tool.app();
  std::string input, output, mode = "additive", selection = "balanced";
  double density = 0.05, init_std = 0.01;
  int bits = 0, tile = 0;
  std::size_t limit_test = 0;
  bool compare_rvw = false, recalibrate_bn = false;
  std::size_t bn_images = 0;
  cli::DataOptions data;
  RsaTrainOptions o;
  app.add_option("input", input, "chip file, - for stdin")->required();
  app.add_option("-o,--output", output, "output chip file, - for stdout")->required();
  data.Register(app);
  app.add_option("--density", density, "RSA cells per tile, as a fraction of its weight positions")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--mode", mode, "additive (RRAM + RSA) or replace (RRAM cell wired out)")
      ->check(CLI::IsMember({"additive", "replace"}));
  app.add_option("--selection", selection, "balanced (rows and columns within one cell) or random")
      ->check(CLI::IsMember({"balanced", "random"}));
  app.add_option("--tile", tile, "tile size for the selection (0: the chip's)")->check(CLI::Range(0, 1 << 20));
  app.add_option("--init-std", init_std, "additive: initial values N(0, s^2), s = this times the layer's weight std")
      ->check(CLI::Range(0.0, 1e6));
  app.add_option("--bits", bits, "RSA cell precision: 0 = 32-bit float, else signed fixed point of N bits")
      ->check(CLI::Range(0, 24));
  app.add_option("--epochs", o.epochs, "training epochs")->check(CLI::Range(0, 1000));
  app.add_option("--lr", o.lr, "learning rate")->check(CLI::Range(0.0, 1e6));
  app.add_option("--momentum", o.momentum, "SGD momentum")->check(CLI::Range(0.0, 1.0));
  app.add_option("--batch", o.batch, "batch size")->check(CLI::Range(1, 1 << 20));
  app.add_option("--eval-points", o.eval_points, "validation accuracy at this many points of the run (plus the start)")
      ->check(CLI::Range(1, 10000));
  app.add_option("--val-limit", o.val_limit, "validate on the first N held-out images (0 = all)");
  app.add_option("--limit-test", limit_test, "report test accuracy on the first N test images (0 = all)");
  app.add_flag("--compare-rvw", compare_rvw,
               "also program the same chip (its seed and device) with read-verify-write and report its accuracy and time");
  auto* recal_flag = app.add_flag("--recalibrate-bn", recalibrate_bn,
               "first re-estimate every batch-norm layer's running statistics from the training images on the chip "
               "(read-back weights, faults included) and keep them in the output's model part; RSA then trains with "
               "them frozen (--density 0: recalibration alone)");
  app.add_option("--bn-images", bn_images, "--recalibrate-bn: use the first N training images (0 = all)")
      ->needs(recal_flag);
  tool.add_json_flag("print the report as one JSON object on stdout (needs -o to a file)");

  return tool.run(argc, argv, [&] {
    if (tool.json && output == "-") throw Error("--json prints to stdout, so -o cannot be - as well");
    check_writable(output);
    const Bytes bytes = read_bytes(input);
    ChipArtifact chip = decode_chip(bytes, input);
    tool.add_input("chip", input, bytes, &chip.provenance);
    if (chip.rsa) throw bad_input(input, "already has RSA cells (/rsa); adapt the chip as programmed");
    // The model as programmed: R-V-W and replace mode start from it, even once the chip's model
    // part holds recalibrated batch-norm statistics.
    const Model pretrained = chip.model.model;
    if (recalibrate_bn && batch_norm_layers(pretrained).empty()) {
      throw bad_input(input, "chip's model (" + pretrained.spec() + ") has no batch-norm layer to recalibrate");
    }
    auto [train_set, val] = data.load_train();
    if (pretrained.input_shape() != train_set.shape || pretrained.classes() != train_set.classes) {
      throw bad_input(input, "chip's model takes " + pretrained.input_shape().str() + " inputs and " +
                                 std::to_string(pretrained.classes()) + " classes; " + data.dataset + " has " +
                                 train_set.shape.str() + " and " + std::to_string(train_set.classes));
    }
    const Dataset test = data.load_test(limit_test);
    std::vector<int> layers;
    for (const LayerChip& lc : chip.chip.layers) layers.push_back(lc.layer);
    o.seed = tool.seed;
    RsaRecord rec;
    rec.init_std_fraction = init_std;
    rec.options = o;
    rec.time = {chip.chip.device.t_mvm_s, chip.chip.device.t_sram_s};
    // Cells only in the tiles the chip placed: an unplaced tile has no crossbar beside which an
    // RSA array could sit.
    const auto placed = placed_tiles(chip.chip, layers);
    const int sel_tile = tile > 0 ? tile : chip.chip.device.tile;
    if (sel_tile != chip.chip.device.tile &&
        std::any_of(placed.begin(), placed.end(), [](const auto& u) { return !u.empty(); })) {
      throw Error("--tile " + std::to_string(sel_tile) + " differs from the chip's tile " +
                  std::to_string(chip.chip.device.tile) + " and the chip leaves tiles unplaced; omit --tile");
    }
    rec.state = init_rsa(pretrained,
                         select_rsa(pretrained, layers, density, parse_rsa_selection(selection), tool.seed, sel_tile,
                                    placed),
                         parse_rsa_mode(mode), init_std, bits, tool.seed);
    if (rec.state.cells() == 0) {
      o.epochs = 0;  // nothing to train: no steps, no modeled time
      rec.options.epochs = 0;
    }
    Model rram = read_back_weights(chip.chip, pretrained);
    // An ADC (--adc-bits) reads the RRAM alone: calibrated before adaptation, RSA added after it.
    const Tensor adc_calibration = chip.chip.device.adc_bits > 0 ? adc_calibration_batch(train_set) : Tensor();
    attach_adc(rram, chip.chip, adc_calibration);
    std::size_t weights = 0;
    for (const LayerChip& lc : chip.chip.layers) weights += lc.size();
    const std::size_t placed_weights = rec.state.selection.placed();
    const double cells_percent = placed_weights ? 100.0 * rec.state.cells() / placed_weights : 0.0;
    const double before = evaluate(rram, test).accuracy;
    cli::info(std::to_string(rec.state.cells()) + " RSA cells (" + std::to_string(cells_percent) + "% of " +
              std::to_string(placed_weights) + " placed weight positions, " + std::to_string(weights) +
              " in all), " + std::to_string(rec.state.sram_bytes()) + " SRAM bytes; test accuracy before " +
              std::to_string(before));
    Json bn_json;  // null unless recalibrated
    double bn_accuracy = before;
    if (recalibrate_bn) {
      BnRecalibrationOptions bo;
      bo.limit = bn_images;
      rec.bn_recalibration = recalibrate_batch_norm(rram, train_set, layers, rec.time.t_mvm_s, bo);
      copy_batch_norm_statistics(rram, chip.model.model);
      bn_accuracy = evaluate(rram, test).accuracy;
      const BnRecalibrationReport& b = *rec.bn_recalibration;
      cli::info("batch norm recalibrated on the chip (" + std::to_string(b.layers) + " layers, " +
                std::to_string(b.images) + " images, modeled " + std::to_string(b.time_s) + " s): test accuracy " +
                std::to_string(before) + " -> " + std::to_string(bn_accuracy));
      bn_json = Json::object()
                    .set("images", b.images)
                    .set("layers", b.layers)
                    .set("reads_per_image", b.reads_per_image)
                    .set("time_s", b.time_s)
                    .set("accuracy", bn_accuracy);
    }
    cli::Progress progress("adapting", static_cast<std::size_t>(steps_per_epoch(train_set.size(), o.batch)) *
                                           static_cast<std::size_t>(o.epochs));
    rec.report = adapt_rsa(rram, rec.state, train_set, val, o, rec.time, [&](long step, long, double loss) {
      progress.update(static_cast<std::size_t>(step), "loss " + std::to_string(loss));
    });
    progress.finish();
    Model adapted = rram;
    apply_rsa(adapted, rec.state);
    const double after = evaluate(adapted, test).accuracy;
    chip.rsa = rec;
    chip.creator = tool.name();
    chip.provenance = tool.provenance();
    save_chip(output, chip);
    cli::info(output + ": test accuracy " + std::to_string(before) + " -> " + std::to_string(after) + ", modeled " +
              std::to_string(rec.report.time_s) + " s over " + std::to_string(rec.report.steps) + " steps");

    Json j = Json::object();
    j.set("file", output).set("dataset", data.dataset).set("mode", mode).set("selection", selection);
    j.set("density", density).set("bits", bits).set("cells", rec.state.cells()).set("weights", weights);
    j.set("placed_weights", placed_weights).set("cells_percent_of_placed", cells_percent);
    j.set("sram_bytes", rec.state.sram_bytes());
    j.set("bn_recalibrated_accuracy", recalibrate_bn ? Json(bn_accuracy) : Json()).set("bn_recalibration", bn_json);
    j.set("total_time_s", rec.report.time_s + (rec.bn_recalibration ? rec.bn_recalibration->time_s : 0.0));
    j.set("accuracy_before", before).set("accuracy_after", after).set("test_samples", test.size());
    j.set("time_s", rec.report.time_s).set("steps", rec.report.steps).set("step_time_s", rec.report.step_seconds);
    j.set("reads_per_sample", rec.report.reads_per_sample);
    j.set("t_mvm_s", rec.time.t_mvm_s).set("t_sram_s", rec.time.t_sram_s);
    Json points = Json::array();
    for (const RsaPoint& p : rec.report.points) {
      points.push(Json::object().set("step", p.step).set("time_s", p.time_s).set("val_accuracy", p.val_accuracy));
    }
    j.set("points", points);
    if (compare_rvw) j.set("rvw", compare_with_rvw(chip.chip, pretrained, adc_calibration, test, val, o.val_limit, rec.report));
    if (tool.json) {
      std::cout << j.dump() << std::endl;
    } else if (output != "-") {
      std::printf("%s: %zu RSA cells (%.3f%% of placed weights), %zu SRAM bytes, test accuracy %.4f -> %.4f, "
                  "modeled time %.6g s\n",
                  output.c_str(), rec.state.cells(), cells_percent, rec.state.sram_bytes(), before, after,
                  rec.report.time_s);
      if (rec.bn_recalibration) {
        std::printf("%s: batch norm recalibrated on the chip: test accuracy %.4f -> %.4f (before RSA), modeled time %.6g s\n",
                    output.c_str(), before, bn_accuracy, rec.bn_recalibration->time_s);
      }
    }
  });
}
