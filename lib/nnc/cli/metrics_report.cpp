#include "nnc/cli/metrics_report.hpp"

namespace nnc {

Json metrics_json(const NetworkMetrics& m) {
  // The unit graph's figures, null where it is not defined (a network with branches).
  const auto unit = [&m](Json v) { return m.unit_graph ? v : Json(); };
  Json j = Json::object();
  // params, then what it is made of (cli/report.hpp set_param_counts).
  j.set("params", m.params).set("weights_nonzero", m.counts.weights_nonzero).set("biases", m.counts.biases);
  j.set("batch_norm_params", m.counts.batch_norm).set("params_dense", m.counts.dense());
  j.set("flops", m.flops).set("L", unit(m.L)).set("C", unit(m.C)).set("live", unit(m.live));
  j.set("path_length", unit(m.path_length)).set("clustering", unit(m.clustering));
  j.set("path_length_random", unit(m.path_length_random)).set("clustering_random", unit(m.clustering_random));
  j.set("small_world_sigma", unit(m.small_world_sigma)).set("tiles", m.tiles).set("tile_links", m.tile_links);
  Json layers = Json::array();
  for (const auto& l : m.layers) {
    Json o = Json::object();
    o.set("index", l.index).set("type", l.type).set("spec", l.spec).set("units_in", l.units_in);
    o.set("units_out", l.units_out).set("edges", l.edges).set("params", l.params).set("flops", l.flops);
    o.set("L", unit(l.L)).set("C", unit(l.C)).set("live", unit(l.live)).set("path_length", unit(l.path_length));
    o.set("clustering", unit(l.clustering)).set("path_length_random", unit(l.path_length_random));
    o.set("clustering_random", unit(l.clustering_random)).set("small_world_sigma", unit(l.small_world_sigma));
    o.set("tiles", l.tiles).set("tiles_total", l.tiles_total).set("tile_links", l.tile_links);
    layers.push(std::move(o));
  }
  j.set("layers", std::move(layers));
  return j;
}

}  // namespace nnc
