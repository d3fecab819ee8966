// nnc-swprune: Small-World pruning (docs/design.md section 8): builds a Watts-Strogatz sparse
// structure, trains it with the mask fixed, prunes by theta x the std of each layer's
// surviving weights, fine-tunes, and reports L and C; or, with --baseline magnitude, prunes a
// dense model by magnitude to a parameter count and fine-tunes it.
#include <iostream>

#include "nnc/algo/sweep.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/prune_report.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/nn/error.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-swprune", "Small-World pruning: build a sparse Watts-Strogatz network, train, prune by theta, fine-tune.",
                 "nnc-swprune --arch <preset|spec> --dataset <name> [--density D|D1,D2,..] [--p P] "
                 "[--theta T|--theta-sweep a,b,c] -o <model.h5|->\n"
                 "       nnc-swprune --baseline magnitude --init <dense.h5> --target-params N --dataset <name> -o <model.h5|->",
                 "nnc-swprune --arch lenet5 --dataset mnist --density 1,0.3,0.012,0.2 --theta-sweep 0.5,1,1.5 -o exp/mnist/sw.h5");
  tool.graceful_stop = true;
  auto& app = tool.app();
  std::string arch = "lenet5", output, init, baseline, granularity = "weight", scope = "global";
  std::vector<double> density{0.1}, thetas;
  double p = 0.0001, theta = 1.0, tolerance = 0.002, finetune_lr = 0.001;
  int finetune_epochs = 1;
  std::size_t target_params = 0, limit_test = 0;
  cli::DataOptions data;
  data.needs_validation = true;  // selections are made on the validation images
  cli::TrainFlags flags;
  app.add_option("--arch", arch, "preset (lenet5, lenet300, cnn9, vgg16) or spec")->capture_default_str();
  data.Register(app);
  flags.Register(app, 4);
  auto* o_p = app.add_option("--p", p, "Watts-Strogatz rewiring probability")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  auto* o_density = app.add_option("--density", density, "initial density: one value, or one per conv/dense layer")
                        ->delimiter(',')->check(cli::open_unit_interval())->capture_default_str();
  auto* o_theta = app.add_option("--theta", theta, "prune |w| < theta x std of the layer's surviving weights")
                      ->check(CLI::NonNegativeNumber)->capture_default_str();
  auto* o_sweep = app.add_option("--theta-sweep", thetas, "thetas to try; -o keeps the largest within --tolerance")
                      ->delimiter(',')->check(CLI::NonNegativeNumber);
  o_sweep->excludes(o_theta);
  app.add_option("--tolerance", tolerance, "validation accuracy a theta may lose against the unpruned model")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  auto* o_gran = app.add_option("--prune-granularity", granularity, "prune single weights, or whole conv kernels by RMS")
                     ->check(CLI::IsMember({"weight", "kernel"}))->capture_default_str();
  app.add_option("--finetune-epochs", finetune_epochs, "fine-tuning epochs after pruning (0: none)")
      ->check(CLI::Range(0, 100000))->capture_default_str();
  app.add_option("--finetune-lr", finetune_lr, "fine-tuning learning rate (same schedule kind as --schedule)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--limit-test", limit_test, "evaluate on the first N test images only (0 = all)");
  auto* o_base = app.add_option("--baseline", baseline, "instead of Small-World: prune a dense --init model")
                     ->check(CLI::IsMember({"magnitude"}));
  auto* o_init = app.add_option("--init", init, "baseline: the trained dense model");
  auto* o_target = app.add_option("--target-params", target_params, "baseline: parameters to keep (nonzero weights + live biases)")
                       ->check(CLI::PositiveNumber);
  auto* o_scope = app.add_option("--baseline-scope", scope, "baseline: one global |w| threshold, or the same fraction per layer")
                      ->check(CLI::IsMember({"global", "layer"}))->capture_default_str();
  o_base->needs(o_init)->needs(o_target);
  for (auto* o : {o_init, o_target, o_scope}) o->needs(o_base);
  for (auto* o : {o_p, o_density, o_theta, o_sweep, o_gran}) o_base->excludes(o);
  tool.add_output(output, "output model, - for stdout");
  tool.add_json_flag("print one JSON record per theta (and a summary) on stdout");

  return tool.run(argc, argv, [&] {
    check_writable(output);
    auto [train_set, val_set] = data.load_train();
    const Dataset test_set = data.load_test(limit_test);
    const PruneData pd{train_set, val_set, test_set};
    const TrainOptions opt = flags.resolved(data.dataset, tool.seed);
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

    ModelArtifact out;
    if (!baseline.empty()) {
      out = cli::load_model_input(tool, init, "init");
      cli::check_model_fits(out.model, train_set, init, data.dataset);
      const auto sc = scope == "global" ? MagnitudeScope::global : MagnitudeScope::layer;
      const auto r = magnitude_baseline(out.model, pd, {target_params, sc, ft, tool.seed}, hooks, each,
                                        [&](std::size_t n) { cli::info(cli::magnitude_text(scope, n, target_params)); });
      emit(cli::baseline_record_json(r));
      cli::record_magnitude_baseline(out, r, scope);
      cli::info(cli::baseline_text(r));
    } else {
      out.model = Model(arch, train_set.shape, train_set.classes);
      out.model.init(tool.seed);
      cli::blame_flag("--density", [&] { apply_smallworld(out.model, {p, density, tool.seed}); });
      cli::info("Small-World structure: " + cli::model_summary(out.model));
      const auto training = train_or_interrupt(out.model, train_set, val_set, opt, hooks);
      const auto gran = granularity == "kernel" ? PruneGranularity::kernel : PruneGranularity::weight;
      ThetaSweepResult r = theta_sweep(out.model, pd, {thetas.empty() ? std::vector<double>{theta} : thetas, gran,
                                                       tolerance, ft, tool.seed}, hooks, each);
      if (!r.choice.index) cli::warn("no theta kept validation accuracy within the tolerance; writing the unpruned model");
      emit(cli::sweep_summary_json(r, tolerance));
      cli::record_theta_sweep(out, std::move(r), training);
    }
    out.creator = tool.name();
    out.provenance = tool.provenance();
    save_model(output, out);
    cli::info("wrote " + output + " (" + cli::model_summary(out.model) + ")");
  });
}
