// Batch-norm recalibration on the chip: the population statistics inference will see, on an
// ideal chip the float model's, the same whatever the thread count, the time model's crossbar
// reads, and a clear refusal for a model without batch norm.
#include <doctest/doctest.h>

#include <cmath>
#include <numeric>

#include "fixtures.hpp"
#include "nnc/algo/bn_recalibrate.hpp"
#include "nnc/algo/rsa.hpp"
#include "nnc/device/chip.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/train/train.hpp"

using namespace nnc;

namespace {

// Batch norm after a conv and after a dense layer: layer indices 1 and 6.
const char* kBnSpec = "c6k3,bn,relu,mp2,flat,fc24,bn,relu,fc4";

Model trained_bn_model(const Dataset& tr) { return test::trained_model(kBnSpec, tr, Dataset{}, 5, 2); }

BatchNorm& bn_at(Model& m, int i) { return dynamic_cast<BatchNorm&>(*m.layers()[static_cast<std::size_t>(i)]); }

std::vector<Real> bn_stats(Model& m) {
  std::vector<Real> out;
  for (int i : batch_norm_layers(m)) {
    const BatchNorm& b = bn_at(m, i);
    out.insert(out.end(), b.running_mean.value.data(), b.running_mean.value.data() + b.running_mean.size());
    out.insert(out.end(), b.running_var.value.data(), b.running_var.value.data() + b.running_var.size());
  }
  return out;
}

}  // namespace

TEST_CASE("BN recalibration: each layer's running statistics are the population statistics inference sees") {
  const Dataset data = test::bars_dataset(500, Shape{1, 12, 12}, 4, 21);
  Model m = trained_bn_model(data);
  REQUIRE(batch_norm_layers(m) == std::vector<int>{1, 6});
  const std::vector<Real> gamma = [&] {
    std::vector<Real> g;
    for (int i : {1, 6}) g.insert(g.end(), bn_at(m, i).gamma.value.data(), bn_at(m, i).gamma.value.data() + bn_at(m, i).gamma.size());
    return g;
  }();
  const std::vector<Real> trained_stats = bn_stats(m);
  BnRecalibrationOptions o;
  o.chunk = 64;  // several chunks, the last one short: 500 = 7 * 64 + 52
  const BnRecalibrationReport rep = recalibrate_batch_norm(m, data, mapped_layers(m), 100e-9, o);
  CHECK(rep.images == 500);
  CHECK(rep.layers == 2);
  CHECK(bn_stats(m) != trained_stats);  // something was re-estimated
  // Reference: one inference pass of the recalibrated model over every image, statistics of
  // each batch-norm layer's input in double, two-pass.
  std::vector<std::size_t> idx(data.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::vector<int> labels(data.size());
  Tensor x;
  fill_batch(data, idx.data(), static_cast<int>(data.size()), x, labels.data());
  m.forward(x, ForwardContext{});
  for (int bi : {1, 6}) {
    const Tensor& act = m.activation(static_cast<std::size_t>(bi));
    const Shape s = bn_at(m, bi).input_shape();
    const int HW = s.h * s.w;
    for (int c = 0; c < s.c; ++c) {
      double sum = 0, sq = 0, count = 0;
      for (int n = 0; n < act.n(); ++n) {
        for (int i = 0; i < HW; ++i) sum += act.sample(n)[static_cast<std::size_t>(c) * HW + i];
      }
      count = static_cast<double>(act.n()) * HW;
      const double mean = sum / count;
      for (int n = 0; n < act.n(); ++n) {
        for (int i = 0; i < HW; ++i) {
          const double d = act.sample(n)[static_cast<std::size_t>(c) * HW + i] - mean;
          sq += d * d;
        }
      }
      CAPTURE(bi);
      CAPTURE(c);
      CHECK(bn_at(m, bi).running_mean.value[c] == doctest::Approx(mean).epsilon(1e-5).scale(1e-4));
      CHECK(bn_at(m, bi).running_var.value[c] == doctest::Approx(sq / (count - 1)).epsilon(1e-5));
    }
  }
  // Only the running statistics change.
  std::vector<Real> gamma_after;
  for (int i : {1, 6}) gamma_after.insert(gamma_after.end(), bn_at(m, i).gamma.value.data(), bn_at(m, i).gamma.value.data() + bn_at(m, i).gamma.size());
  CHECK(gamma_after == gamma);
  // Time model: layer 1 reads conv 0 (10 x 10 output positions), layer 6 conv 0 and fc 5 (1).
  CHECK(rep.reads_per_image == doctest::Approx(100 + 101));
  CHECK(rep.time_s == doctest::Approx(500 * 201 * 100e-9));
  // --bn-images: the first N images only.
  o.limit = 100;
  CHECK(recalibrate_batch_norm(m, data, mapped_layers(m), 100e-9, o).images == 100);
}

TEST_CASE("BN recalibration on an ideal chip gives the float model's statistics") {
  const Dataset data = test::bars_dataset(400, Shape{1, 12, 12}, 4, 22);
  const Model m = trained_bn_model(data);
  DeviceParams d;
  d.sigma = 0;
  d.p_sf0 = d.p_sf1 = 0;
  d.levels = 32768;
  d.tile = 16;
  const ChipState chip = program_chip(m, d, 3);
  Model on_chip = read_back_weights(chip, m);
  Model ideal = m;
  std::vector<int> layers;
  for (const LayerChip& lc : chip.layers) layers.push_back(lc.layer);
  recalibrate_batch_norm(on_chip, data, layers, d.t_mvm_s);
  recalibrate_batch_norm(ideal, data, layers, d.t_mvm_s);
  const std::vector<Real> a = bn_stats(on_chip), b = bn_stats(ideal);
  // Means to within a small fraction of the channel's std, variances to within a small fraction.
  double worst = 0, moved = 0;
  Model& trained = const_cast<Model&>(m);  // read only
  for (int bi : batch_norm_layers(m)) {
    const BatchNorm &x = bn_at(on_chip, bi), &y = bn_at(ideal, bi), &t = bn_at(trained, bi);
    for (Eigen::Index c = 0; c < y.running_mean.value.size(); ++c) {
      const double sd = std::sqrt(static_cast<double>(y.running_var.value[c])) + 1e-6;
      const double v = static_cast<double>(y.running_var.value[c]) + 1e-12;
      worst = std::max({worst, std::abs(x.running_mean.value[c] - y.running_mean.value[c]) / sd,
                        std::abs(x.running_var.value[c] - y.running_var.value[c]) / v});
      moved = std::max({moved, std::abs(t.running_mean.value[c] - y.running_mean.value[c]) / sd,
                        std::abs(t.running_var.value[c] - y.running_var.value[c]) / v});
    }
  }
  CAPTURE(worst);
  CAPTURE(moved);
  CHECK(worst < 1e-3);
  CHECK(moved > 10 * worst);  // recalibration did move them from the trained running averages
  // The statistics go into another model of the same spec, and nowhere else.
  Model copy = m;
  copy_batch_norm_statistics(on_chip, copy);
  CHECK(bn_stats(copy) == a);
  Model other("c6k3,relu,mp2,flat,fc4", data.shape, data.classes);
  CHECK_THROWS_AS(copy_batch_norm_statistics(on_chip, other), Error);
}

TEST_CASE("BN recalibration is the same whatever the thread count, and refuses a model without batch norm") {
  const Dataset data = test::bars_dataset(300, Shape{1, 12, 12}, 4, 23);
  const Model m = trained_bn_model(data);
  std::vector<Real> stats[2];
  for (int threads : {1, 2}) {
    set_threads(threads);
    Model c = m;
    recalibrate_batch_norm(c, data, mapped_layers(c), 1e-7);
    stats[threads - 1] = bn_stats(c);
  }
  set_threads(0);
  CHECK(stats[0] == stats[1]);

  Model plain("c6k3,relu,mp2,flat,fc4", data.shape, data.classes);
  plain.init(1);
  CHECK(batch_norm_layers(plain).empty());
  const std::string msg = test::error_of([&] { recalibrate_batch_norm(plain, data, mapped_layers(plain), 1e-7); });
  CHECK(msg.find("no batch-norm layer") != std::string::npos);
  Dataset one = test::bars_dataset(1, Shape{1, 12, 12}, 4, 24);
  Model tiny = m;
  // A single image gives one value per channel after the dense layer: no variance to estimate.
  CHECK(test::error_of([&] { recalibrate_batch_norm(tiny, one, mapped_layers(tiny), 1e-7); }).find("at least 2") !=
        std::string::npos);
}
