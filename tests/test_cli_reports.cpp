// The records tools write from the library's results (cli/prune_report, cli/cgap_report,
// cli/rsa_report): JSON keys and order, log lines, the series and notes a model keeps.
#include <doctest/doctest.h>

#include <string>

#include "nnc/cli/cgap_report.hpp"
#include "nnc/cli/prune_report.hpp"
#include "nnc/cli/rsa_report.hpp"

using namespace nnc;

namespace {

PrunePoint point(PrunePointKind kind, double theta, double val, double test, std::size_t params) {
  PrunePoint p;
  p.kind = kind;
  p.theta = theta;
  p.val_accuracy = val;
  p.test_accuracy = test;
  p.metrics.params = params;
  p.metrics.L = 2.5;
  return p;
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("prune records: flat JSON with the record's fields first, theta only on theta records") {
  const std::string t = cli::prune_record_json(point(PrunePointKind::theta, 0.5, 0.9, 0.8, 120)).dump();
  CHECK(t.find("{\"record\": \"theta\", \"theta\": 0.5, \"val_accuracy\": 0.9, \"test_accuracy\": 0.8, \"params\": 120") == 0);
  for (const char* key : {"flops", "\"L\"", "\"C\"", "live", "path_length", "clustering", "small_world_sigma", "tiles",
                          "tile_links", "layers"}) {
    CHECK(has(t, key));
  }
  const std::string u = cli::prune_record_json(point(PrunePointKind::unpruned, -1, 0.9, 0.8, 500)).dump();
  CHECK(u.find("{\"record\": \"unpruned\", \"val_accuracy\": 0.9,") == 0);
  CHECK_FALSE(has(u, "\"theta\""));

  CHECK(cli::prune_point_text(point(PrunePointKind::unpruned, -1, 0.9, 0.8, 500)) ==
        "trained: 500 parameters, val acc 0.9000, test acc 0.8000, L 2.50");
  CHECK(cli::prune_point_text(point(PrunePointKind::theta, 1.25, 0.9, 0.8, 120)) ==
        "theta 1.25: 120 parameters, val acc 0.9000, test acc 0.8000");
  CHECK(cli::prune_point_text(point(PrunePointKind::dense, -1, 0.9, 0.8, 120)).empty());
  CHECK(cli::magnitude_text("layer", 2990, 3000) == "magnitude pruning (layer) to 2990 parameters (target 3000)");
  EpochRecord e;
  e.epoch = 3, e.lr = 0.05, e.train_loss = 1.25, e.val_accuracy = 0.5, e.seconds = 1.25;
  CHECK(cli::prune_epoch_text(e) == "epoch 3: lr 0.05, train loss 1.2500, val acc 0.5000, 1.2s");
}

TEST_CASE("prune records: the sweep's summary, series and notes follow the choice") {
  ThetaSweepResult r;
  r.unpruned = point(PrunePointKind::unpruned, -1, 0.9, 0.85, 500);
  r.points = {point(PrunePointKind::theta, 0.5, 0.89, 0.84, 300), point(PrunePointKind::theta, 1, 0.7, 0.7, 100)};
  r.choice = select_theta({{0.5, 0.89}, {1, 0.7}}, 0.9, 0.02);
  r.finetune_history.resize(1);
  r.finetune_history[0].epoch = 1;
  std::vector<EpochRecord> training(2);
  training[0].epoch = 1, training[1].epoch = 2;

  CHECK(cli::sweep_summary_json(r, 0.02).dump() ==
        "{\"record\": \"summary\", \"selected_theta\": 0.5, \"unpruned_val_accuracy\": 0.9, \"tolerance\": 0.02, "
        "\"params\": 300, \"selection\": \"theta 0.5: validation accuracy 0.8900 >= 0.8800 (unpruned 0.9000 less "
        "tolerance 0.02), the largest of 1 that qualify\"}");
  ModelArtifact out;
  cli::record_theta_sweep(out, r, training);
  CHECK(out.notes["swprune_selected_theta"] == "0.5");
  CHECK(out.notes["swprune_mode"] == "smallworld");
  CHECK(out.notes["swprune_sweep_columns"] == cli::kSweepColumns);
  CHECK(has(out.notes["swprune_metrics"], "\"params\": 300"));
  REQUIRE(out.history.size() == 3);
  CHECK(out.history[2].epoch == 3);
  const Series& s = out.series["swprune_sweep"];
  CHECK(s.dims == std::vector<std::uint64_t>{3, 13});
  CHECK(s.values[0] == -1);       // the unpruned row first
  CHECK(s.values[13] == 0.5);     // then each theta
  CHECK(s.values[13 + 3] == 300); // params column

  r.choice = select_theta({{0.5, 0.89}, {1, 0.7}}, 0.9, 0.0);  // none
  CHECK(has(cli::sweep_summary_json(r, 0).dump(), "\"selected_theta\": null"));
  CHECK(has(cli::sweep_summary_json(r, 0).dump(), "\"params\": 500"));
  CHECK(has(cli::sweep_summary_json(r, 0).dump(),
            "\"selection\": \"no theta kept validation accuracy within the tolerance (2 tried, none at or above 0.9000)\""));
  ModelArtifact none;
  cli::record_theta_sweep(none, r, training);
  CHECK(none.notes["swprune_selected_theta"] == "none (unpruned)");
}

TEST_CASE("prune records: the baseline record, line, series and notes") {
  MagnitudeBaselineResult r;
  r.start = point(PrunePointKind::dense, -1, 0.95, 0.94, 4000);
  r.pruned = point(PrunePointKind::baseline, -1, 0.9, 0.89, 300);
  r.pruned.step = 1;
  r.targets = {300};
  r.val_accuracy_before_finetune = 0.5;
  const std::string j = cli::baseline_record_json(r).dump();
  CHECK(j.find("{\"record\": \"baseline\", \"step\": 1, \"val_accuracy\": 0.9,") == 0);
  CHECK(has(j, "\"val_accuracy_before_finetune\": 0.5, \"dense_val_accuracy\": 0.95, \"dense_test_accuracy\": 0.94, "
               "\"dense_params\": 4000, \"prune_steps\": 1}"));
  CHECK(cli::baseline_text(r) == "baseline: 300 parameters, val acc 0.9000, test acc 0.8900 (dense 0.9400)");
  ModelArtifact out;
  out.notes["from_the_init_model"] = "x";
  out.series["old"] = Series{{1}, {1.0}};
  cli::record_magnitude_baseline(out, r, "baseline magnitude (global)");
  CHECK(out.notes.size() == 3);
  CHECK(out.notes["swprune_mode"] == "baseline magnitude (global)");
  CHECK(out.series.size() == 1);
  CHECK(out.series["swprune_sweep"].dims == std::vector<std::uint64_t>{2, 13});
}

TEST_CASE("cgap records: phase names, the log line, series and notes, the JSON summary") {
  CHECK(std::string(cli::phase_name(CgapPhase::reverted)) == "reverted");
  CgapRecord rec;
  rec.epoch = 1.5;
  rec.phase = CgapPhase::growth;
  rec.val_accuracy = 0.912;
  rec.val_loss = 0.25;
  rec.params = 3456;
  rec.flops = 123456;
  rec.widths = {4, 8};
  CHECK(cli::cgap_record_text(rec) ==
        "epoch 1.50 growth   val acc 0.9120 loss 0.2500, 3456 params, 1.23e+05 FLOPs, widths 4 8");
  CgapRecord pruned = rec;
  pruned.phase = CgapPhase::pruning;
  pruned.removal_accuracy = 0.9;
  pruned.removal_loss = 0.3;
  pruned.removal_z = 1.5;
  pruned.before_accuracy = 0.905;
  CHECK(cli::cgap_record_text(pruned) == "epoch 1.50 pruning  val acc 0.9120 loss 0.2500, 3456 params, 1.23e+05 FLOPs, "
                                         "widths 4 8; val acc 0.9000, loss 0.3000 just after the removal, 0.9050 "
                                         "before (z 1.50)");

  Model templ("c8k3,relu,mp2,flat,fc16,relu,fc4", {1, 12, 12}, 4);
  templ.init(1);
  CgapResult res;
  res.units = unit_layers(templ);
  REQUIRE(res.units.size() == 2);
  for (int i = 0; i < 3; ++i) {
    CgapRecord r = rec;
    r.epoch = i;
    r.phase = i == 0 ? CgapPhase::seed : i == 1 ? CgapPhase::growth : CgapPhase::end;
    r.params = 100u * (i + 1);
    r.widths = {2 + i, 4 + i};
    if (i == 1) r.removal_accuracy = 0.5, r.removal_loss = 2, r.before_accuracy = 0.6, r.removal_z = 3;
    res.records.push_back(r);
  }
  res.seed = 0, res.peak = 1, res.end = 2;
  res.growth_stop = "plateau";
  res.prune_stop = "tolerance";
  res.train_flops = 30;
  res.baseline_train_flops = 120;
  ModelArtifact out;
  cli::record_cgap(out, res, templ);
  CHECK(out.series["cgap_widths"].dims == std::vector<std::uint64_t>{3, 2});
  CHECK(out.series["cgap_widths"].values == std::vector<double>{2, 4, 3, 5, 4, 6});
  CHECK(out.series["cgap_steps"].dims == std::vector<std::uint64_t>{3, 6});
  CHECK(out.series["cgap_steps"].values[5 + 1] == 1);  // the phase column: growth
  CHECK(out.series["cgap_summary"].values[0] == 100);  // seed params
  CHECK(out.series["cgap_summary"].values[6] == 300);  // end params
  CHECK(out.notes["cgap_layers"] == "0:" + templ.layers()[0]->spec() + " 4:" + templ.layers()[4]->spec());
  CHECK(out.notes["cgap_growth_stop"] == "plateau");

  const std::string line = cli::cgap_end_text(res, templ, 0.75);
  CHECK(line.find("end: test acc 0.7500, 300 params (") == 0);
  CHECK(has(line, "; growth stop: plateau, pruning stop: tolerance"));
  const std::string j = cli::cgap_json(res, templ, "c8k3,relu,mp2,flat,fc16,relu,fc4", "mnist", 4, 0.75).dump();
  CHECK(j.find("{\"arch\": \"c8k3,relu,mp2,flat,fc16,relu,fc4\", \"dataset\": \"mnist\", \"epochs\": 4, "
               "\"test_accuracy\": 0.75, \"params\": 300,") == 0);
  CHECK(has(j, "\"template_widths\": [8, 16]"));
  CHECK(has(j, "\"end\": {\"epoch\": 2, \"val_accuracy\": 0.912, \"test_accuracy\": 0.75,"));
  CHECK(has(j, "\"phase\": \"growth\", \"val_accuracy\": 0.912, \"val_loss\": 0.25, \"removal_accuracy\": 0.5, "
               "\"removal_loss\": 2, \"before_accuracy\": 0.6, \"removal_z\": 3, \"params\": 200"));
  CHECK(has(j, "\"train_flops\": 30, \"baseline_train_flops\": 120, \"train_flops_ratio\": 0.25"));
  CHECK(has(line, "(25.0% of the template's); growth stop"));
}

TEST_CASE("rsa-adapt reports: R-V-W JSON with null when RSA never reached it, long file names kept whole") {
  RvwComparison c;
  c.test_accuracy = 0.9;
  c.pulses = 1234;
  CHECK(has(cli::rvw_json(c).dump(), "\"pulses\": 1234,"));
  CHECK(has(cli::rvw_json(c).dump(), "\"rsa_time_to_rvw_val_accuracy_s\": null}"));
  c.rsa_time_to_rvw_val_accuracy_s = 0.5;
  CHECK(has(cli::rvw_json(c).dump(), "\"rsa_time_to_rvw_val_accuracy_s\": 0.5}"));
  CHECK(cli::rvw_text(c) == "R-V-W on the same chip: test accuracy 0.9000, 1234 pulses, modeled time 0 s");

  ChipRsa a;
  a.accuracy_before = 0.5;
  a.accuracy_after = 0.75;
  const std::string name = std::string(400, 'x') + ".h5";
  const std::string text = cli::chip_rsa_text(a, name);
  CHECK(text == name + ": 0 RSA cells (0.000% of placed weights), 0 SRAM bytes, test accuracy 0.5000 -> 0.7500, "
                       "modeled time 0 s\n");
  const std::string j = cli::chip_rsa_json(a, "c.h5", "mnist", 200).dump();
  CHECK(j.find("{\"file\": \"c.h5\", \"dataset\": \"mnist\", \"mode\": \"additive\", \"selection\": \"balanced\",") == 0);
  CHECK(has(j, "\"bn_recalibrated_accuracy\": null, \"bn_recalibration\": null,"));
  CHECK(has(j, "\"test_samples\": 200,"));
}
