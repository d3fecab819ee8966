// nnc-cgap: Continuous Growth and Pruning: grows a seed network by saliency, then prunes it.
#include <cstdio>
#include <iostream>

#include "nnc/algo/cgap.hpp"
#include "nnc/cli/cgap_report.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/nn/error.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-cgap", "Grow a seed network by saliency to a peak, then prune filters and neurons.",
                 "nnc-cgap --arch <preset|spec> --dataset <name> [options] -o <model.h5|->",
                 "nnc-cgap --arch lenet5 --dataset mnist --epochs 10 -o exp/mnist/cgap.h5");
  tool.graceful_stop = true;
  auto& app = tool.app();
  std::string arch = "lenet5", output, newborn = "random", prune_scope = "layer";
  cli::DataOptions data;
  data.needs_validation = true;  // selections are made on the validation images
  cli::TrainFlags flags;
  CgapOptions o;
  const CLI::Validator open_unit = cli::open_unit_interval();
  app.add_option("--arch", arch, "template whose widths are grown: preset or spec");
  data.Register(app);
  flags.Register(app, 10);
  app.remove_option(app.get_option("--checkpoint-every"));
  app.get_option("--epochs")->description("the whole budget: growth, pruning and final fine-tuning");
  app.get_option("--schedule")->description("learning-rate schedule over the whole run, as nnc-train's (growth and pruning happen while it runs)");
  app.add_option("--start-width", o.start_width, "seed widths, a fraction of the template's (at least 2 units)")
      ->check(open_unit);
  app.add_option("--growth-rate", o.growth_rate, "units added per growth step, a fraction of each layer's width")
      ->check(CLI::PositiveNumber);
  app.add_option("--growth-every", o.growth_every, "epochs of training between growth steps (fractions allowed; shorter when the growth budget needs more steps to reach the cap)")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-width-ratio", o.max_width_ratio, "width cap, a fraction of the template's")
      ->check(CLI::PositiveNumber);
  app.add_option("--growth-budget", o.growth_budget, "growth uses at most this fraction of --epochs")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--plateau", o.plateau, "growth stops when val accuracy gains less than this (and the noise margin) ...")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--plateau-steps", o.plateau_steps, "... over this many growth steps")->check(CLI::Range(1, 1000));
  app.add_option("--noise-z", o.noise_z, "validation noise margin of the plateau test, in standard errors (binomial) of a difference of two accuracies")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--newborn", newborn, "new units: random (fresh incoming weights, zero outgoing) or split (perturbed copy of a salient unit)")
      ->check(CLI::IsMember({"split", "random"}));
  app.add_option("--split-noise", o.split_noise, "split: noise std on copied weights, relative to the layer's std")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--prune-tolerance", o.prune_tolerance, "pruning stops at a step that costs more val accuracy than this before retraining (the step is undone) ...")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--prune-budget", o.prune_budget, "... or that takes the sum of the kept steps' costs (each before retraining) above this")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--prune-bn-images", o.prune_bn_images, "batch norm: test each step with the running statistics re-estimated on this many training images, before and after the removal (0: as training left them)");
  app.add_option("--prune-rate", o.prune_rate, "units removed per pruning step, a fraction of all growable units")
      ->check(open_unit);
  app.add_option("--prune-scope", prune_scope, "layer: --prune-rate of each layer, its least salient units; global: the least salient over all layers (normalized per layer)")
      ->check(CLI::IsMember({"global", "layer"}));
  app.add_option("--prune-every", o.prune_every, "epochs of training after each pruning step (0 = --growth-every)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--final-epochs", o.final_epochs, "fraction of --epochs kept for the final fine-tuning")
      ->check(CLI::Range(0.0, 1.0));
  tool.add_output(output, "output model, - for stdout");
  app.callback([&] {
    if (o.growth_budget + o.final_epochs > 1) {
      throw CLI::ValidationError("--growth-budget", "plus --final-epochs must not exceed 1");
    }
  });
  tool.add_json_flag("print a summary (widths and accuracy, params, FLOPs at seed, peak and end) as JSON on stdout");

  return tool.run(argc, argv, [&] {
    check_writable(output);
    o.newborn = newborn == "split" ? Newborn::split : Newborn::random;
    o.prune_scope = prune_scope == "layer" ? PruneScope::layer : PruneScope::global;
    o.train = flags.resolved(data.dataset, tool.seed);
    auto [train_set, val_set] = data.load_train();
    const Dataset test = data.load_test();

    Model templ(arch, train_set.shape, train_set.classes);
    templ.init(tool.seed);  // FLOPs count nonzero weights: the full-width template, initialized
    ModelArtifact out;
    out.model = cgap_seed(arch, train_set.shape, train_set.classes, o, tool.seed);
    out.creator = tool.name();
    out.provenance = tool.provenance();
    cli::info("template " + cli::model_summary(templ));
    cli::info("seed " + cli::model_summary(out.model) + "; " + std::to_string(train_set.size()) + " training, " +
              std::to_string(val_set.size()) + " validation images");

    CgapHooks hooks;
    hooks.should_stop = [] { return cli::stop_requested(); };
    hooks.record = [](const CgapRecord& r) { cli::info(cli::cgap_record_text(r)); };
    const CgapResult res = run_cgap(out.model, templ, train_set, val_set, o, hooks);
    if (res.records[res.peak].widths == res.records[res.seed].widths) {
      char when[32];
      std::snprintf(when, sizeof when, "%.2f", res.records[res.peak].epoch);
      cli::warn("the network never grew: growth stopped by " + res.growth_stop + " at epoch " + when +
                " (raise --epochs or --growth-budget, or lower --growth-every)");
    }
    out.model.check_finite();
    out.model.set_arch(arch);
    cli::record_cgap(out, res, templ);  // widths per step, and what each step cost and scored
    save_model(output, out);

    // Test accuracy at the end, and of the peak as recorded (the seed untrained).
    const double test_end = evaluate(out.model, test).accuracy;
    cli::info(cli::cgap_end_text(res, templ, test_end));
    cli::info("wrote " + output);
    if (tool.json) std::cout << cli::cgap_json(res, templ, arch, data.dataset, o.train.epochs, test_end).dump(2) << std::endl;
  });
}
