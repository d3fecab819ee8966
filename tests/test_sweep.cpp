// The Small-World pruning flows (algo/sweep): the theta selection rule on hand-made results
// (ties, none within tolerance, exactly at the threshold, a theta that prunes nothing), the
// sweep on a tiny trained model (every theta from the same model, the kept model is the chosen
// one, interruption), the magnitude baseline, its theta probes, a run stopped in any phase and
// resumed from its checkpoint, and library messages that name no flag.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fixtures.hpp"
#include "nnc/algo/smallworld.hpp"
#include "nnc/algo/sweep.hpp"
#include "nnc/cli/prune_report.hpp"
#include "nnc/nn/error.hpp"

using namespace nnc;

namespace {

const char* kSpec = "c4k3,relu,mp2,flat,fc8,relu,fc4";

std::vector<std::vector<Real>> weights_of(const Model& m) {
  std::vector<std::vector<Real>> out;
  for (const Param* p : m.params()) out.emplace_back(p->value.data(), p->value.data() + p->value.size());
  return out;
}

TrainOptions finetune_options(int epochs) { return test::small_train_options(epochs, 0.01, 5); }

// The records a point prints, every number in them.
std::string record_of(const PrunePoint& p) { return cli::prune_record_json(p).dump(); }

// Epoch records without their wall time.
std::vector<std::vector<double>> epochs_of(const std::vector<EpochRecord>& h) {
  std::vector<std::vector<double>> out;
  for (const EpochRecord& e : h) out.push_back({double(e.epoch), e.lr, e.train_loss, e.train_accuracy, e.val_accuracy});
  return out;
}

}  // namespace

TEST_CASE("select_theta: the largest theta within the tolerance, the first of equal thetas") {
  // Order of the list does not matter: the largest qualifying theta wins.
  ThetaChoice c = select_theta({{2.0, 0.88}, {0.5, 0.90}, {1.0, 0.89}}, 0.90, 0.02);
  REQUIRE(c.index);
  CHECK(*c.index == 0);
  CHECK(c.threshold == doctest::Approx(0.88));
  CHECK(c.reason.find("theta 2") == 0);
  // Accuracy above the unpruned model's qualifies too.
  c = select_theta({{0.5, 0.95}, {1.0, 0.97}}, 0.90, 0.0);
  REQUIRE(c.index);
  CHECK(*c.index == 1);
  // Ties on theta: the first result with that theta is kept, whatever the later one scored.
  c = select_theta({{0.5, 0.9}, {1.0, 0.9}, {1.0, 0.95}}, 0.9, 0.0);
  REQUIRE(c.index);
  CHECK(*c.index == 1);
  // A larger theta that fails does not displace a smaller one that qualifies.
  c = select_theta({{0.5, 0.9}, {3.0, 0.2}}, 0.9, 0.01);
  REQUIRE(c.index);
  CHECK(*c.index == 0);
}

TEST_CASE("select_theta: none within the tolerance, or no result at all, keeps the unpruned model") {
  ThetaChoice c = select_theta({{0.5, 0.80}, {1.0, 0.70}}, 0.90, 0.05);
  CHECK_FALSE(c.index);
  CHECK(c.threshold == doctest::Approx(0.85));
  CHECK(c.reason.find("no theta kept validation accuracy within the tolerance") == 0);
  c = select_theta({}, 0.9, 0.5);
  CHECK_FALSE(c.index);
  CHECK(c.reason.find("no theta kept validation accuracy within the tolerance") == 0);
}

TEST_CASE("select_theta: exactly at the tolerance qualifies, just below does not") {
  // 0.5 - 0.25 = 0.25 exactly in binary floating point.
  ThetaChoice c = select_theta({{1.0, 0.25}}, 0.5, 0.25);
  REQUIRE(c.index);
  CHECK(*c.index == 0);
  CHECK(c.threshold == 0.25);
  c = select_theta({{1.0, 0.25 - 1e-12}}, 0.5, 0.25);
  CHECK_FALSE(c.index);
}

TEST_CASE("select_theta: a theta that prunes nothing, as good as the unpruned model, is chosen at tolerance 0") {
  // Theta 0 keeps every weight: the unpruned model itself, fine-tuned. With the unpruned
  // accuracy and tolerance 0 it qualifies, and is chosen over the unpruned model.
  ThetaChoice c = select_theta({{0.0, 0.9}}, 0.9, 0.0);
  REQUIRE(c.index);
  CHECK(*c.index == 0);
  c = select_theta({{0.0, 0.9}, {1.0, 0.85}}, 0.9, 0.0);
  REQUIRE(c.index);
  CHECK(*c.index == 0);
}

TEST_CASE("continue_history renumbers the second run's epochs after the first's") {
  std::vector<EpochRecord> a(2), b(2);
  a[0].epoch = 1, a[1].epoch = 2, b[0].epoch = 1, b[1].epoch = 2;
  b[1].val_accuracy = 0.5;
  const auto h = continue_history(a, b);
  REQUIRE(h.size() == 4);
  CHECK(h[2].epoch == 3);
  CHECK(h[3].epoch == 4);
  CHECK(h[3].val_accuracy == 0.5);
  CHECK(continue_history({}, b)[1].epoch == 2);
}

TEST_CASE("theta_sweep: every theta from the same trained model, records in order, the chosen model kept") {
  const Dataset all = test::bars_dataset(500, {1, 12, 12}, 4, 3);
  const Dataset tr = all.slice(0, 300), val = all.slice(300, 400), test_set = all.slice(400, 500);
  const Model trained = test::trained_model(kSpec, tr, val, 2, 2);
  const PruneData data{tr, val, test_set};

  ThetaSweepOptions o;
  o.thetas = {0.0, 0.5, 100.0, 0.5};
  o.tolerance = 0.05;
  o.finetune = finetune_options(1);
  o.metrics_seed = 7;
  std::vector<PrunePoint> seen;
  ThetaSweepResult r = theta_sweep(trained, data, o, {}, [&](const PrunePoint& p) { seen.push_back(p); });

  REQUIRE(seen.size() == 5);
  CHECK((seen[0].kind == PrunePointKind::unpruned));
  CHECK(seen[0].theta == -1);
  REQUIRE(r.points.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK((seen[i + 1].kind == PrunePointKind::theta));
    CHECK(seen[i + 1].theta == o.thetas[i]);
    CHECK(seen[i + 1].val_accuracy == r.points[i].val_accuracy);
  }
  // The unpruned point is the trained model's.
  Model copy = trained;
  CHECK(r.unpruned.val_accuracy == evaluate(copy, val).accuracy);
  CHECK(r.unpruned.test_accuracy == evaluate(copy, test_set).accuracy);
  CHECK(r.unpruned.metrics.params == trained.nonzero_param_count());
  // Theta 0 prunes nothing; theta 100 prunes every conv and dense weight.
  CHECK(r.points[0].metrics.params == trained.nonzero_param_count());
  CHECK(r.points[2].metrics.params < r.points[1].metrics.params);
  // Both 0.5 runs start from the same model, so they end the same.
  CHECK(r.points[1].val_accuracy == r.points[3].val_accuracy);
  CHECK(r.points[1].metrics.params == r.points[3].metrics.params);

  // The choice is the rule's over the records, and the kept model is the chosen record's.
  std::vector<ThetaResult> results;
  for (const PrunePoint& p : r.points) results.push_back({p.theta, p.val_accuracy});
  const ThetaChoice expect = select_theta(results, r.unpruned.val_accuracy, o.tolerance);
  CHECK(r.choice.index == expect.index);
  CHECK(r.chosen().val_accuracy == evaluate(r.model, val).accuracy);
  CHECK(r.chosen().metrics.params == r.model.nonzero_param_count());
  CHECK(r.finetune_history.size() == (r.choice.index ? 1u : 0u));
  REQUIRE(r.choice.index);  // theta 0 is the trained model fine-tuned: it stays within 0.05
  CHECK(*r.choice.index != 3);  // of the equal thetas 0.5, the first

  // A sweep of the chosen theta alone gives the same model: nothing carries over between thetas.
  o.thetas = {r.chosen().theta};
  const ThetaSweepResult alone = theta_sweep(trained, data, o);
  CHECK(weights_of(alone.model) == weights_of(r.model));
}

TEST_CASE("theta_sweep: nothing within the tolerance keeps the unpruned model, and a stop request interrupts") {
  const Dataset all = test::bars_dataset(400, {1, 12, 12}, 4, 5);
  const Dataset tr = all.slice(0, 300), val = all.slice(300, 400);
  const Model trained = test::trained_model(kSpec, tr, val, 2, 5);
  const PruneData data{tr, val, val};
  ThetaSweepOptions o;
  o.thetas = {100.0};  // every weight gone: chance accuracy
  o.tolerance = 0.0;
  o.finetune = finetune_options(0);
  const ThetaSweepResult r = theta_sweep(trained, data, o);
  REQUIRE(r.unpruned.val_accuracy > 0.5);
  CHECK_FALSE(r.choice.index);
  CHECK(&r.chosen() == &r.unpruned);
  CHECK(weights_of(r.model) == weights_of(trained));
  CHECK(r.finetune_history.empty());

  TrainHooks stop;
  stop.should_stop = [] { return true; };
  o.finetune = finetune_options(1);
  CHECK(test::error_of([&] { theta_sweep(trained, data, o, stop); }) == "interrupted");
  CHECK(test::error_of([&] {
          Model m = trained;
          train_or_interrupt(m, tr, val, finetune_options(0), stop);
        }) == "interrupted");
}

TEST_CASE("magnitude_baseline: the dense point first, pruning to the target, then fine-tuning") {
  const Dataset all = test::bars_dataset(400, {1, 12, 12}, 4, 9);
  const Dataset tr = all.slice(0, 300), val = all.slice(300, 400);
  Model m = test::trained_model(kSpec, tr, val, 4, 2);
  const std::size_t dense_params = m.nonzero_param_count();
  MagnitudeBaselineOptions o;
  o.target_params = 300;
  o.finetune = finetune_options(2);
  std::vector<PrunePoint> seen;
  std::size_t reached = 0;
  const MagnitudeBaselineResult r = magnitude_baseline(
      m, {tr, val, val}, o, {}, [&](const PrunePoint& p) { seen.push_back(p); }, [&](std::size_t n) { reached = n; });
  REQUIRE(seen.size() == 1);
  CHECK((seen[0].kind == PrunePointKind::dense));
  CHECK(seen[0].metrics.params == dense_params);
  CHECK(r.start.metrics.params == dense_params);
  CHECK(r.steps.empty());
  CHECK(r.targets == std::vector<std::size_t>{300});
  CHECK(reached == r.reached);
  CHECK(r.reached <= 300u);
  CHECK(r.reached > 250u);
  CHECK((r.pruned.kind == PrunePointKind::baseline));
  CHECK(r.pruned.metrics.params == m.nonzero_param_count());
  CHECK(m.nonzero_param_count() <= 300u);  // fine-tuning keeps the masks
  CHECK(r.finetune_history.size() == 2);
  CHECK(r.pruned.val_accuracy == evaluate(m, val).accuracy);
}

TEST_CASE("prune_targets: geometric steps down to the target, which the last step meets exactly") {
  CHECK(prune_targets(10000, 100, 1) == std::vector<std::size_t>{100});
  CHECK(prune_targets(10000, 100, 2) == std::vector<std::size_t>{1000, 100});
  CHECK(prune_targets(8000, 1000, 3) == std::vector<std::size_t>{4000, 2000, 1000});
  CHECK(prune_targets(500, 1000, 3) == std::vector<std::size_t>{1000, 1000, 1000});  // nothing to prune
  CHECK(default_target_params(431080) == 9914);  // Table I: 2.3% of LeNet-5's 431,080
}

TEST_CASE("magnitude_baseline in steps: each step prunes further and retrains with the masks fixed") {
  const Dataset all = test::bars_dataset(400, {1, 12, 12}, 4, 9);
  const Dataset tr = all.slice(0, 300), val = all.slice(300, 400);
  Model m = test::trained_model(kSpec, tr, val, 4, 2);
  const std::size_t dense_params = m.nonzero_param_count();
  MagnitudeBaselineOptions o;
  o.target_params = 300;
  o.steps = 3;
  o.retrain = finetune_options(1);
  o.finetune = finetune_options(2);
  o.smallworld = true;
  std::vector<PrunePoint> seen;
  const MagnitudeBaselineResult r =
      magnitude_baseline(m, {tr, val, val}, o, {}, [&](const PrunePoint& p) { seen.push_back(p); });
  REQUIRE(seen.size() == 3);  // the given model and the two intermediate steps
  CHECK((seen[0].kind == PrunePointKind::unpruned));
  CHECK(r.targets == prune_targets(dense_params, 300, 3));
  REQUIRE(r.steps.size() == 2);
  for (int k = 0; k < 2; ++k) {
    CHECK((r.steps[k].kind == PrunePointKind::step));
    CHECK(r.steps[k].step == k + 1);
    CHECK(r.steps[k].metrics.params <= r.targets[k]);  // retraining kept the masks
    CHECK(r.steps[k].metrics.params > r.targets[k + 1]);
  }
  CHECK((r.pruned.kind == PrunePointKind::target));
  CHECK(r.pruned.step == 3);
  CHECK(m.nonzero_param_count() <= 300u);
  REQUIRE(r.finetune_history.size() == 4);  // 1 + 1 retraining epochs, then 2 fine-tuning
  CHECK(r.finetune_history.back().epoch == 4);
}

TEST_CASE("magnitude_baseline probes: the trained model pruned at each theta, not fine-tuned, the schedule untouched") {
  const Dataset all = test::bars_dataset(400, {1, 12, 12}, 4, 9);
  const Dataset tr = all.slice(0, 300), val = all.slice(300, 400);
  const Model trained = test::trained_model(kSpec, tr, val, 4, 2);
  MagnitudeBaselineOptions o;
  o.target_params = 300;
  o.finetune = finetune_options(1);
  Model plain = trained;
  const MagnitudeBaselineResult a = magnitude_baseline(plain, {tr, val, val}, o);
  o.probe_thetas = {0.5, 1.5};
  Model probed = trained;
  std::vector<std::string> kinds;
  const MagnitudeBaselineResult b =
      magnitude_baseline(probed, {tr, val, val}, o, {}, [&](const PrunePoint& p) { kinds.push_back(to_string(p.kind)); });
  CHECK(kinds == std::vector<std::string>{"dense", "theta_probe", "theta_probe"});
  REQUIRE(b.probes.size() == 2);
  for (std::size_t k = 0; k < 2; ++k) {
    Model m = trained;
    prune_by_theta(m, o.probe_thetas[k], PruneGranularity::weight);
    CHECK(b.probes[k].theta == o.probe_thetas[k]);
    CHECK(b.probes[k].metrics.params == m.nonzero_param_count());
    CHECK(b.probes[k].val_accuracy == evaluate(m, val).accuracy);
  }
  CHECK(b.probes[1].metrics.params < b.probes[0].metrics.params);
  CHECK(weights_of(probed) == weights_of(plain));  // the probes change nothing the schedule does
  CHECK(record_of(b.pruned) == record_of(a.pruned));
}

TEST_CASE("magnitude_baseline stopped in any phase resumes from its checkpoint to the same model and records") {
  const Dataset all = test::bars_dataset(400, {1, 12, 12}, 4, 9);
  const Dataset tr = all.slice(0, 300), val = all.slice(300, 400);
  const PruneData data{tr, val, val};
  Model fresh(kSpec, tr.shape, tr.classes);
  fresh.init(2);
  apply_smallworld(fresh, {0.01, {1, 0.5, 1}, 2});
  MagnitudeBaselineOptions o;
  o.train = test::small_train_options(2);
  o.train.checkpoint_every = 5;
  o.target_params = 250;
  o.steps = 3;
  o.retrain = finetune_options(1);
  o.retrain.checkpoint_every = 5;
  o.finetune = finetune_options(2);
  o.smallworld = true;
  o.probe_thetas = {0.5};
  Model whole = fresh;
  std::vector<std::string> records;
  const MagnitudeBaselineResult w =
      magnitude_baseline(whole, data, o, {}, [&](const PrunePoint& p) { records.push_back(record_of(p)); });
  REQUIRE(records.size() == 4);  // unpruned, the probe, steps 1 and 2

  const auto resumed_equals_whole = [&](ModelArtifact ck) {
    const PruneProgress from = cli::progress_of(ck);
    std::vector<std::string> seen;
    for (const PrunePoint& p : from.points) seen.push_back(record_of(p));
    const MagnitudeBaselineResult r =
        magnitude_baseline(ck.model, data, o, {}, [&](const PrunePoint& p) { seen.push_back(record_of(p)); }, {}, {}, from);
    CHECK(weights_of(ck.model) == weights_of(whole));
    CHECK(seen == records);
    CHECK(record_of(r.pruned) == record_of(w.pruned));
    CHECK(r.reached == w.reached);
    CHECK(r.val_accuracy_before_finetune == w.val_accuracy_before_finetune);
    CHECK(epochs_of(r.training) == epochs_of(w.training));
    CHECK(epochs_of(r.finetune_history) == epochs_of(w.finetune_history));
    return from.phase;
  };
  // 18 steps an epoch, and a stop is asked before each step and once after each phase: phase 0
  // asks 0-36, the retrainings 37-55 and 56-74, the fine-tuning 75-111. A stop right after a
  // phase resumes from that phase's last checkpoint.
  std::vector<int> phases;
  for (const int stop_after : {3, 36, 45, 60, 74, 80, 110}) {
    CAPTURE(stop_after);
    Model m = fresh;
    int steps = 0;
    Bytes checkpoint;
    TrainHooks hooks;
    hooks.should_stop = [&] { return steps++ >= stop_after; };  // a signal stays seen
    const PruneCheckpoint save = [&](const Model& model, const PruneProgress& p) {
      checkpoint = encode_model(cli::progress_checkpoint(model, p));
    };
    CHECK(test::error_of([&] { magnitude_baseline(m, data, o, hooks, {}, {}, save); }) == "interrupted");
    REQUIRE_FALSE(checkpoint.empty());
    phases.push_back(resumed_equals_whole(decode_model(checkpoint, "checkpoint")));
  }
  CHECK(phases == std::vector<int>{0, 0, 1, 2, 2, 3, 3});
  // A checkpoint of the training alone, as train() writes it (no progress): phase 0.
  Model m = fresh;
  TrainState st;
  const Bytes part = test::train_until_stopped(m, tr, val, o.train, st, 27);
  CHECK(resumed_equals_whole(decode_model(part, "checkpoint")) == 0);
}

TEST_CASE("Small-World library errors speak of the values, not of flags") {
  Model m(kSpec, {1, 12, 12}, 4);
  m.init(1);
  SmallWorldOptions sw;
  sw.density = {0.5, 0.5};
  const std::string density = test::error_of([&] { apply_smallworld(m, sw); });
  CHECK(density == "density list has 2 values for 3 conv and dense layers (give one value or one per layer)");
  Model bn("flat,fc10,bn,fc3", {1, 4, 4}, 3);
  bn.init(1);
  const std::string target = test::error_of([&] { magnitude_prune_to(bn, 2, MagnitudeScope::global); });
  CHECK(target.find("target of 2 parameters is below the 33 that are not weights") == 0);  // biases 10 + 3, batch norm 20
  for (const std::string& msg : {density, target}) CHECK(msg.find("--") == std::string::npos);
}
