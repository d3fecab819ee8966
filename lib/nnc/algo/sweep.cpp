#include "nnc/algo/sweep.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "nnc/nn/error.hpp"

namespace nnc {

std::vector<EpochRecord> train_or_interrupt(Model& model, const Dataset& train_set, const Dataset& validation,
                                            const TrainOptions& options, const TrainHooks& hooks, TrainState state) {
  if (options.epochs > 0) train(model, train_set, validation, options, state, hooks);
  if (hooks.should_stop && hooks.should_stop()) throw Error("interrupted", ErrorKind::interrupted);
  return state.history;
}

std::vector<EpochRecord> continue_history(std::vector<EpochRecord> first, const std::vector<EpochRecord>& then) {
  const int offset = static_cast<int>(first.size());
  for (EpochRecord r : then) {
    r.epoch += offset;
    first.push_back(r);
  }
  return first;
}

std::string to_string(PrunePointKind k) {
  switch (k) {
    case PrunePointKind::unpruned: return "unpruned";
    case PrunePointKind::theta: return "theta";
    case PrunePointKind::dense: return "dense";
    case PrunePointKind::baseline: return "baseline";
    case PrunePointKind::step: return "step";
    case PrunePointKind::target: return "target";
    case PrunePointKind::theta_probe: return "theta_probe";
  }
  return "?";
}

PrunePoint evaluate_point(Model& model, const PruneData& data, PrunePointKind kind, double theta,
                          std::uint64_t metrics_seed) {
  PrunePoint p;
  p.kind = kind;
  p.theta = theta;
  p.val_accuracy = evaluate(model, data.validation).accuracy;
  p.test_accuracy = evaluate(model, data.test).accuracy;
  p.metrics = structure_metrics(model, metrics_seed);
  return p;
}

ThetaChoice select_theta(const std::vector<ThetaResult>& results, double unpruned_val_accuracy, double tolerance) {
  ThetaChoice c;
  c.threshold = unpruned_val_accuracy - tolerance;
  std::size_t qualifying = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!(results[i].val_accuracy >= c.threshold)) continue;
    ++qualifying;
    // Strictly larger: of equal thetas the first stays.
    if (!c.index || results[i].theta > results[*c.index].theta) c.index = i;
  }
  char buf[200];
  if (c.index) {
    const ThetaResult& r = results[*c.index];
    std::snprintf(buf, sizeof buf,
                  "theta %g: validation accuracy %.4f >= %.4f (unpruned %.4f less tolerance %g), the largest of %zu "
                  "that qualify",
                  r.theta, r.val_accuracy, c.threshold, unpruned_val_accuracy, tolerance, qualifying);
  } else {
    std::snprintf(buf, sizeof buf,
                  "no theta kept validation accuracy within the tolerance (%zu tried, none at or above %.4f)",
                  results.size(), c.threshold);
  }
  c.reason = buf;
  return c;
}

ThetaSweepResult theta_sweep(const Model& trained, const PruneData& data, const ThetaSweepOptions& options,
                             const TrainHooks& hooks, const std::function<void(const PrunePoint&)>& each) {
  trained.check_finite();
  ThetaSweepResult r;
  r.model = trained;
  r.unpruned = evaluate_point(r.model, data, PrunePointKind::unpruned, -1, options.metrics_seed);
  if (each) each(r.unpruned);
  std::vector<ThetaResult> results;
  for (const double theta : options.thetas) {
    Model m = trained;
    prune_by_theta(m, theta, options.granularity);
    std::vector<EpochRecord> history = train_or_interrupt(m, data.train, data.validation, options.finetune, hooks);
    m.check_finite();
    r.points.push_back(evaluate_point(m, data, PrunePointKind::theta, theta, options.metrics_seed));
    if (each) each(r.points.back());
    results.push_back({theta, r.points.back().val_accuracy});
    // The choice over the thetas so far either stays or is this one: keep its model only then.
    r.choice = select_theta(results, r.unpruned.val_accuracy, options.tolerance);
    if (r.choice.index == results.size() - 1) {
      r.model = std::move(m);
      r.finetune_history = std::move(history);
    }
  }
  r.choice = select_theta(results, r.unpruned.val_accuracy, options.tolerance);
  return r;
}

std::size_t default_target_params(std::size_t dense_params) {
  return static_cast<std::size_t>(std::floor(kTableOneKeep * static_cast<double>(dense_params)));
}

std::vector<std::size_t> prune_targets(std::size_t from, std::size_t to, int steps) {
  std::vector<std::size_t> targets;
  const double ratio = from > to ? static_cast<double>(to) / static_cast<double>(from) : 1.0;
  for (int k = 1; k < steps; ++k) {
    const double t = static_cast<double>(from) * std::pow(ratio, static_cast<double>(k) / steps);
    targets.push_back(std::max(to, static_cast<std::size_t>(std::llround(t))));
  }
  targets.push_back(to);
  return targets;
}

MagnitudeBaselineResult magnitude_baseline(Model& model, const PruneData& data, const MagnitudeBaselineOptions& options,
                                           const TrainHooks& hooks, const std::function<void(const PrunePoint&)>& each,
                                           const std::function<void(std::size_t)>& pruned,
                                           const PruneCheckpoint& checkpoint, const PruneProgress& from) {
  PruneProgress at = from;
  // at.phase is the phase whose prune is done and whose training runs or has run.
  const auto phase_hooks = [&](int phase) {
    TrainHooks h = hooks;
    h.checkpoint = nullptr;
    if (checkpoint) {
      h.checkpoint = [&at, &checkpoint, phase](const Model& m, const TrainState& st) {
        at.phase = phase;
        at.train = st;
        checkpoint(m, at);
      };
    }
    return h;
  };
  const auto report = [&](const PrunePoint& p) {
    at.points.push_back(p);
    if (each) each(p);
  };
  MagnitudeBaselineResult r;
  if (at.phase == 0) {
    at.training = train_or_interrupt(model, data.train, data.validation, options.train, phase_hooks(0), at.train);
    at.train = {};
    if (options.train.epochs > 0) model.check_finite();
    const auto start_kind = options.smallworld ? PrunePointKind::unpruned : PrunePointKind::dense;
    report(evaluate_point(model, data, start_kind, -1, options.metrics_seed));
    for (const double theta : options.probe_thetas) {
      Model m = model;
      prune_by_theta(m, theta, options.probe_granularity);
      report(evaluate_point(m, data, PrunePointKind::theta_probe, theta, options.metrics_seed));
    }
  }
  r.training = at.training;
  for (const PrunePoint& p : at.points) {
    if (p.kind == PrunePointKind::theta_probe) r.probes.push_back(p);
    else if (p.kind == PrunePointKind::step) r.steps.push_back(p);
    else r.start = p;
  }
  r.targets = prune_targets(r.start.metrics.params, options.target_params, options.steps);
  const int last = static_cast<int>(r.targets.size());
  for (int step = 1; step <= last; ++step) {
    if (at.phase > step) continue;  // ended before the checkpoint the run resumed from
    if (at.phase < step) {
      const std::size_t reached = magnitude_prune_to(model, r.targets[static_cast<std::size_t>(step - 1)], options.scope);
      at.phase = step;
      at.train = {};
      if (step == last) {
        at.reached = reached;
        if (pruned) pruned(reached);
        at.val_accuracy_before_finetune = evaluate(model, data.validation).accuracy;
      }
    }
    const TrainOptions& o = step == last ? options.finetune : options.retrain;
    const auto history = train_or_interrupt(model, data.train, data.validation, o, phase_hooks(step), at.train);
    at.retraining = continue_history(std::move(at.retraining), history);
    at.train = {};
    model.check_finite();
    if (step == last) break;
    PrunePoint p = evaluate_point(model, data, PrunePointKind::step, -1, options.metrics_seed);
    p.step = step;
    r.steps.push_back(p);
    report(p);
  }
  r.reached = at.reached;
  r.val_accuracy_before_finetune = at.val_accuracy_before_finetune;
  r.finetune_history = at.retraining;
  const auto end_kind = options.smallworld ? PrunePointKind::target : PrunePointKind::baseline;
  r.pruned = evaluate_point(model, data, end_kind, -1, options.metrics_seed);
  r.pruned.step = last;
  return r;
}

}  // namespace nnc
