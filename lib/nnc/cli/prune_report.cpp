#include "nnc/cli/prune_report.hpp"

#include <cstdio>

#include "nnc/cli/metrics_report.hpp"

namespace nnc::cli {

namespace {

std::vector<double> sweep_row(const PrunePoint& p) {
  const NetworkMetrics& m = p.metrics;
  return {p.theta, p.val_accuracy, p.test_accuracy, static_cast<double>(m.params), m.L, m.C,
          static_cast<double>(m.live), m.path_length, m.clustering, m.small_world_sigma,
          static_cast<double>(m.tiles), static_cast<double>(m.tile_links), m.flops};
}

std::string fmt(const char* f, double a, double b = 0, double c = 0, double d = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, a, b, c, d);
  return buf;
}

}  // namespace

const char* const kSweepColumns =
    "theta,val_accuracy,test_accuracy,params,L,C,live,path_length,clustering,small_world_sigma,tiles,tile_links,flops";

Series sweep_series(const std::vector<PrunePoint>& points) {
  const std::uint64_t cols = 13;
  Series s{{points.size(), cols}, {}};
  for (const PrunePoint& p : points) {
    const std::vector<double> row = sweep_row(p);
    s.values.insert(s.values.end(), row.begin(), row.end());
  }
  return s;
}

Json prune_record_json(const PrunePoint& p) {
  const Json metrics = metrics_json(p.metrics);
  // Flat: the record's own fields first, then the metrics' keys.
  Json out = Json::object();
  out.set("record", to_string(p.kind));
  if (p.kind == PrunePointKind::theta) out.set("theta", p.theta);
  if (p.step > 0) out.set("step", static_cast<std::uint64_t>(p.step));
  out.set("val_accuracy", p.val_accuracy).set("test_accuracy", p.test_accuracy);
  for (const char* key : {"params", "weights_nonzero", "biases", "batch_norm_params", "params_dense", "flops", "L", "C",
                          "live", "path_length", "clustering", "path_length_random", "clustering_random",
                          "small_world_sigma", "tiles", "tile_links", "layers"}) {
    out.set(key, *metrics.find(key));
  }
  return out;
}

Json baseline_record_json(const MagnitudeBaselineResult& r) {
  Json rec = prune_record_json(r.pruned);
  const std::string start = to_string(r.start.kind);  // "dense" or "unpruned"
  rec.set("val_accuracy_before_finetune", r.val_accuracy_before_finetune).set(start + "_val_accuracy", r.start.val_accuracy);
  rec.set(start + "_test_accuracy", r.start.test_accuracy).set(start + "_params", r.start.metrics.params);
  rec.set("prune_steps", static_cast<std::uint64_t>(r.targets.size()));
  return rec;
}

Json target_summary_json(const MagnitudeBaselineResult& r) {
  Json summary = Json::object();
  summary.set("record", "summary").set("selected_theta", Json());
  summary.set("unpruned_val_accuracy", r.start.val_accuracy).set("params", r.pruned.metrics.params);
  summary.set("selection", target_selection_text(r));
  return summary;
}

std::string target_selection_text(const MagnitudeBaselineResult& r) {
  return "no theta: pruned by magnitude inside the lattice to " + std::to_string(r.targets.back()) +
         " parameters in " + std::to_string(r.targets.size()) + " steps, each retrained (--target-params)";
}

Json sweep_summary_json(const ThetaSweepResult& r, double tolerance) {
  Json summary = Json::object();
  summary.set("record", "summary").set("selected_theta", r.choice.index ? Json(r.chosen().theta) : Json());
  summary.set("unpruned_val_accuracy", r.unpruned.val_accuracy).set("tolerance", tolerance);
  summary.set("params", r.chosen().metrics.params).set("selection", r.choice.reason);
  return summary;
}

std::string prune_point_text(const PrunePoint& p) {
  const double params = static_cast<double>(p.metrics.params);
  switch (p.kind) {
    case PrunePointKind::unpruned:
      return fmt("trained: %.0f parameters, val acc %.4f, test acc %.4f, L %.2f", params, p.val_accuracy,
                 p.test_accuracy, p.metrics.L);
    case PrunePointKind::theta: {
      char buf[256];
      std::snprintf(buf, sizeof buf, "theta %.3g: %.0f parameters, val acc %.4f, test acc %.4f", p.theta, params,
                    p.val_accuracy, p.test_accuracy);
      return buf;
    }
    case PrunePointKind::dense: return "";
    case PrunePointKind::baseline:
      return fmt("baseline: %.0f parameters, val acc %.4f, test acc %.4f", params, p.val_accuracy, p.test_accuracy);
    case PrunePointKind::step:
      return fmt("prune step %.0f: %.0f parameters, val acc %.4f, test acc %.4f", p.step, params, p.val_accuracy,
                 p.test_accuracy);
    case PrunePointKind::target:
      return fmt("pruned: %.0f parameters, val acc %.4f, test acc %.4f", params, p.val_accuracy, p.test_accuracy);
  }
  return "";
}

std::string baseline_text(const MagnitudeBaselineResult& r) {
  return prune_point_text(r.pruned) + " (" + to_string(r.start.kind) + fmt(" %.4f)", r.start.test_accuracy);
}

std::string magnitude_text(const std::string& scope, std::size_t reached, std::size_t target) {
  return "magnitude pruning (" + scope + ") to " + std::to_string(reached) + " parameters (target " +
         std::to_string(target) + ")";
}

std::string prune_epoch_text(const EpochRecord& r) {
  return "epoch " + std::to_string(r.epoch) +
         fmt(": lr %.4g, train loss %.4f, val acc %.4f, %.1fs", r.lr, r.train_loss, r.val_accuracy, r.seconds);
}

void record_theta_sweep(ModelArtifact& out, ThetaSweepResult result, const std::vector<EpochRecord>& training) {
  std::vector<PrunePoint> points{result.unpruned};
  points.insert(points.end(), result.points.begin(), result.points.end());
  out.model = std::move(result.model);
  out.history = continue_history(training, result.finetune_history);
  out.series["swprune_sweep"] = sweep_series(points);
  out.notes["swprune_sweep_columns"] = kSweepColumns;
  out.notes["swprune_mode"] = "smallworld";
  out.notes["swprune_selected_theta"] = result.choice.index ? fmt("%g", result.chosen().theta) : "none (unpruned)";
  out.notes["swprune_metrics"] = metrics_json(result.chosen().metrics).dump();
}

void record_magnitude_baseline(ModelArtifact& out, const MagnitudeBaselineResult& result, const std::string& mode,
                               const std::vector<EpochRecord>& training) {
  out.history = continue_history(training, result.finetune_history);
  out.series.clear();
  std::vector<PrunePoint> points{result.start};
  points.insert(points.end(), result.steps.begin(), result.steps.end());
  points.push_back(result.pruned);
  out.series["swprune_sweep"] = sweep_series(points);
  out.notes = {{"swprune_sweep_columns", kSweepColumns}};
  out.notes["swprune_mode"] = mode;
  if (result.start.kind == PrunePointKind::unpruned) out.notes["swprune_selected_theta"] = "none (" + target_selection_text(result) + ")";
  out.notes["swprune_metrics"] = metrics_json(result.pruned.metrics).dump();
}

}  // namespace nnc::cli
