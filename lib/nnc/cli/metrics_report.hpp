// Structure metrics (algo/metrics.hpp) as JSON records.
#pragma once
#include "nnc/algo/metrics.hpp"
#include "nnc/cli/json.hpp"

namespace nnc {

// JSON with the keys of docs/design.md section 8: L, C, live, path_length, clustering,
// small_world_sigma, params, flops, tiles, tile_links, and "layers" (the same per layer); the
// unit graph's (L through small_world_sigma) null when m.unit_graph is false.
Json metrics_json(const NetworkMetrics& m);

}  // namespace nnc
