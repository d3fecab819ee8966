// RRAM device model and chip files: quantization bound of an ideal chip, fault and write
// statistics, read-verify-write's guarantees, determinism across thread counts, shared fault
// map and first write between one-shot and R-V-W, parameter checks and chip-file round trips.
#include <doctest/doctest.h>

#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "nnc/device/adc.hpp"
#include "nnc/device/chip.hpp"
#include "nnc/algo/chip_eval.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/algo/rsa.hpp"
#include "nnc/io/chip.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/nn/stats.hpp"
#include "fixtures.hpp"

using namespace nnc;

namespace {

using test::make_model;

DeviceParams ideal_device(int levels = 4096) {
  DeviceParams d;
  d.sigma = 0;
  d.p_sf0 = d.p_sf1 = 0;
  d.levels = levels;
  return d;
}

Tensor inputs(int n, Shape s, std::uint64_t seed) {
  Tensor t(n, s);
  Rng rng(seed);
  for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<Real>(rng.uniform() * 2 - 1);
  return t;
}

ChipArtifact artifact(const Model& m, const ChipState& chip) { return test::chip_artifact(m, chip); }

}  // namespace

TEST_CASE("device: an ideal chip computes its model's outputs within the quantization bound") {
  // Dense only, so the output bound is exact: |dy| <= sum_i |x_i| * w_max / (2 (L - 1)).
  const Model m = make_model("flat,fc7", {1, 5, 5}, 7);
  DeviceParams d = ideal_device();
  d.tile = 4;  // several tiles, partial tiles at the edges
  const ChipState chip = program_chip(m, d, 11);
  REQUIRE(chip.layers.size() == 1);
  const LayerChip& lc = chip.layers[0];
  CHECK(lc.tile_rows == 7);
  CHECK(lc.tile_cols == 2);
  Model on_chip = read_back_weights(chip, m);
  Model ref = m;
  const double delta = lc.w_max / (2.0 * (d.levels - 1));
  const ConstMatrixMap w = crossbar_matrix(*ref.layers()[1]), wc = crossbar_matrix(*on_chip.layers()[1]);
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    CHECK(std::fabs(w.data()[i] - wc.data()[i]) <= delta * (1 + 1e-3) + 1e-7);
  }
  const Tensor x = inputs(9, {1, 5, 5}, 5);
  const Tensor y = ref.forward(x, {});
  const Tensor yc = on_chip.forward(x, {});
  for (int n = 0; n < x.n(); ++n) {
    double l1 = 0;
    for (std::size_t i = 0; i < x.sample_size(); ++i) l1 += std::fabs(x.sample(n)[i]);
    for (std::size_t k = 0; k < y.sample_size(); ++k) {
      CHECK(std::fabs(y.sample(n)[k] - yc.sample(n)[k]) <= l1 * delta * (1 + 1e-3) + 1e-5);
    }
  }
  // A conv network: every weight within the bound, and the same predictions.
  const Model cm = make_model("c4k3,relu,mp2,flat,fc5", {2, 8, 8}, 5);
  const ChipState cchip = program_chip(cm, d, 12);
  Model cc = read_back_weights(cchip, cm);
  Model cref = cm;
  for (const LayerChip& l : cchip.layers) {
    const ConstMatrixMap a = crossbar_matrix(*cref.layers()[std::size_t(l.layer)]);
    const ConstMatrixMap b = crossbar_matrix(*cc.layers()[std::size_t(l.layer)]);
    CHECK((a - b).cwiseAbs().maxCoeff() <= l.w_max / (2.0 * (d.levels - 1)) * (1 + 1e-3) + 1e-7);
  }
  const Tensor cx = inputs(16, {2, 8, 8}, 6);
  const Tensor cy = cref.forward(cx, {});
  const Tensor ccy = cc.forward(cx, {});
  CHECK((cy.mat() - ccy.mat()).cwiseAbs().maxCoeff() < 1e-2 * (cy.mat().cwiseAbs().maxCoeff() + 1));
}

TEST_CASE("device: fault rates fall in the 99.9% binomial interval, write variation is lognormal(0, sigma)") {
  const Model m = make_model("flat,fc256", {1, 16, 16}, 256);
  DeviceParams d;
  d.sigma = 0.3;
  d.clip = false;  // the variation itself; clipping (the default) is tested below
  const ChipState chip = program_chip(m, d, 21);
  const LayerChip& lc = chip.layers[0];
  const double n = 2.0 * double(lc.size());
  std::size_t sf1 = 0, sf0 = 0;
  double sum = 0, sum2 = 0;
  std::size_t ok = 0;
  for (std::size_t k = 0; k < lc.size(); ++k) {
    const int level = lc.target_level[k];
    for (int cell = 0; cell < 2; ++cell) {
      const std::uint8_t f = cell ? lc.fault_minus[k] : lc.fault_plus[k];
      const float g = cell ? lc.g_minus[k] : lc.g_plus[k];
      sf1 += f == kFaultSF1;
      sf0 += f == kFaultSF0;
      if (f == kFaultSF1) CHECK(g == float(d.g_off_siemens));
      if (f == kFaultSF0) CHECK(g == float(d.g_on_siemens));
      if (f != kFaultNone) continue;
      const double target = d.level_siemens(std::max(cell ? -level : level, 0));
      const double lr = std::log(double(g) / target);
      sum += lr;
      sum2 += lr * lr;
      ++ok;
    }
  }
  for (auto [count, p] : {std::pair{sf1, d.p_sf1}, {sf0, d.p_sf0}}) {
    const double half = 3.2905 * std::sqrt(n * p * (1 - p));  // two-sided 99.9%
    CHECK(std::fabs(double(count) - n * p) <= half);
  }
  const double mean = sum / double(ok), sd = std::sqrt(sum2 / double(ok) - mean * mean);
  CHECK(std::fabs(mean) < 4 * d.sigma / std::sqrt(double(ok)));
  CHECK(std::fabs(sd - d.sigma) < 4 * d.sigma / std::sqrt(2.0 * double(ok)));
  // Swapped rates really swap which state the common fault is.
  DeviceParams s = d;
  std::swap(s.p_sf0, s.p_sf1);
  const auto stats = chip_stats(program_chip(m, s, 21));
  CHECK(stats[0].sf0 > 3 * stats[0].sf1);
}

TEST_CASE("device: written conductances are clipped to [G_off, G_on] by default, not with clip off") {
  const Model m = make_model("flat,fc256", {1, 16, 16}, 256);
  DeviceParams d;
  d.sigma = 0.5;
  CHECK(d.clip);
  const auto outside = [&](const DeviceParams& p) {
    const LayerChip lc = program_chip(m, p, 4).layers[0];
    std::size_t n = 0;
    for (std::size_t k = 0; k < lc.size(); ++k) {
      for (float g : {lc.g_plus[k], lc.g_minus[k]}) n += g < float(p.g_off_siemens) || g > float(p.g_on_siemens);
    }
    return n;
  };
  CHECK(outside(d) == 0);
  d.clip = false;
  CHECK(outside(d) > 100);
}

TEST_CASE("device: read-verify-write leaves stuck cells alone and converges or stops at the pulse limit") {
  const Model m = make_model("c8k3,relu,flat,fc10", {3, 10, 10}, 10);
  DeviceParams d;
  d.sigma = 0.5;
  d.p_sf0 = 0.05;
  d.p_sf1 = 0.1;
  d.max_pulses = 6;
  d.tile = 32;
  ChipState oneshot = map_to_tiles(m, d, 5);
  program_oneshot(oneshot);
  ChipState rvw = oneshot;
  read_verify_write(m, rvw);
  const double half = d.level_step_siemens() / 2;
  std::uint64_t pulses = 0;
  int at_limit = 0, converged_late = 0;
  for (std::size_t l = 0; l < rvw.layers.size(); ++l) {
    const LayerChip& a = oneshot.layers[l];
    const LayerChip& b = rvw.layers[l];
    double layer_pulses = 0;
    for (std::size_t k = 0; k < b.size(); ++k) {
      CHECK(a.fault_plus[k] == b.fault_plus[k]);
      for (int cell = 0; cell < 2; ++cell) {
        const std::uint8_t f = cell ? b.fault_minus[k] : b.fault_plus[k];
        const float g0 = cell ? a.g_minus[k] : a.g_plus[k];
        const float g = cell ? b.g_minus[k] : b.g_plus[k];
        const int p = cell ? b.pulses_minus[k] : b.pulses_plus[k];
        const double target = d.level_siemens(std::max(cell ? -b.target_level[k] : b.target_level[k], 0));
        REQUIRE(p >= 1);
        layer_pulses += p;
        if (f != kFaultNone) {
          CHECK(g == g0);
          const bool stuck_near = std::fabs(double(g) - target) <= half;
          CHECK((stuck_near || p == d.max_pulses));
        } else {
          CHECK((std::fabs(double(g) - target) <= half || p == d.max_pulses));
          at_limit += p == d.max_pulses;
          converged_late += p > 1 && p < d.max_pulses;
        }
      }
    }
    pulses += static_cast<std::uint64_t>(layer_pulses);
    CHECK(b.time_s == doctest::Approx(layer_pulses * (d.t_write_s + d.t_read_s)).epsilon(1e-12));
  }
  CHECK(converged_late > 0);  // sigma 0.5 needs rewrites
  CHECK(rvw.pulses() == pulses);
  CHECK(rvw.time_s() == doctest::Approx(double(pulses) * (d.t_write_s + d.t_read_s)).epsilon(1e-12));

  // --rvw-fraction: only the largest-|w| half is verified; the rest keeps its first write.
  d.rvw_fraction = 0.5;
  ChipState half_chip = oneshot;
  half_chip.device = d;
  read_verify_write(m, half_chip);
  for (std::size_t l = 0; l < half_chip.layers.size(); ++l) {
    const LayerChip& b = half_chip.layers[l];
    const ConstMatrixMap w = crossbar_matrix(*m.layers()[std::size_t(b.layer)]);
    std::size_t verified = 0;
    float smallest_verified = 1e30f, largest_skipped = 0;
    for (std::size_t k = 0; k < b.size(); ++k) {
      const float mag = std::fabs(w.data()[k]);
      if (b.pulses_plus[k] > 0) {
        ++verified;
        smallest_verified = std::min(smallest_verified, mag);
      } else {
        CHECK(b.g_plus[k] == oneshot.layers[l].g_plus[k]);
        CHECK(b.pulses_minus[k] == 0);
        largest_skipped = std::max(largest_skipped, mag);
      }
    }
    CHECK(verified == static_cast<std::size_t>(std::llround(0.5 * double(b.size()))));
    CHECK(smallest_verified >= largest_skipped);
  }
}

TEST_CASE("device: same seed same chip whatever the threads, seeds differ, one-shot and R-V-W share faults and first write") {
  const Model m = make_model("c6k3,relu,mp2,flat,fc10", {1, 12, 12}, 10);
  DeviceParams d;
  d.tile = 16;
  d.method = "rvw";
  set_threads(1);
  const Bytes one = encode_chip(artifact(m, program_chip(m, d, 7)));
  set_threads(2);
  const Bytes two = encode_chip(artifact(m, program_chip(m, d, 7)));
  set_threads(0);
  CHECK(one == two);
  const ChipState a = program_chip(m, d, 7), b = program_chip(m, d, 8);
  CHECK(a.layers[0].g_plus != b.layers[0].g_plus);
  CHECK(a.layers[0].fault_plus != b.layers[0].fault_plus);
  DeviceParams o = d;
  o.method = "oneshot";
  const ChipState s = program_chip(m, o, 7);
  CHECK(!s.verified());
  CHECK(a.verified());
  std::size_t first_write_kept = 0;
  for (std::size_t l = 0; l < a.layers.size(); ++l) {
    CHECK(a.layers[l].fault_plus == s.layers[l].fault_plus);
    CHECK(a.layers[l].fault_minus == s.layers[l].fault_minus);
    for (std::size_t k = 0; k < a.layers[l].size(); ++k) {
      if (a.layers[l].pulses_plus[k] == 1) {  // converged on the first write: identical cell
        CHECK(a.layers[l].g_plus[k] == s.layers[l].g_plus[k]);
        ++first_write_kept;
      }
    }
  }
  CHECK(first_write_kept > 0);
}

TEST_CASE("device: weight scale, digital layers and untouched tiles") {
  Model m = make_model("flat,fc8,relu,fc4", {1, 6, 6}, 4);
  DeviceParams d = ideal_device(5);
  d.w_scale = "p50";
  ChipState chip = map_to_tiles(m, d, 1);
  const ConstMatrixMap w = crossbar_matrix(*m.layers()[1]);
  std::vector<float> mag(w.data(), w.data() + w.size());
  for (auto& v : mag) v = std::fabs(v);
  std::sort(mag.begin(), mag.end());
  CHECK(chip.layers[0].w_max == doctest::Approx(mag[(mag.size() + 1) / 2 - 1]));
  int top = 0;
  for (auto l : chip.layers[0].target_level) top += std::abs(l) == d.levels - 1;
  CHECK(top >= int(mag.size() / 2));  // the larger half is clipped to the top level
  d.w_scale = "max";
  d.digital_layers = "first";
  chip = program_chip(m, d, 1);
  REQUIRE(chip.layers.size() == 1);
  CHECK(chip.layers[0].layer == 3);
  Model back = read_back_weights(chip, m);
  CHECK(crossbar_matrix(*back.layers()[1]) == crossbar_matrix(*m.layers()[1]));
  d.digital_layers = "1,last";
  CHECK(program_chip(m, d, 1).layers.empty());
  d.digital_layers = "2";  // a relu
  CHECK_THROWS_AS(program_chip(m, d, 1), Error);
  // A tile with no nonzero weight is not placed: it reads back 0 and holds no faults.
  d.digital_layers = "";
  d.p_sf0 = 0.5;
  d.tile = 4;
  Param* wp = m.layers()[1]->params()[0];
  for (int c = 0; c < 4; ++c)
    for (int r = 0; r < 4; ++r) wp->value[c * 36 + r] = 0;
  chip = program_chip(m, d, 2);
  CHECK(chip.layers[0].tile_used[0] == 0);
  CHECK(chip.layers[0].tile_used[1] == 1);
  back = read_back_weights(chip, m);
  const ConstMatrixMap wb = crossbar_matrix(*back.layers()[1]);
  CHECK(wb.topLeftCorner(4, 4).cwiseAbs().maxCoeff() == 0);
  CHECK(chip_stats(chip)[0].tiles_used == chip.layers[0].tiles() - 1);
}

TEST_CASE("device: parameters out of range are refused") {
  auto refused = [](auto change) {
    DeviceParams d;
    change(d);
    CHECK_THROWS_AS(d.validate(), Error);
  };
  DeviceParams ok;
  CHECK_NOTHROW(ok.validate());
  refused([](DeviceParams& d) { d.levels = 1; });
  refused([](DeviceParams& d) { d.sigma = -0.1; });
  refused([](DeviceParams& d) { d.p_sf0 = -0.01; });
  refused([](DeviceParams& d) { d.p_sf1 = 1.5; });
  refused([](DeviceParams& d) { d.p_sf0 = 0.6; d.p_sf1 = 0.6; });
  refused([](DeviceParams& d) { d.g_off_siemens = d.g_on_siemens; });
  refused([](DeviceParams& d) { d.tile = 0; });
  refused([](DeviceParams& d) { d.w_scale = "p0"; });
  refused([](DeviceParams& d) { d.w_scale = "p101"; });
  refused([](DeviceParams& d) { d.w_scale = "median"; });
  refused([](DeviceParams& d) { d.method = "twoshot"; });
  refused([](DeviceParams& d) { d.max_pulses = 0; });
  refused([](DeviceParams& d) { d.rvw_fraction = 1.1; });
  refused([](DeviceParams& d) { d.digital_layers = "first,x"; });
  refused([](DeviceParams& d) { d.t_write_s = -1; });
}

TEST_CASE("device: chip files round-trip and refuse models and mismatched model parts") {
  const Model m = make_model("c4k3,relu,flat,fc6", {1, 7, 7}, 6);
  DeviceParams d;
  d.method = "rvw";
  d.tile = 8;
  const ChipArtifact a = artifact(m, program_chip(m, d, 9));
  const Bytes bytes = encode_chip(a);
  CHECK(artifact_kind(bytes, "c.h5") == "chip");
  const ChipArtifact b = decode_chip(bytes, "c.h5");
  REQUIRE(b.chip.layers.size() == a.chip.layers.size());
  CHECK(b.chip.seed == 9);
  CHECK(b.chip.device.method == "rvw");
  CHECK(b.chip.device.g_on_siemens == d.g_on_siemens);
  for (std::size_t l = 0; l < a.chip.layers.size(); ++l) {
    const LayerChip &x = a.chip.layers[l], &y = b.chip.layers[l];
    CHECK(x.layer == y.layer);
    CHECK(x.w_max == y.w_max);
    CHECK(x.target_level == y.target_level);
    CHECK(x.g_plus == y.g_plus);
    CHECK(x.g_minus == y.g_minus);
    CHECK(x.fault_plus == y.fault_plus);
    CHECK(x.fault_minus == y.fault_minus);
    CHECK(x.pulses_plus == y.pulses_plus);
    CHECK(x.time_s == y.time_s);
  }
  CHECK(encode_chip(b) == bytes);
  // The same read-back from the file as from memory.
  const Model r1 = read_back_weights(a.chip, m), r2 = read_back_weights(b.chip, b.model.model);
  CHECK(crossbar_matrix(*r1.layers()[0]) == crossbar_matrix(*r2.layers()[0]));

  ModelArtifact ma;
  ma.model = m;
  try {
    decode_chip(encode_model(ma), "m.h5");
    FAIL("a model decoded as a chip");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
    CHECK(std::string(e.what()).find("expected a chip") != std::string::npos);
  }
  try {
    decode_model(bytes, "c.h5");
    FAIL("a chip decoded as a model");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
  }
  // A model part whose layer shapes do not match the conductance arrays.
  ChipArtifact bad = a;
  bad.model.model = make_model("c5k3,relu,flat,fc6", {1, 7, 7}, 6);
  try {
    decode_chip(encode_chip(bad), "bad.h5");
    FAIL("a mismatched chip was accepted");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
    CHECK(std::string(e.what()).find("bad.h5") != std::string::npos);
  }
}

TEST_CASE("device: Monte Carlo over chips uses seeds seed..seed+N-1 and summarizes them") {
  const Model m = make_model("flat,fc4", {1, 6, 6}, 4);
  Dataset data;
  data.name = "mnist";
  data.shape = {1, 6, 6};
  data.classes = 4;
  Rng rng(3);
  for (int i = 0; i < 64; ++i) {
    data.labels.push_back(static_cast<std::uint8_t>(rng.below(4)));
    for (int p = 0; p < 36; ++p) data.pixels.push_back(static_cast<std::uint8_t>(rng.below(256)));
  }
  DeviceParams d;
  d.sigma = 0.5;
  const ChipEvalSummary s = evaluate_chips(m, d, data, 40, 3);
  REQUIRE(s.chips.size() == 3);
  CHECK(s.seeds == std::vector<std::uint64_t>{40, 41, 42});
  Model one = read_back_weights(program_chip(m, d, 41), m);
  CHECK(evaluate(one, data).accuracy == s.chips[1].accuracy);
  CHECK(s.min <= s.mean);
  CHECK(s.mean <= s.max);
  const double mean = (s.chips[0].accuracy + s.chips[1].accuracy + s.chips[2].accuracy) / 3;
  CHECK(s.mean == doctest::Approx(mean));
}

// ---------------------------------------------------------------------------------------
// ADC read-out of tile column sums (--adc-bits)

namespace {

// A conv layer of 2 input channels (rows 2*3*3 = 18: blocks of 8, 8, 2) or a dense layer of 19
// inputs (blocks 8, 8, 3), random weights and bias.
Conv2d new_layer(const Conv2d*) { return Conv2d(5, 3, 1, 1, true); }
Dense new_layer(const Dense*) { return Dense(6); }

template <class L>
L adc_layer(Shape in, std::uint64_t seed) {
  L l = new_layer(static_cast<const L*>(nullptr));
  l.setup(in);
  Rng rng(seed);
  l.init(rng);
  for (Eigen::Index i = 0; i < l.bias.value.size(); ++i) l.bias.value[i] = static_cast<Real>(rng.uniform() - 0.5);
  return l;
}

// The ADC set on a layer (its readout); throws std::bad_cast if it has another.
template <class L>
AdcReadout& adc_of(L& l) {
  REQUIRE(l.readout);
  return dynamic_cast<AdcReadout&>(*l.readout);
}

// Calibrates l's ADC (bits, block rows) on x: full scale per block = the largest |column sum|.
template <class L>
void calibrate(L& l, const Tensor& x, int bits, int block_rows) {
  auto a = std::make_unique<AdcReadout>();
  a->bits = bits;
  a->block_rows = block_rows;
  a->calibrating = true;
  l.readout = std::move(a);
  Tensor y;
  l.forward(x, y, ForwardContext{});
  adc_of(l).full_scale = adc_of(l).observed;
  adc_of(l).calibrating = false;
}

template <class L>
void check_layer_adc(Shape in) {
  const Tensor x = inputs(37, in, 5);  // 3 sample chunks, the last partial
  L l = adc_layer<L>(in, 7);
  const ConstMatrixMap w = crossbar_matrix(l);
  const int rows = static_cast<int>(w.rows()), cols = static_cast<int>(w.cols());
  Tensor ideal, y;
  l.forward(x, ideal, ForwardContext{});

  // Calibration does not change the outputs; 16 bits stay within half a step per block.
  calibrate(l, x, 16, 8);
  REQUIRE(adc_of(l).full_scale.size() == 3);
  double bound = 0;
  for (double fs : adc_of(l).full_scale) {
    CHECK(fs > 0);
    bound += fs / (2 * (std::ldexp(1.0, 15) - 1));
  }
  l.forward(x, y, ForwardContext{});
  double worst = 0;
  bool differs = false;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double d = std::fabs(double(y.data()[i]) - ideal.data()[i]);
    worst = std::max(worst, d - 1e-5 * (1 + std::fabs(ideal.data()[i])));
    differs = differs || d > 0;
  }
  CHECK(worst <= bound);
  CHECK(differs);  // the ADC is really in the path

  // Same outputs whatever the thread count.
  set_threads(1);
  Tensor y1;
  l.forward(x, y1, ForwardContext{});
  set_threads(2);
  Tensor y2;
  l.forward(x, y2, ForwardContext{});
  set_threads(0);
  CHECK(std::equal(y1.data(), y1.data() + y1.size(), y2.data()));

  // 3 bits, only the middle block (rows 8..15) conducts: each output column (channel) takes
  // at most 2^3 values (less its bias) over every sample and position.
  L only = l;
  only.readout.reset();
  for (int c = 0; c < cols; ++c) {
    for (int r = 0; r < rows; ++r) {
      if (r < 8 || r >= 16) only.weight.value[static_cast<Eigen::Index>(c) * rows + r] = 0;
    }
  }
  calibrate(only, x, 3, 8);
  CHECK(adc_of(only).full_scale[0] == 0);
  CHECK(adc_of(only).full_scale[1] > 0);
  only.forward(x, y, ForwardContext{});
  const Shape out = only.output_shape();
  const int positions = out.h * out.w;
  for (int c = 0; c < cols; ++c) {
    std::set<float> values;
    for (int s = 0; s < x.n(); ++s) {
      for (int p = 0; p < positions; ++p) values.insert(y.sample(s)[c * positions + p] - only.bias.value[c]);
    }
    CHECK(values.size() <= 8);
    CHECK(values.size() >= 3);  // the quantizer is not collapsing everything either
  }
  // The analog/digital split: weight - analog is added unquantized after the ADC.
  L split = l;
  split.readout->analog = split.weight.value;
  Tensor before;
  split.forward(x, before, ForwardContext{});
  CHECK(std::equal(before.data(), before.data() + before.size(), [&] {
    Tensor t;
    l.forward(x, t, ForwardContext{});
    return t;
  }().data()));
  Vector delta = Vector::Zero(split.weight.value.size());
  delta[3] = 0.25f;
  delta[static_cast<Eigen::Index>(rows) + 11] = -0.5f;
  split.weight.value += delta;
  Tensor after;
  split.forward(x, after, ForwardContext{});
  L digital = adc_layer<L>(in, 7);
  digital.weight.value = delta;
  digital.bias.value.setZero();
  Tensor dy;
  digital.forward(x, dy, ForwardContext{});
  for (std::size_t i = 0; i < after.size(); ++i) {
    CHECK(after.data()[i] == doctest::Approx(before.data()[i] + dy.data()[i]).epsilon(1e-5).scale(1));
  }
}

Dataset adc_dataset(int n, std::uint64_t seed) {
  Dataset data;
  data.name = "mnist";
  data.shape = {1, 6, 6};
  data.classes = 4;
  Rng rng(seed);
  for (int i = 0; i < n; ++i) {
    data.labels.push_back(static_cast<std::uint8_t>(rng.below(4)));
    for (int p = 0; p < 36; ++p) data.pixels.push_back(static_cast<std::uint8_t>(rng.below(256)));
  }
  return data;
}

}  // namespace

TEST_CASE("device: ADC read-out of conv and dense layers: bound at 16 bits, 2^B values per tile column, digital part after it") {
  check_layer_adc<Conv2d>({2, 6, 6});
  check_layer_adc<Dense>({19, 1, 1});
}

TEST_CASE("device: ADC on a chip: off is bitwise the plain read-back, many bits match it, few bits do not") {
  const Model m = make_model("c3k3,relu,flat,fc4", {1, 6, 6}, 4);  // conv rows 9, dense rows 48
  DeviceParams d;
  d.tile = 8;
  const ChipState chip = program_chip(m, d, 21);
  const Dataset data = adc_dataset(64, 4);
  const Tensor cal = adc_calibration_batch(data);
  CHECK(cal.n() == 64);
  const Tensor& x = cal;  // inputs inside the calibrated range: no saturation
  Model plain = read_back_weights(chip, m);
  const Tensor ref = plain.forward(x, ForwardContext{});

  // Off (the default): attach_adc does nothing, outputs bitwise those of the read-back.
  Model off = read_back_weights(chip, m);
  attach_adc(off, chip, cal);
  for (const auto& l : off.layers()) {
    if (auto* c = dynamic_cast<Conv2d*>(l.get())) CHECK(!c->readout);
    if (auto* dl = dynamic_cast<Dense*>(l.get())) CHECK(!dl->readout);
  }
  const Tensor y_off = off.forward(x, ForwardContext{});
  CHECK(std::equal(ref.data(), ref.data() + ref.size(), y_off.data()));
  const ChipEvalSummary s0 = evaluate_chips(m, d, data, 21, 1);
  CHECK(s0.chips[0].accuracy == evaluate(plain, data).accuracy);
  CHECK(s0.chips[0].loss == evaluate(plain, data).loss);

  // 16 bits: close to the ideal read-out; 3 bits: visibly not.
  auto with_bits = [&](int bits) {
    ChipState c = chip;
    c.device.adc_bits = bits;
    Model on = read_back_weights(c, m);
    attach_adc(on, c, cal);
    auto* conv = dynamic_cast<Conv2d*>(on.layers()[0].get());
    auto* fc = dynamic_cast<Dense*>(on.layers()[3].get());
    REQUIRE(conv);
    REQUIRE(fc);
    CHECK(adc_of(*conv).full_scale.size() == 2);  // 9 rows in tiles of 8
    CHECK(adc_of(*fc).full_scale.size() == 6);    // 48 rows
    CHECK(adc_of(*conv).bits == bits);
    CHECK(adc_of(*conv).block_rows == 8);
    const Tensor y = on.forward(x, ForwardContext{});
    double worst = 0;
    for (std::size_t i = 0; i < y.size(); ++i) worst = std::max(worst, std::fabs(double(y.data()[i]) - ref.data()[i]));
    return worst;
  };
  double scale = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) scale = std::max(scale, std::fabs(double(ref.data()[i])));
  CHECK(with_bits(16) < 2e-3 * scale);
  CHECK(with_bits(3) > 1e-2 * scale);

  // Monte Carlo with an ADC needs the calibration batch, and uses it.
  DeviceParams d6 = d;
  d6.adc_bits = 6;
  CHECK_THROWS_AS(evaluate_chips(m, d6, data, 21, 1), Error);
  const ChipEvalSummary s6 = evaluate_chips(m, d6, data, 21, 1, 1000, {}, &cal);
  ChipState c6 = chip;
  c6.device.adc_bits = 6;
  Model on6 = read_back_weights(c6, m);
  attach_adc(on6, c6, cal);
  CHECK(s6.chips[0].accuracy == evaluate(on6, data).accuracy);
  CHECK(s6.chips[0].loss == evaluate(on6, data).loss);

  // A copied model owns its ADCs, calibration included: same outputs, independent state.
  Model copy6 = on6;
  auto* conv6 = dynamic_cast<Conv2d*>(on6.layers()[0].get());
  auto* convc = dynamic_cast<Conv2d*>(copy6.layers()[0].get());
  CHECK(convc->readout.get() != conv6->readout.get());
  CHECK(adc_of(*convc).full_scale == adc_of(*conv6).full_scale);
  CHECK(adc_of(*convc).bits == 6);
  const Tensor y6 = on6.forward(x, ForwardContext{});
  const Tensor yc = copy6.forward(x, ForwardContext{});
  CHECK(std::equal(y6.data(), y6.data() + y6.size(), yc.data()));
  adc_of(*convc).full_scale.assign(2, 0.0);
  CHECK(adc_of(*conv6).full_scale[0] > 0);
}

TEST_CASE("device: RSA through an ADC is digital, added after it, replace mode wires the cell out") {
  const Model m = make_model("flat,fc4", {1, 6, 6}, 4);
  DeviceParams d;
  d.tile = 16;
  d.adc_bits = 4;
  const ChipState chip = program_chip(m, d, 5);
  const Tensor cal = adc_calibration_batch(adc_dataset(32, 2));
  const Tensor x = inputs(10, {1, 6, 6}, 9);
  Model on = read_back_weights(chip, m);
  attach_adc(on, chip, cal);
  const Tensor base = on.forward(x, ForwardContext{});
  for (RsaMode mode : {RsaMode::additive, RsaMode::replace}) {
    RsaState st = init_rsa(m, select_rsa(m, {1}, 0.1, RsaSelectionKind::balanced, 3, 16), mode, 0.5, 0, 3);
    Model with = on;
    apply_rsa(with, st);
    const Tensor y = with.forward(x, ForwardContext{});
    // The same layer with RSA values alone as its weight, no ADC: what RSA adds digitally.
    const auto& cells = st.selection.layers[0];
    auto* fc = dynamic_cast<Dense*>(with.layers()[1].get());
    REQUIRE(fc->readout);
    Vector digital = Vector::Zero(fc->weight.value.size());
    Vector analog = dynamic_cast<Dense*>(on.layers()[1].get())->weight.value;
    for (std::size_t k = 0; k < cells.index.size(); ++k) {
      digital[cells.index[k]] = st.values[0].value[k];
      if (mode == RsaMode::replace) {
        CHECK(fc->readout->analog[cells.index[k]] == 0);
        analog[cells.index[k]] = 0;
      }
    }
    Model alone = on;
    auto* fa = dynamic_cast<Dense*>(alone.layers()[1].get());
    fa->readout->analog = analog;
    fa->weight.value = analog;
    const Tensor ya = alone.forward(x, ForwardContext{});
    fa->readout.reset();
    fa->weight.value = digital;
    fa->bias.value.setZero();
    const Tensor yd = alone.forward(x, ForwardContext{});
    for (std::size_t i = 0; i < y.size(); ++i) {
      CHECK(y.data()[i] == doctest::Approx(ya.data()[i] + yd.data()[i]).epsilon(1e-5).scale(1));
    }
    if (mode == RsaMode::additive) {
      CHECK(std::equal(ya.data(), ya.data() + ya.size(), base.data()));  // the RRAM read-out is unchanged
    }
  }
}

TEST_CASE("device: --adc-bits is validated and kept by chip files, older chips read as off") {
  DeviceParams d;
  CHECK(d.adc_bits == 0);
  for (int ok : {0, 2, 8, 16}) {
    d.adc_bits = ok;
    CHECK_NOTHROW(d.validate());
  }
  for (int bad : {-1, 1, 17, 64}) {
    d.adc_bits = bad;
    try {
      d.validate();
      FAIL("adc_bits " << bad << " accepted");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("adc_bits must be 0 (off) or in [2, 16], found " + std::to_string(bad)) !=
            std::string::npos);
    }
  }
  const Model m = make_model("flat,fc4", {1, 6, 6}, 4);
  d.adc_bits = 6;
  const ChipArtifact a = artifact(m, program_chip(m, d, 2));
  const ChipArtifact b = decode_chip(encode_chip(a), "c.h5");
  CHECK(b.chip.device.adc_bits == 6);
  // A chip written before the attribute existed (schema 1.0.0): delete it from a saved file.
  const auto path = std::filesystem::temp_directory_path() / "nnc-test-adc-old.h5";
  save_chip(path.string(), a);
  const hid_t f = H5Fopen(path.string().c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  REQUIRE(f >= 0);
  CHECK(H5Adelete_by_name(f, "/device", "adc_bits", H5P_DEFAULT) >= 0);
  CHECK(H5Adelete(f, "nnc_schema_version") >= 0);
  {
    const std::string v = "1.0.0";
    const hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, v.size());
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t attr = H5Acreate2(f, "nnc_schema_version", t, space, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(H5Awrite(attr, t, v.data()) >= 0);
    H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(t);
  }
  H5Fclose(f);
  const ChipArtifact old = load_chip(path.string());
  CHECK(old.chip.device.adc_bits == 0);
  std::filesystem::remove(path);
}
