#include "nnc/cli/prune_report.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

#include "nnc/nn/error.hpp"

#include "nnc/cli/metrics_report.hpp"

namespace nnc::cli {

namespace {

constexpr double kAbsent = std::numeric_limits<double>::quiet_NaN();

// A figure of the unit graph as a number: NaN where it is not defined (a network with branches).
double unit(const NetworkMetrics& m, double v) { return m.unit_graph ? v : kAbsent; }

std::vector<double> sweep_row(const PrunePoint& p) {
  const NetworkMetrics& m = p.metrics;
  return {p.theta, p.val_accuracy, p.test_accuracy, static_cast<double>(m.params), unit(m, m.L), unit(m, m.C),
          unit(m, m.live), unit(m, m.path_length), unit(m, m.clustering), unit(m, m.small_world_sigma),
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
  if (p.kind == PrunePointKind::theta || p.kind == PrunePointKind::theta_probe) out.set("theta", p.theta);
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
    case PrunePointKind::theta_probe: {
      char buf[256];
      std::snprintf(buf, sizeof buf, "theta %.3g (not fine-tuned): %.0f parameters, val acc %.4f, L %.2f, C %.2f", p.theta,
                    params, p.val_accuracy, p.metrics.L, p.metrics.C);
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

namespace {

// A PrunePoint as numbers: the point's and the network's scalars, then every layer's (the unit
// graph's NaN in a network with branches).
constexpr std::size_t kPointHead = 22, kPointLayer = 17;

std::vector<double> point_values(const PrunePoint& p) {
  const NetworkMetrics& m = p.metrics;
  const ParamCounts& c = m.counts;
  std::vector<double> v = {static_cast<double>(p.kind), p.theta, static_cast<double>(p.step), p.val_accuracy,
                           p.test_accuracy, unit(m, m.L), unit(m, m.C), unit(m, m.live), unit(m, m.path_length),
                           unit(m, m.clustering), unit(m, m.path_length_random), unit(m, m.clustering_random),
                           unit(m, m.small_world_sigma), static_cast<double>(m.params),
                           static_cast<double>(c.weights_nonzero), static_cast<double>(c.weights),
                           static_cast<double>(c.biases), static_cast<double>(c.batch_norm), m.flops,
                           static_cast<double>(m.tiles), static_cast<double>(m.tile_links),
                           static_cast<double>(m.layers.size())};
  for (const LayerMetrics& l : m.layers) {
    v.insert(v.end(), {static_cast<double>(l.index), static_cast<double>(l.units_in), static_cast<double>(l.units_out),
                       static_cast<double>(l.edges), unit(m, l.L), unit(m, l.C), unit(m, l.live), unit(m, l.path_length),
                       unit(m, l.clustering), unit(m, l.path_length_random), unit(m, l.clustering_random),
                       unit(m, l.small_world_sigma), static_cast<double>(l.params),
                       l.flops, static_cast<double>(l.tiles), static_cast<double>(l.tiles_total),
                       static_cast<double>(l.tile_links)});
  }
  return v;
}

PrunePoint point_from(const double* v, const Model& model) {
  PrunePoint p;
  const auto z = [](double x) { return static_cast<std::size_t>(x); };
  const auto i = [](double x) { return static_cast<int>(x); };
  p.kind = static_cast<PrunePointKind>(i(v[0]));
  p.theta = v[1];
  p.step = i(v[2]);
  p.val_accuracy = v[3];
  p.test_accuracy = v[4];
  NetworkMetrics& m = p.metrics;
  m.unit_graph = !std::isnan(v[5]);  // a chain's L is a number, a graph's NaN
  const auto live = [&](double x) { return m.unit_graph ? i(x) : 0; };
  m.L = v[5], m.C = v[6], m.live = live(v[7]), m.path_length = v[8], m.clustering = v[9];
  m.path_length_random = v[10], m.clustering_random = v[11], m.small_world_sigma = v[12], m.params = z(v[13]);
  m.counts = {z(v[14]), z(v[15]), z(v[16]), z(v[17])};
  m.flops = v[18], m.tiles = i(v[19]), m.tile_links = i(v[20]);
  for (std::size_t k = 0; k < z(v[21]); ++k) {
    const double* w = v + kPointHead + k * kPointLayer;
    LayerMetrics l;
    l.index = i(w[0]);
    const Layer& layer = *model.layers().at(static_cast<std::size_t>(l.index));
    l.type = layer.type();
    l.spec = layer.spec();
    l.units_in = i(w[1]), l.units_out = i(w[2]), l.edges = z(w[3]), l.L = w[4], l.C = w[5], l.live = live(w[6]);
    l.path_length = w[7], l.clustering = w[8], l.path_length_random = w[9], l.clustering_random = w[10];
    l.small_world_sigma = w[11], l.params = z(w[12]), l.flops = w[13], l.tiles = i(w[14]);
    l.tiles_total = i(w[15]), l.tile_links = i(w[16]);
    m.layers.push_back(std::move(l));
  }
  return p;
}

constexpr std::size_t kEpochColumns = 6;

Series epochs_series(const std::vector<EpochRecord>& h) {
  Series s{{h.size(), kEpochColumns}, {}};
  for (const EpochRecord& e : h) {
    s.values.insert(s.values.end(), {static_cast<double>(e.epoch), e.lr, e.train_loss, e.train_accuracy, e.val_loss,
                                     e.val_accuracy});
  }
  return s;
}

std::vector<EpochRecord> epochs_of(const ModelArtifact& ck, const std::string& name) {
  std::vector<EpochRecord> h;
  const auto it = ck.series.find(name);
  if (it == ck.series.end()) return h;
  const std::vector<double>& v = it->second.values;
  for (std::size_t k = 0; k + kEpochColumns <= v.size(); k += kEpochColumns) {
    h.push_back(EpochRecord{static_cast<int>(v[k]), v[k + 1], v[k + 2], v[k + 3], v[k + 4], v[k + 5], 0});
  }
  return h;
}

}  // namespace

ModelArtifact progress_checkpoint(const Model& model, const PruneProgress& progress) {
  ModelArtifact ck;
  ck.model = model;
  ck.history = progress.train.history;
  ck.checkpoint = progress.train;
  ck.series["swprune_resume_state"] = Series{{3}, {static_cast<double>(progress.phase),
                                                    static_cast<double>(progress.reached),
                                                    progress.val_accuracy_before_finetune}};
  // Empty series are left out (HDF5 datasets of no rows are not worth their special cases).
  if (!progress.training.empty()) ck.series["swprune_resume_training"] = epochs_series(progress.training);
  if (!progress.retraining.empty()) ck.series["swprune_resume_retraining"] = epochs_series(progress.retraining);
  if (!progress.points.empty()) {
    const std::size_t width = kPointHead + kPointLayer * progress.points.front().metrics.layers.size();
    Series s{{progress.points.size(), width}, {}};
    for (const PrunePoint& p : progress.points) {
      const std::vector<double> v = point_values(p);
      if (v.size() != width) throw Error("pruning points of different networks in one run");
      s.values.insert(s.values.end(), v.begin(), v.end());
    }
    ck.series["swprune_resume_points"] = std::move(s);
  }
  ck.notes["swprune_resume"] = "where nnc-swprune's run is: swprune_resume_state (phase, parameters after the last "
                               "prune, validation accuracy before fine-tuning), the epochs of the phases that ended, "
                               "and every evaluated model's record";
  return ck;
}

PruneProgress progress_of(const ModelArtifact& ck) {
  PruneProgress p;
  if (ck.checkpoint) p.train = *ck.checkpoint;
  const auto state = ck.series.find("swprune_resume_state");
  if (state == ck.series.end()) return p;
  if (state->second.values.size() != 3) throw Error("swprune_resume_state holds " + std::to_string(state->second.values.size()) + " values, not 3");
  p.phase = static_cast<int>(state->second.values[0]);
  p.reached = static_cast<std::size_t>(state->second.values[1]);
  p.val_accuracy_before_finetune = state->second.values[2];
  p.training = epochs_of(ck, "swprune_resume_training");
  p.retraining = epochs_of(ck, "swprune_resume_retraining");
  const auto points = ck.series.find("swprune_resume_points");
  if (points != ck.series.end()) {
    const Series& s = points->second;
    if (s.dims.size() != 2 || s.dims[1] < kPointHead) throw Error("swprune_resume_points is not a table of pruning points");
    for (std::size_t r = 0; r < s.dims[0]; ++r) {
      const double* row = s.values.data() + r * s.dims[1];
      if (kPointHead + kPointLayer * static_cast<std::size_t>(row[21]) != s.dims[1]) {
        throw Error("swprune_resume_points row " + std::to_string(r) + " does not fit its width");
      }
      p.points.push_back(point_from(row, ck.model));
    }
  }
  return p;
}

}  // namespace nnc::cli
