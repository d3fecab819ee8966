#include "nnc/algo/metrics.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <numeric>
#include <tuple>

#include "nnc/nn/error.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/residual.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/nn/rng.hpp"
#include "nnc/nn/stats.hpp"
#include "nnc/nn/streams.hpp"

namespace nnc {

std::size_t Graph::edges() const {
  std::size_t d = 0;
  for (const auto& a : adj) d += a.size();
  return d / 2;
}

double path_length(const Graph& g) {
  const int n = g.nodes();
  std::vector<std::uint64_t> sum(static_cast<std::size_t>(n)), pairs(static_cast<std::size_t>(n));
  parallel_for(n, [&](int s) {
    std::vector<int> dist(static_cast<std::size_t>(n), -1);
    std::vector<int> queue;
    queue.reserve(static_cast<std::size_t>(n));
    dist[s] = 0;
    queue.push_back(s);
    for (std::size_t h = 0; h < queue.size(); ++h) {
      const int u = queue[h];
      for (int v : g.adj[u]) {
        if (dist[v] < 0) {
          dist[v] = dist[u] + 1;
          queue.push_back(v);
          sum[s] += static_cast<std::uint64_t>(dist[v]);
          ++pairs[s];
        }
      }
    }
  });
  // Integer sums: the same whatever order the threads finished in.
  const std::uint64_t total = std::accumulate(sum.begin(), sum.end(), std::uint64_t(0));
  const std::uint64_t count = std::accumulate(pairs.begin(), pairs.end(), std::uint64_t(0));
  return count == 0 ? 0.0 : static_cast<double>(total) / static_cast<double>(count);
}

double bipartite_clustering(const Graph& g) {
  const int n = g.nodes();
  // Paths of length 3: each edge (u, v) is the middle of (deg u - 1)(deg v - 1) of them.
  std::uint64_t paths3 = 0;
  for (int u = 0; u < n; ++u) {
    for (int v : g.adj[u]) {
      if (v > u) paths3 += static_cast<std::uint64_t>(g.adj[u].size() - 1) * (g.adj[v].size() - 1);
    }
  }
  if (paths3 == 0) return 0;
  // 4-cycles: a pair of nodes with c common neighbours closes c(c-1)/2 of them, and each
  // cycle has two such diagonal pairs.
  std::vector<std::uint64_t> per(static_cast<std::size_t>(n));
  parallel_for(n, [&](int u) {
    std::vector<int> common(static_cast<std::size_t>(n), 0);
    std::vector<int> touched;
    for (int x : g.adj[u]) {
      for (int w : g.adj[x]) {
        if (w <= u) continue;
        if (common[w]++ == 0) touched.push_back(w);
      }
    }
    std::uint64_t c4 = 0;
    for (int w : touched) c4 += static_cast<std::uint64_t>(common[w]) * (common[w] - 1) / 2;
    per[u] = c4;
  });
  const std::uint64_t cycles4 = std::accumulate(per.begin(), per.end(), std::uint64_t(0)) / 2;
  return 4.0 * static_cast<double>(cycles4) / static_cast<double>(paths3);
}

namespace {

// The (input unit, output unit) pairs of crossbar matrix W with a nonzero weight, its rows
// grouped into units_in units (rows / units_in each).
std::vector<std::pair<int, int>> unit_edges(ConstMatrixMap W, int units_in) {
  const int cols = static_cast<int>(W.cols());
  const Eigen::Index g = W.rows() / units_in;
  std::vector<std::pair<int, int>> e;
  for (int o = 0; o < cols; ++o) {
    for (int u = 0; u < units_in; ++u) {
      if ((W.col(o).segment(static_cast<Eigen::Index>(u) * g, g).array() != 0).any()) e.emplace_back(u, o);
    }
  }
  return e;
}

}  // namespace

UnitGraph unit_graph(const Model& model) {
  model.require_chain("the unit graph of Small-World metrics (L and C)");
  UnitGraph ug;
  for (std::size_t li = 0; li < model.layers().size(); ++li) {
    const Layer& l = *model.layers()[li];
    if (!l.is_mapped()) continue;
    const auto W = crossbar_matrix(l);
    const int rows = static_cast<int>(W.rows()), cols = static_cast<int>(W.cols());
    int units_in;
    if (ug.units.empty()) {
      units_in = l.input_units();  // channels of a conv, neurons of a dense layer
      ug.units.push_back(units_in);
    } else {
      units_in = ug.units.back();
    }
    if (rows % units_in != 0) {
      throw Error("layer " + std::to_string(li) + " (" + l.spec() + "): its " + std::to_string(rows) +
                  " inputs do not group into the " + std::to_string(units_in) + " units of the layer before");
    }
    ug.layer_index.push_back(static_cast<int>(li));
    ug.rows_per_unit.push_back(rows / units_in);
    ug.edges.push_back(unit_edges(W, units_in));
    ug.units.push_back(cols);
  }
  if (ug.edges.empty()) throw Error("the model has no conv or dense layer");
  return ug;
}

namespace {

// A random bipartite edge set on n_in x n_out with `count` distinct edges.
std::vector<std::pair<int, int>> random_edges(int n_in, int n_out, std::size_t count, Rng& rng) {
  const std::size_t total = static_cast<std::size_t>(n_in) * n_out;
  std::vector<std::uint32_t> idx(total);
  std::iota(idx.begin(), idx.end(), 0u);
  for (std::size_t i = 0; i < count; ++i) {  // partial Fisher-Yates
    const std::size_t j = i + static_cast<std::size_t>(rng.below(total - i));
    std::swap(idx[i], idx[j]);
  }
  std::vector<std::pair<int, int>> e;
  for (std::size_t i = 0; i < count; ++i) e.emplace_back(static_cast<int>(idx[i] % n_in), static_cast<int>(idx[i] / n_in));
  return e;
}

Graph layer_graph(int n_in, int n_out, const std::vector<std::pair<int, int>>& e) {
  Graph g(n_in + n_out);
  for (auto [u, o] : e) g.add_edge(u, n_in + o);
  return g;
}

Graph network_graph(const std::vector<int>& units, const std::vector<std::vector<std::pair<int, int>>>& edges) {
  std::vector<int> offset(units.size() + 1, 0);
  for (std::size_t j = 0; j < units.size(); ++j) offset[j + 1] = offset[j] + units[j];
  Graph g(offset.back());
  for (std::size_t j = 0; j < edges.size(); ++j)
    for (auto [u, o] : edges[j]) g.add_edge(offset[j] + u, offset[j + 1] + o);
  return g;
}

double sigma(double c, double c_rand, double l, double l_rand) {
  if (c_rand <= 0 || l <= 0 || l_rand <= 0) return 0;
  return (c / c_rand) / (l / l_rand);
}

// A chain's metrics of the unit graph: L, C, live, path lengths, clustering and sigma, and per
// layer the units and edges.
NetworkMetrics unit_graph_metrics(const Model& model, std::uint64_t seed) {
  const UnitGraph ug = unit_graph(model);
  const std::size_t m = ug.edges.size();
  const int classes = ug.units.back();
  const std::size_t words = static_cast<std::size_t>((classes + 63) / 64);

  // reach[j][u]: the classes unit u of unit layer j has a path to, as bit words.
  std::vector<std::vector<std::uint64_t>> reach(m + 1);
  reach[m].assign(static_cast<std::size_t>(classes) * words, 0);
  for (int k = 0; k < classes; ++k) reach[m][static_cast<std::size_t>(k) * words + k / 64] |= 1ull << (k % 64);
  for (std::size_t j = m; j-- > 0;) {
    reach[j].assign(static_cast<std::size_t>(ug.units[j]) * words, 0);
    for (auto [u, o] : ug.edges[j])
      for (std::size_t w = 0; w < words; ++w) reach[j][u * words + w] |= reach[j + 1][o * words + w];
  }
  // Live: any surviving connection, in or out.
  std::vector<std::vector<std::uint8_t>> live(m + 1);
  for (std::size_t j = 0; j <= m; ++j) live[j].assign(static_cast<std::size_t>(ug.units[j]), 0);
  for (std::size_t j = 0; j < m; ++j)
    for (auto [u, o] : ug.edges[j]) live[j][u] = live[j + 1][o] = 1;

  NetworkMetrics net;
  std::uint64_t reached_total = 0, reached_live = 0;
  std::vector<std::vector<std::pair<int, int>>> random_all(m);
  for (std::size_t j = 0; j < m; ++j) {
    const Layer& l = *model.layers()[ug.layer_index[j]];
    LayerMetrics lm;
    lm.index = ug.layer_index[j];
    lm.type = l.type();
    lm.spec = l.spec();
    lm.units_in = ug.units[j];
    lm.units_out = ug.units[j + 1];
    lm.edges = ug.edges[j].size();
    std::uint64_t reached = 0, reached_by_live = 0;
    for (int u = 0; u < lm.units_in; ++u) {
      int bits = 0;
      for (std::size_t w = 0; w < words; ++w) bits += __builtin_popcountll(reach[j][u * words + w]);
      reached += bits;
      if (live[j][u]) {
        reached_by_live += bits;
        ++lm.live;
      }
    }
    lm.L = static_cast<double>(reached) / classes;
    lm.C = lm.live ? static_cast<double>(reached_by_live) / lm.live : 0;
    reached_total += reached;
    reached_live += reached_by_live;
    net.live += lm.live;

    const Graph g = layer_graph(lm.units_in, lm.units_out, ug.edges[j]);
    lm.path_length = path_length(g);
    lm.clustering = bipartite_clustering(g);
    Rng rng(seed, {stream::kMetrics, static_cast<std::uint64_t>(j)});
    random_all[j] = random_edges(lm.units_in, lm.units_out, lm.edges, rng);
    const Graph gr = layer_graph(lm.units_in, lm.units_out, random_all[j]);
    lm.path_length_random = path_length(gr);
    lm.clustering_random = bipartite_clustering(gr);
    lm.small_world_sigma = sigma(lm.clustering, lm.clustering_random, lm.path_length, lm.path_length_random);
    net.layers.push_back(std::move(lm));
  }
  net.L = static_cast<double>(reached_total) / classes;
  net.C = net.live ? static_cast<double>(reached_live) / net.live : 0;
  const Graph g = network_graph(ug.units, ug.edges);
  net.path_length = path_length(g);
  net.clustering = bipartite_clustering(g);
  const Graph gr = network_graph(ug.units, random_all);
  net.path_length_random = path_length(gr);
  net.clustering_random = bipartite_clustering(gr);
  net.small_world_sigma = sigma(net.clustering, net.clustering_random, net.path_length, net.path_length_random);
  return net;
}

// A network with branches has no unit graph: per layer its own units and edges, the unit
// graph's quantities NaN (live 0).
NetworkMetrics layer_unit_metrics(const Model& model) {
  constexpr double none = std::numeric_limits<double>::quiet_NaN();
  NetworkMetrics net;
  net.unit_graph = false;
  net.L = net.C = net.path_length = net.clustering = none;
  net.path_length_random = net.clustering_random = net.small_world_sigma = none;
  for (std::size_t li = 0; li < model.layers().size(); ++li) {
    const Layer& l = *model.layers()[li];
    if (!l.is_mapped()) continue;
    const ConstMatrixMap W = crossbar_matrix(l);
    LayerMetrics lm;
    lm.index = static_cast<int>(li);
    lm.type = l.type();
    lm.spec = l.spec();
    lm.units_in = l.input_units();
    lm.units_out = static_cast<int>(W.cols());
    lm.edges = unit_edges(W, lm.units_in).size();
    lm.L = lm.C = lm.path_length = lm.clustering = none;
    lm.path_length_random = lm.clustering_random = lm.small_world_sigma = none;
    net.layers.push_back(std::move(lm));
  }
  if (net.layers.empty()) throw Error("the model has no conv or dense layer");
  return net;
}

}  // namespace

NetworkMetrics structure_metrics(const Model& model, std::uint64_t seed, int tile) {
  NetworkMetrics net = model.is_chain() ? unit_graph_metrics(model, seed) : layer_unit_metrics(model);
  // The crossbar view, of any network; links follow the data flow, counted at the sending layer.
  const auto stats = layer_stats(model, tile);
  std::vector<int> links(model.layers().size(), 0);
  const auto mapped = [&](int i) { return model.layers()[static_cast<std::size_t>(i)]->is_mapped(); };
  for (const LayerMetrics& to : net.layers) {
    const auto index = static_cast<std::size_t>(to.index);
    for (const TileFeed& f : tile_feeds(model, index, mapped)) links[f.from] += feed_tile_links(model, f, index, tile).links;
  }
  for (LayerMetrics& lm : net.layers) {
    const LayerStats& s = stats[lm.index];
    lm.params = s.nonzero;
    lm.flops = s.flops;
    lm.tiles = s.tiles;
    lm.tiles_total = s.tiles_total;
    lm.tile_links = links[lm.index];
    net.flops += lm.flops;
    net.tiles += lm.tiles;
    net.tile_links += lm.tile_links;
  }
  net.counts = model.param_counts();
  net.params = net.counts.params();
  return net;
}

TileLinks tile_links_shifted(ConstMatrixMap W1, ConstMatrixMap W2, int offset, int channels, int tile) {
  const int units = static_cast<int>(W1.cols());
  if (channels <= 0 || W2.rows() % channels != 0) return {};
  const int g = static_cast<int>(W2.rows() / channels);
  const auto tiles_of = [tile](Eigen::Index n) { return static_cast<int>((n + tile - 1) / tile); };
  std::vector<std::vector<std::uint8_t>> feeds, fed;
  for (int a = 0; a < tiles_of(W1.rows()); ++a)
    for (int b = 0; b < tiles_of(W1.cols()); ++b) {
      std::vector<std::uint8_t> s(static_cast<std::size_t>(units), 0);
      const int r0 = a * tile, r1 = std::min<int>(static_cast<int>(W1.rows()), r0 + tile);
      for (int c = b * tile; c < std::min(units, (b + 1) * tile); ++c)
        s[static_cast<std::size_t>(c)] = (W1.col(c).segment(r0, r1 - r0).array() != 0).any();
      feeds.push_back(std::move(s));
    }
  for (int a = 0; a < tiles_of(W2.rows()); ++a)
    for (int b = 0; b < tiles_of(W2.cols()); ++b) {
      std::vector<std::uint8_t> s(static_cast<std::size_t>(channels), 0);
      const int c0 = b * tile, c1 = std::min<int>(static_cast<int>(W2.cols()), c0 + tile);
      for (int r = a * tile; r < std::min<int>(static_cast<int>(W2.rows()), (a + 1) * tile); ++r)
        if ((W2.row(r).segment(c0, c1 - c0).array() != 0).any()) s[static_cast<std::size_t>(r / g)] = 1;
      fed.push_back(std::move(s));
    }
  TileLinks out;
  for (const auto& s1 : feeds)
    for (const auto& s2 : fed) {
      int shared = 0;
      for (int u = 0; u < units; ++u) {
        const int ch = u + offset;
        shared += s1[static_cast<std::size_t>(u)] && ch >= 0 && ch < channels && s2[static_cast<std::size_t>(ch)];
      }
      if (shared > 0) {
        ++out.links;
        out.link_units += shared;
      }
    }
  return out;
}

TileLinks tile_links(ConstMatrixMap W1, ConstMatrixMap W2, int g, int tile) {
  return tile_links_shifted(W1, W2, 0, g > 0 ? static_cast<int>(W2.rows() / g) : 0, tile);
}

TileLinks tile_links_between(const Layer& first, const Layer& second, int tile) {
  const ConstMatrixMap W1 = crossbar_matrix(first), W2 = crossbar_matrix(second);
  const auto units = W1.cols();
  if (units == 0 || W2.rows() % units != 0) return {};
  return tile_links(W1, W2, static_cast<int>(W2.rows() / units), tile);
}

namespace {

void feeds_of(const Model& model, int node, TileFeed f, const std::function<bool(int)>& on,
              std::set<std::tuple<int, int, int>>& seen, std::set<TileFeed>& out) {
  if (node < 0 || !seen.insert({node, f.offset, f.channels}).second) return;
  if (on(node)) {
    f.from = node;
    out.insert(f);
    return;
  }
  if (const auto* pad = dynamic_cast<const PadShortcut*>(model.layers()[static_cast<std::size_t>(node)].get())) {
    f.offset += pad->channel_offset();
    if (f.channels == 0) f.channels = pad->channels();
  }
  for (int j : model.layer_inputs(static_cast<std::size_t>(node))) feeds_of(model, j, f, on, seen, out);
}

}  // namespace

std::set<TileFeed> tile_feeds(const Model& model, std::size_t to, const std::function<bool(int)>& on) {
  std::set<std::tuple<int, int, int>> seen;
  std::set<TileFeed> feeds;
  for (int j : model.layer_inputs(to)) feeds_of(model, j, TileFeed{}, on, seen, feeds);
  return feeds;
}

TileLinks feed_tile_links(const Model& model, const TileFeed& feed, std::size_t to, int tile) {
  const Layer& first = *model.layers()[static_cast<std::size_t>(feed.from)];
  const Layer& second = *model.layers()[to];
  if (feed.channels == 0) return tile_links_between(first, second, tile);
  return tile_links_shifted(crossbar_matrix(first), crossbar_matrix(second), feed.offset, feed.channels, tile);
}

}  // namespace nnc
