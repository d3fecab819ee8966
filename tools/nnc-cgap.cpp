// nnc-cgap: Continuous Growth and Pruning: grows a seed network by saliency, then prunes it.
#include <cstdio>
#include <iostream>

#include "nnc/algo/cgap.hpp"
#include "nnc/cli/json.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/nn/error.hpp"

using namespace nnc;

namespace {

const char* phase_name(CgapPhase p) {
  switch (p) {
    case CgapPhase::seed: return "seed";
    case CgapPhase::growth: return "growth";
    case CgapPhase::pruning: return "pruning";
    case CgapPhase::reverted: return "reverted";
    case CgapPhase::end: return "end";
  }
  return "?";
}

std::string join(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : " ") + std::to_string(x);
  return s;
}

Json point_json(const CgapRecord& r, double test_accuracy) {
  Json j = Json::object();
  j.set("epoch", r.epoch).set("val_accuracy", r.val_accuracy);
  if (test_accuracy >= 0) j.set("test_accuracy", test_accuracy);
  j.set("params", r.params).set("flops", r.flops).set("widths", Json::array(r.widths));
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  cli::Tool tool("nnc-cgap", "Grow a seed network by saliency to a peak, then prune filters and neurons.",
                 "nnc-cgap --arch <preset|spec> --dataset <name> [options] -o <model.h5|->",
                 "nnc-cgap --arch lenet5 --dataset mnist --epochs 10 --growth-every 0.5 -o exp/mnist/cgap.h5");
  auto& app = tool.app();
  std::string arch = "lenet5", output, newborn = "split";
  cli::DataOptions data;
  cli::TrainFlags flags;
  CgapOptions o;
  const CLI::Validator open_unit(
      [](std::string& v) {
        double x = 0;
        try { x = std::stod(v); } catch (const std::exception&) { return std::string("not a number: ") + v; }
        return x > 0 && x <= 1 ? std::string() : "must be in (0, 1], got " + v;
      },
      "(0,1]");
  app.add_option("--arch", arch, "template whose widths are grown: preset or spec");
  data.Register(app);
  flags.Register(app, 10);
  app.remove_option(app.get_option("--checkpoint-every"));
  app.get_option("--epochs")->description("the whole budget: growth, pruning and final fine-tuning");
  app.get_option("--schedule")->description("learning-rate schedule of the final fine-tuning (growth and pruning run at --lr)");
  app.add_option("--start-width", o.start_width, "seed widths, a fraction of the template's (at least 2 units)")
      ->check(open_unit);
  app.add_option("--growth-rate", o.growth_rate, "units added per growth step, a fraction of each layer's width")
      ->check(CLI::PositiveNumber);
  app.add_option("--growth-every", o.growth_every, "epochs of training between growth steps (fractions allowed)")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-width-ratio", o.max_width_ratio, "width cap, a fraction of the template's")
      ->check(CLI::PositiveNumber);
  app.add_option("--growth-budget", o.growth_budget, "growth uses at most this fraction of --epochs")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--plateau", o.plateau, "growth stops when val accuracy gains less than this ...")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--plateau-steps", o.plateau_steps, "... over this many growth steps")->check(CLI::Range(1, 1000));
  app.add_option("--newborn", newborn, "new units: split (perturbed copy of a salient unit) or random")
      ->check(CLI::IsMember({"split", "random"}));
  app.add_option("--split-noise", o.split_noise, "split: noise std on copied weights, relative to the layer's std")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--prune-tolerance", o.prune_tolerance, "pruning stops before val accuracy falls more than this below the peak")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--prune-rate", o.prune_rate, "units removed per pruning step, a fraction of all growable units")
      ->check(open_unit);
  app.add_option("--prune-every", o.prune_every, "epochs of fine-tuning after each pruning step (0 = --growth-every)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--final-epochs", o.final_epochs, "fraction of --epochs kept for the final fine-tuning")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("-o,--output", output, "output model, - for stdout")->required();
  app.callback([&] {
    if (o.growth_budget + o.final_epochs > 1) {
      throw CLI::ValidationError("--growth-budget", "plus --final-epochs must not exceed 1");
    }
    if (output == "-" && tool.json) throw CLI::ValidationError("--json", "cannot share stdout with -o -");
  });
  tool.add_json_flag("print a summary (widths and accuracy, params, FLOPs at seed, peak and end) as JSON on stdout");

  return tool.run(argc, argv, [&] {
    check_writable(output);
    o.newborn = newborn == "split" ? Newborn::split : Newborn::random;
    o.train = flags.options;
    o.train.seed = tool.seed;
    if (app["--augment"]->count() == 0) o.train.augment = data.dataset.rfind("cifar", 0) == 0;
    auto [train_set, val_set] = data.load_train();
    const Dataset test = data.load_test();

    Model templ(arch, train_set.shape, train_set.classes);
    templ.init(tool.seed);  // FLOPs count nonzero weights: the full-width template, initialized
    ModelArtifact out;
    out.model = cgap_seed(arch, train_set.shape, train_set.classes, o, tool.seed);
    out.creator = tool.name();
    out.provenance = tool.provenance();
    cli::info("template " + cli::model_summary(templ));
    cli::info("seed " + cli::model_summary(out.model) + "; " + std::to_string(train_set.size()) + " training, " +
              std::to_string(val_set.size()) + " validation images");

    CgapHooks hooks;
    hooks.should_stop = [] { return cli::stop_requested(); };
    hooks.record = [&](const CgapRecord& r) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "epoch %.2f %-8s val acc %.4f, %zu params, %.3g FLOPs, widths ", r.epoch,
                    phase_name(r.phase), r.val_accuracy, r.params, r.flops);
      cli::info(buf + join(r.widths));
    };
    const CgapResult res = run_cgap(out.model, templ, train_set, val_set, o, hooks);
    out.model.check_finite();
    out.model.set_arch(arch);

    // The record: widths per step, and what each step cost and scored.
    const auto& recs = res.records;
    const std::size_t G = res.units.size();
    Series w{{recs.size(), G}, {}}, steps{{recs.size(), 5}, {}}, summary{{3, 3}, {}};
    for (const auto& r : recs) {
      for (int x : r.widths) w.values.push_back(x);
      for (double v : {r.epoch, double(static_cast<int>(r.phase)), r.val_accuracy, double(r.params), r.flops})
        steps.values.push_back(v);
    }
    for (std::size_t i : {res.seed, res.peak, res.end}) {
      for (double v : {double(recs[i].params), recs[i].flops, recs[i].val_accuracy}) summary.values.push_back(v);
    }
    out.series["cgap_widths"] = w;
    out.series["cgap_steps"] = steps;
    out.series["cgap_summary"] = summary;
    std::string layers, caps;
    for (const auto& u : res.units) {
      layers += (layers.empty() ? "" : " ") + std::to_string(u.layer) + ":" + templ.layers()[u.layer]->spec();
      caps += (caps.empty() ? "" : " ") + std::to_string(u.cap);
    }
    out.notes["cgap_layers"] = layers;
    out.notes["cgap_caps"] = caps;
    out.notes["cgap_template"] = templ.spec();
    out.notes["cgap_steps_columns"] = "epoch, phase (0 seed, 1 growth, 2 pruning, 3 reverted, 4 end), val_accuracy, params, flops";
    out.notes["cgap_summary_rows"] = "seed, peak, end; columns params, flops, val_accuracy";
    out.notes["cgap_growth_stop"] = res.growth_stop;
    out.notes["cgap_prune_stop"] = res.prune_stop;
    save_model(output, out);

    // Test accuracy at the end, and of the peak as recorded (the seed untrained).
    const double test_end = evaluate(out.model, test).accuracy;
    char buf[200];
    std::snprintf(buf, sizeof buf, "end: test acc %.4f, %zu params (%.1f%% of the template's), %.3g FLOPs (%.1f%%); growth stop: %s, pruning stop: %s",
                  test_end, recs[res.end].params, 100.0 * recs[res.end].params / templ.param_count(), recs[res.end].flops,
                  100.0 * recs[res.end].flops / model_flops(templ), res.growth_stop.c_str(), res.prune_stop.c_str());
    cli::info(buf);
    cli::info("wrote " + output);
    if (tool.json) {
      Json j = Json::object();
      j.set("arch", arch).set("dataset", data.dataset).set("epochs", o.train.epochs);
      j.set("test_accuracy", test_end).set("params", recs[res.end].params).set("flops", recs[res.end].flops);
      j.set("template_widths", Json::array(widths(templ, res.units)));
      j.set("template_params", templ.param_count()).set("template_flops", model_flops(templ));
      j.set("seed", point_json(recs[res.seed], -1)).set("peak", point_json(recs[res.peak], -1));
      j.set("end", point_json(recs[res.end], test_end));
      j.set("growth_stop", res.growth_stop).set("prune_stop", res.prune_stop);
      Json st = Json::array();
      for (const auto& r : recs) {
        st.push(Json::object().set("epoch", r.epoch).set("phase", phase_name(r.phase)).set("val_accuracy", r.val_accuracy)
                    .set("params", r.params).set("flops", r.flops).set("widths", Json::array(r.widths)));
      }
      j.set("steps", std::move(st));
      std::cout << j.dump(2) << std::endl;
    }
  });
}
