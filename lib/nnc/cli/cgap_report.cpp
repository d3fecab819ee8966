#include "nnc/cli/cgap_report.hpp"

#include <cstdio>

#include "nnc/nn/error.hpp"

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

namespace {
constexpr std::size_t kRecordColumns = 12;  // then the widths
constexpr std::size_t kStateValues = 17;

const Series& series_of(const ModelArtifact& ck, const std::string& name) {
  const auto it = ck.series.find(name);
  if (it == ck.series.end()) throw Error("CGaP checkpoint: no series " + name, ErrorKind::bad_input);
  return it->second;
}
}  // namespace

ModelArtifact cgap_checkpoint(const ModelArtifact& out, const Model& model, const CgapProgress& p) {
  ModelArtifact ck = out;
  ck.model = model;
  TrainState st;
  // CGaP's position is in cgap_resume_state, not in the TrainState (which keeps the velocity).
  ck.checkpoint = st;
  const CgapResult& res = p.result;
  const std::size_t G = res.records.empty() ? 0 : res.records.front().widths.size();
  Series recs{{res.records.size(), kRecordColumns + G}, {}};
  for (const auto& r : res.records) {
    for (double v : {r.epoch, double(static_cast<int>(r.phase)), r.val_accuracy, r.val_loss, double(r.params),
                     double(r.params_dense), r.flops, r.train_flops, r.removal_accuracy, r.before_accuracy,
                     r.removal_loss, r.removal_z})
      recs.values.push_back(v);
    for (int w : r.widths) recs.values.push_back(w);
  }
  Series state{{kStateValues}, {double(static_cast<int>(p.stage)), double(p.position), double(res.seed), double(res.peak),
                                double(res.end), res.train_flops, res.baseline_train_flops, res.validation_flops,
                                double(p.saliency_batches), p.spent, p.current_accuracy, p.current_loss,
                                res.prune_limits.tolerance, res.prune_limits.budget}};
  for (int i = 0; i < 3; ++i) state.values.push_back(0);  // reserved
  Series rng{{8}, {}};
  for (std::uint64_t w : p.growth_rng) {
    rng.values.push_back(static_cast<double>(w >> 32));
    rng.values.push_back(static_cast<double>(w & 0xffffffffu));
  }
  Series sal{{0}, {}}, sizes{{p.saliency.size()}, {}};
  for (const auto& layer : p.saliency) {
    sal.values.insert(sal.values.end(), layer.begin(), layer.end());
    sizes.values.push_back(static_cast<double>(layer.size()));
  }
  sal.dims = {sal.values.size()};
  ck.series["cgap_resume_saliency_sizes"] = sizes;
  Series hits{{p.current_hits.size()}, {p.current_hits.begin(), p.current_hits.end()}};
  ck.series["cgap_resume_records"] = recs;
  ck.series["cgap_resume_state"] = state;
  ck.series["cgap_resume_rng"] = rng;
  ck.series["cgap_resume_saliency"] = sal;
  ck.series["cgap_resume_hits"] = hits;
  ck.notes["cgap_resume_stops"] = res.growth_stop + "|" + res.prune_stop;
  ck.notes["cgap_resume"] = "where nnc-cgap's run is: cgap_resume_state (stage 1 growth, 2 pruning, 4 end; steps done; "
                            "seed, peak, end records; train, baseline and validation FLOPs; saliency batches; pruning's "
                            "spent cost; the last evaluation's accuracy and loss; pruning tolerance and budget), "
                            "cgap_resume_records (the records, 12 columns then the widths), the growth stream's state "
                            "(cgap_resume_rng, 32-bit halves), the saliency sums and the last evaluation's hits";
  return ck;
}

CgapProgress cgap_progress_of(const ModelArtifact& ck) {
  CgapProgress p;
  const Series& state = series_of(ck, "cgap_resume_state");
  if (state.values.size() != kStateValues) throw Error("CGaP checkpoint: cgap_resume_state holds " +
                                                       std::to_string(state.values.size()) + " values, not 17",
                                                       ErrorKind::bad_input);
  const auto& v = state.values;
  p.stage = static_cast<CgapPhase>(static_cast<int>(v[0]));
  p.position = static_cast<std::uint64_t>(v[1]);
  CgapResult& res = p.result;
  res.seed = static_cast<std::size_t>(v[2]);
  res.peak = static_cast<std::size_t>(v[3]);
  res.end = static_cast<std::size_t>(v[4]);
  res.train_flops = v[5];
  res.baseline_train_flops = v[6];
  res.validation_flops = v[7];
  p.saliency_batches = static_cast<int>(v[8]);
  p.spent = v[9];
  p.current_accuracy = v[10];
  p.current_loss = v[11];
  res.prune_limits = {v[12], v[13]};
  const Series& recs = series_of(ck, "cgap_resume_records");
  const std::size_t n = recs.dims.at(0), cols = recs.dims.at(1);
  for (std::size_t i = 0; i < n; ++i) {
    const double* x = recs.values.data() + i * cols;
    CgapRecord r;
    r.epoch = x[0];
    r.phase = static_cast<CgapPhase>(static_cast<int>(x[1]));
    r.val_accuracy = x[2];
    r.val_loss = x[3];
    r.params = static_cast<std::size_t>(x[4]);
    r.params_dense = static_cast<std::size_t>(x[5]);
    r.flops = x[6];
    r.train_flops = x[7];
    r.removal_accuracy = x[8];
    r.before_accuracy = x[9];
    r.removal_loss = x[10];
    r.removal_z = x[11];
    for (std::size_t c = kRecordColumns; c < cols; ++c) r.widths.push_back(static_cast<int>(x[c]));
    res.records.push_back(std::move(r));
  }
  const Series& rng = series_of(ck, "cgap_resume_rng");
  for (std::size_t i = 0; i + 1 < rng.values.size(); i += 2)
    p.growth_rng.push_back((static_cast<std::uint64_t>(rng.values[i]) << 32) | static_cast<std::uint64_t>(rng.values[i + 1]));
  const Series& sal = series_of(ck, "cgap_resume_saliency");
  std::size_t at = 0;
  for (const double size : series_of(ck, "cgap_resume_saliency_sizes").values) {
    const auto w = static_cast<std::size_t>(size);
    if (at + w > sal.values.size()) throw Error("CGaP checkpoint: saliency sums shorter than their sizes", ErrorKind::bad_input);
    p.saliency.emplace_back(sal.values.begin() + static_cast<std::ptrdiff_t>(at), sal.values.begin() + static_cast<std::ptrdiff_t>(at + w));
    at += static_cast<std::size_t>(w);
  }
  for (double h : series_of(ck, "cgap_resume_hits").values) p.current_hits.push_back(static_cast<std::uint8_t>(h));
  const auto stops = ck.notes.find("cgap_resume_stops");
  if (stops != ck.notes.end()) {
    const auto bar = stops->second.find('|');
    res.growth_stop = stops->second.substr(0, bar);
    res.prune_stop = bar == std::string::npos ? "" : stops->second.substr(bar + 1);
  }
  return p;
}

}  // namespace nnc::cli
