// Small-World pruning: the Watts-Strogatz construction's properties, masks kept through
// training and files, theta and magnitude pruning, and L, C, clustering, path length and
// tile links on small networks worked out by hand.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include "fixtures.hpp"
#include "nnc/cli/metrics_report.hpp"
#include "nnc/algo/smallworld.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/io/artifact.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/train/train.hpp"

using namespace nnc;

namespace {

Graph graph_of(const UnitMask& m) {
  Graph g(m.n_in + m.n_out);
  for (int o = 0; o < m.n_out; ++o)
    for (int i = 0; i < m.n_in; ++i)
      if (m.at(o, i)) g.add_edge(i, m.n_in + o);
  return g;
}

Param& weight(Model& m, int layer) { return *m.layers()[layer]->params()[0]; }

// Sets a dense layer's weight [out][in] from a list of (out, in) pairs (value 1), rest 0.
void set_dense(Model& m, int layer, std::initializer_list<std::pair<int, int>> edges) {
  Param& w = weight(m, layer);
  w.value.setZero();
  const int in = w.shape[1];
  for (auto [o, i] : edges) w.value[o * in + i] = 1;
}

}  // namespace

TEST_CASE("smallworld: lattice of K nearest inputs at p = 0") {
  CHECK(lattice_k(800, 0.01) == 8);
  CHECK(lattice_k(20, 0.001) == 1);
  CHECK(lattice_k(20, 1.0) == 20);
  CHECK_THROWS(lattice_k(20, 0.0));
  CHECK_THROWS(lattice_k(20, 1.5));
  // Square layer: output o sits on input o, so its 3 nearest are o-1, o, o+1 (mod 10).
  Rng rng(1);
  const UnitMask m = smallworld_mask(10, 10, 3, 0.0, rng);
  for (int o = 0; o < 10; ++o) {
    CHECK(m.in_degree(o) == 3);
    for (int i = 0; i < 10; ++i) {
      const int d = std::min((i - o + 10) % 10, (o - i + 10) % 10);
      CHECK(m.at(o, i) == (d <= 1));
    }
  }
  // Unequal sizes: 4 outputs over 12 inputs sit at inputs 1, 4, 7, 10 (centre (o+0.5)*3-0.5).
  const auto nb = ring_neighbors(12, 4, 2, 3);
  CHECK(std::set<int>(nb.begin(), nb.end()) == std::set<int>{6, 7, 8});
  // Wrapping: output 0 of a square layer with K = 4 takes 11, 0, 1, 2 (ties to the lower side).
  const auto w = ring_neighbors(12, 12, 0, 4);
  CHECK(std::set<int>(w.begin(), w.end()) == std::set<int>{11, 0, 1, 2});
}

TEST_CASE("smallworld: rewiring keeps K per output, the edge count, and makes no duplicates") {
  for (double p : {0.05, 0.3, 1.0}) {
    Rng rng(3, {static_cast<std::uint64_t>(p * 100)});
    const UnitMask m = smallworld_mask(60, 45, 7, p, rng);
    CHECK(m.edges() == 45u * 7u);
    for (int o = 0; o < 45; ++o) CHECK(m.in_degree(o) == 7);
    // Something moved off the lattice.
    Rng r0(3);
    const UnitMask lattice = smallworld_mask(60, 45, 7, 0.0, r0);
    std::size_t moved = 0;
    for (std::size_t e = 0; e < m.keep.size(); ++e) moved += m.keep[e] && !lattice.keep[e];
    CHECK(moved > 0);
  }
  // Same seed, same mask.
  Rng a(9), b(9);
  CHECK(smallworld_mask(50, 50, 5, 0.2, a).keep == smallworld_mask(50, 50, 5, 0.2, b).keep);
  // A full row cannot rewire and must not loop.
  Rng c(2);
  CHECK(smallworld_mask(5, 3, 5, 1.0, c).edges() == 15u);
}

TEST_CASE("smallworld: p = 1 is a random bipartite graph, not the lattice") {
  const int n = 300, k = 10;
  Rng r0(5), r1(5);
  const UnitMask lattice = smallworld_mask(n, n, k, 0.0, r0);
  const UnitMask rnd = smallworld_mask(n, n, k, 1.0, r1);
  std::size_t overlap = 0;
  for (std::size_t e = 0; e < rnd.keep.size(); ++e) overlap += rnd.keep[e] && lattice.keep[e];
  // A random graph of the same size shares about k / n = 3% of its edges with the lattice.
  CHECK(static_cast<double>(overlap) / rnd.edges() < 0.1);
  // Out-degrees of inputs are spread like a random graph's (the lattice has all equal to k).
  int min_deg = n, max_deg = 0;
  for (int i = 0; i < n; ++i) {
    int d = 0;
    for (int o = 0; o < n; ++o) d += rnd.at(o, i);
    min_deg = std::min(min_deg, d);
    max_deg = std::max(max_deg, d);
  }
  CHECK(max_deg - min_deg >= 6);
  // Its clustering is that of a random graph: far below the lattice's.
  CHECK(bipartite_clustering(graph_of(rnd)) < 0.3 * bipartite_clustering(graph_of(lattice)));
}

TEST_CASE("smallworld: clustering falls with p, path length falls quickly") {
  const int n = 1000, k = 10;
  std::vector<double> cl, pl;
  for (double p : {0.0, 0.01, 0.1, 1.0}) {
    Rng rng(11);
    const Graph g = graph_of(smallworld_mask(n, n, k, p, rng));
    cl.push_back(bipartite_clustering(g));
    pl.push_back(path_length(g));
  }
  CHECK(cl[0] > 0.4);  // the lattice is locally dense
  CHECK(cl[0] > cl[1]);
  CHECK(cl[1] > cl[2]);
  CHECK(cl[2] > cl[3]);
  CHECK(pl[0] > 40);  // about n / k hops around the ring
  // Small world: 1% rewired already shrinks the path length to well under half while the
  // clustering stays high.
  CHECK(pl[1] < 0.4 * pl[0]);
  CHECK(cl[1] > 0.8 * cl[0]);
  CHECK(pl[3] < pl[2]);
  CHECK(pl[2] < pl[1]);
}

TEST_CASE("smallworld: masks expand per channel pair, hold through training, saving and loading") {
  const Dataset data = test::bars_dataset(256, {1, 12, 12}, 4);
  Model m("c6k3,relu,c8k3,relu,mp2,flat,fc16,relu,fc4", data.shape, data.classes);
  m.init(4);
  SmallWorldOptions sw;
  sw.p = 0.2;
  sw.density = {1.0, 0.34, 0.1, 0.5};
  sw.seed = 4;
  const auto units = apply_smallworld(m, sw);
  REQUIRE(units.size() == 4);
  CHECK(units[1].n_in == 6);
  CHECK(units[1].n_out == 8);
  CHECK(units[1].in_degree(0) == 2);         // round(0.34 * 6)
  CHECK(units[2].n_in == 8 * 4 * 4);         // fc16 reads 128 neurons
  CHECK(units[2].in_degree(5) == 13);        // round(0.1 * 128)
  CHECK_FALSE(weight(m, 0).has_mask());      // density 1: dense
  // conv2: a channel pair keeps or drops its whole 3x3 kernel.
  const Param& w2 = weight(m, 2);
  for (int o = 0; o < 8; ++o)
    for (int i = 0; i < 6; ++i)
      for (int t = 0; t < 9; ++t) CHECK(w2.mask[(o * 6 + i) * 9 + t] == units[1].at(o, i));
  CHECK_THROWS_AS(apply_smallworld(m, SmallWorldOptions{0.1, {0.5, 0.5}, 1}), Error);

  const Model before = m;
  TrainOptions opt;
  opt.epochs = 1;
  opt.batch = 32;
  TrainState st;
  const auto [tr, val] = split_validation(data, 56);
  train(m, tr, val, opt, st);
  std::size_t masked = 0, moved = 0;
  for (int layer : {2, 6, 8}) {
    const Param& w = weight(m, layer);
    const Param& w0 = *const_cast<Model&>(before).layers()[layer]->params()[0];
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (!w.mask[i]) {
        ++masked;
        CHECK(w.value[i] == 0.0f);
      } else {
        moved += w.value[i] != w0.value[i];
      }
    }
  }
  CHECK(masked > 1000);
  CHECK(moved > 100);  // training did change the kept weights

  ModelArtifact a;
  a.model = m;
  const ModelArtifact b = decode_model(encode_model(a), "mem");
  for (int layer : {0, 2, 6, 8}) {
    const Param& w = weight(m, layer);
    const Param& r = *const_cast<Model&>(b.model).layers()[layer]->params()[0];
    CHECK(r.mask == w.mask);
    for (std::size_t i = 0; i < w.size(); ++i) CHECK(r.value[i] == w.value[i]);
  }
  // And they stay zero when the loaded model trains on.
  Model c = b.model;
  TrainState st2;
  train(c, tr, val, opt, st2);
  for (int layer : {2, 6, 8}) {
    const Param& w = weight(c, layer);
    for (std::size_t i = 0; i < w.size(); ++i)
      if (!w.mask[i]) CHECK(w.value[i] == 0.0f);
  }
}

TEST_CASE("smallworld: theta pruning by weight and by kernel") {
  Model m("c4k3,relu,c5k3,flat,fc3", {2, 8, 8}, 3);
  m.init(2);
  Model k = m;
  Param& w = weight(m, 2);
  const double s = surviving_std(w);
  std::size_t expect = 0;
  for (std::size_t i = 0; i < w.size(); ++i) expect += std::fabs(w.value[i]) < 1.0 * s;
  std::size_t total_expect = expect;
  for (int layer : {0, 4}) {
    const Param& v = weight(m, layer);
    const double sv = surviving_std(v);
    for (std::size_t i = 0; i < v.size(); ++i) total_expect += std::fabs(v.value[i]) < sv;
  }
  CHECK(prune_by_theta(m, 1.0, PruneGranularity::weight) == total_expect);
  for (std::size_t i = 0; i < w.size(); ++i) CHECK((w.mask[i] == 0) == (w.value[i] == 0.0f));
  // A second pruning measures the std of the survivors only.
  const double s2 = surviving_std(w);
  CHECK(s2 > s);
  CHECK(prune_by_theta(m, 0.0, PruneGranularity::weight) == 0u);

  prune_by_theta(k, 1.2, PruneGranularity::kernel);
  const Param& wk = weight(k, 2);
  std::size_t gone = 0;
  for (std::size_t kern = 0; kern < wk.size() / 9; ++kern) {
    int kept = 0;
    for (int t = 0; t < 9; ++t) kept += wk.mask[kern * 9 + t];
    CHECK((kept == 0 || kept == 9));
    gone += kept == 0;
  }
  CHECK(gone > 0);
  CHECK(gone < wk.size() / 9);
}

TEST_CASE("smallworld: magnitude pruning of a Small-World model stays inside its lattice") {
  Model m("c4k3,relu,flat,fc10,relu,fc3", {1, 6, 6}, 3);
  m.init(6);
  apply_smallworld(m, {0.0001, {0.5}, 1});
  Model lattice = m;
  CHECK(magnitude_prune_to(m, 60, MagnitudeScope::global) <= 60u);
  for (int layer : {3, 5}) {  // the dense layers (the conv has one input channel: no lattice)
    const Param& w = weight(m, layer);
    const Param& w0 = weight(lattice, layer);
    REQUIRE(w0.has_mask());
    for (std::size_t i = 0; i < w.size(); ++i) CHECK((!w.mask[i] || w0.mask[i]));
  }
}

TEST_CASE("smallworld: magnitude baseline reaches the parameter count with the largest weights") {
  for (auto scope : {MagnitudeScope::global, MagnitudeScope::layer}) {
    Model m("c4k3,relu,flat,fc10,relu,fc3", {1, 6, 6}, 3);
    m.init(6);
    const Model dense = m;
    const std::size_t reached = magnitude_prune_to(m, 120, scope);
    CHECK(reached <= 120u);
    CHECK(reached >= 110u);
    CHECK(reached == m.nonzero_param_count());
    if (scope == MagnitudeScope::global) {
      float min_kept = 1e9f, max_gone = 0;
      for (int layer : {0, 3, 5}) {
        const Param& w = weight(m, layer);
        const Param& w0 = *const_cast<Model&>(dense).layers()[layer]->params()[0];
        for (std::size_t i = 0; i < w.size(); ++i) {
          if (w.mask[i]) min_kept = std::min(min_kept, std::fabs(w0.value[i]));
          else max_gone = std::max(max_gone, std::fabs(w0.value[i]));
        }
      }
      CHECK(min_kept >= max_gone);
    }
  }
  // Batch norm's 20 parameters are not weights: no pruning gets below them.
  Model m("flat,fc10,bn,fc3", {1, 4, 4}, 3);
  m.init(1);
  CHECK_THROWS_AS(magnitude_prune_to(m, 2, MagnitudeScope::global), Error);
}

TEST_CASE("metrics: L and C on a hand-made dense network") {
  // x0..x3 -> h0..h2 -> classes c0, c1:
  //   x0-h0, x1-h1, x2-h2, x3-h1;   h0-c0, h1-c0, h1-c1 (h2 reaches nothing).
  // Classes reached: x0 {0}, x1 {0,1}, x2 {}, x3 {0,1}; h0 {0}, h1 {0,1}, h2 {}.
  // Layer 1 (units x): L = (1+2+0+2)/2 = 2.5; all 4 live; C = 5/4.
  // Layer 2 (units h): L = (1+2+0)/2 = 1.5; all 3 live (h2 has an input); C = 3/3 = 1.
  // Network: L = 4, live 7, C = 8/7.
  Model m("fc3,relu,fc2", {4, 1, 1}, 2);
  set_dense(m, 0, {{0, 0}, {1, 1}, {2, 2}, {1, 3}});
  set_dense(m, 2, {{0, 0}, {0, 1}, {1, 1}});
  const NetworkMetrics nm = structure_metrics(m);
  REQUIRE(nm.layers.size() == 2);
  CHECK(nm.layers[0].L == doctest::Approx(2.5));
  CHECK(nm.layers[0].C == doctest::Approx(1.25));
  CHECK(nm.layers[0].live == 4);
  CHECK(nm.layers[1].L == doctest::Approx(1.5));
  CHECK(nm.layers[1].C == doctest::Approx(1.0));
  CHECK(nm.layers[1].live == 3);
  CHECK(nm.L == doctest::Approx(4.0));
  CHECK(nm.C == doctest::Approx(8.0 / 7.0));
  CHECK(nm.live == 7);
  // Parameters: 4 + 3 nonzero weights, biases of h0, h1, h2 and c0, c1.
  CHECK(nm.params == 12u);
  // An input that loses its only edge is no longer live and reaches nothing.
  set_dense(m, 0, {{0, 0}, {1, 1}, {2, 2}});
  const NetworkMetrics nm2 = structure_metrics(m);
  CHECK(nm2.layers[0].live == 3);
  CHECK(nm2.layers[0].L == doctest::Approx(1.5));
  CHECK(nm2.layers[0].C == doctest::Approx(1.0));
}

TEST_CASE("metrics: a dense layer after flatten sees channels") {
  // 2 channels of 2x2 flattened into 8 neurons; only channel 1's neurons feed class 0.
  Model m("c2k1,flat,fc2", {1, 2, 2}, 2);
  m.init(1);
  Param& w = weight(m, 2);
  w.value.setZero();
  w.value[0 * 8 + 5] = 1;  // class 0 <- channel 1, pixel 1
  const UnitGraph ug = unit_graph(m);
  CHECK(ug.units == std::vector<int>{1, 2, 2});
  CHECK(ug.rows_per_unit == std::vector<int>{1, 4});
  REQUIRE(ug.edges[1].size() == 1);
  CHECK(ug.edges[1][0] == std::pair<int, int>{1, 0});
  const NetworkMetrics nm = structure_metrics(m);
  // Layer 2 units (channels): channel 1 reaches class 0 only: L = 1/2; channel 0 is live
  // (it has its input from conv) but reaches nothing: C = 1/2.
  CHECK(nm.layers[1].L == doctest::Approx(0.5));
  CHECK(nm.layers[1].C == doctest::Approx(0.5));
  // Layer 1: the image channel reaches class 0 through channel 1.
  CHECK(nm.layers[0].L == doctest::Approx(0.5));
}

TEST_CASE("metrics: clustering and path length of small graphs") {
  Graph k22(4);  // K_{2,2}: one 4-cycle, 4 paths of length 3 -> 1
  k22.add_edge(0, 2);
  k22.add_edge(0, 3);
  k22.add_edge(1, 2);
  k22.add_edge(1, 3);
  CHECK(bipartite_clustering(k22) == doctest::Approx(1.0));
  CHECK(path_length(k22) == doctest::Approx(4.0 / 3.0));  // per node: 1, 1, 2
  Graph path(4);  // 0-1-2-3: one path of length 3, no cycle
  path.add_edge(0, 1);
  path.add_edge(1, 2);
  path.add_edge(2, 3);
  CHECK(bipartite_clustering(path) == 0.0);
  CHECK(path_length(path) == doctest::Approx((1 + 2 + 3 + 1 + 1 + 2) * 2 / 12.0));
  // K_{2,3}: 3 four-cycles; paths of length 3: 6 edges x (3-1)(2-1) = 12 -> 4*3/12 = 1.
  Graph k23(5);
  for (int a : {0, 1})
    for (int b : {2, 3, 4}) k23.add_edge(a, b);
  CHECK(bipartite_clustering(k23) == doctest::Approx(1.0));
  // Remove one edge: 1 four-cycle left; paths: edges (0,2),(0,3),(0,4): (2)(1),(2)(1),(2)(0);
  // (1,2),(1,3): (1)(1) each -> 6 -> 4*1/6.
  Graph g(5);
  for (auto [a, b] : std::vector<std::pair<int, int>>{{0, 2}, {0, 3}, {0, 4}, {1, 2}, {1, 3}}) g.add_edge(a, b);
  CHECK(bipartite_clustering(g) == doctest::Approx(4.0 / 6.0));
}

TEST_CASE("metrics: tiles and tile links") {
  // fc4 -> fc4 on 4 inputs, tiles of 2 x 2 positions (2 x 2 tiles per layer).
  Model m("fc4,fc4", {4, 1, 1}, 4);
  set_dense(m, 0, {{0, 0}});          // row 0, column 0: tile (0, 0), feeds unit 0
  set_dense(m, 1, {{3, 0}, {0, 3}});  // unit 0 -> out 3: tile (0, 1); unit 3 -> out 0: tile (1, 0)
  const NetworkMetrics nm = structure_metrics(m, 1, 2);
  CHECK(nm.layers[0].tiles == 1);
  CHECK(nm.layers[1].tiles == 2);
  CHECK(nm.layers[0].tile_links == 1);  // only unit 0 is fed and feeds
  CHECK(nm.tiles == 3);
  CHECK(nm.tile_links == 1);
  set_dense(m, 0, {{0, 0}, {3, 2}});  // unit 3 now fed from tile (1, 1)
  const NetworkMetrics nm2 = structure_metrics(m, 1, 2);
  CHECK(nm2.tile_links == 2);
}

TEST_CASE("metrics: a Small-World network is more clustered than its random reference, whatever the threads") {
  Model m("flat,fc200,relu,fc100,relu,fc10", {1, 20, 20}, 10);
  m.init(3);
  apply_smallworld(m, SmallWorldOptions{0.01, {0.05}, 3});
  set_threads(1);
  const NetworkMetrics a = structure_metrics(m, 7);
  set_threads(2);
  const NetworkMetrics b = structure_metrics(m, 7);
  set_threads(0);
  CHECK(a.layers[0].clustering > 2 * a.layers[0].clustering_random);
  CHECK(a.layers[0].small_world_sigma > 1.0);
  CHECK(a.path_length == b.path_length);
  CHECK(a.clustering == b.clustering);
  CHECK(a.clustering_random == b.clustering_random);
  CHECK(metrics_json(a).dump() == metrics_json(b).dump());
}

TEST_CASE("metrics: a conv lattice leaves whole 128 x 128 tiles empty, counted as its unit mask says") {
  // A conv layer's crossbar column o holds filter o, its rows channel c's k x k weights at rows
  // 9c .. 9c + 8, so a lattice of channels is a band of whole kernels: tiles off the band are empty.
  Model m("c128k3p1,c256k3p1,c256k3p1,flat,fc10", {16, 4, 4}, 10);
  m.init(5);
  const std::vector<UnitMask> masks = apply_smallworld(m, SmallWorldOptions{0, {1, 0.1, 0.1, 1}, 5});
  const auto tiles_of = [](const UnitMask& u) {
    std::set<std::pair<int, int>> t;
    for (int o = 0; o < u.n_out; ++o)
      for (int c = 0; c < u.n_in; ++c)
        if (u.at(o, c))
          for (int r = 9 * c; r < 9 * c + 9; ++r) t.insert({r / 128, o / 128});
    return t;
  };
  const NetworkMetrics nm = structure_metrics(m, 1);
  REQUIRE(nm.layers.size() == 4);
  for (int j : {1, 2}) {
    CAPTURE(j);
    CHECK(nm.layers[j].tiles == static_cast<int>(tiles_of(masks[j]).size()));
  }
  CHECK(nm.layers[1].tiles_total == 18);  // 1,152 rows x 256 columns
  CHECK(nm.layers[2].tiles_total == 36);  // 2,304 rows x 256 columns
  CHECK(nm.layers[2].tiles < 24);         // K = 26 of 256 channels: 234 rows of each column
  // Links conv2 -> conv3: tile (a, b) of conv2 feeds tile (a2, b2) of conv3 when a filter u of
  // conv2 in column block b has a weight in row block a and conv3 reads channel u inside (a2, b2).
  std::set<std::tuple<int, int, int, int>> links;
  for (int u = 0; u < masks[1].n_out; ++u)
    for (int c = 0; c < masks[1].n_in; ++c) {
      if (!masks[1].at(u, c)) continue;
      for (int r = 9 * c; r < 9 * c + 9; ++r)
        for (int o = 0; o < masks[2].n_out; ++o) {
          if (!masks[2].at(o, u)) continue;
          for (int r2 = 9 * u; r2 < 9 * u + 9; ++r2) links.insert({r / 128, u / 128, r2 / 128, o / 128});
        }
    }
  CHECK(nm.layers[1].tile_links == static_cast<int>(links.size()));
  CHECK(nm.layers[1].tile_links < nm.layers[1].tiles * nm.layers[2].tiles);
}
