// RSA on a programmed chip (algo/rsa_chip) and the R-V-W comparison beside it
// (algo/rvw_compare): the flow gives what its parts give when called by hand, density 0 trains
// nothing, a selection tile other than the chip's is refused when tiles are unplaced, and R-V-W
// is the same chip programmed with read-verify-write.
#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "nnc/algo/rsa_chip.hpp"
#include "nnc/algo/rvw_compare.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/layers.hpp"

using namespace nnc;

namespace {

const char* kSpec = "c4k3,bn,relu,mp2,flat,fc8,relu,fc4";

DeviceParams noisy_device() {
  DeviceParams d;
  d.sigma = 0.4;
  d.tile = 16;
  return d;
}

ChipRsaOptions rsa_options(double density) {
  ChipRsaOptions o;
  o.density = density;
  o.seed = 3;
  o.train.epochs = 1;
  o.train.batch = 16;
  o.train.lr = 0.05;
  o.train.seed = 3;
  return o;
}

// 400 bars images (data seed `data`) as 300 for training and 100 for validation, a model of
// kSpec trained on them for `epochs`, and a chip programmed from it (seed `chip_seed`).
struct Fitted {
  Dataset tr, val;
  Model model;
  ChipState chip;
};

Fitted fitted(std::uint64_t data, int epochs, std::uint64_t chip_seed) {
  const Dataset all = test::bars_dataset(400, {1, 12, 12}, 4, data);
  Fitted f{all.slice(0, 300), all.slice(300, 400), Model(), ChipState()};
  f.model = test::trained_model(kSpec, f.tr, f.val, 3, epochs);
  f.chip = program_chip(f.model, noisy_device(), chip_seed);
  return f;
}

std::vector<int> layers_of(const ChipState& chip) {
  std::vector<int> v;
  for (const LayerChip& lc : chip.layers) v.push_back(lc.layer);
  return v;
}

}  // namespace

TEST_CASE("time_to_reach: the first point at or above the accuracy") {
  const std::vector<RsaPoint> points{{0, 0.0, 0.5, 0}, {10, 1.0, 0.7, 0}, {20, 2.0, 0.65, 0}, {30, 3.0, 0.9, 0}};
  CHECK(time_to_reach(points, 0.4) == 0.0);
  CHECK(time_to_reach(points, 0.7) == 1.0);  // exactly reached
  CHECK(time_to_reach(points, 0.66) == 1.0);  // the first crossing, though a later point falls back
  CHECK(time_to_reach(points, 0.8) == 3.0);
  CHECK_FALSE(time_to_reach(points, 0.95));
  CHECK_FALSE(time_to_reach({}, 0.0));
}

TEST_CASE("chip RSA flow: the same cells, accuracies and training as its parts called by hand") {
  const Dataset all = test::bars_dataset(500, {1, 12, 12}, 4, 13);
  const Dataset tr = all.slice(0, 300), val = all.slice(300, 400), test_set = all.slice(400, 500);
  const Model m = test::trained_model(kSpec, tr, val, 3, 2);
  ChipState chip = program_chip(m, noisy_device(), 5);
  CHECK_FALSE(leaves_tiles_unplaced(chip));

  ChipRsa a = select_chip_rsa(chip, m, tr, test_set, rsa_options(0.1));
  const std::vector<int> layers = layers_of(chip);
  RsaState st = init_rsa(m, select_rsa(m, layers, 0.1, RsaSelectionKind::balanced, 3, 16, placed_tiles(chip, layers)),
                         RsaMode::additive, 0.01, 0, 3);
  REQUIRE(st.cells() > 0);
  CHECK(a.record.state.cells() == st.cells());
  for (std::size_t i = 0; i < st.values.size(); ++i) {
    CHECK(a.record.state.selection.layers[i].index == st.selection.layers[i].index);
    CHECK(a.record.state.values[i].value == st.values[i].value);
  }
  CHECK(a.layers == layers);
  std::size_t weights = 0;
  for (const LayerChip& lc : chip.layers) weights += lc.size();
  CHECK(a.weights == weights);
  CHECK(a.placed_weights == weights);  // every tile placed
  CHECK(a.cells_percent == doctest::Approx(100.0 * st.cells() / weights));
  Model rram = read_back_weights(chip, m);
  CHECK(a.accuracy_before == evaluate(rram, test_set).accuracy);
  CHECK(a.accuracy_bn == a.accuracy_before);
  CHECK(a.record.time.t_mvm_s == chip.device.t_mvm_s);
  CHECK(a.steps(tr.size()) == 300u / 16);

  adapt_chip_rsa(a, tr, val, test_set);
  const RsaReport rep = adapt_rsa(rram, st, tr, val, rsa_options(0.1).train, a.record.time);
  CHECK(a.record.report.steps == rep.steps);
  CHECK(a.record.report.time_s == rep.time_s);
  for (std::size_t i = 0; i < st.values.size(); ++i) CHECK(a.record.state.values[i].value == st.values[i].value);
  Model adapted = rram;
  apply_rsa(adapted, st);
  CHECK(a.accuracy_after == evaluate(adapted, test_set).accuracy);

  // Batch norm recalibrated on the chip: recorded, evaluated, and different statistics.
  ChipRsa b = select_chip_rsa(chip, m, tr, test_set, rsa_options(0.1));
  recalibrate_chip_bn(b, chip, tr, test_set);
  REQUIRE(b.record.bn_recalibration);
  CHECK(b.record.bn_recalibration->layers == 1);
  CHECK(b.accuracy_bn == evaluate(b.rram, test_set).accuracy);
  CHECK(b.accuracy_before == a.accuracy_before);
}

TEST_CASE("chip RSA flow: a cosine schedule trains differently from a constant one and is recorded") {
  auto [tr, val, m, chip] = fitted(13, 2, 5);
  ChipRsa constant = select_chip_rsa(chip, m, tr, val, rsa_options(0.1));
  ChipRsaOptions o = rsa_options(0.1);
  o.train.schedule = "cosine";
  ChipRsa cosine = select_chip_rsa(chip, m, tr, val, o);
  adapt_chip_rsa(constant, tr, val, val);
  adapt_chip_rsa(cosine, tr, val, val);
  CHECK(cosine.record.options.schedule == "cosine");
  CHECK(cosine.record.report.steps == constant.record.report.steps);
  CHECK(cosine.record.report.points.front().val_accuracy == constant.record.report.points.front().val_accuracy);
  CHECK(cosine.record.state.values[0].value != constant.record.state.values[0].value);
  o.train.schedule = "linear";
  ChipRsa unknown = select_chip_rsa(chip, m, tr, val, o);
  CHECK_THROWS_AS(adapt_chip_rsa(unknown, tr, val, val), Error);
}

TEST_CASE("chip RSA flow: density 0 trains nothing and changes nothing") {
  auto [tr, val, m, chip] = fitted(17, 1, 6);
  ChipRsa a = select_chip_rsa(chip, m, tr, val, rsa_options(0.0));
  CHECK(a.record.state.cells() == 0);
  CHECK(a.record.options.epochs == 0);
  CHECK(a.steps(tr.size()) == 0);
  adapt_chip_rsa(a, tr, val, val);
  CHECK(a.record.report.steps == 0);
  CHECK(a.record.report.time_s == 0);
  CHECK(a.accuracy_after == a.accuracy_before);
}

TEST_CASE("chip RSA flow: a selection tile other than the chip's needs every tile placed") {
  Model m("flat,fc8,relu,fc4", {1, 12, 12}, 4);
  m.init(2);
  ChipState dense_chip = program_chip(m, noisy_device(), 1);
  const Dataset data = test::bars_dataset(64, {1, 12, 12}, 4, 1);
  ChipRsaOptions o = rsa_options(0.1);
  o.tile = 8;
  CHECK(select_chip_rsa(dense_chip, m, data, data, o).record.state.selection.tile == 8);
  // Inputs 0..15 of fc8 all zero: the chip's first tile row of that layer is not placed.
  Param& w = dynamic_cast<Dense&>(*m.layers()[1]).weight;
  for (int c = 0; c < 8; ++c)
    for (int r = 0; r < 16; ++r) w.value[r + c * 144] = 0;
  ChipState chip = program_chip(m, noisy_device(), 1);
  CHECK(leaves_tiles_unplaced(chip));
  const std::string msg = test::error_of([&] { select_chip_rsa(chip, m, data, data, o); });
  CHECK(msg == "selection tile 8 differs from the chip's tile 16 and the chip leaves tiles unplaced");
  o.tile = 0;  // the chip's
  const ChipRsa a = select_chip_rsa(chip, m, data, data, o);
  CHECK(a.placed_weights == a.weights - 16 * 8);
}

TEST_CASE("compare_with_rvw: the same chip programmed with read-verify-write") {
  const Dataset all = test::bars_dataset(400, {1, 12, 12}, 4, 19);
  const Dataset tr = all.slice(0, 300), val = all.slice(300, 400);
  const Model m = test::trained_model(kSpec, tr, val, 3, 2);
  const DeviceParams d = noisy_device();
  const ChipState chip = program_chip(m, d, 8);
  RsaReport rsa;
  rsa.points = {{0, 0.0, 0.0, 0}, {5, 0.25, 2.0, 0}};  // the second reaches any accuracy
  const RvwComparison c = compare_with_rvw(chip, m, Tensor(), val, val, 50, rsa);

  DeviceParams r = d;
  r.method = "rvw";
  const ChipState rvw = program_chip(m, r, 8);
  CHECK(c.pulses == rvw.pulses());
  CHECK(c.pulses > 0);
  CHECK(c.time_s == rvw.time_s());
  CHECK(c.t_write_s == d.t_write_s);
  CHECK(c.t_read_s == d.t_read_s);
  Model back = read_back_weights(rvw, m);
  CHECK(c.test_accuracy == evaluate(back, val).accuracy);
  CHECK(c.val_accuracy == evaluate(back, val, 50).accuracy);
  REQUIRE(c.rsa_time_to_rvw_val_accuracy_s);
  CHECK(*c.rsa_time_to_rvw_val_accuracy_s == (c.val_accuracy > 0 ? 0.25 : 0.0));
  // R-V-W repairs write variation: at least as good as the one-shot chip here.
  Model oneshot = read_back_weights(chip, m);
  CHECK(c.test_accuracy >= evaluate(oneshot, val).accuracy - 0.05);
}
