// The read-out of a chip (issue 20): read noise drawn on every read with the variance of
// per-cell noise, reproducible by read seed and stream whatever the thread count or batch
// size; conductance drift G(t) = G(t0) (t/t0)^-nu with stuck cells left alone and global drift
// compensation; the ADC calibration stored in the chip and used by every reader.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "fixtures.hpp"
#include "nnc/algo/rsa.hpp"
#include "nnc/device/adc.hpp"
#include "nnc/device/chip.hpp"
#include "nnc/device/read_noise.hpp"
#include "nnc/algo/chip_eval.hpp"
#include "nnc/io/chip.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/gemm_bf16.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/nn/streams.hpp"

using namespace nnc;

namespace {

using test::make_model;

bool same(const Tensor& a, const Tensor& b) {
  return a.size() == b.size() && std::equal(a.data(), a.data() + a.size(), b.data());
}

// Empirical variance of a layer's outputs over the samples of x (all the same input) with a
// noise-only read-out (no ADC) of noise power `power` everywhere, against the model's
// sum_i x_i^2 power for output (o, position p).
// bits 0: noise on the whole sums (sums_only, the layer's own product); bits 16 with a wide full
// scale: noise per block of 5 rows before a quantizer too fine to matter.
template <class L>
void check_noise_variance(L& l, Shape in, int n, int bits) {
  Tensor one = test::random_tensor(1, in, 5);
  Tensor x(n, in);
  for (int s = 0; s < n; ++s) std::copy(one.data(), one.data() + one.sample_size(), x.sample(s));
  Tensor exact;
  l.forward(x, exact, ForwardContext{});
  auto a = std::make_unique<AdcReadout>();
  a->bits = bits;
  a->block_rows = 5;
  a->full_scale.assign(static_cast<std::size_t>(a->blocks(static_cast<int>(l.weight.value.size() / l.width()))), 100.0);
  const double power = 0.01;
  a->noise_power = Vector::Constant(l.weight.value.size(), static_cast<Real>(power));
  a->chip_seed = 9;
  l.readout = std::move(a);
  Tensor noisy;
  l.forward(x, noisy, ForwardContext{});
  // Every output of one sample sums the same inputs' squares for a dense layer; for a conv each
  // position has its own patch: compare position by position.
  const Shape out = l.output_shape();
  const int P = out.h * out.w;
  std::vector<double> expected(static_cast<std::size_t>(P), 0.0);
  if constexpr (std::is_same_v<L, Dense>) {
    double sx2 = 0;
    for (std::size_t i = 0; i < one.size(); ++i) sx2 += double(one.data()[i]) * one.data()[i];
    expected[0] = power * sx2;
  } else {
    // im2col of one sample: the patch of each position; its squares summed.
    Conv2d probe = l;
    probe.readout.reset();
    probe.weight.value.setConstant(1);  // a conv of x^2 with all-ones weights sums each patch's squares
    probe.bias.value.setZero();
    Tensor sq = one;
    for (std::size_t i = 0; i < sq.size(); ++i) sq.data()[i] *= sq.data()[i];
    Tensor patch;
    probe.forward(sq, patch, ForwardContext{});
    for (int p = 0; p < P; ++p) expected[static_cast<std::size_t>(p)] = power * patch.sample(0)[p];
  }
  for (int o = 0; o < out.c; ++o) {
    for (int p = 0; p < P; ++p) {
      double sum = 0, sum2 = 0;
      for (int s = 0; s < n; ++s) {
        const double d = double(noisy.sample(s)[o * P + p]) - exact.sample(s)[o * P + p];
        sum += d;
        sum2 += d * d;
      }
      const double mean = sum / n, var = sum2 / n - mean * mean;
      INFO("output " << o << " position " << p);
      CHECK(std::fabs(mean) < 4 * std::sqrt(expected[static_cast<std::size_t>(p)] / n));
      CHECK(var == doctest::Approx(expected[static_cast<std::size_t>(p)]).epsilon(0.12));
    }
  }
}

DeviceParams fault_free() {
  DeviceParams d;
  d.p_sf0 = d.p_sf1 = 0;
  d.tile = 8;
  return d;
}

}  // namespace

TEST_CASE("readout: read noise has the variance of per-cell noise, sum x^2 (G+^2 + G-^2) s^2, on every read") {
  Dense fc(12);
  fc.setup({19, 1, 1});
  Rng rng(2);
  fc.init(rng);
  Conv2d conv(3, 3, 1, 0, true);
  conv.setup({2, 5, 5});
  conv.init(rng);
  Conv2d wino(4, 3, 1, 1, true);  // without an ADC, a Winograd conv (its variance too, bf16 where used)
  wino.setup({16, 4, 4});
  wino.init(rng);
  for (int bits : {0, 16}) {
    INFO("ADC bits " << bits);
    fc.readout.reset();
    conv.readout.reset();
    wino.readout.reset();
    check_noise_variance(fc, {19, 1, 1}, 3000, bits);
    check_noise_variance(conv, {2, 5, 5}, 3000, bits);
    // Float products: the reference without a readout and the ADC's blocks are then Winograd
    // products that differ by float rounding only.
    const bool bf16 = bf16_products();
    set_bf16_products(false);
    check_noise_variance(wino, {16, 4, 4}, 3000, bits);
    set_bf16_products(bf16);
  }
}

TEST_CASE("readout: the same read seed and stream read the same, whatever the threads and the batch cut") {
  const Model m = make_model("c3k3,relu,flat,fc4", {1, 6, 6}, 4);
  DeviceParams d = fault_free();
  d.read_noise_sigma = 0.2;
  const ChipState chip = program_chip(m, d, 4);
  const Tensor x = test::random_tensor(48, {1, 6, 6}, 7);
  auto read = [&](const ChipState& c, int threads) {
    set_threads(threads);
    Model on = read_chip(c, m);
    Tensor y = on.forward(x, ForwardContext{});
    set_threads(0);
    return y;
  };
  const Tensor y1 = read(chip, 1), y2 = read(chip, 2);
  CHECK(same(y1, y2));
  // Fresh noise on every read: the same model read again (the next reads of its stream) differs.
  Model on = read_chip(chip, m);
  const Tensor first = on.forward(x, ForwardContext{});
  const Tensor again = on.forward(x, ForwardContext{});
  CHECK(same(first, y1));
  CHECK_FALSE(same(first, again));
  // A new stream (or the same one started again) numbers its reads from 0.
  start_reads(on, stream::read::kTest);
  CHECK(same(on.forward(x, ForwardContext{}), y1));
  start_reads(on, stream::read::kValidation);
  CHECK_FALSE(same(on.forward(x, ForwardContext{}), y1));
  // Two batches of 16 and 32 read images 16..47 as the whole batch did.
  Model cut = read_chip(chip, m);
  Tensor a(16, {1, 6, 6}), b(32, {1, 6, 6});
  std::copy(x.data(), x.data() + a.size(), a.data());
  std::copy(x.data() + a.size(), x.data() + x.size(), b.data());
  const Tensor ya = cut.forward(a, ForwardContext{});
  const Tensor yb = cut.forward(b, ForwardContext{});
  CHECK(std::equal(ya.data(), ya.data() + ya.size(), y1.data()));
  CHECK(std::equal(yb.data(), yb.data() + yb.size(), y1.data() + ya.size()));
  // Another read seed reads other noise; no read noise is the plain read-back, bit for bit.
  ChipState other = chip;
  other.device.read_seed = 1;
  CHECK_FALSE(same(read(other, 0), y1));
  ChipState quiet = chip;
  quiet.device.read_noise_sigma = 0;
  Model plain = read_back_weights(chip, m);
  CHECK(same(read(quiet, 0), plain.forward(x, ForwardContext{})));
  // Read-back weights carry no read noise any more (it is per read).
  const Model back = read_back_weights(chip, m), back_quiet = read_back_weights(quiet, m);
  CHECK(back.layers()[0]->weight_param()->value == back_quiet.layers()[0]->weight_param()->value);
}

TEST_CASE("readout: a Winograd conv's row blocks read as im2col's, split channels and the digital part included") {
  // 16 channels x 9 taps = 144 rows in blocks of 20: most blocks split a channel's taps.
  Conv2d conv(8, 3, 1, 1, true);
  conv.setup({16, 6, 6});
  Rng rng(5);
  conv.init(rng);
  const Tensor x = test::random_tensor(40, {16, 6, 6}, 6);
  const bool bf16 = bf16_products();
  set_bf16_products(false);
  auto adc = std::make_unique<AdcReadout>();
  adc->block_rows = 20;
  adc->calibrating = true;
  conv.readout = std::move(adc);
  ForwardContext train;
  train.training = true;  // training keeps im2col
  Tensor a, b;
  conv.forward(x, a, ForwardContext{});
  auto* r = dynamic_cast<AdcReadout*>(conv.readout.get());
  REQUIRE(r->observed.size() == 8);
  const std::vector<double> by_winograd = r->observed;
  r->observed.clear();
  conv.forward(x, b, train);
  for (std::size_t k = 0; k < 8; ++k) CHECK(by_winograd[k] == doctest::Approx(r->observed[k]).epsilon(1e-5));
  // Quantized (6 bits) and with a digital part (weight - analog): the same sums, bar a rare
  // rounding at a level boundary.
  r->calibrating = false;
  r->bits = 6;
  r->full_scale = by_winograd;
  r->analog = conv.weight.value * Real(0.9);
  conv.forward(x, a, ForwardContext{});
  conv.forward(x, b, train);
  std::size_t far = 0;
  double largest = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    far += std::fabs(a.data()[i] - b.data()[i]) > 1e-4;
    largest = std::max(largest, std::fabs(double(a.data()[i])));
  }
  CHECK(largest > 0.1);
  CHECK(far <= a.size() / 200);
  // Blocks of full scale 0 (tile rows with no placed tile) read 0, the first one included.
  r->full_scale[0] = r->full_scale[3] = 0;
  conv.forward(x, a, ForwardContext{});
  conv.forward(x, b, train);
  far = 0;
  for (std::size_t i = 0; i < a.size(); ++i) far += std::fabs(a.data()[i] - b.data()[i]) > 1e-4;
  CHECK(far <= a.size() / 200);
  set_bf16_products(bf16);
}

TEST_CASE("readout: the counter-based normals are N(0, 1), independent of how a read's draws are cut, and differ by key") {
  const NoiseKey key = noise_key(4, {stream::kChipReadNoise, 1, 0, 17, 3, 2});
  const Eigen::Index n = 200001;  // odd, past many vector batches
  std::vector<Real> z(static_cast<std::size_t>(n));
  fill_normals(key, 0, n, z.data());
  double sum = 0, sum2 = 0, sum4 = 0, lag = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double v = z[static_cast<std::size_t>(i)];
    sum += v;
    sum2 += v * v;
    sum4 += v * v * v * v;
    if (i > 0) lag += v * z[static_cast<std::size_t>(i - 1)];
  }
  CHECK(std::fabs(sum / n) < 4 / std::sqrt(double(n)));
  CHECK(sum2 / n == doctest::Approx(1).epsilon(0.01));
  CHECK(sum4 / n == doctest::Approx(3).epsilon(0.05));  // the normal's kurtosis
  CHECK(std::fabs(lag / n) < 4 / std::sqrt(double(n)));  // a pair's cos and sin draws uncorrelated
  // Draws are a function of (key, index): any even cut gives the same values.
  std::vector<Real> cut(static_cast<std::size_t>(n));
  fill_normals(key, 0, 1000, cut.data());
  fill_normals(key, 1000, n - 1000, cut.data() + 1000);
  CHECK(cut == z);
  // add_normal_noise adds sqrt(variance) times the same draws (negative variances read as 0).
  std::vector<Real> var{4, -1, 0.25f}, sums{1, 1, 1};
  add_normal_noise(key, var.data(), 3, sums.data());
  CHECK(sums[0] == doctest::Approx(1 + 2 * z[0]).epsilon(1e-6));
  CHECK(sums[1] == 1);
  CHECK(sums[2] == doctest::Approx(1 + 0.5 * z[2]).epsilon(1e-6));
  // Another read index is another stream.
  std::vector<Real> other(1000);
  fill_normals(noise_key(4, {stream::kChipReadNoise, 1, 0, 18, 3, 2}), 0, 1000, other.data());
  CHECK_FALSE(std::equal(other.begin(), other.end(), z.begin()));
}

TEST_CASE("readout: an inference copy's variance convolution reads as a layer's, pass after pass, and both follow a new noise power") {
  // 16 inputs: the variance by the Winograd product; 3: by the direct convolution.
  for (const Shape in : {Shape{16, 8, 8}, Shape{3, 8, 8}}) {
    INFO(in.str());
    Conv2d conv(8, 3, 1, 1, true);
    conv.setup(in);
    Rng rng(2);
    conv.init(rng);
    auto a = std::make_unique<AdcReadout>();
    a->bits = 0;
    const Tensor power = test::random_tensor(1, {static_cast<int>(conv.weight.value.size()), 1, 1}, 8, 0.001, 0.02);
    a->noise_power = Eigen::Map<const Vector>(power.data(), conv.weight.value.size());
    a->chip_seed = 9;
    a->read_seed = 1;
    conv.readout = std::move(a);
    const Tensor x = test::random_tensor(20, in, 5);
    // Two passes of the layer (reads 0-19, then 20-39). A cache of the variance convolution
    // (issue 46) must keep these bits and follow the noise power.
    auto passes = [&](Layer& l, Tensor (&y)[2]) {
      readout_slot(l)->get()->start_reads(0);
      for (Tensor& t : y) l.forward(x, t, ForwardContext{});
    };
    Tensor ref[2], kept[2];
    passes(*conv.clone(), ref);
    CHECK_FALSE(same(ref[0], ref[1]));
    auto copy = conv.clone();
    copy->prepare_inference();
    passes(*copy, kept);
    CHECK(same(kept[0], ref[0]));
    CHECK(same(kept[1], ref[1]));
    // A new noise power (the chip's conductances changed): a layer outside an inference copy,
    // having read with the old, reads with the new, as a fresh inference copy does.
    auto& noise = dynamic_cast<AdcReadout&>(*conv.readout).noise_power;
    auto layer = conv.clone();
    passes(*layer, kept);
    noise *= Real(4);
    dynamic_cast<AdcReadout&>(*readout_slot(*layer)->get()).noise_power = noise;
    Tensor after[2], fresh[2];
    passes(*layer, after);
    CHECK_FALSE(same(after[0], ref[0]));
    auto again = conv.clone();
    again->prepare_inference();
    passes(*again, fresh);
    CHECK(same(after[0], fresh[0]));
    CHECK(same(after[1], fresh[1]));
  }
}

TEST_CASE("readout: Model::infer's per-thread copies read image i as a layer-by-layer pass does, ADC or not") {
  // Activations past Model::kPipelineBytes take infer's per-thread copies, which each read a
  // part of the batch (before December 2026 they all numbered their reads from the batch's
  // start, so images 64 apart read the same noise).
  const Model m = make_model("c16k3p1,relu,flat,fc3", {1, 64, 64}, 3);
  const Shape in{1, 64, 64};
  const int n = static_cast<int>(Model::kPipelineBytes / (16 * 64 * 64 * sizeof(Real))) + 40;  // 296
  const Tensor x = test::random_tensor(n, in, 11);
  for (int bits : {0, 6}) {
    DeviceParams d = fault_free();
    d.tile = 64;
    d.read_noise_sigma = 0.2;
    d.adc_bits = bits;
    ChipState chip = program_chip(m, d, 3);
    if (bits > 0) calibrate_adc(chip, m, test::random_tensor(32, in, 12));
    INFO("ADC bits " << bits);
    Tensor whole;
    set_threads(2);
    Model a = read_chip(chip, m);
    a.infer(x, whole);  // per-thread copies
    set_threads(1);
    Model b = read_chip(chip, m);
    Tensor part(64, in), y;
    for (int s0 = 0; s0 < n; s0 += 64) {  // the same images, 64 at a time, layer by layer
      const int k = std::min(64, n - s0);
      part.resize(k, in);
      std::copy(x.sample(s0), x.sample(s0) + x.sample_size() * k, part.sample(0));
      b.infer(part, y);
      CHECK(std::equal(y.data(), y.data() + y.size(), whole.sample(s0)));
    }
    // The next pass reads on: the model counted the copies' reads.
    Tensor again;
    a.infer(x, again);
    CHECK_FALSE(same(again, whole));
    set_threads(0);
  }
}

TEST_CASE("readout: evaluating a noisy chip gives the same result at any batch size and on 1 or 2 threads") {
  const Dataset data = test::bars_dataset(100, {1, 12, 12}, 4, 3);
  const Model m = test::trained_model("c4k3,relu,mp2,flat,fc4", data, data, 2, 1);
  DeviceParams d;
  d.tile = 16;
  d.read_noise_sigma = 0.3;
  ChipState chip = program_chip(m, d, 2);
  set_threads(1);
  const ChipReads r1 = evaluate_reads(chip, m, data, 3, 1000);
  set_threads(2);
  const ChipReads r2 = evaluate_reads(chip, m, data, 3, 7);
  set_threads(0);
  REQUIRE(r1.reads.size() == 3);
  CHECK(r1.read_seeds == std::vector<int>{0, 1, 2});
  for (int k = 0; k < 3; ++k) {
    CHECK(r1.reads[k].loss == doctest::Approx(r2.reads[k].loss).epsilon(1e-6));  // sums in another order
    CHECK(r1.reads[k].correct == r2.reads[k].correct);
  }
  CHECK(r1.reads[0].loss != r1.reads[1].loss);
  CHECK(chip.device.read_seed == 0);  // restored
}

TEST_CASE("readout: drift G(t) = G(t0) (t/t0)^-nu, stuck cells keep their value, compensation undoes a global drift") {
  const Model m = make_model("flat,fc6", {1, 4, 4}, 6);
  DeviceParams d;
  d.tile = 8;
  d.drift_nu = 0.05;
  d.drift_nu_std = 0;  // every cell drifts alike
  const ChipState chip = program_chip(m, d, 11);
  const LayerChip& lc = chip.layers[0];
  const Vector w0 = read_back_weights_at(chip, m, 1, false).layers()[1]->weight_param()->value;
  CHECK(w0 == read_back_weights(chip, m).layers()[1]->weight_param()->value);  // default time t0
  const double t = 1e6, factor = std::pow(t, -0.05);
  const Vector wt = read_back_weights_at(chip, m, t, false).layers()[1]->weight_param()->value;
  const double scale = lc.w_max / (d.g_on_siemens - d.g_off_siemens);
  std::size_t stuck = 0;
  for (std::size_t k = 0; k < lc.size(); ++k) {
    const double gp = lc.fault_plus[k] ? lc.g_plus[k] : lc.g_plus[k] * factor;
    const double gm = lc.fault_minus[k] ? lc.g_minus[k] : lc.g_minus[k] * factor;
    stuck += lc.fault_plus[k] != 0 || lc.fault_minus[k] != 0;
    CHECK(wt[static_cast<Eigen::Index>(k)] == doctest::Approx((gp - gm) * scale).epsilon(1e-5));
  }
  CHECK(stuck > 0);  // the default fault rates: some cells did not drift
  // Without faults a global drift is one factor, and compensation undoes it.
  DeviceParams clean = d;
  clean.p_sf0 = clean.p_sf1 = 0;
  ChipState c2 = program_chip(m, clean, 11);
  const std::vector<double> alpha = drift_compensation_scales(c2, t);
  REQUIRE(alpha.size() == 1);
  CHECK(alpha[0] == doctest::Approx(1 / factor).epsilon(1e-5));
  c2.device.time_s = t;
  c2.device.drift_compensation = true;
  const Vector wc = read_back_weights(c2, m).layers()[1]->weight_param()->value;
  const Vector w20 = read_back_weights_at(c2, m, 1, false).layers()[1]->weight_param()->value;
  for (Eigen::Index k = 0; k < wc.size(); ++k) CHECK(wc[k] == doctest::Approx(w20[k]).epsilon(1e-4).scale(1e-6));
  // nu drawn per cell: deterministic, the same on 1 and 2 threads, and it does spread.
  c2.device.drift_nu_std = 0.02;
  c2.device.drift_compensation = false;
  set_threads(1);
  const Vector s1 = read_back_weights(c2, m).layers()[1]->weight_param()->value;
  set_threads(2);
  const Vector s2 = read_back_weights(c2, m).layers()[1]->weight_param()->value;
  set_threads(0);
  CHECK(s1 == s2);
  CHECK(s1 != w20 * static_cast<Real>(factor));
  CHECK_THROWS_AS(read_back_weights_at(c2, m, 0.5, false), Error);
}

TEST_CASE("readout: the ADC calibration is stored in the chip file and used as stored, compensation scaling it") {
  const Model m = make_model("c3k3,relu,flat,fc4", {1, 6, 6}, 4);
  DeviceParams d;
  d.tile = 8;
  d.adc_bits = 5;
  ChipState chip = program_chip(m, d, 21);
  CHECK_FALSE(adc_calibrated(chip));
  Model none = read_back_weights(chip, m);
  CHECK_THROWS_AS(attach_readout(none, chip), Error);
  const Tensor cal = test::random_tensor(40, {1, 6, 6}, 3, 0, 1);
  calibrate_adc(chip, m, cal);
  REQUIRE(adc_calibrated(chip));
  CHECK(chip.layers[0].adc_full_scale.size() == 2);  // 9 rows in tiles of 8
  CHECK(chip.layers[1].adc_full_scale.size() == 6);  // 48 rows
  // attach_adc on the uncalibrated chip computes what calibrate_adc stored.
  ChipState bare = chip;
  for (auto& lc : bare.layers) lc.adc_full_scale.clear();
  Model via_attach = read_back_weights(bare, m);
  attach_adc(via_attach, bare, cal);
  Model stored = read_chip(chip, m);
  const Tensor x = test::random_tensor(10, {1, 6, 6}, 8, 0, 1);
  CHECK(same(via_attach.forward(x, ForwardContext{}), stored.forward(x, ForwardContext{})));
  // Round trip through a chip file.
  ChipArtifact a;
  a.model.model = m;
  a.chip = chip;
  a.creator = "test";
  const ChipArtifact back = decode_chip(encode_chip(a), "c.h5");
  for (std::size_t l = 0; l < chip.layers.size(); ++l) CHECK(back.chip.layers[l].adc_full_scale == chip.layers[l].adc_full_scale);
  Model from_file = read_chip(back.chip, back.model.model);
  CHECK(same(from_file.forward(x, ForwardContext{}), stored.forward(x, ForwardContext{})));
  // A chip file without full scales reads as before (nothing stored, nothing invented).
  ChipArtifact plain = a;
  plain.chip = bare;
  CHECK_FALSE(adc_calibrated(decode_chip(encode_chip(plain), "p.h5").chip));
  // Calibrated at t0 whatever the chip's time; drift compensation scales the full scales.
  ChipState later = chip;
  later.device.time_s = 1e5;
  later.device.drift_compensation = true;
  later.device.drift_nu = 0.05;
  Model on = read_chip(later, m);
  auto& adc = dynamic_cast<AdcReadout&>(*dynamic_cast<Conv2d&>(*on.layers()[0]).readout);
  const std::vector<double> alpha = drift_compensation_scales(later, 1e5);
  CHECK(adc.full_scale[0] == doctest::Approx(chip.layers[0].adc_full_scale[0] * alpha[0]));
  CHECK(alpha[0] > 1);
}

TEST_CASE("readout: RSA trains under fresh reads, reproducibly, and not as on a noiseless chip") {
  const Dataset data = test::bars_dataset(160, {1, 12, 12}, 4, 5);
  const Model m = test::trained_model("c4k3,relu,mp2,flat,fc4", data, data, 2, 1);
  DeviceParams d;
  d.tile = 16;
  d.read_noise_sigma = 0.3;
  const ChipState noisy = program_chip(m, d, 3);
  ChipState quiet = noisy;
  quiet.device.read_noise_sigma = 0;
  const std::vector<int> layers{0, 4};
  RsaTrainOptions o;
  o.epochs = 1;
  o.batch = 16;
  o.lr = 0.05;
  auto train = [&](const ChipState& chip) {
    RsaState st = init_rsa(m, select_rsa(m, layers, 0.1, RsaSelectionKind::balanced, 3, 16), RsaMode::additive, 0.01, 0, 3);
    adapt_rsa(read_chip(chip, m), st, data, data, o, RsaTimeModel{});
    return st.values[0].value;
  };
  const auto a = train(noisy), b = train(noisy), c = train(quiet);
  CHECK(a == b);
  CHECK(a != c);
}
