// nnc-swprune: Small-World pruning (docs/design.md section 8): builds a Watts-Strogatz sparse
// structure, trains it with the mask fixed, prunes by theta x the std of each layer's
// surviving weights, fine-tunes, and reports L and C; or, with --baseline magnitude, prunes a
// dense model by magnitude to a parameter count and fine-tunes it.
#include <cstdio>
#include <iostream>

#include "nnc/cli/metrics_report.hpp"
#include "nnc/algo/smallworld.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/nn/error.hpp"

using namespace nnc;

namespace {

// The columns of the /history/swprune_sweep series, one row per theta (theta -1: unpruned).
const char* kSweepColumns =
    "theta,val_accuracy,test_accuracy,params,L,C,live,path_length,clustering,small_world_sigma,tiles,tile_links,flops";

std::vector<double> sweep_row(double theta, double val, double test, const NetworkMetrics& m) {
  return {theta, val, test, static_cast<double>(m.params), m.L, m.C, static_cast<double>(m.live), m.path_length,
          m.clustering, m.small_world_sigma, static_cast<double>(m.tiles), static_cast<double>(m.tile_links), m.flops};
}

Json record_json(const std::string& kind, double theta, double val, double test, const NetworkMetrics& m) {
  const Json metrics = metrics_json(m);
  // Flat: the record's own fields first, then the metrics' keys.
  Json out = Json::object();
  out.set("record", kind);
  if (theta >= 0) out.set("theta", theta);
  out.set("val_accuracy", val).set("test_accuracy", test);
  for (const char* key : {"params", "flops", "L", "C", "live", "path_length", "clustering", "path_length_random",
                          "clustering_random", "small_world_sigma", "tiles", "tile_links", "layers"}) {
    out.set(key, *metrics.find(key));
  }
  return out;
}

std::string fmt(const char* f, double a, double b, double c, double d) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, a, b, c, d);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  cli::Tool tool("nnc-swprune", "Small-World pruning: build a sparse Watts-Strogatz network, train, prune by theta, fine-tune.",
                 "nnc-swprune --arch <preset|spec> --dataset <name> [--density D|D1,D2,..] [--p P] "
                 "[--theta T|--theta-sweep a,b,c] -o <model.h5|->\n"
                 "       nnc-swprune --baseline magnitude --init <dense.h5> --target-params N --dataset <name> -o <model.h5|->",
                 "nnc-swprune --arch lenet5 --dataset mnist --density 1,0.3,0.012,0.2 --theta-sweep 0.5,1,1.5 -o exp/mnist/sw.h5");
  auto& app = tool.app();
  std::string arch = "lenet5", output, init, baseline, granularity = "weight", scope = "global";
  std::vector<double> density{0.1}, thetas;
  double p = 0.0001, theta = 1.0, tolerance = 0.002, finetune_lr = 0.001;
  int finetune_epochs = 1;
  std::size_t target_params = 0, limit_test = 0;
  cli::DataOptions data;
  cli::TrainFlags flags;
  const CLI::Validator unit_interval(
      [](std::string& s) -> std::string {
        double v = 0;
        try {
          v = std::stod(s);
        } catch (...) {
          return "not a number: " + s;
        }
        return v > 0 && v <= 1 ? "" : "density " + s + " is outside (0, 1]";
      },
      "in (0, 1]");

  app.add_option("--arch", arch, "preset (lenet5, lenet300, cnn9, vgg16) or spec")->capture_default_str();
  data.Register(app);
  flags.Register(app, 4);
  auto* o_p = app.add_option("--p", p, "Watts-Strogatz rewiring probability")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  auto* o_density = app.add_option("--density", density, "initial density: one value, or one per conv/dense layer")
                        ->delimiter(',')->check(unit_interval)->capture_default_str();
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
  o_init->needs(o_base);
  o_target->needs(o_base);
  o_scope->needs(o_base);
  for (auto* o : {o_p, o_density, o_theta, o_sweep, o_gran}) o_base->excludes(o);
  app.add_option("-o,--output", output, "output model, - for stdout")->required();
  tool.add_json_flag("print one JSON record per theta (and a summary) on stdout");

  return tool.run(argc, argv, [&] {
    if (tool.json && output == "-") throw Error("--json and -o - would both write to stdout; pick one");
    check_writable(output);
    auto [train_set, val_set] = data.load_train();
    const Dataset test_set = data.load_test(limit_test);
    TrainOptions opt = flags.options;
    opt.seed = tool.seed;
    if (app["--augment"]->count() == 0) opt.augment = data.dataset.rfind("cifar", 0) == 0;
    TrainOptions ft = opt;
    ft.epochs = finetune_epochs;
    ft.schedule.lr = finetune_lr;

    TrainHooks hooks;
    hooks.should_stop = [] { return cli::stop_requested(); };
    hooks.epoch_end = [&](const EpochRecord& r) {
      cli::info("epoch " + std::to_string(r.epoch) + fmt(": lr %.4g, train loss %.4f, val acc %.4f, %.1fs", r.lr,
                                                        r.train_loss, r.val_accuracy, r.seconds));
    };
    // Fine-tunes a pruned model (masks fixed); returns its history.
    const auto finetune = [&](Model& m) {
      TrainState st;
      if (finetune_epochs > 0) train(m, train_set, val_set, ft, st, hooks);
      if (cli::stop_requested()) throw Error("interrupted");
      return st.history;
    };
    const auto emit = [&](const Json& j) {
      if (tool.json) std::cout << j.dump() << std::endl;
    };

    ModelArtifact out;
    out.creator = tool.name();
    out.notes["swprune_sweep_columns"] = kSweepColumns;
    std::vector<double> rows;

    if (!baseline.empty()) {
      out = cli::load_model_input(tool, init, "init");
      out.creator = tool.name();
      out.notes = {{"swprune_sweep_columns", kSweepColumns}};
      out.series.clear();
      if (out.model.input_shape() != train_set.shape || out.model.classes() != train_set.classes) {
        throw bad_input(init, "model takes " + out.model.input_shape().str() + " inputs and " +
                                  std::to_string(out.model.classes()) + " classes; " + data.dataset + " has " +
                                  train_set.shape.str() + " and " + std::to_string(train_set.classes));
      }
      Model& m = out.model;
      const double dense_val = evaluate(m, val_set).accuracy, dense_test = evaluate(m, test_set).accuracy;
      const NetworkMetrics dense_metrics = structure_metrics(m, tool.seed);
      emit(record_json("dense", -1, dense_val, dense_test, dense_metrics));
      const auto sc = scope == "global" ? MagnitudeScope::global : MagnitudeScope::layer;
      const std::size_t reached = magnitude_prune_to(m, target_params, sc);
      cli::info("magnitude pruning (" + scope + ") to " + std::to_string(reached) + " parameters (target " +
                std::to_string(target_params) + ")");
      const double pruned_val = evaluate(m, val_set).accuracy;
      auto hist = finetune(m);
      const double val = evaluate(m, val_set).accuracy, test = evaluate(m, test_set).accuracy;
      const NetworkMetrics metrics = structure_metrics(m, tool.seed);
      Json rec = record_json("baseline", -1, val, test, metrics);
      rec.set("val_accuracy_before_finetune", pruned_val).set("dense_val_accuracy", dense_val);
      rec.set("dense_test_accuracy", dense_test).set("dense_params", dense_metrics.params);
      emit(rec);
      auto r0 = sweep_row(-1, dense_val, dense_test, dense_metrics), r1 = sweep_row(-1, val, test, metrics);
      rows.insert(rows.end(), r0.begin(), r0.end());
      rows.insert(rows.end(), r1.begin(), r1.end());
      out.history = std::move(hist);
      out.notes["swprune_mode"] = "baseline magnitude (" + scope + ")";
      out.notes["swprune_metrics"] = metrics_json(metrics).dump();
      cli::info(fmt("baseline: %.0f parameters, val acc %.4f, test acc %.4f (dense %.4f)", double(metrics.params), val,
                    test, dense_test));
    } else {
      if (thetas.empty()) thetas = {theta};
      out.model = Model(arch, train_set.shape, train_set.classes);
      out.model.init(tool.seed);
      SmallWorldOptions sw;
      sw.p = p;
      sw.density = density;
      sw.seed = tool.seed;
      apply_smallworld(out.model, sw);
      cli::info("Small-World structure: " + cli::model_summary(out.model));
      TrainState state;
      train(out.model, train_set, val_set, opt, state, hooks);
      if (cli::stop_requested()) throw Error("interrupted");
      out.model.check_finite();
      const double val0 = evaluate(out.model, val_set).accuracy, test0 = evaluate(out.model, test_set).accuracy;
      const NetworkMetrics m0 = structure_metrics(out.model, tool.seed);
      emit(record_json("unpruned", -1, val0, test0, m0));
      auto r0 = sweep_row(-1, val0, test0, m0);
      rows.insert(rows.end(), r0.begin(), r0.end());
      cli::info(fmt("trained: %.0f parameters, val acc %.4f, test acc %.4f, L %.2f", double(m0.params), val0, test0, m0.L));

      const auto gran = granularity == "kernel" ? PruneGranularity::kernel : PruneGranularity::weight;
      Model best = out.model;
      NetworkMetrics best_metrics = m0;
      double best_theta = -1;
      std::vector<EpochRecord> best_hist;
      for (double t : thetas) {
        Model m = out.model;
        prune_by_theta(m, t, gran);
        auto hist = finetune(m);
        m.check_finite();
        const double val = evaluate(m, val_set).accuracy, test = evaluate(m, test_set).accuracy;
        const NetworkMetrics metrics = structure_metrics(m, tool.seed);
        emit(record_json("theta", t, val, test, metrics));
        auto r = sweep_row(t, val, test, metrics);
        rows.insert(rows.end(), r.begin(), r.end());
        cli::info(fmt("theta %.3g: %.0f parameters, val acc %.4f, test acc %.4f", t, double(metrics.params), val, test));
        if (val >= val0 - tolerance && t > best_theta) {
          best = std::move(m);
          best_metrics = metrics;
          best_theta = t;
          best_hist = std::move(hist);
        }
      }
      if (best_theta < 0) cli::warn("no theta kept validation accuracy within the tolerance; writing the unpruned model");
      out.history = state.history;
      for (auto r : best_hist) {
        r.epoch += static_cast<int>(state.history.size());
        out.history.push_back(r);
      }
      out.model = std::move(best);
      out.notes["swprune_mode"] = "smallworld";
      out.notes["swprune_selected_theta"] = best_theta < 0 ? "none (unpruned)" : fmt("%g", best_theta, 0, 0, 0);
      out.notes["swprune_metrics"] = metrics_json(best_metrics).dump();
      Json summary = Json::object();
      summary.set("record", "summary").set("selected_theta", best_theta < 0 ? Json() : Json(best_theta));
      summary.set("unpruned_val_accuracy", val0).set("tolerance", tolerance).set("params", best_metrics.params);
      emit(summary);
    }
    const std::uint64_t cols = 13;
    out.series["swprune_sweep"] = Series{{rows.size() / cols, cols}, rows};
    out.provenance = tool.provenance();
    save_model(output, out);
    cli::info("wrote " + output + " (" + cli::model_summary(out.model) + ")");
  });
}
