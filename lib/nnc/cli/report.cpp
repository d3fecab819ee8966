#include "nnc/cli/report.hpp"

#include <cmath>
#include <cstdio>

namespace nnc::cli {

Json layers_json(const std::vector<LayerStats>& stats) {
  Json arr = Json::array();
  for (const auto& s : stats) {
    Json j = Json::object();
    j.set("index", s.index).set("type", s.type).set("spec", s.spec).set("params", s.params);
    j.set("nonzero", s.nonzero).set("flops", s.flops);
    if (s.rows > 0) {
      j.set("rows", s.rows).set("cols", s.cols).set("tiles", s.tiles).set("tiles_total", s.tiles_total);
      j.set("masked", s.masked).set("sparsity", s.params ? 1.0 - double(s.nonzero) / double(s.params) : 0.0);
    }
    arr.push(std::move(j));
  }
  return arr;
}

void set_param_counts(Json& j, const ParamCounts& c) {
  j.set("params", c.params()).set("weights_nonzero", c.weights_nonzero).set("biases", c.biases);
  j.set("batch_norm_params", c.batch_norm).set("params_dense", c.dense());
}

std::string param_counts_text(const ParamCounts& c) {
  std::string s = std::to_string(c.params()) + " parameters (" + std::to_string(c.weights_nonzero) +
                  " nonzero weights, " + std::to_string(c.biases) + " biases";
  if (c.batch_norm > 0) s += ", " + std::to_string(c.batch_norm) + " batch norm";
  return s + "; " + std::to_string(c.dense()) + " dense)";
}

std::string layers_text(const std::vector<LayerStats>& stats) {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-4s %-8s %-10s %10s %10s %12s %11s %6s\n", "#", "type", "spec", "params",
                "nonzero", "flops", "matrix", "tiles");
  out += buf;
  std::size_t p = 0, nz = 0;
  double fl = 0;
  int tiles = 0;
  for (const auto& s : stats) {
    std::string matrix = s.rows ? std::to_string(s.rows) + "x" + std::to_string(s.cols) : "";
    std::string t = s.rows ? std::to_string(s.tiles) + "/" + std::to_string(s.tiles_total) : "";
    std::snprintf(buf, sizeof buf, "%-4d %-8s %-10s %10zu %10zu %12.0f %11s %6s\n", s.index, s.type.c_str(),
                  s.spec.c_str(), s.params, s.nonzero, s.flops, matrix.c_str(), t.c_str());
    out += buf;
    p += s.params;
    nz += s.nonzero;
    fl += s.flops;
    tiles += s.tiles;
  }
  std::snprintf(buf, sizeof buf, "%-4s %-8s %-10s %10zu %10zu %12.0f %11s %6d\n", "", "total", "", p, nz, fl, "", tiles);
  out += buf;
  return out;
}

Json provenance_json(const Provenance& p) {
  Json j = Json::object();
  j.set("tool", p.tool).set("version", p.version).set("command", p.command).set("seed", p.seed);
  j.set("config", p.config);
  Json inputs = Json::array();
  for (const auto& in : p.inputs) {
    Json i = Json::object();
    i.set("role", in.role).set("path", in.path).set("sha256", in.sha256);
    if (in.provenance) i.set("provenance", provenance_json(*in.provenance));
    inputs.push(std::move(i));
  }
  j.set("inputs", std::move(inputs));
  return j;
}

std::string provenance_text(const Provenance& p, int depth) {
  const std::string pad(static_cast<std::size_t>(depth) * 2, ' ');
  std::string out = pad + p.tool + " " + p.version + " (seed " + std::to_string(p.seed) + "): " + p.command + "\n";
  for (const auto& in : p.inputs) {
    out += pad + "  <- " + in.role + " " + in.path + " sha256:" + in.sha256.substr(0, 16) + "\n";
    if (in.provenance) out += provenance_text(*in.provenance, depth + 2);
  }
  return out;
}

Json eval_json(const EvalResult& r) {
  Json j = Json::object();
  j.set("accuracy", r.accuracy).set("loss", r.loss).set("samples", r.samples).set("correct", r.correct);
  const auto k = static_cast<std::size_t>(std::sqrt(static_cast<double>(r.confusion.size())) + 0.5);
  Json conf = Json::array();
  for (std::size_t t = 0; t < k; ++t) {
    Json row = Json::array();
    for (std::size_t q = 0; q < k; ++q) row.push(r.confusion[t * k + q]);
    conf.push(std::move(row));
  }
  // Rows are the true labels, columns the predictions; both keys say so for old scripts' sake.
  j.set("confusion_axes", Json::array(std::vector<std::string>{"true", "predicted"}));
  j.set("confusion_true_by_predicted", conf);
  j.set("confusion", std::move(conf));
  return j;
}

}  // namespace nnc::cli
