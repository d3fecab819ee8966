// nnc-swprune: Small-World pruning (docs/design.md section 8): builds a Watts-Strogatz sparse
// structure, trains it with the mask fixed, then prunes it inside the lattice by magnitude to a
// parameter count in retrained steps (default) or by theta x the std of each layer's surviving
// weights (--theta, --theta-sweep), fine-tunes, and reports L and C; or, with --baseline
// magnitude, prunes a dense model (--init, or trained here) the same iterative way.
#include <iostream>

#include "nnc/algo/sweep.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/prune_report.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/nn/error.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-swprune", "Small-World pruning: build a sparse Watts-Strogatz network, train, prune it inside the lattice, fine-tune.",
                 "nnc-swprune --arch <preset|spec> --dataset <name> [--density D|D1,D2,..] [--p P] "
                 "[--target-params N|--theta T|--theta-sweep a,b,c] -o <model.h5|->\n"
                 "       nnc-swprune --baseline magnitude [--init <dense.h5>] --target-params N --dataset <name> -o <model.h5|->",
                 "nnc-swprune --arch lenet5 --dataset mnist --seed 1 -o exp/mnist/sw.h5");
  tool.graceful_stop = true;
  auto& app = tool.app();
  std::string arch = "lenet5", output, init, baseline, granularity = "weight", scope = "global";
  std::vector<double> density, thetas;
  double p = 0.0001, theta = 1.0, tolerance = 0.002, finetune_lr = 0.01;
  int finetune_epochs = 6, prune_steps = 5, retrain_epochs = 2;
  std::size_t target_params = 0, limit_test = 0;
  cli::DataOptions data;
  data.needs_validation = true;  // selections are made on the validation images
  cli::TrainFlags flags;
  app.add_option("--arch", arch, "preset (lenet5, lenet300, cnn9, vgg16) or spec")->capture_default_str();
  data.Register(app);
  flags.options.schedule.lr = 0.02;
  flags.augment_by_default = true;
  flags.Register(app, 10);
  auto* o_p = app.add_option("--p", p, "Watts-Strogatz rewiring probability")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  auto* o_density = app.add_option("--density", density, "initial density: one value, or one per conv/dense layer "
                                                          "(default: lenet5 1,1,0.01,1, others 0.1)")
                        ->delimiter(',')->check(cli::open_unit_interval());
  auto* o_theta = app.add_option("--theta", theta, "prune |w| < theta x std of the layer's surviving weights")
                      ->check(CLI::NonNegativeNumber)->capture_default_str();
  auto* o_sweep = app.add_option("--theta-sweep", thetas, "thetas to try; -o keeps the largest within --tolerance")
                      ->delimiter(',')->check(CLI::NonNegativeNumber);
  o_sweep->excludes(o_theta);
  app.add_option("--tolerance", tolerance, "validation accuracy a theta may lose against the unpruned model")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  auto* o_gran = app.add_option("--prune-granularity", granularity, "prune single weights, or whole conv kernels by RMS")
                     ->check(CLI::IsMember({"weight", "kernel"}))->capture_default_str();
  auto* o_target = app.add_option("--target-params", target_params,
                                  "parameters to keep (nonzero weights + live biases); default 2.3% of the dense "
                                  "network's, Table I's ratio")
                       ->check(CLI::PositiveNumber);
  app.add_option("--prune-steps", prune_steps, "magnitude prunes down to --target-params, each but the last retrained (1: one-shot)")
      ->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--retrain-epochs", retrain_epochs, "retraining epochs after each prune step but the last")
      ->check(CLI::Range(0, 100000))->capture_default_str();
  app.add_option("--finetune-epochs", finetune_epochs, "fine-tuning epochs after the last prune (0: none)")
      ->check(CLI::Range(0, 100000))->capture_default_str();
  app.add_option("--finetune-lr", finetune_lr, "retraining and fine-tuning learning rate (same schedule kind as --schedule)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--limit-test", limit_test, "evaluate on the first N test images only (0 = all)");
  auto* o_base = app.add_option("--baseline", baseline, "instead of Small-World: prune a dense model by magnitude")
                     ->check(CLI::IsMember({"magnitude"}));
  auto* o_init = app.add_option("--init", init, "baseline: the trained dense model (default: train --arch first)");
  app.add_option("--baseline-scope", scope, "magnitude pruning: one global |w| threshold, or the same fraction per layer")
      ->check(CLI::IsMember({"global", "layer"}))->capture_default_str();
  o_init->needs(o_base);
  for (auto* o : {o_p, o_density, o_theta, o_sweep, o_gran}) o_base->excludes(o);
  for (auto* o : {o_theta, o_sweep}) o->excludes(o_target);
  tool.add_output(output, "output model, - for stdout");
  tool.add_json_flag("print one JSON record per theta (and a summary) on stdout");

  return tool.run(argc, argv, [&] {
    check_writable(output);
    const TrainOptions opt = flags.resolved(data.dataset, tool.seed);
    auto [train_set, val_set] = data.load_train();
    const Dataset test_set = data.load_test(limit_test);
    const PruneData pd{train_set, val_set, test_set};
    TrainOptions ft = opt;
    ft.epochs = finetune_epochs;
    ft.schedule.lr = finetune_lr;
    TrainHooks hooks;
    hooks.should_stop = [] { return cli::stop_requested(); };
    hooks.epoch_end = [](const EpochRecord& r) { cli::info(cli::prune_epoch_text(r)); };
    const auto emit = [&](const Json& j) { if (tool.json) std::cout << j.dump() << std::endl; };
    const auto each = [&](const PrunePoint& point) {
      emit(cli::prune_record_json(point));
      if (const std::string line = cli::prune_point_text(point); !line.empty()) cli::info(line);
    };

    const auto sc = scope == "global" ? MagnitudeScope::global : MagnitudeScope::layer;
    TrainOptions retrain = ft;
    retrain.epochs = retrain_epochs;
    // The magnitude pruning of both modes: to --target-params, or 2.3% of the dense count.
    const auto iterative = [&](Model& m, std::size_t dense_params, bool smallworld) {
      const std::size_t target = target_params ? target_params : default_target_params(dense_params);
      return magnitude_baseline(m, pd, {target, sc, prune_steps, retrain, ft, tool.seed, smallworld}, hooks, each,
                                [&](std::size_t n) { cli::info(cli::magnitude_text(scope, n, target)); });
    };
    ModelArtifact out;
    std::vector<EpochRecord> training;
    if (!baseline.empty()) {
      if (init.empty()) {
        out.model = Model(arch, train_set.shape, train_set.classes);
        out.model.init(tool.seed);
        cli::info("dense: " + cli::model_summary(out.model));
        training = train_or_interrupt(out.model, train_set, val_set, opt, hooks);
      } else {
        out = cli::load_model_input(tool, init, "init");
        cli::check_model_fits(out.model, train_set, init, data.dataset);
      }
      const auto r = iterative(out.model, out.model.param_count(), false);
      emit(cli::baseline_record_json(r));
      cli::record_magnitude_baseline(out, r, "baseline magnitude (" + scope + ")", training);
      cli::info(cli::baseline_text(r));
    } else {
      out.model = Model(arch, train_set.shape, train_set.classes);
      out.model.init(tool.seed);
      const std::size_t dense_params = out.model.param_count();
      if (density.empty()) density = default_density(arch);
      cli::blame_flag("--density", [&] { apply_smallworld(out.model, {p, density, tool.seed}); });
      cli::info("Small-World structure: " + cli::model_summary(out.model));
      training = train_or_interrupt(out.model, train_set, val_set, opt, hooks);
      if (o_theta->count() == 0 && o_sweep->count() == 0) {
        const auto r = iterative(out.model, dense_params, true);
        emit(cli::baseline_record_json(r));
        emit(cli::target_summary_json(r));
        cli::record_magnitude_baseline(out, r, "smallworld", training);
        cli::info(cli::baseline_text(r));
      } else {
        const auto gran = granularity == "kernel" ? PruneGranularity::kernel : PruneGranularity::weight;
        ThetaSweepResult r = theta_sweep(out.model, pd, {thetas.empty() ? std::vector<double>{theta} : thetas, gran,
                                                         tolerance, ft, tool.seed}, hooks, each);
        if (!r.choice.index) cli::warn("no theta kept validation accuracy within the tolerance; writing the unpruned model");
        emit(cli::sweep_summary_json(r, tolerance));
        cli::record_theta_sweep(out, std::move(r), training);
      }
    }
    out.creator = tool.name();
    out.provenance = tool.provenance();
    save_model(output, out);
    cli::info("wrote " + output + " (" + cli::model_summary(out.model) + ")");
  });
}
