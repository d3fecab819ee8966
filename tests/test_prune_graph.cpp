// Pruning networks beyond a chain (issue 44): a network with branches has no unit graph, so its
// structure metrics leave out L, C and the rest of the unit graph's figures (NaN in numbers,
// null in JSON) while parameters, FLOPs, tiles and tile links (along the data flow) stay; the
// magnitude baseline prunes a residual model to its target and records it so; a chain's
// records keep L and C.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "nnc/algo/metrics.hpp"
#include "nnc/algo/sweep.hpp"
#include "nnc/cli/metrics_report.hpp"
#include "nnc/cli/prune_report.hpp"
#include "nnc/io/artifact.hpp"

using namespace nnc;

namespace {

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

const LayerMetrics& layer_at(const NetworkMetrics& m, int index) {
  for (const LayerMetrics& l : m.layers)
    if (l.index == index) return l;
  FAIL("no mapped layer " << index);
  return m.layers.front();
}

// The unit graph's figures of `m` are all absent (NaN, live 0), the network's and each layer's.
void check_no_unit_graph(const NetworkMetrics& m) {
  CHECK_FALSE(m.unit_graph);
  for (double v : {m.L, m.C, m.path_length, m.clustering, m.path_length_random, m.clustering_random,
                   m.small_world_sigma}) {
    CHECK(std::isnan(v));
  }
  CHECK(m.live == 0);
  for (const LayerMetrics& l : m.layers) {
    for (double v : {l.L, l.C, l.path_length, l.clustering, l.path_length_random, l.clustering_random,
                     l.small_world_sigma}) {
      CHECK(std::isnan(v));
    }
  }
}

// Every key of the unit graph in a metrics record (the network's and the first layer's) is null.
void check_null_keys(const std::string& json) {
  for (const char* key : {"L", "C", "live", "path_length", "clustering", "path_length_random", "clustering_random",
                          "small_world_sigma"}) {
    std::string want = "\"";
    want += key;
    want += "\": null";
    CHECK_MESSAGE(has(json, want), want);
  }
}

// The column of the swprune_sweep series named `name` (kSweepColumns), row by row.
std::vector<double> sweep_column(const Series& s, const std::string& name) {
  const std::string cols = std::string(",") + cli::kSweepColumns + ",";
  const std::size_t at = cols.find("," + name + ",");
  REQUIRE(at != std::string::npos);
  std::size_t k = 0;
  for (std::size_t i = 0; i < at; ++i) k += cols[i] == ',';
  std::vector<double> v;
  for (std::size_t r = 0; r < s.dims[0]; ++r) v.push_back(s.values[r * s.dims[1] + k]);
  return v;
}

MagnitudeBaselineOptions baseline_options(std::size_t target) {
  MagnitudeBaselineOptions o;
  o.train = test::small_train_options(2);
  o.target_params = target;
  o.steps = 2;
  o.retrain = test::small_train_options(1, 0.02);
  o.finetune = test::small_train_options(1, 0.02);
  return o;
}

}  // namespace

TEST_CASE("metrics: a network with branches has no unit graph, and its tiles link along the data flow") {
  // cost's hand-worked option B model (tests/test_cost.cpp), 1x1 convs on 4x4 tiles, every weight
  // nonzero: layer 0 links to the projection 2 and conv 4 (2 + 2), 2 and conv 7 to fc3 through the
  // add (2, 4), conv 4 to conv 7 (4).
  const Model m = test::make_model("c4k1,b0=relu,c8k1s2@b0,s=bn,c8k1s2@b0,bn,relu,c8k1,bn,add@s,relu,gap,fc3",
                                   {1, 4, 4}, 3, 5);
  REQUIRE_FALSE(m.is_chain());
  const NetworkMetrics nm = structure_metrics(m, 1, 4);
  check_no_unit_graph(nm);
  REQUIRE(nm.layers.size() == 5);
  CHECK(layer_at(nm, 0).tile_links == 4);
  CHECK(layer_at(nm, 2).tile_links == 2);
  CHECK(layer_at(nm, 4).tile_links == 4);
  CHECK(layer_at(nm, 7).tile_links == 4);
  CHECK(layer_at(nm, 12).tile_links == 0);
  CHECK(nm.tile_links == 14);
  // Tiles: 1 + 2 + 2 + 4 + 2; units and edges are each layer's own (channels, all tied).
  CHECK(nm.tiles == 11);
  CHECK(layer_at(nm, 7).units_in == 8);
  CHECK(layer_at(nm, 7).units_out == 8);
  CHECK(layer_at(nm, 7).edges == 64u);
  CHECK(layer_at(nm, 12).units_in == 8);
  CHECK(layer_at(nm, 12).edges == 24u);
  CHECK(nm.params == m.nonzero_param_count());
  CHECK(nm.flops > 0);
  const std::string j = metrics_json(nm).dump();
  check_null_keys(j);
  CHECK(has(j, "\"tile_links\": 14"));

  // Option A: the padding shortcut moves layer 0's units to channels 2-5 of fc3's 8.
  const Model a = test::make_model("c4k1,b0=relu,s=id8s2,c8k1s2@b0,bn,relu,c8k1,bn,add@s,relu,gap,fc3", {1, 4, 4}, 3, 5);
  const NetworkMetrics na = structure_metrics(a, 1, 4);
  check_no_unit_graph(na);
  CHECK(layer_at(na, 0).tile_links == 4);
  CHECK(na.tile_links == 12);

  // A chain has its unit graph, and its links are those of consecutive mapped layers.
  const Model c = test::make_model("c4k1,relu,c8k1,flat,fc3", {1, 4, 4}, 3, 5);
  const NetworkMetrics nc = structure_metrics(c, 1, 4);
  CHECK(nc.unit_graph);
  CHECK(nc.L > 0);
  CHECK(nc.live > 0);
  CHECK_FALSE(has(metrics_json(nc).dump(), "null"));
}

TEST_CASE("magnitude baseline on a residual model: to the target, records without L and C, a file that reloads and evaluates") {
  const Dataset tr = test::bars_dataset(160, {1, 12, 12}, 4, 7);
  const Dataset val = test::bars_dataset(48, {1, 12, 12}, 4, 8);
  const Dataset te = test::bars_dataset(48, {1, 12, 12}, 4, 9);
  const PruneData data{tr, val, te};
  Model m = test::make_model("c4p1,bn,b0=relu,c4p1,bn,add@b0,relu,c8s2p1,bn,relu,gap,fc4", tr.shape, tr.classes, 3);
  REQUIRE_FALSE(m.is_chain());
  const std::size_t dense = m.nonzero_param_count();
  const std::size_t target = dense * 2 / 5;
  std::vector<PrunePoint> points;
  const MagnitudeBaselineResult r =
      magnitude_baseline(m, data, baseline_options(target), {}, [&](const PrunePoint& p) { points.push_back(p); });

  CHECK(r.reached <= target);
  CHECK(r.pruned.metrics.params <= target);
  CHECK(r.pruned.metrics.params == m.nonzero_param_count());
  CHECK(r.start.metrics.params == dense);
  REQUIRE(points.size() == 2);  // the dense model, then step 1
  CHECK(points[0].kind == PrunePointKind::dense);
  CHECK(points[1].kind == PrunePointKind::step);
  points.push_back(r.pruned);
  for (const PrunePoint& p : points) {
    check_no_unit_graph(p.metrics);
    CHECK(p.metrics.tiles > 0);
    CHECK(p.metrics.tile_links > 0);
    const std::string j = cli::prune_record_json(p).dump();
    check_null_keys(j);
    CHECK(has(j, "\"params\": " + std::to_string(p.metrics.params) + ","));
  }
  check_null_keys(cli::baseline_record_json(r).dump());
  CHECK(cli::baseline_text(r).find("baseline: ") == 0);

  // The file: the sweep table's unit-graph columns NaN, the rest numbers; notes with nulls.
  ModelArtifact out;
  out.model = m;
  cli::record_magnitude_baseline(out, r, "baseline magnitude (global)");
  const Series& s = out.series["swprune_sweep"];
  REQUIRE(s.dims == std::vector<std::uint64_t>{3, 13});
  for (const char* col : {"L", "C", "live", "path_length", "clustering", "small_world_sigma"})
    for (double v : sweep_column(s, col)) CHECK(std::isnan(v));
  CHECK(sweep_column(s, "params").back() == static_cast<double>(r.pruned.metrics.params));
  CHECK(sweep_column(s, "tiles").back() == r.pruned.metrics.tiles);
  check_null_keys(out.notes["swprune_metrics"]);

  ModelArtifact back = decode_model(encode_model(out), "graph.h5");
  REQUIRE_FALSE(back.model.is_chain());
  CHECK(back.model.nonzero_param_count() == r.pruned.metrics.params);
  CHECK(evaluate(back.model, te).accuracy == r.pruned.test_accuracy);
  const Series& sb = back.series["swprune_sweep"];
  for (double v : sweep_column(sb, "L")) CHECK(std::isnan(v));
  CHECK(back.notes["swprune_metrics"] == out.notes["swprune_metrics"]);

  // A checkpoint's points come back without a unit graph, and print the same records.
  PruneProgress progress;
  progress.points = points;
  const PruneProgress again = cli::progress_of(decode_model(encode_model(cli::progress_checkpoint(m, progress)), "ck.h5"));
  REQUIRE(again.points.size() == points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    check_no_unit_graph(again.points[i].metrics);
    CHECK(cli::prune_record_json(again.points[i]).dump() == cli::prune_record_json(points[i]).dump());
  }
}

TEST_CASE("magnitude baseline on a chain: its records keep L and C") {
  const Dataset tr = test::bars_dataset(160, {1, 12, 12}, 4, 7);
  const Dataset val = test::bars_dataset(48, {1, 12, 12}, 4, 8);
  const PruneData data{tr, val, val};
  Model m = test::make_model("c4k3,relu,mp2,flat,fc16,relu,fc4", tr.shape, tr.classes, 3);
  const std::size_t target = m.nonzero_param_count() / 3;
  std::vector<PrunePoint> points;
  const MagnitudeBaselineResult r =
      magnitude_baseline(m, data, baseline_options(target), {}, [&](const PrunePoint& p) { points.push_back(p); });
  CHECK(r.pruned.metrics.params <= target);
  points.push_back(r.pruned);
  for (const PrunePoint& p : points) {
    CHECK(p.metrics.unit_graph);
    CHECK(p.metrics.L > 0);
    CHECK(p.metrics.live > 0);
    const std::string j = cli::prune_record_json(p).dump();
    CHECK_FALSE(has(j, "null"));
    CHECK(has(j, "\"L\": "));
  }
  ModelArtifact out;
  out.model = m;
  cli::record_magnitude_baseline(out, r, "baseline magnitude (global)");
  for (double v : sweep_column(out.series["swprune_sweep"], "L")) CHECK(v > 0);
  PruneProgress progress;
  progress.points = points;
  const PruneProgress again = cli::progress_of(decode_model(encode_model(cli::progress_checkpoint(m, progress)), "ck.h5"));
  REQUIRE(again.points.size() == points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    CHECK(again.points[i].metrics.unit_graph);
    CHECK(cli::prune_record_json(again.points[i]).dump() == cli::prune_record_json(points[i]).dump());
  }
}
