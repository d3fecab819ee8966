// Structure metrics of a sparse network (docs/design.md section 8): the paper's L and C, the unit
// graph's path length and bipartite clustering against random graphs (the small-world
// coefficient), parameters, FLOPs, and the crossbar view (tiles and tile links). The unit graph
// is a chain's; a network with branches gets everything else.
#pragma once
#include <compare>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "nnc/nn/model.hpp"
#include "nnc/nn/stats.hpp"

namespace nnc {

// An undirected graph by adjacency lists (nodes 0..n-1).
struct Graph {
  std::vector<std::vector<int>> adj;
  explicit Graph(int n = 0) : adj(static_cast<std::size_t>(n)) {}
  int nodes() const { return static_cast<int>(adj.size()); }
  void add_edge(int a, int b) { adj[a].push_back(b); adj[b].push_back(a); }
  std::size_t edges() const;
};

// Mean shortest-path length over ordered pairs of distinct nodes that reach each other
// (unreachable pairs are left out); 0 when no pair is connected.
double path_length(const Graph& g);

// Robins-Alexander bipartite clustering: 4 x (4-cycles) / (paths of length 3); requires a
// bipartite graph; 0 when there is no path of length 3.
double bipartite_clustering(const Graph& g);

// The unit graph of a model: units are the input channels (or neurons) of the first conv or
// dense layer and the outputs of each conv and dense layer (channels of conv layers, neurons
// of dense ones). A dense layer reading a flattened conv output sees each input neuron as
// part of its channel (flatten order [C][H][W]), so channel c is tied to output o when any
// weight from c's neurons to o is nonzero. Layer j's edges join unit layer j to j+1.
struct UnitGraph {
  std::vector<int> units;            // per unit layer (mapped layers + 1)
  std::vector<int> layer_index;      // model layer index of each mapped layer
  // edges[j]: (input unit, output unit) pairs of mapped layer j with a nonzero weight
  std::vector<std::vector<std::pair<int, int>>> edges;
  // rows_per_unit[j]: crossbar rows of mapped layer j fed by one unit of unit layer j
  std::vector<int> rows_per_unit;
};
UnitGraph unit_graph(const Model& model);

struct LayerMetrics {
  int index = 0;  // model layer index
  std::string type, spec;
  // The unit graph's (a network with branches: the layer's own input units, channels of a conv
  // and neurons of a dense layer, and its unit pairs with a nonzero weight).
  int units_in = 0, units_out = 0;
  std::size_t edges = 0;
  // The paper's L and C over this layer's input units: L = units with a path of surviving
  // connections to class k, averaged over k; C = classes a live unit reaches, averaged over
  // live units (a unit with any surviving connection, in or out). These and the path lengths,
  // clustering and sigma are NaN (live 0) without a unit graph (NetworkMetrics::unit_graph).
  double L = 0, C = 0;
  int live = 0;
  double path_length = 0, clustering = 0;            // this layer's bipartite graph
  double path_length_random = 0, clustering_random = 0;
  double small_world_sigma = 0;                      // (C / C_rand) / (L / L_rand)
  std::size_t params = 0;                            // nonzero weights + biases (LayerStats::nonzero)
  double flops = 0;                                  // per sample
  int tiles = 0, tiles_total = 0;
  int tile_links = 0;  // links from this layer's tiles to those of the mapped layers that read its outputs
};

struct NetworkMetrics {
  // Whether the unit graph, and with it L, C, live, path lengths, clustering and small-world
  // sigma (the network's and every layer's), is defined: a chain's. A network with branches
  // has none: those are NaN (live 0) and reports leave them out (JSON null).
  bool unit_graph = true;
  std::vector<LayerMetrics> layers;  // conv and dense layers only
  double L = 0, C = 0;               // L summed over layers, C over all live units
  int live = 0;
  double path_length = 0, clustering = 0, path_length_random = 0, clustering_random = 0;
  double small_world_sigma = 0;
  std::size_t params = 0;  // counts.params(): Model::nonzero_param_count (all layers)
  ParamCounts counts;      // what `params` is made of, and the dense count
  double flops = 0;
  int tiles = 0, tile_links = 0;
};

// The metrics of any model: parameters, FLOPs, tiles and tile links (along the data flow,
// tile_feeds), and per layer its units and edges; a chain's also those of its unit graph
// (unit_graph true): the random reference of each layer is a bipartite graph on the same units
// with the same edge count, edges drawn uniformly without repetition from
// Rng(seed, {stream::kMetrics, j}). A network with branches has unit_graph false.
NetworkMetrics structure_metrics(const Model& model, std::uint64_t seed = 1, int tile = 128);

// Nonempty tile-to-tile links between consecutive crossbar matrices: tile (a, b) of W1 and
// tile (a2, b2) of W2 are linked when a column of W1 with a nonzero inside (a, b) is a unit
// whose rows (g per unit) hold a nonzero inside (a2, b2). link_units: per link, the units of
// the first tile that feed the second, summed over links (what the interconnect carries).
struct TileLinks {
  int links = 0;
  double link_units = 0;
};
TileLinks tile_links(ConstMatrixMap W1, ConstMatrixMap W2, int g, int tile);
// The same with W1's unit u arriving at channel u + offset of W2's `channels` input channels
// (W2.rows() / channels rows each; no link if they do not divide): an option-A shortcut's padding.
TileLinks tile_links_shifted(ConstMatrixMap W1, ConstMatrixMap W2, int offset, int channels, int tile);
// The same between two mapped layers, g = W2's rows per W1 column (no link if they do not divide).
TileLinks tile_links_between(const Layer& first, const Layer& second, int tile);

// A layer on crossbars whose outputs another such layer reads: unit u of `from` arrives at
// input channel u + offset of `channels` (channels 0: unit u at channel u, no padding shortcut
// between).
struct TileFeed {
  int from = 0;
  int offset = 0;
  int channels = 0;
  auto operator<=>(const TileFeed&) const = default;
};
// The layers on crossbars (on(i): layer i is) whose outputs layer `to` reads, traced back from
// its inputs through the layers off them (batch norm, ReLU, pooling, flatten, an Add's two
// inputs, identity shortcuts; a padding shortcut moves the units to its middle channels). In a
// chain: the mapped layer before `to`, if any.
std::set<TileFeed> tile_feeds(const Model& model, std::size_t to, const std::function<bool(int)>& on);
// The links of a feed into layer `to`: tile_links_between, or tile_links_shifted through a
// padding shortcut.
TileLinks feed_tile_links(const Model& model, const TileFeed& feed, std::size_t to, int tile);


}  // namespace nnc
