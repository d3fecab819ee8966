// Random Sparse Adaptation: the balanced selection's row/column counts, density and
// determinism; gradients that reach only the RSA values (finite differences through the chip
// forward); density 0 changes nothing; RSA repairs a faulty model on a small fixture.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "fixtures.hpp"
#include "nnc/algo/rsa.hpp"
#include "nnc/device/chip.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/loss.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/nn/stats.hpp"
#include "nnc/train/train.hpp"

using namespace nnc;

namespace {

// Checks that cells are n distinct cells inside r x c, balanced per row and column if asked.
void check_cells(const std::vector<RsaCell>& cells, int r, int c, std::size_t n, bool balanced) {
  REQUIRE(cells.size() == n);
  std::set<std::pair<int, int>> seen;
  std::vector<std::size_t> rows(static_cast<std::size_t>(r), 0), cols(static_cast<std::size_t>(c), 0);
  for (const RsaCell& x : cells) {
    REQUIRE(x.row >= 0);
    REQUIRE(x.row < r);
    REQUIRE(x.col >= 0);
    REQUIRE(x.col < c);
    REQUIRE(seen.insert({x.row, x.col}).second);
    rows[static_cast<std::size_t>(x.row)]++;
    cols[static_cast<std::size_t>(x.col)]++;
  }
  if (!balanced) return;
  const std::size_t rlo = n / static_cast<std::size_t>(r), clo = n / static_cast<std::size_t>(c);
  for (std::size_t k : rows) CHECK((k == rlo || k == rlo + 1));
  for (std::size_t k : cols) CHECK((k == clo || k == clo + 1));
}

const char* kSpec = "c6k3,bn,relu,mp2,flat,fc24,relu,fc4";

Model trained_model(const Dataset& tr, const Dataset& val) { return test::trained_model(kSpec, tr, val, 3, 3); }

// A chip-like copy of m: in each mapped layer, each weight is zeroed with probability p0 (stuck
// at HRS) or set to +-max|w| with probability p1 (stuck at LRS), and the rest get lognormal
// write noise of sigma.
Model faulty(const Model& m, double p0, double p1, double sigma, std::uint64_t seed) {
  Model f = m;
  for (int li : mapped_layers(f)) {
    Param& w = *f.layers()[static_cast<std::size_t>(li)]->params()[0];
    Real wmax = 0;
    for (Eigen::Index i = 0; i < w.value.size(); ++i) wmax = std::max(wmax, std::abs(w.value[i]));
    Rng rng(seed, {static_cast<std::uint64_t>(li)});
    for (Eigen::Index i = 0; i < w.value.size(); ++i) {
      const double u = rng.uniform();
      if (u < p0) w.value[i] = 0;
      else if (u < p0 + p1) w.value[i] = rng.uniform() < 0.5 ? -wmax : wmax;
      else w.value[i] = static_cast<Real>(w.value[i] * std::exp(sigma * rng.normal()));
    }
  }
  return f;
}

std::vector<Real> all_params(const Model& m) {
  std::vector<Real> out;
  for (const Param* p : m.params()) out.insert(out.end(), p->value.data(), p->value.data() + p->value.size());
  return out;
}

}  // namespace

TEST_CASE("RSA balanced tile selection: counts within one per row and column, distinct, inside") {
  Rng rng(1);
  for (auto [r, c] : {std::pair{1, 1}, {1, 9}, {9, 1}, {3, 7}, {25, 20}, {128, 128}, {128, 37}, {50, 128}, {4, 128}}) {
    const std::size_t total = static_cast<std::size_t>(r) * c;
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{2}, total / 200, total / 100, total / 20,
                          total / 3, total - 1, total}) {
      if (n > total) continue;
      CAPTURE(r);
      CAPTURE(c);
      CAPTURE(n);
      check_cells(balanced_tile_cells(r, c, n, rng), r, c, n, true);
      check_cells(random_tile_cells(r, c, n, rng), r, c, n, false);
    }
  }
  CHECK_THROWS_AS(balanced_tile_cells(2, 2, 5, rng), Error);
}

TEST_CASE("RSA selection: any density, by tile, the same seed gives the same cells") {
  Model m("lenet5", Shape{1, 28, 28}, 10);
  const auto layers = mapped_layers(m);
  REQUIRE(layers.size() == 4);
  const RsaSelection half = select_rsa(m, layers, 0.005, RsaSelectionKind::balanced, 7);
  const RsaSelection one = select_rsa(m, layers, 0.01, RsaSelectionKind::balanced, 7);
  // Densities below 1/128 still select cells, and 0.5% and 1% differ.
  CHECK(half.cells() > 0);
  CHECK(one.cells() > half.cells());
  for (const RsaSelection* sel : {&half, &one}) {
    std::size_t weights = 0, expected = 0;
    for (const RsaLayerCells& l : sel->layers) {
      const auto W = crossbar_matrix(*m.layers()[static_cast<std::size_t>(l.layer)]);
      CHECK(l.rows == W.rows());
      CHECK(l.cols == W.cols());
      weights += static_cast<std::size_t>(W.size());
      CHECK(std::is_sorted(l.index.begin(), l.index.end()));
      CHECK(std::adjacent_find(l.index.begin(), l.index.end()) == l.index.end());
      CHECK(l.index.back() < static_cast<std::uint32_t>(W.size()));
      // Per tile: exactly round(density * tile cells), rows and columns within one.
      for (int r0 = 0; r0 < l.rows; r0 += 128) {
        for (int c0 = 0; c0 < l.cols; c0 += 128) {
          const int r = std::min(128, l.rows - r0), c = std::min(128, l.cols - c0);
          std::vector<RsaCell> in_tile;
          for (std::uint32_t idx : l.index) {
            const int row = static_cast<int>(idx % static_cast<std::uint32_t>(l.rows));
            const int col = static_cast<int>(idx / static_cast<std::uint32_t>(l.rows));
            if (row >= r0 && row < r0 + r && col >= c0 && col < c0 + c) in_tile.push_back({row - r0, col - c0});
          }
          const std::size_t n = static_cast<std::size_t>(std::llround(sel->density * r * c));
          expected += n;
          check_cells(in_tile, r, c, n, true);
        }
      }
    }
    CHECK(sel->cells() == expected);
    // The requested density to within rounding (at most half a cell per tile).
    CHECK(std::fabs(static_cast<double>(sel->cells()) / weights - sel->density) < 0.002);
  }
  const RsaSelection again = select_rsa(m, layers, 0.01, RsaSelectionKind::balanced, 7);
  const RsaSelection other = select_rsa(m, layers, 0.01, RsaSelectionKind::balanced, 8);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    CHECK(again.layers[i].index == one.layers[i].index);
    CHECK(other.layers[i].index != one.layers[i].index);
  }
  CHECK_THROWS_AS(select_rsa(m, {1}, 0.01, RsaSelectionKind::balanced, 7), Error);  // a pool layer
  CHECK_THROWS_AS(select_rsa(m, layers, 1.5, RsaSelectionKind::balanced, 7), Error);
}

namespace {

// FNV-1a over (layer, index) of every cell, each as 4 little-endian bytes.
std::uint64_t selection_hash(const RsaSelection& sel) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::uint32_t v) {
    for (int k = 0; k < 4; ++k) {
      h ^= (v >> (8 * k)) & 0xffu;
      h *= 1099511628211ull;
    }
  };
  for (const RsaLayerCells& l : sel.layers) {
    mix(static_cast<std::uint32_t>(l.layer));
    for (std::uint32_t i : l.index) mix(i);
  }
  return h;
}

}  // namespace

TEST_CASE("RSA selection on a dense model: the cells chosen before unplaced tiles were skipped") {
  // Goldens: the cells of a LeNet-5 chip at density 0.05, --seed 7, hashed from
  // /rsa/layers/NNN/row and col; re-recorded once when the selection stream got its tag
  // (stream::kRsaSelection; before it: 0xce7ffec6072233f2, 0x26b8baa13a7e8586, from commit
  // dd90d09). The selection depends only on the layers' shapes, so an untrained LeNet-5 gives
  // the same cells.
  Model m("lenet5", Shape{1, 28, 28}, 10);
  m.init(1);
  const auto layers = mapped_layers(m);
  const RsaSelection bal = select_rsa(m, layers, 0.05, RsaSelectionKind::balanced, 7);
  const RsaSelection rnd = select_rsa(m, layers, 0.05, RsaSelectionKind::random, 7);
  CHECK(bal.cells() == 21520);
  CHECK(selection_hash(bal) == 0x0b913b867b4265d6ull);
  CHECK(selection_hash(rnd) == 0x64589bd415cdd61dull);
  CHECK(bal.placed() == 431080 - 20 - 50 - 500 - 10);  // every weight position, biases aside
  // A chip of the dense model places every tile: its placed tiles change nothing.
  const ChipState chip = map_to_tiles(m, DeviceParams{}, 1);
  const auto placed = placed_tiles(chip, layers);
  for (const auto& p : placed) CHECK(p.empty());
  CHECK(selection_hash(select_rsa(m, layers, 0.05, RsaSelectionKind::balanced, 7, 128, placed)) == selection_hash(bal));
}

TEST_CASE("RSA cells only in placed tiles") {
  Model m("lenet5", Shape{1, 28, 28}, 10);
  m.init(2);
  // conv2 (layer 2, 500 x 50): tile (0, 0) all zero; fc1 (layer 5, 800 x 500): tile (1, 2) all zero.
  Param& w2 = dynamic_cast<Conv2d&>(*m.layers()[2]).weight;
  for (int c = 0; c < 50; ++c)
    for (int r = 0; r < 128; ++r) w2.value[r + c * 500] = 0;
  Param& w5 = dynamic_cast<Dense&>(*m.layers()[5]).weight;
  for (int c = 256; c < 384; ++c)
    for (int r = 128; r < 256; ++r) w5.value[r + c * 800] = 0;
  const ChipState chip = map_to_tiles(m, DeviceParams{}, 1);
  const auto layers = mapped_layers(m);
  const auto placed = placed_tiles(chip, layers);
  REQUIRE(placed.size() == 4);
  CHECK(placed[0].empty());
  CHECK(placed[1] == std::vector<std::uint8_t>{0, 1, 1, 1});
  REQUIRE(placed[2].size() == 28);
  CHECK(placed[2][1 * 4 + 2] == 0);
  CHECK(std::count(placed[2].begin(), placed[2].end(), 0) == 1);
  CHECK(placed[3].empty());
  auto in_zero_tile = [](int li, int rows, std::uint32_t idx) {
    const int r = static_cast<int>(idx % static_cast<std::uint32_t>(rows)), c = static_cast<int>(idx / static_cast<std::uint32_t>(rows));
    return (li == 2 && r < 128) || (li == 5 && r >= 128 && r < 256 && c >= 256 && c < 384);
  };
  for (RsaSelectionKind kind : {RsaSelectionKind::balanced, RsaSelectionKind::random}) {
    const RsaSelection dense = select_rsa(m, layers, 0.05, kind, 9);
    const RsaSelection sel = select_rsa(m, layers, 0.05, kind, 9, 128, placed);
    REQUIRE(sel.layers.size() == 4);
    std::size_t dropped = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      const RsaLayerCells& l = sel.layers[i];
      for (std::uint32_t idx : l.index) CHECK_FALSE(in_zero_tile(l.layer, l.rows, idx));
      // The placed tiles keep exactly the cells they get when every tile is placed.
      std::vector<std::uint32_t> expect;
      for (std::uint32_t idx : dense.layers[i].index) {
        if (!in_zero_tile(l.layer, l.rows, idx)) expect.push_back(idx);
        else ++dropped;
      }
      CHECK(l.index == expect);
    }
    CHECK(dropped == rsa_cells_for(128, 50, 0.05) + rsa_cells_for(128, 128, 0.05));
    CHECK(sel.cells() + dropped == dense.cells());
    CHECK(sel.layers[1].placed == 500u * 50 - 128 * 50);
    CHECK(sel.layers[2].placed == 800u * 500 - 128 * 128);
    CHECK(sel.placed() == dense.placed() - 128 * 50 - 128 * 128);
    // SRAM only for the cells placed.
    const RsaState st = init_rsa(m, sel, RsaMode::additive, 0.01, 0, 1);
    CHECK(st.sram_bytes() == 4 * sel.cells());
  }
  // The selection grid must be the chip's where tiles are missing.
  CHECK_THROWS_AS(select_rsa(m, layers, 0.05, RsaSelectionKind::balanced, 9, 64, placed), Error);
  CHECK_THROWS_AS(select_rsa(m, {0, 2}, 0.05, RsaSelectionKind::balanced, 9, 128, placed), Error);
}

TEST_CASE("RSA balanced cells spread over the tile, random selection is not balanced") {
  // The switches randomize the band pattern: over 40 seeds, each quadrant of a 128 x 128 tile
  // at 5% holds close to a quarter of the cells, and two rows rarely share columns.
  const std::size_t n = rsa_cells_for(128, 128, 0.05);
  double quadrant[4] = {0, 0, 0, 0};
  double shared = 0;
  for (std::uint64_t s = 0; s < 40; ++s) {
    Rng rng(s);
    const auto cells = balanced_tile_cells(128, 128, n, rng);
    std::vector<std::set<int>> by_row(128);
    for (const RsaCell& x : cells) {
      quadrant[(x.row >= 64 ? 2 : 0) + (x.col >= 64 ? 1 : 0)] += 1;
      by_row[static_cast<std::size_t>(x.row)].insert(x.col);
    }
    for (int a = 0; a + 1 < 128; ++a) {
      for (int col : by_row[static_cast<std::size_t>(a)]) shared += by_row[static_cast<std::size_t>(a) + 1].count(col);
    }
  }
  for (double q : quadrant) CHECK(std::fabs(q / (40.0 * n) - 0.25) < 0.02);
  // Independent placement: about 127 * 6.4 * 6.4/128 = 40 shared per tile.
  CHECK(shared / 40 < 60);
  Rng rng(3);
  const auto random = random_tile_cells(128, 128, n, rng);
  std::vector<int> rows(128, 0);
  for (const RsaCell& x : random) rows[static_cast<std::size_t>(x.row)]++;
  CHECK(*std::max_element(rows.begin(), rows.end()) - *std::min_element(rows.begin(), rows.end()) > 1);
}

TEST_CASE("RSA gradients reach only the RSA values and match finite differences") {
  const Dataset data = test::bars_dataset(64);
  // No relu or max pooling: their kinks would spoil finite differences, and they are checked
  // in test_nn; what is checked here is the scatter and gather through a frozen chip forward.
  Model chip("c6k3,bn,ap2,flat,fc24,fc4", data.shape, data.classes);
  chip.init(5);
  // Non-trivial batch-norm statistics, so the frozen path is exercised.
  auto* bn = dynamic_cast<BatchNorm*>(chip.layers()[1].get());
  REQUIRE(bn != nullptr);
  for (Eigen::Index i = 0; i < bn->running_mean.value.size(); ++i) {
    bn->running_mean.value[i] = 0.1f * static_cast<Real>(i);
    bn->running_var.value[i] = 0.5f + 0.2f * static_cast<Real>(i);
  }
  const RsaSelection sel = select_rsa(chip, mapped_layers(chip), 0.05, RsaSelectionKind::balanced, 4);
  REQUIRE(sel.cells() > 10);
  Tensor x(16, data.shape);
  std::vector<int> labels(16);
  std::vector<std::size_t> idx(16);
  for (std::size_t i = 0; i < 16; ++i) idx[i] = i;
  fill_batch(data, idx.data(), 16, x, labels.data());

  for (RsaMode mode : {RsaMode::additive, RsaMode::replace}) {
    CAPTURE(to_string(mode));
    RsaState st = init_rsa(chip, sel, mode, 0.5, 0, 9);
    const auto before = all_params(chip);
    const auto grad = rsa_gradient(chip, st, x, labels.data());
    CHECK(all_params(chip) == before);  // the chip is restored
    auto loss = [&](const RsaState& s) {
      Model m = chip;
      apply_rsa(m, s);
      for (auto& l : m.layers())
        if (auto* b = dynamic_cast<BatchNorm*>(l.get())) b->frozen = true;
      const Tensor& logits = m.forward(x, ForwardContext{true, 0, 0, 0});
      return softmax_cross_entropy(logits, labels.data(), nullptr).loss / 16.0;
    };
    const double eps = 1e-2;
    int checked = 0;
    double magnitude = 0;
    for (std::size_t li = 0; li < st.values.size(); ++li) {
      REQUIRE(grad[li].size() == st.values[li].value.size());
      for (std::size_t k = 0; k < grad[li].size(); k += 3) {
        RsaState p = st, q = st;
        p.values[li].value[k] += static_cast<Real>(eps);
        q.values[li].value[k] -= static_cast<Real>(eps);
        const double numeric = (loss(p) - loss(q)) / (2 * eps);
        CHECK(std::fabs(grad[li][k] - numeric) <= 1e-4 + 2e-2 * std::fabs(numeric));
        magnitude += std::fabs(numeric);
        ++checked;
      }
    }
    CHECK(checked > 10);
    CHECK(magnitude / checked > 1e-3);  // the gradients are large against the tolerance

    // A few training steps change only the weights at RSA cells of the effective model; the
    // chip model itself, biases and batch norm are untouched.
    RsaTrainOptions o;
    o.epochs = 1;
    o.batch = 16;
    o.lr = 0.1;
    const RsaState start = st;
    adapt_rsa(chip, st, data, Dataset{}, o, RsaTimeModel{});
    CHECK(all_params(chip) == before);
    bool moved = false;
    for (std::size_t li = 0; li < st.values.size(); ++li) moved |= st.values[li].value != start.values[li].value;
    CHECK(moved);
    Model eff = chip;
    apply_rsa(eff, st);
    std::size_t differing = 0, outside = 0;
    for (std::size_t li = 0; li < eff.layers().size(); ++li) {
      auto pe = eff.layers()[li]->params();
      auto pc = chip.layers()[li]->params();
      for (std::size_t pi = 0; pi < pe.size(); ++pi) {
        const RsaLayerCells* cells = nullptr;
        for (const auto& l : st.selection.layers)
          if (l.layer == static_cast<int>(li) && pi == 0) cells = &l;
        for (Eigen::Index i = 0; i < pe[pi]->value.size(); ++i) {
          if (pe[pi]->value[i] == pc[pi]->value[i]) continue;
          ++differing;
          if (!cells || !std::binary_search(cells->index.begin(), cells->index.end(), static_cast<std::uint32_t>(i))) ++outside;
        }
      }
    }
    CHECK(differing > 0);
    CHECK(outside == 0);
  }
}

TEST_CASE("RSA density 0 leaves the chip and its accuracy unchanged") {
  const Dataset data = test::bars_dataset(400);
  const auto [tr, val] = split_validation(data, 100);
  const Model m = trained_model(tr, val);
  const Model chip = faulty(m, 0.2, 0.05, 0.3, 1);
  RsaState st = init_rsa(m, select_rsa(chip, mapped_layers(chip), 0.0, RsaSelectionKind::balanced, 1),
                         RsaMode::additive, 0.01, 0, 1);
  CHECK(st.cells() == 0);
  CHECK(st.sram_bytes() == 0);
  RsaTrainOptions o;
  o.epochs = 2;
  o.batch = 16;
  const RsaReport rep = adapt_rsa(chip, st, tr, val, o, RsaTimeModel{});
  REQUIRE(rep.points.size() >= 2);
  for (const RsaPoint& p : rep.points) CHECK(p.val_accuracy == rep.points.front().val_accuracy);
  Model eff = chip;
  apply_rsa(eff, st);
  CHECK(all_params(eff) == all_params(chip));
}

TEST_CASE("RSA repairs a faulty model on the fixture, the same whatever the thread count") {
  const Dataset data = test::bars_dataset(1200, Shape{1, 12, 12}, 4, 11);
  const auto [tr, val] = split_validation(data, 300);
  Model m = trained_model(tr, val);
  const double ideal = evaluate(m, val).accuracy;
  Model chip = faulty(m, 0.3, 0.1, 0.5, 2);
  const double broken = evaluate(chip, val).accuracy;
  CAPTURE(ideal);
  CAPTURE(broken);
  REQUIRE(ideal > 0.9);
  REQUIRE(broken < ideal - 0.1);  // the faults hurt, so there is something to repair
  std::vector<Real> values[2];
  for (int threads : {1, 2}) {
    set_threads(threads);
    RsaState st = init_rsa(m, select_rsa(chip, mapped_layers(chip), 0.1, RsaSelectionKind::balanced, 3),
                           RsaMode::additive, 0.01, 0, 3);
    RsaTrainOptions o;
    o.epochs = 3;
    o.batch = 16;
    o.lr = 0.05;
    const RsaReport rep = adapt_rsa(chip, st, tr, val, o, RsaTimeModel{});
    REQUIRE(rep.points.size() >= 2);
    CHECK(rep.points.front().val_accuracy == doctest::Approx(broken));
    CHECK(rep.points.back().val_accuracy > broken + 0.05);
    CHECK(rep.points.back().time_s == doctest::Approx(rep.time_s));
    for (const auto& v : st.values) values[threads - 1].insert(values[threads - 1].end(), v.value.begin(), v.value.end());
  }
  set_threads(0);
  CHECK(values[0] == values[1]);
}

TEST_CASE("RSA with Adam: the first step moves each cell by lr, and it repairs the fixture at any thread count") {
  const Dataset data = test::bars_dataset(1200, Shape{1, 12, 12}, 4, 11);
  const auto [tr, val] = split_validation(data, 300);
  const Model m = trained_model(tr, val);
  Model chip = faulty(m, 0.3, 0.1, 0.5, 2);
  const double broken = evaluate(chip, val).accuracy;
  const auto fresh = [&] {
    return init_rsa(m, select_rsa(chip, mapped_layers(chip), 0.1, RsaSelectionKind::balanced, 3), RsaMode::additive,
                    0.01, 0, 3);
  };
  RsaTrainOptions o;
  o.optimizer = "adam";
  o.lr = 0.002;
  SUBCASE("one step: |m / sqrt(v)| is 1 after bias correction, whatever the gradient's scale") {
    o.epochs = 1;
    o.batch = static_cast<int>(tr.size());  // one step
    const RsaState before = fresh();
    RsaState after = before;
    adapt_rsa(chip, after, tr, val, o, RsaTimeModel{});
    std::size_t moved_by_lr = 0, beyond_lr = 0, cells = 0;
    for (std::size_t i = 0; i < after.values.size(); ++i) {
      for (std::size_t k = 0; k < after.values[i].value.size(); ++k) {
        const double d = std::abs(static_cast<double>(after.values[i].value[k]) - before.values[i].value[k]);
        moved_by_lr += std::abs(d - o.lr) < 1e-3 * o.lr;
        beyond_lr += d > o.lr * (1 + 1e-4);
        ++cells;
      }
    }
    CAPTURE(cells);
    CHECK(beyond_lr == 0);  // |g| / (|g| + eps) <= 1: less only where |g| is near eps or 0
    CHECK(moved_by_lr > cells / 2);
  }
  SUBCASE("three epochs repair the chip, the same values at 1 and 2 threads") {
    o.epochs = 3;
    o.batch = 16;
    std::vector<Real> values[2];
    for (int threads : {1, 2}) {
      set_threads(threads);
      RsaState st = fresh();
      const RsaReport rep = adapt_rsa(chip, st, tr, val, o, RsaTimeModel{});
      CHECK(rep.points.back().val_accuracy > broken + 0.05);
      for (const auto& v : st.values) values[threads - 1].insert(values[threads - 1].end(), v.value.begin(), v.value.end());
    }
    set_threads(0);
    CHECK(values[0] == values[1]);
  }
  SUBCASE("an unknown optimizer, or beta1 of 1, is refused") {
    RsaState st = fresh();
    o.optimizer = "lbfgs";
    CHECK_THROWS_WITH(adapt_rsa(chip, st, tr, val, o, RsaTimeModel{}), doctest::Contains("not sgd or adam"));
    o.optimizer = "adam";
    o.momentum = 1;
    CHECK_THROWS_WITH(adapt_rsa(chip, st, tr, val, o, RsaTimeModel{}), doctest::Contains("beta1"));
  }
}

TEST_CASE("RSA replace mode starts from the pretrained weights, quantized cells stay on their grid") {
  Model m(kSpec, Shape{1, 12, 12}, 4);
  m.init(2);
  const RsaSelection sel = select_rsa(m, mapped_layers(m), 0.1, RsaSelectionKind::balanced, 5);
  const RsaState rep = init_rsa(m, sel, RsaMode::replace, 0.01, 0, 5);
  Model zeroed = m;
  for (int li : mapped_layers(zeroed)) zeroed.layers()[static_cast<std::size_t>(li)]->params()[0]->value.setZero();
  apply_rsa(zeroed, rep);  // replace on a dead chip puts the pretrained weights back at the cells
  for (const RsaLayerCells& l : sel.layers) {
    const Param& w0 = *m.layers()[static_cast<std::size_t>(l.layer)]->params()[0];
    const Param& w1 = *zeroed.layers()[static_cast<std::size_t>(l.layer)]->params()[0];
    for (std::uint32_t i : l.index) CHECK(w1.value[i] == w0.value[i]);
    CHECK(static_cast<std::size_t>((w1.value.array() != 0).count()) <= l.index.size());
  }
  const RsaState q = init_rsa(m, sel, RsaMode::replace, 0.01, 4, 5);
  for (std::size_t li = 0; li < q.values.size(); ++li) {
    REQUIRE(q.values[li].step > 0);
    for (Real v : q.values[li].value) {
      const double k = v / q.values[li].step;
      CHECK(std::fabs(k - std::round(k)) < 1e-4);
      CHECK(std::fabs(k) <= 7.0001);
    }
    CHECK(q.layer_sram_bytes(li) == (4 * sel.layers[li].index.size() + 7) / 8);
  }
  CHECK(rep.sram_bytes() == 4 * sel.cells());
  CHECK_THROWS_AS(init_rsa(m, sel, RsaMode::replace, 0.01, 1, 5), Error);
}

TEST_CASE("RSA time model: crossbar reads per sample and per step for LeNet-5") {
  Model m("lenet5", Shape{1, 28, 28}, 10);
  // conv1 24x24 outputs, conv2 8x8, fc1 and fc2 one each.
  CHECK(crossbar_reads_per_sample(m, mapped_layers(m)) == 576 + 64 + 1 + 1);
  RsaTimeModel t;
  CHECK(rsa_step_seconds(642, 64, 1000, t) == doctest::Approx(2 * 64 * 642 * 100e-9 + 1000 * 1e-9));
}
