#include "nnc/cli/swprune_run.hpp"

#include <iostream>

#include "nnc/algo/sweep.hpp"
#include "nnc/cli/prune_report.hpp"
#include "nnc/nn/error.hpp"

namespace nnc::cli {

namespace {
const Choices<PruneGranularity> kGranularities = {{"weight", PruneGranularity::weight},
                                                  {"kernel", PruneGranularity::kernel}};
const Choices<MagnitudeScope> kMagnitudeScopes = {{"global", MagnitudeScope::global}, {"layer", MagnitudeScope::layer}};
const Choices<bool> kBaselines = {{"magnitude", true}};
}  // namespace

void SwpruneFlags::Register(Registrar r) {
  r.add("--arch", arch, "preset (lenet5, lenet300, cnn9, vgg16) or spec");
  data.needs_validation = true;  // selections are made on the validation images
  data.Register(r);
  train.options.schedule.lr = 0.02;
  train.augment_by_default = true;
  train.Register(r, 10);
  auto* o_p = r.add("--p", p, "Watts-Strogatz rewiring probability", 0.0, 1.0);
  auto* o_density = r.add("--density", density, "initial density: one value, or one per conv/dense layer "
                                                 "(default: lenet5 1,1,0.01,1, others 0.1)")
                        ->delimiter(',')->check(open_unit_interval());
  auto* o_theta = r.add("--theta", theta, "prune |w| < theta x std of the layer's surviving weights", CLI::NonNegativeNumber);
  auto* o_sweep = r.add("--theta-sweep", thetas, "thetas to try; -o keeps the largest within --tolerance")
                      ->delimiter(',')->check(CLI::NonNegativeNumber);
  o_sweep->excludes(o_theta);
  r.add("--tolerance", tolerance, "validation accuracy a theta may lose against the unpruned model", 0.0, 1.0);
  auto* o_gran = r.add_choice("--prune-granularity", granularity, kGranularities,
                              "prune single weights, or whole conv kernels by RMS");
  auto* o_target = r.add("--target-params", target_params,
                         "parameters to keep (nonzero weights + biases + batch norm); default 2.3% of the dense "
                         "network's, Table I's ratio", CLI::PositiveNumber);
  r.add("--prune-steps", prune_steps, "magnitude prunes down to --target-params, each but the last retrained (1: one-shot)",
        1, 1000);
  r.add("--retrain-epochs", retrain_epochs, "retraining epochs after each prune step but the last", 0, 100000);
  r.add("--finetune-epochs", finetune_epochs, "fine-tuning epochs after the last prune (0: none)", 0, 100000);
  r.add("--finetune-lr", finetune_lr, "retraining and fine-tuning learning rate (same schedule kind as --schedule)",
        CLI::PositiveNumber);
  r.add("--limit-test", limit_test, "evaluate on the first N test images only (0 = all)");
  auto* o_base = r.add_choice("--baseline", magnitude_baseline, kBaselines,
                              "instead of Small-World: prune a dense model by magnitude");
  auto* o_init = r.add("--init", init, "baseline: the trained dense model (default: train --arch first)");
  r.add_choice("--baseline-scope", scope, kMagnitudeScopes,
               "magnitude pruning: one global |w| threshold, or the same fraction per layer");
  o_init->needs(o_base);
  for (auto* o : {o_p, o_density, o_theta, o_sweep, o_gran}) o_base->excludes(o);
  for (auto* o : {o_theta, o_sweep}) o->excludes(o_target);
}

void run_swprune(Tool& tool, SwpruneFlags& f) {
  check_writable(f.output);
  const TrainOptions opt = f.train.resolved(f.data.dataset, tool.seed);
  auto [train_set, val_set] = f.data.load_train();
  const Dataset test_set = f.data.load_test(f.limit_test);
  const PruneData pd{train_set, val_set, test_set};
  TrainOptions ft = opt;
  ft.epochs = f.finetune_epochs;
  ft.schedule.lr = f.finetune_lr;
  TrainHooks hooks;
  hooks.should_stop = [] { return stop_requested(); };
  hooks.epoch_end = [](const EpochRecord& r) { info(prune_epoch_text(r)); };
  const auto emit = [&](const Json& j) { if (tool.json) std::cout << j.dump() << std::endl; };
  const auto each = [&](const PrunePoint& point) {
    emit(prune_record_json(point));
    if (const std::string line = prune_point_text(point); !line.empty()) info(line);
  };

  const std::string scope = choice_word(kMagnitudeScopes, f.scope);
  TrainOptions retrain = ft;
  retrain.epochs = f.retrain_epochs;
  // Fine-tuning and retraining restart the schedule, warmup included, which the library refuses
  // in its own words when it lasts the whole run: here it is a flag's fault.
  const auto check_warmup = [&](int epochs, const std::string& flag) {
    if (epochs > 0 && opt.schedule.warmup_epochs >= epochs) {
      throw Error("--warmup must be shorter than the run (" + std::to_string(epochs) + " epochs, " + flag + ")",
                  ErrorKind::bad_input);
    }
  };
  check_warmup(f.finetune_epochs, "--finetune-epochs");
  const bool by_theta = tool.app().count("--theta") > 0 || tool.app().count("--theta-sweep") > 0;
  if ((f.magnitude_baseline || !by_theta) && f.prune_steps > 1) check_warmup(f.retrain_epochs, "--retrain-epochs");
  // The magnitude pruning of both modes: to --target-params, or 2.3% of the dense count.
  const auto iterative = [&](Model& m, std::size_t dense_params, bool smallworld) {
    const std::size_t target = f.target_params ? f.target_params : default_target_params(dense_params);
    return magnitude_baseline(m, pd, {target, f.scope, f.prune_steps, retrain, ft, tool.seed, smallworld}, hooks, each,
                              [&](std::size_t n) { info(magnitude_text(scope, n, target)); });
  };
  ModelArtifact out;
  std::vector<EpochRecord> training;
  if (f.magnitude_baseline) {
    if (f.init.empty()) {
      out.model = Model(f.arch, train_set.shape, train_set.classes);
      out.model.init(tool.seed);
      info("dense: " + model_summary(out.model));
      training = train_or_interrupt(out.model, train_set, val_set, opt, hooks);
    } else {
      out = load_model_input(tool, f.init, "init");
      check_model_fits(out.model, train_set, f.init, f.data.dataset);
    }
    const auto r = iterative(out.model, out.model.param_count(), false);
    emit(baseline_record_json(r));
    record_magnitude_baseline(out, r, "baseline magnitude (" + scope + ")", training);
    info(baseline_text(r));
  } else {
    out.model = Model(f.arch, train_set.shape, train_set.classes);
    out.model.init(tool.seed);
    out.model.require_chain("the Small-World lattice");  // the architecture's fault (exit 2), not --density's
    const std::size_t dense_params = out.model.param_count();
    if (f.density.empty()) f.density = default_density(f.arch);
    blame_flag("--density", [&] { apply_smallworld(out.model, {f.p, f.density, tool.seed}); });
    info("Small-World structure: " + model_summary(out.model));
    training = train_or_interrupt(out.model, train_set, val_set, opt, hooks);
    if (tool.app().count("--theta") == 0 && tool.app().count("--theta-sweep") == 0) {
      const auto r = iterative(out.model, dense_params, true);
      emit(baseline_record_json(r));
      emit(target_summary_json(r));
      record_magnitude_baseline(out, r, "smallworld", training);
      info(baseline_text(r));
    } else {
      ThetaSweepResult r = theta_sweep(out.model, pd, {f.thetas.empty() ? std::vector<double>{f.theta} : f.thetas,
                                                       f.granularity, f.tolerance, ft, tool.seed}, hooks, each);
      if (!r.choice.index) warn("no theta kept validation accuracy within the tolerance; writing the unpruned model");
      emit(sweep_summary_json(r, f.tolerance));
      record_theta_sweep(out, std::move(r), training);
    }
  }
  out.creator = tool.name();
  out.provenance = tool.provenance();
  save_model(f.output, out);
  info("wrote " + f.output + " (" + model_summary(out.model) + ")");
}

}  // namespace nnc::cli
