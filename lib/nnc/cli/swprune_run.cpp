#include "nnc/cli/swprune_run.hpp"

#include <filesystem>
#include <iostream>

#include "nnc/algo/sweep.hpp"
#include "nnc/cli/prune_report.hpp"
#include "nnc/dist/dist.hpp"
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
  auto* o_probes = r.add("--theta-probes", probe_thetas,
                         "also evaluate the trained model pruned at each theta, not fine-tuned: L and C for Figure 7 "
                         "(the output is unchanged)")
                       ->delimiter(',')->check(CLI::NonNegativeNumber);
  r.add("--checkpoint", checkpoint, "checkpoint file (default: <output>.ckpt)");
  r.add_flag("--resume", resume, "continue from the checkpoint if there is one");
  o_init->needs(o_base);
  for (auto* o : {o_p, o_density, o_theta, o_sweep, o_gran}) o_base->excludes(o);
  for (auto* o : {o_theta, o_sweep}) o->excludes(o_target);
  for (auto* o : {o_theta, o_sweep}) o->excludes(o_probes);
}

namespace {

// Where the run starts: the checkpoint's model and progress when `resume` and the file exists
// (its recorded options must be out's, else bad input), else a fresh start with out.model as is.
PruneProgress start_progress(const std::string& checkpoint, bool resume, ModelArtifact& out) {
  if (!resume || checkpoint.empty() || !std::filesystem::exists(checkpoint)) return {};
  ModelArtifact ck = load_model(checkpoint);
  if (!ck.checkpoint) throw bad_input(checkpoint, "is a model, not a checkpoint");
  if (ck.provenance.config != out.provenance.config) {
    throw bad_input(checkpoint, "was written by a run with different options; remove it or rerun with the same flags");
  }
  PruneProgress p = progress_of(ck);
  out.model = std::move(ck.model);
  info("resuming from " + checkpoint + " at phase " + std::to_string(p.phase) + " (0: training before pruning), epoch " +
       std::to_string(p.train.epoch + 1) + ", step " + std::to_string(p.train.step));
  return p;
}

}  // namespace

void run_swprune(Tool& tool, SwpruneFlags& f) {
  check_writable(f.output);
  if (f.checkpoint.empty() && f.output != "-") f.checkpoint = f.output + ".ckpt";
  const TrainOptions opt = f.train.resolved(f.data.dataset, tool.seed);
  // Named, not structured bindings: lambdas below capture them (clang 14 cannot).
  const std::pair<Dataset, Dataset> split = f.data.load_train();
  const Dataset& train_set = split.first;
  const Dataset& val_set = split.second;
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

  ModelArtifact out;
  out.creator = tool.name();
  out.provenance = tool.provenance();
  if (f.magnitude_baseline && !f.init.empty()) {
    out = load_model_input(tool, f.init, "init");
    check_model_fits(out.model, train_set, f.init, f.data.dataset);
    out.creator = tool.name();
    out.provenance = tool.provenance();
  } else {
    out.model = Model(f.arch, train_set.shape, train_set.classes);
    out.model.init(tool.seed);
  }
  const std::size_t dense_params = out.model.param_count();  // every weight, before any lattice
  // L and C take a chain's unit graph: what is there for them refuses a graph before any
  // training; the baseline's records leave them out (null).
  for (const std::string flag : {"--theta", "--theta-sweep", "--theta-probes"}) {
    if (tool.app().count(flag) > 0) out.model.require_chain(flag + " (the L and C it records)");
  }
  if (f.magnitude_baseline) {
    if (f.init.empty()) info("dense: " + model_summary(out.model));
    if (!out.model.is_chain()) info("a network with branches has no unit graph: the records leave out L and C (null)");
  } else {
    out.model.require_chain("the Small-World lattice");  // the architecture's fault (exit 2), not --density's
    if (f.density.empty()) f.density = default_density(f.arch);
    blame_flag("--density", [&] { apply_smallworld(out.model, {f.p, f.density, tool.seed}); });
    info("Small-World structure: " + model_summary(out.model));
  }
  const PruneProgress from = start_progress(f.checkpoint, f.resume, out);
  // The records a resumed run printed before it stopped, printed again: its stdout is whole.
  for (const PrunePoint& p : from.points) emit(prune_record_json(p));
  const PruneCheckpoint save = [&](const Model& m, const PruneProgress& p) {
    if (f.checkpoint.empty()) return;
    ModelArtifact ck = progress_checkpoint(m, p);
    ck.creator = out.creator;
    ck.provenance = out.provenance;
    save_model(f.checkpoint, ck);
  };

  const auto prune = [&] {
    if (by_theta) {
      // The training before the sweep checkpoints; the sweep reruns from the trained model.
      TrainHooks h0 = hooks;
      h0.checkpoint = [&](const Model& m, const TrainState& st) {
        PruneProgress p;
        p.train = st;
        save(m, p);
      };
      const std::vector<EpochRecord> training = train_or_interrupt(out.model, train_set, val_set, opt, h0, from.train);
      ThetaSweepResult r = theta_sweep(out.model, pd, {f.thetas.empty() ? std::vector<double>{f.theta} : f.thetas,
                                                       f.granularity, f.tolerance, ft, tool.seed}, hooks, each);
      if (!r.choice.index) warn("no theta kept validation accuracy within the tolerance; writing the unpruned model");
      emit(sweep_summary_json(r, f.tolerance));
      record_theta_sweep(out, std::move(r), training);
    } else {
      // Iterative magnitude pruning, of the lattice or of a dense model: to --target-params, or
      // 2.3% of the dense count.
      MagnitudeBaselineOptions o;
      if (!f.magnitude_baseline || f.init.empty()) o.train = opt;
      o.target_params = f.target_params ? f.target_params : default_target_params(dense_params);
      o.scope = f.scope;
      o.steps = f.prune_steps;
      o.retrain = retrain;
      o.finetune = ft;
      o.metrics_seed = tool.seed;
      o.smallworld = !f.magnitude_baseline;
      o.probe_thetas = f.probe_thetas;
      o.probe_granularity = f.granularity;
      const auto r = magnitude_baseline(out.model, pd, o, hooks, each,
                                        [&](std::size_t n) { info(magnitude_text(scope, n, o.target_params)); }, save, from);
      emit(baseline_record_json(r));
      if (o.smallworld) emit(target_summary_json(r));
      record_magnitude_baseline(out, r, o.smallworld ? "smallworld" : "baseline magnitude (" + scope + ")", r.training);
      info(baseline_text(r));
    }
  };
  try {
    prune();
  } catch (const Error& e) {
    // A stop names the checkpoint to resume from, as nnc-train's does.
    if (e.kind() != ErrorKind::interrupted || f.checkpoint.empty() || !std::filesystem::exists(f.checkpoint)) throw;
    throw Error("interrupted; continue with --resume from " + f.checkpoint, ErrorKind::interrupted);
  }
  save_model(f.output, out);
  if (!f.checkpoint.empty() && dist::root()) std::filesystem::remove(f.checkpoint);  // rank 0 wrote it
  info("wrote " + f.output + " (" + model_summary(out.model) + ")");
}

}  // namespace nnc::cli
