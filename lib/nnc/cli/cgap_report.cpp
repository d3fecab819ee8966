#include "nnc/cli/cgap_report.hpp"

#include <cstdio>

namespace nnc::cli {

namespace {

std::string join(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : " ") + std::to_string(x);
  return s;
}

Json point_json(const CgapRecord& r, double test_accuracy) {
  Json j = Json::object();
  j.set("epoch", r.epoch).set("val_accuracy", r.val_accuracy);
  if (test_accuracy >= 0) j.set("test_accuracy", test_accuracy);
  j.set("params", r.params).set("params_dense", r.params_dense).set("flops", r.flops);
  j.set("widths", Json::array(r.widths));
  return j;
}

double train_flops_ratio(const CgapResult& res) {
  return res.baseline_train_flops > 0 ? res.train_flops / res.baseline_train_flops : 0.0;
}

}  // namespace

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

std::string cgap_record_text(const CgapRecord& r) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "epoch %.2f %-8s val acc %.4f loss %.4f, %zu params, %.3g FLOPs, widths ",
                r.epoch, phase_name(r.phase), r.val_accuracy, r.val_loss, r.params, r.flops);
  std::string line = buf + join(r.widths);
  if (r.removal_accuracy >= 0) {
    std::snprintf(buf, sizeof buf, "; val acc %.4f, loss %.4f just after the removal, %.4f before (z %.2f)",
                  r.removal_accuracy, r.removal_loss, r.before_accuracy, r.removal_z);
    line += buf;
  }
  return line;
}

void record_cgap(ModelArtifact& out, const CgapResult& res, const Model& templ) {
  const auto& recs = res.records;
  const std::size_t G = res.units.size();
  Series w{{recs.size(), G}, {}}, steps{{recs.size(), 6}, {}}, summary{{3, 3}, {}};
  for (const auto& r : recs) {
    for (int x : r.widths) w.values.push_back(x);
    for (double v : {r.epoch, double(static_cast<int>(r.phase)), r.val_accuracy, double(r.params), r.flops, r.train_flops})
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
  out.notes["cgap_steps_columns"] = "epoch, phase (0 seed, 1 growth, 2 pruning, 3 reverted, 4 end), val_accuracy, params, flops, train_flops (so far)";
  out.notes["cgap_summary_rows"] = "seed, peak, end; columns params, flops, val_accuracy";
  out.notes["cgap_growth_stop"] = res.growth_stop;
  out.notes["cgap_prune_stop"] = res.prune_stop;
  char limits[120];
  std::snprintf(limits, sizeof limits, "tolerance %.6g, budget %.6g", res.prune_limits.tolerance, res.prune_limits.budget);
  out.notes["cgap_prune_limits"] = limits;
  out.notes["cgap_train_flops"] = std::to_string(res.train_flops) + " (the template over the same steps: " +
                                  std::to_string(res.baseline_train_flops) + ")";
}

std::string cgap_end_text(const CgapResult& res, const Model& templ, double test_accuracy) {
  const CgapRecord& end = res.records[res.end];
  char buf[300];
  std::snprintf(buf, sizeof buf,
                "end: test acc %.4f, %zu params (%.1f%% of the template's), %.3g FLOPs (%.1f%%); training %.3g FLOPs "
                "(%.1f%% of the template's); growth stop: %s, pruning stop: %s",
                test_accuracy, end.params, 100.0 * end.params / templ.param_count(), end.flops,
                100.0 * end.flops / model_flops(templ), res.train_flops, 100.0 * train_flops_ratio(res),
                res.growth_stop.c_str(), res.prune_stop.c_str());
  return buf;
}

Json cgap_json(const CgapResult& res, const Model& templ, const std::string& arch, const std::string& dataset,
               int epochs, double test_accuracy) {
  const auto& recs = res.records;
  Json j = Json::object();
  j.set("arch", arch).set("dataset", dataset).set("epochs", epochs);
  j.set("test_accuracy", test_accuracy).set("params", recs[res.end].params).set("params_dense", recs[res.end].params_dense);
  j.set("flops", recs[res.end].flops);
  j.set("template_widths", Json::array(widths(templ, res.units)));
  j.set("template_params", templ.param_count()).set("template_flops", model_flops(templ));
  j.set("seed", point_json(recs[res.seed], -1)).set("peak", point_json(recs[res.peak], -1));
  j.set("end", point_json(recs[res.end], test_accuracy));
  j.set("growth_stop", res.growth_stop).set("prune_stop", res.prune_stop);
  j.set("prune_tolerance", res.prune_limits.tolerance).set("prune_budget", res.prune_limits.budget);
  j.set("train_flops", res.train_flops).set("baseline_train_flops", res.baseline_train_flops);
  j.set("train_flops_ratio", train_flops_ratio(res)).set("validation_flops", res.validation_flops);
  Json st = Json::array();
  for (const auto& r : recs) {
    Json step = Json::object();
    step.set("epoch", r.epoch).set("phase", phase_name(r.phase)).set("val_accuracy", r.val_accuracy).set("val_loss", r.val_loss);
    if (r.removal_accuracy >= 0)
      step.set("removal_accuracy", r.removal_accuracy).set("removal_loss", r.removal_loss)
          .set("before_accuracy", r.before_accuracy).set("removal_z", r.removal_z);
    step.set("params", r.params).set("params_dense", r.params_dense).set("flops", r.flops).set("train_flops", r.train_flops);
    st.push(std::move(step.set("widths", Json::array(r.widths))));
  }
  j.set("steps", std::move(st));
  return j;
}

}  // namespace nnc::cli
