// One meaning of "parameters" (docs/design.md section 8): the nonzero conv and dense weights of
// the model as stored, plus every bias (a unit whose inputs were all pruned keeps its bias),
// plus batch-norm gamma and beta. Counted here by hand, straight from the layers, against
// Model::param_counts, the layer table, the magnitude baseline's reports and their JSON.
#include <doctest/doctest.h>

#include <cstddef>
#include <vector>

#include "fixtures.hpp"
#include "nnc/algo/sweep.hpp"
#include "nnc/cli/prune_report.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/stats.hpp"

using namespace nnc;

namespace {

struct HandCount {
  std::size_t weights_nonzero = 0, biases = 0, dead_units = 0;
};

// Nonzero weights and every bias of the conv and dense layers, and the units left with no
// nonzero input weight.
HandCount count_by_hand(const Model& m) {
  HandCount c;
  for (const auto& l : m.layers()) {
    const Param* w = nullptr;
    const Param* b = nullptr;
    if (const auto* conv = dynamic_cast<const Conv2d*>(l.get())) {
      w = &conv->weight;
      if (conv->has_bias()) b = &conv->bias;
    } else if (const auto* dense = dynamic_cast<const Dense*>(l.get())) {
      w = &dense->weight;
      b = &dense->bias;
    } else {
      continue;
    }
    const std::size_t outs = static_cast<std::size_t>(w->shape[0]), per_out = w->size() / outs;
    for (std::size_t o = 0; o < outs; ++o) {
      std::size_t nz = 0;
      for (std::size_t i = 0; i < per_out; ++i) nz += w->value[static_cast<Eigen::Index>(o * per_out + i)] != 0;
      c.weights_nonzero += nz;
      c.dead_units += nz == 0;
    }
    if (b) c.biases += b->size();
  }
  return c;
}

}  // namespace

TEST_CASE("parameters: nonzero weights plus every bias, a unit without inputs keeping its bias") {
  Model m("c3k3,relu,flat,fc5,relu,fc2", {1, 4, 4}, 2);
  m.init(3);
  auto& fc = dynamic_cast<Dense&>(*m.layers()[3]);
  const std::size_t per_out = fc.weight.size() / 5;
  for (std::size_t i = 0; i < per_out; ++i) fc.weight.value[static_cast<Eigen::Index>(per_out + i)] = 0;  // unit 1
  fc.weight.value[0] = 0;
  const HandCount hand = count_by_hand(m);
  REQUIRE(hand.dead_units == 1);
  const ParamCounts c = m.param_counts();
  CHECK(c.weights_nonzero == hand.weights_nonzero);
  CHECK(c.weights_nonzero == 27 + 12 * 5 + 10 - per_out - 1);
  CHECK(c.biases == 3 + 5 + 2);
  CHECK(c.batch_norm == 0);
  CHECK(c.params() == hand.weights_nonzero + hand.biases);
  CHECK(m.nonzero_param_count() == c.params());
  CHECK(c.dense() == m.param_count());
  std::size_t table = 0;
  for (const auto& s : layer_stats(m)) table += s.nonzero;
  CHECK(table == c.params());

  Model bn("c3k3,bn,relu,flat,fc2", {1, 4, 4}, 2);  // the conv before bn has no bias
  bn.init(1);
  CHECK(bn.param_counts().biases == 2);
  CHECK(bn.param_counts().batch_norm == 6);
  CHECK(bn.nonzero_param_count() == 27 + 6 + 2 * 12 + 2);
}

TEST_CASE("magnitude baseline: the count it reports is the pruned model's nonzero weights plus biases") {
  const Dataset all = test::bars_dataset(400, {1, 12, 12}, 4, 9);
  const Dataset tr = all.slice(0, 300), val = all.slice(300, 400);
  Model m = test::trained_model("c4k3,relu,mp2,flat,fc32,relu,fc4", tr, val, 4, 1);
  MagnitudeBaselineOptions o;
  o.target_params = 150;
  o.finetune = test::small_train_options(1, 0.01, 5);
  std::size_t logged = 0;
  const MagnitudeBaselineResult r = magnitude_baseline(m, {tr, val, val}, o, {}, {}, [&](std::size_t n) { logged = n; });
  const HandCount hand = count_by_hand(m);
  // Units whose every input went: under a count of "live" biases only, these are where the
  // reported and the held counts parted.
  REQUIRE(hand.dead_units > 0);
  const std::size_t held = hand.weights_nonzero + hand.biases;
  CHECK(r.reached == held);
  CHECK(logged == held);
  CHECK(r.pruned.metrics.params == held);
  CHECK(held <= 150u);
  CHECK(held > 140u);
  const Json rec = cli::baseline_record_json(r);
  CHECK(rec.find("params")->dump() == std::to_string(held));
  CHECK(rec.find("weights_nonzero")->dump() == std::to_string(hand.weights_nonzero));
  CHECK(rec.find("biases")->dump() == std::to_string(hand.biases));
  CHECK(rec.find("params_dense")->dump() == std::to_string(m.param_count()));
}
