// Layers, model, loss, optimizer and training loop: gradients by finite differences,
// preset sizes, determinism across thread counts, and exact resume from a checkpoint.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "fixtures.hpp"
#include "nnc/device/adc.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/io/artifact.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/loss.hpp"
#include "nnc/nn/model.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/train/train.hpp"

using namespace nnc;
using nnc::test::random_tensor;

namespace {

// L = sum(r .* layer(x)) in double; checks dL/dx and dL/dparams from backward() against
// central differences at every coordinate (the tensors are small).
void check_layer_gradients(Layer& layer, Shape in, int n, bool training, double lo = -1, double hi = 1) {
  layer.setup(in);
  Rng init(3);
  layer.init(init);
  for (Param* p : layer.params()) {
    Rng r(11);
    if (p->trainable) {
      for (Eigen::Index i = 0; i < p->value.size(); ++i) p->value[i] += static_cast<Real>(0.3 * (r.uniform() - 0.5));
    }
  }
  Tensor x = random_tensor(n, in, 5, lo, hi);
  ForwardContext ctx{training, 9, 1, 0};
  Tensor y;
  layer.forward(x, y, ctx);
  Tensor r = random_tensor(y.n(), y.shape(), 6);
  auto loss = [&](const Tensor& input) {
    Tensor out;
    layer.forward(input, out, ctx);
    double s = 0;
    for (std::size_t i = 0; i < out.size(); ++i) s += double(out.data()[i]) * r.data()[i];
    return s;
  };
  layer.forward(x, y, ctx);
  Tensor dx;
  layer.backward(x, y, r, &dx);
  std::vector<Vector> grads;
  for (Param* p : layer.params()) grads.push_back(p->grad);

  const double eps = 1e-2;
  auto close = [](double analytic, double numeric) {
    return std::fabs(analytic - numeric) <= 2e-3 + 2e-2 * std::fabs(numeric);
  };
  for (std::size_t i = 0; i < x.size(); ++i) {
    Tensor xp = x, xm = x;
    xp.data()[i] += static_cast<Real>(eps);
    xm.data()[i] -= static_cast<Real>(eps);
    const double numeric = (loss(xp) - loss(xm)) / (2 * eps);
    INFO(layer.spec(), " dx[", i, "]");
    CHECK(close(dx.data()[i], numeric));
  }
  auto ps = layer.params();
  for (std::size_t k = 0; k < ps.size(); ++k) {
    if (!ps[k]->trainable) continue;
    for (Eigen::Index i = 0; i < ps[k]->value.size(); ++i) {
      const Real saved = ps[k]->value[i];
      ps[k]->value[i] = saved + static_cast<Real>(eps);
      const double lp = loss(x);
      ps[k]->value[i] = saved - static_cast<Real>(eps);
      const double lm = loss(x);
      ps[k]->value[i] = saved;
      INFO(layer.spec(), " ", ps[k]->name, "[", i, "]");
      CHECK(close(grads[k][i], (lp - lm) / (2 * eps)));
    }
  }
}

// Keeps x away from the kinks of relu and max pooling, where differences are not derivatives.
}  // namespace

TEST_CASE("gradients of every layer match finite differences") {
  SUBCASE("conv with bias, stride and padding") {
    Conv2d l(3, 3, 2, 1, true);
    check_layer_gradients(l, {2, 5, 5}, 2, true);
  }
  SUBCASE("conv without bias, kernel 5") {
    Conv2d l(2, 5, 1, 0, false);
    check_layer_gradients(l, {2, 6, 6}, 2, true);
  }
  SUBCASE("dense") {
    Dense l(4);
    check_layer_gradients(l, {3, 2, 2}, 3, true);
  }
  SUBCASE("relu") {
    Relu l;
    check_layer_gradients(l, {2, 3, 3}, 2, true, 0.05, 1);
  }
  SUBCASE("max pool") {
    Pool l(true, 2);
    check_layer_gradients(l, {2, 4, 4}, 2, true);
  }
  SUBCASE("average pool") {
    Pool l(false, 2);
    check_layer_gradients(l, {2, 5, 4}, 2, true);
  }
  SUBCASE("batch norm, training statistics") {
    BatchNorm l;
    check_layer_gradients(l, {3, 2, 2}, 4, true);
  }
  SUBCASE("batch norm, frozen") {
    BatchNorm l;
    l.frozen = true;
    check_layer_gradients(l, {3, 2, 2}, 4, true);
  }
  SUBCASE("batch norm on dense features") {
    BatchNorm l;
    check_layer_gradients(l, {5, 1, 1}, 6, true);
  }
  SUBCASE("dropout (its mask fixed by the step's seed)") {
    Dropout l(0.4);
    check_layer_gradients(l, {2, 3, 3}, 2, true);
  }
  SUBCASE("flatten") {
    Flatten l;
    check_layer_gradients(l, {2, 2, 3}, 2, true);
  }
}

TEST_CASE("softmax cross-entropy gradient matches finite differences") {
  Tensor z = random_tensor(3, {5, 1, 1}, 4, -2, 2);
  const int labels[3] = {0, 4, 2};
  Tensor dz;
  const LossResult r = softmax_cross_entropy(z, labels, &dz);
  CHECK(r.loss > 0);
  const double eps = 1e-3;
  for (std::size_t i = 0; i < z.size(); ++i) {
    Tensor zp = z, zm = z;
    zp.data()[i] += static_cast<Real>(eps);
    zm.data()[i] -= static_cast<Real>(eps);
    const double numeric =
        (softmax_cross_entropy(zp, labels, nullptr).loss - softmax_cross_entropy(zm, labels, nullptr).loss) / (2 * eps) / 3;
    CHECK(dz.data()[i] == doctest::Approx(numeric).epsilon(1e-2));
  }
}

TEST_CASE("label smoothing: the loss against the smoothed target, and its gradient") {
  Tensor z = random_tensor(3, {5, 1, 1}, 4, -2, 2);
  const int labels[3] = {0, 4, 2};
  const double e = 0.1;
  Tensor dz;
  const LossResult r = softmax_cross_entropy(z, labels, &dz, e);
  double expected = 0;  // sum over samples and k of target_k * -log softmax_k, computed directly
  for (int i = 0; i < 3; ++i) {
    const Real* zi = z.sample(i);
    double sum = 0;
    for (int k = 0; k < 5; ++k) sum += std::exp(double(zi[k]));
    for (int k = 0; k < 5; ++k) {
      const double target = (k == labels[i] ? 1 - e : 0) + e / 5;
      expected -= target * std::log(std::exp(double(zi[k])) / sum);
    }
  }
  CHECK(r.loss == doctest::Approx(expected).epsilon(1e-9));
  CHECK(r.correct == softmax_cross_entropy(z, labels, nullptr).correct);
  const double eps = 1e-3;
  for (std::size_t i = 0; i < z.size(); ++i) {
    Tensor zp = z, zm = z;
    zp.data()[i] += static_cast<Real>(eps);
    zm.data()[i] -= static_cast<Real>(eps);
    const double numeric = (softmax_cross_entropy(zp, labels, nullptr, e).loss -
                            softmax_cross_entropy(zm, labels, nullptr, e).loss) / (2 * eps) / 3;
    CHECK(dz.data()[i] == doctest::Approx(numeric).epsilon(1e-2));
  }
  // Each sample's gradient sums to zero (softmax and target both sum to 1), and the label's
  // entry is pulled up by less than with the one-hot target.
  Tensor d0;
  softmax_cross_entropy(z, labels, &d0);
  for (int i = 0; i < 3; ++i) {
    double total = 0;
    for (int k = 0; k < 5; ++k) total += dz.sample(i)[k];
    CHECK(total == doctest::Approx(0).epsilon(1e-6));
    CHECK(dz.sample(i)[labels[i]] > d0.sample(i)[labels[i]]);
  }
  CHECK_THROWS(softmax_cross_entropy(z, labels, nullptr, 1.0));
}

TEST_CASE("a hand-computed convolution") {
  // 1 input channel 3x3, one 2x2 filter of ones, bias 1: each output is the window sum + 1.
  Conv2d conv(1, 2, 1, 0, true);
  conv.setup({1, 3, 3});
  conv.weight.value.setOnes();
  conv.bias.value.setConstant(1);
  Tensor x(1, {1, 3, 3});
  for (int i = 0; i < 9; ++i) x.data()[i] = static_cast<Real>(i);
  Tensor y;
  conv.forward(x, y, {});
  REQUIRE(y.shape() == Shape{1, 2, 2});
  CHECK(y.data()[0] == 0 + 1 + 3 + 4 + 1);
  CHECK(y.data()[1] == 1 + 2 + 4 + 5 + 1);
  CHECK(y.data()[2] == 3 + 4 + 6 + 7 + 1);
  CHECK(y.data()[3] == 4 + 5 + 7 + 8 + 1);
}

TEST_CASE("presets have the parameter counts of docs/design.md section 5") {
  CHECK(Model("lenet5", {1, 28, 28}, 10).param_count() == 431080);
  CHECK(Model("lenet300", {1, 28, 28}, 10).param_count() == 266610);
  CHECK(Model("cnn9", {3, 32, 32}, 10).param_count() == 962282);
  CHECK(Model("vgg16", {3, 32, 32}, 10).param_count() == 15249354);
}

TEST_CASE("specs: the grammar and its errors") {
  Model m("c8k5s2p1,bn,relu,ap2,drop0.25,flat,fc10", {1, 28, 28}, 10);
  CHECK(m.spec() == "c8k5s2p1,bn,relu,ap2,drop0.25,flat,fc10");
  CHECK(m.layers()[0]->params().size() == 1);  // conv before bn has no bias
  CHECK_THROWS_AS(Model("c8,foo,fc10", {1, 28, 28}, 10), Error);
  CHECK_THROWS_AS(Model("", {1, 28, 28}, 10), Error);
  CHECK_THROWS_AS(Model("c0,flat,fc10", {1, 28, 28}, 10), Error);
  CHECK_THROWS_AS(Model("flat,fc12", {1, 28, 28}, 10), Error);      // 12 outputs, 10 classes
  CHECK_THROWS_AS(Model("c8k31,flat,fc10", {1, 28, 28}, 10), Error);  // kernel larger than input
  CHECK_THROWS_AS(Model("notapreset", {1, 28, 28}, 10), Error);
  try {
    Model("c8,mp2,fc10x", {1, 28, 28}, 10);
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("'fc10x'") != std::string::npos);
    CHECK(e.kind() == ErrorKind::bad_input);
  }
}

namespace {

TrainOptions tiny_options(int epochs) { return test::small_train_options(epochs, 0.05, 42); }

std::vector<float> flat_params(Model& m) {
  std::vector<float> out;
  for (Param* p : m.params()) out.insert(out.end(), p->value.data(), p->value.data() + p->value.size());
  return out;
}

const char* kTinySpec = "c4k3,bn,relu,mp2,drop0.2,flat,fc12,relu,fc4";

}  // namespace

TEST_CASE("training learns the fixture and the result does not depend on the thread count") {
  const Dataset data = test::bars_dataset(400);
  const auto [tr, val] = split_validation(data, 80);
  std::vector<float> results[2];
  for (int threads : {1, 2}) {
    set_threads(threads);
    Model m(kTinySpec, tr.shape, tr.classes);
    m.init(1);
    TrainState st;
    train(m, tr, val, tiny_options(3), st);
    CHECK(st.history.back().val_accuracy > 0.9);
    results[threads - 1] = flat_params(m);
  }
  set_threads(0);
  CHECK(results[0] == results[1]);
}

TEST_CASE("a run interrupted mid-epoch and resumed from its checkpoint ends bitwise equal") {
  const Dataset data = test::bars_dataset(400);
  const auto [tr, val] = split_validation(data, 80);
  const TrainOptions opt = tiny_options(3);

  Model whole(kTinySpec, tr.shape, tr.classes);
  whole.init(1);
  TrainState whole_state;
  train(whole, tr, val, opt, whole_state);

  // Stop after 27 steps (mid-epoch 2); the checkpoint goes through the HDF5 encoder.
  Model part(kTinySpec, tr.shape, tr.classes);
  part.init(1);
  TrainState st;
  const Bytes checkpoint = test::train_until_stopped(part, tr, val, opt, st, 27);
  REQUIRE(st.epoch == 1);
  REQUIRE(st.step > 0);

  ModelArtifact resumed = decode_model(checkpoint, "checkpoint");
  REQUIRE(resumed.checkpoint);
  TrainState rs = *resumed.checkpoint;
  train(resumed.model, tr, val, opt, rs);
  CHECK(flat_params(resumed.model) == flat_params(whole));
  REQUIRE(rs.history.size() == whole_state.history.size());
  for (std::size_t i = 0; i < rs.history.size(); ++i) {
    CHECK(rs.history[i].train_loss == whole_state.history[i].train_loss);
    CHECK(rs.history[i].val_accuracy == whole_state.history[i].val_accuracy);
  }
}

TEST_CASE("evaluate counts a confusion matrix that adds up") {
  const Dataset data = test::bars_dataset(50);
  Model m("flat,fc4", data.shape, data.classes);
  m.init(2);
  const EvalResult r = evaluate(m, data, 0, 16);
  std::size_t sum = 0, diag = 0;
  for (std::size_t t = 0; t < 4; ++t)
    for (std::size_t p = 0; p < 4; ++p) {
      sum += r.confusion[t * 4 + p];
      if (t == p) diag += r.confusion[t * 4 + p];
    }
  CHECK(sum == 50);
  CHECK(diag == r.correct);
  CHECK(r.accuracy == doctest::Approx(double(r.correct) / 50));
}

namespace {

// Batch norm statistics and affine maps away from the identity (a fresh layer's are 0, 1, 1, 0).
void randomize_batch_norms(Model& m) {
  Rng r(7);
  for (auto& l : m.layers()) {
    auto* bn = dynamic_cast<BatchNorm*>(l.get());
    if (!bn) continue;
    for (Eigen::Index c = 0; c < bn->gamma.value.size(); ++c) {
      bn->gamma.value[c] = static_cast<Real>(0.5 + r.uniform());
      bn->beta.value[c] = static_cast<Real>(r.uniform() - 0.5);
      bn->running_mean.value[c] = static_cast<Real>(0.2 * (r.uniform() - 0.5));
      bn->running_var.value[c] = static_cast<Real>(0.5 + r.uniform());
    }
  }
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(double(a.data()[i]) - b.data()[i]));
  return worst;
}

}  // namespace

TEST_CASE("a conv with its batch norm, ReLU and max pool folded in gives the layers' output") {
  // 16 inputs: the Winograd path, which can pool (4x4 tiles from 8x8 up, 2x2 below; 10x14
  // clips the last tiles); 3 inputs: im2col. In float: the fused weights round differently.
  const nnc::test::ProductsMode float_products(false);
  const struct {
    const char* spec;
    Shape in;
    int outputs;
  } cases[] = {{"c8p1,bn,relu", {16, 8, 8}, 512},      {"c8p1,bn,relu", {3, 8, 8}, 512},
               {"c8p1,bn,relu,mp2", {16, 8, 8}, 128},  {"c8p1,bn,relu,mp2", {16, 6, 6}, 72},
               {"c8p1,bn,relu,mp2", {16, 10, 14}, 280}, {"c8p1,bn,relu", {16, 9, 11}, 792}};
  for (const auto& k : cases) {
    Model m(k.spec, k.in, k.outputs);
    m.init(2);
    randomize_batch_norms(m);
    const Tensor x = random_tensor(4, k.in, 5);
    const Tensor ref = m.forward(x, ForwardContext{});
    auto conv = m.layers()[0]->clone();
    std::vector<Real> scale, shift;
    dynamic_cast<const BatchNorm&>(*m.layers()[1]).inference_affine(scale, shift);
    const bool pool = m.layers().size() == 4;
    REQUIRE(dynamic_cast<Conv2d&>(*conv).can_fuse_pool() == (k.in.c == 16 && k.in.h % 2 == 0 && k.in.w % 2 == 0));
    dynamic_cast<Conv2d&>(*conv).fuse_inference(scale, shift, true, pool);
    Tensor y;
    conv->forward(x, y, ForwardContext{});
    INFO(k.spec, " on ", k.in.str());
    REQUIRE(y.shape() == ref.shape());
    // Rounding only: the fused weights round differently through the transforms (F(4x4,3x3)'s
    // error constant is about 10 times F(2x2,3x3)'s, docs/algorithms.md).
    const double largest = std::fabs(ref.mat().cwiseAbs().maxCoeff());
    CHECK(largest > 1);
    CHECK(max_abs_diff(y, ref) <= 1e-5 * largest);
    double negative = 0;
    for (std::size_t i = 0; i < y.size(); ++i) negative = std::min(negative, double(y.data()[i]));
    CHECK(negative == 0);
  }
}

namespace {

// An ADC of `bits` (0: none) over row blocks of `block_rows`, with read noise of power 0.01 per
// weight when `noise`, on every conv of m (its layer index the noise stream).
void attach_test_readouts(Model& m, int bits, bool noise, int block_rows) {
  for (std::size_t i = 0; i < m.layers().size(); ++i) {
    auto* conv = dynamic_cast<Conv2d*>(m.layers()[i].get());
    if (!conv) continue;
    auto a = std::make_unique<AdcReadout>();
    a->bits = bits;
    a->block_rows = block_rows;
    a->full_scale.assign(static_cast<std::size_t>(a->blocks(conv->rows())), 1.0);  // 6 bits: steps of 1/31
    if (noise) a->noise_power = Vector::Constant(conv->weight.value.size(), Real(0.01));
    a->chip_seed = 9;
    a->read_seed = 1;
    a->layer = static_cast<int>(i);
    conv->readout = std::move(a);
  }
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.n() == b.n() && std::equal(a.data(), a.data() + a.size(), b.data());
}

}  // namespace

TEST_CASE("a conv read through a readout applies its fused batch norm after the read-out, then ReLU and pool: the layers' bits") {
  // 16 inputs: an ADC reads the row blocks by Winograd, noise alone takes the Winograd product;
  // 3 inputs: im2col and direct. Odd maps: the pool drops the last row and column.
  const struct {
    Shape in;
    bool pool;
  } cases[] = {{{16, 8, 8}, false}, {{16, 8, 8}, true}, {{3, 8, 8}, true}, {{16, 7, 9}, true}};
  const struct {
    int bits;
    bool noise;
  } reads[] = {{6, false}, {0, true}, {6, true}};
  for (const auto& k : cases) {
    for (const auto& r : reads) {
      Model m(k.pool ? "c8p1,bn,relu,mp2" : "c8p1,bn,relu", k.in, static_cast<int>(Shape{8, k.in.h / (k.pool ? 2 : 1), k.in.w / (k.pool ? 2 : 1)}.size()));
      m.init(2);
      randomize_batch_norms(m);
      attach_test_readouts(m, r.bits, r.noise, 40);
      const Tensor x = random_tensor(20, k.in, 5);
      INFO(k.in.str(), " pool ", k.pool, " ADC bits ", r.bits, " noise ", r.noise);
      const ForwardContext ctx;
      // The reference: the layers one by one, as Model::infer's copies ran them before (the
      // ReLU a layer of its own).
      std::vector<LayerPtr> layers;
      for (const auto& l : m.layers()) layers.push_back(l->clone());
      std::vector<Tensor> acts(layers.size() + 1);
      acts[0] = x;
      for (std::size_t i = 0; i < layers.size(); ++i) layers[i]->forward(acts[i], acts[i + 1], ctx);
      const Tensor& ref = acts.back();
      std::vector<Real> scale, shift;
      dynamic_cast<const BatchNorm&>(*m.layers()[1]).inference_affine(scale, shift);
      auto fused = m.layers()[0]->clone();
      auto& conv = dynamic_cast<Conv2d&>(*fused);
      REQUIRE(conv.can_fuse_pool());
      conv.fuse_inference(scale, shift, true, k.pool);
      Tensor y;
      conv.forward(x, y, ctx);
      CHECK(same_bits(y, ref));
      // The test tells the batch norm's place: applied before the read-out (folded into the
      // weights and bias) or left out, the read-out gives other bits.
      auto before = m.layers()[0]->clone();
      auto& folded = dynamic_cast<Conv2d&>(*before);
      ReadoutPtr readout = folded.readout;
      folded.readout.reset();
      folded.fuse_inference(scale, shift, false, false);  // into the weights and bias
      folded.readout = readout;
      Tensor a, b;
      folded.forward(x, a, ctx);
      for (std::size_t i = 2; i < layers.size(); ++i) {  // the ReLU and the pool
        layers[i]->forward(a, b, ctx);
        std::swap(a, b);
      }
      CHECK_FALSE(same_bits(a, ref));
      std::vector<Real> ones(scale.size(), Real(1)), zeros(scale.size(), Real(0));
      auto skipped = m.layers()[0]->clone();
      dynamic_cast<Conv2d&>(*skipped).fuse_inference(ones, zeros, true, k.pool);
      skipped->forward(x, a, ctx);
      CHECK_FALSE(same_bits(a, ref));
    }
  }
}

TEST_CASE("inference past the pipeline size on a chip with an ADC and read noise: the fused read-out gives the layers' bits") {
  const Shape in{3, 32, 32};
  Model m("c16p1,bn,relu,c16p1,bn,relu,mp2,flat,fc10", in, 10);
  m.init(4);
  randomize_batch_norms(m);
  const int n = 1040;  // past Model::kPipelineBytes (16 x 32 x 32 floats a sample)
  REQUIRE(std::size_t{n} * 16 * 32 * 32 * sizeof(Real) > Model::kPipelineBytes);
  const Tensor x = random_tensor(n, in, 5);
  for (const bool adc : {true, false}) {
    INFO("ADC ", adc);
    Model chip = m;
    attach_test_readouts(chip, adc ? 6 : 0, true, 40);
    // The reference: every layer over the whole batch, from copies whose reads start where the
    // chip's do.
    const Model copy = chip;
    std::vector<Tensor> acts(copy.layers().size() + 1);
    acts[0] = x;
    for (std::size_t i = 0; i < copy.layers().size(); ++i) {
      ForwardContext ctx;
      ctx.layer_index = static_cast<int>(i);
      copy.layers()[i]->clone()->forward(acts[i], acts[i + 1], ctx);
    }
    for (int threads : {1, 2}) {
      Model read = chip;
      set_threads(threads);
      Tensor out;
      read.infer(x, out);
      CHECK(std::equal(out.data(), out.data() + out.size(), acts.back().data()));
    }
    set_threads(0);
  }
}

TEST_CASE("inference past the pipeline size folds conv, batch norm, ReLU and pool, matches forward, not the thread count") {
  const nnc::test::ProductsMode float_products(false);  // the fused weights round differently
  const Shape in{3, 32, 32};
  Model m("c16p1,bn,relu,c16p1,bn,relu,mp2,c8p1,bn,flat,fc10", in, 10);
  m.init(4);
  randomize_batch_norms(m);
  // 16 x 32 x 32 floats a sample: 1,040 samples pass Model::kPipelineBytes.
  const int n = 1040, slice = 104;
  REQUIRE(std::size_t{n} * 16 * 32 * 32 * sizeof(Real) > Model::kPipelineBytes);
  REQUIRE(std::size_t{slice} * 16 * 32 * 32 * sizeof(Real) <= Model::kPipelineBytes);
  const Tensor x = random_tensor(n, in, 5);
  Tensor out[2];
  for (int threads : {1, 2}) {
    set_threads(threads);
    m.infer(x, out[threads - 1]);
  }
  set_threads(0);
  CHECK(std::equal(out[0].data(), out[0].data() + out[0].size(), out[1].data()));
  // The reference: forward() layer by layer, on slices below the pipeline size.
  const auto [worst, largest] = test::deviation_from_slices(m, x, out[0], slice);
  CHECK(largest > 0.1);
  CHECK(worst <= 1e-5 * largest);
}

TEST_CASE("a ReLU after a batch norm runs inside it: the same bits as the two layers, forward and backward") {
  const Shape in{16, 6, 6};
  Model m("c8p1,bn,relu,mp2,flat,fc10", in, 10);
  m.init(4);
  randomize_batch_norms(m);
  const Tensor x = random_tensor(5, in, 5);
  const ForwardContext ctx{true, 1, 0, 0};
  const Tensor logits = m.forward(x, ctx);
  CHECK(!m.relu_folded(1));
  CHECK(m.relu_folded(2));
  Tensor dlogits = random_tensor(5, logits.shape(), 6);
  m.backward(dlogits, true);
  std::vector<Vector> grads;
  for (Param* p : m.params()) grads.push_back(p->grad);
  const Tensor dx = m.input_grad();
  // The reference: each layer's own forward and backward, the ReLU a layer of its own.
  auto& layers = m.layers();
  std::vector<Tensor> acts(layers.size() + 1), dacts(layers.size() + 1);
  acts[0] = x;
  for (std::size_t i = 0; i < layers.size(); ++i) layers[i]->forward(acts[i], acts[i + 1], ctx);
  CHECK(m.activation(3).mat() == acts[3].mat());  // the folded ReLU's output
  CHECK(logits.mat() == acts.back().mat());
  dacts.back() = dlogits;
  for (std::size_t i = layers.size(); i-- > 0;) layers[i]->backward(acts[i], acts[i + 1], dacts[i + 1], &dacts[i]);
  CHECK(dx.mat() == dacts[0].mat());
  std::size_t k = 0;
  for (Param* p : m.params()) CHECK(p->grad == grads[k++]);
}

TEST_CASE("SGD keeps masked weights at exactly zero") {
  Param p;
  p.resize({4});
  p.value << 1, 2, 3, 4;
  p.mask = {1, 0, 1, 0};
  p.apply_mask();
  p.grad << 0.5, 0.5, 0.5, 0.5;
  for (int i = 0; i < 3; ++i) sgd_step({&p}, 0.1, SgdOptions{});
  CHECK(p.value[1] == 0);
  CHECK(p.value[3] == 0);
  CHECK(p.value[0] < 1);
}

TEST_CASE("schedules") {
  Schedule s;
  s.lr = 0.1;
  s.kind = "cosine";
  CHECK(s.at(0, 10, 0.0) == doctest::Approx(0.1));
  CHECK(s.at(5, 10, 0.5) == doctest::Approx(0.05));
  s.kind = "step";
  s.step_epochs = 2;
  CHECK(s.at(1, 10, 0.1) == doctest::Approx(0.1));
  CHECK(s.at(2, 10, 0.2) == doctest::Approx(0.01));
  s.kind = "nonsense";
  CHECK_THROWS_AS(s.at(0, 1, 0), Error);
}

TEST_CASE("a warmup ramps the learning rate up from 0, then hands over to the schedule") {
  Schedule s;
  s.lr = 0.1;
  s.kind = "cosine";
  s.warmup_epochs = 2;
  CHECK(s.at(0, 10, 0.0) == 0);
  CHECK(s.at(0, 10, 0.05) == doctest::Approx(0.25 * 0.1 * 0.5 * (1 + std::cos(3.141592653589793 * 0.05))));
  CHECK(s.at(1, 10, 0.15) == doctest::Approx(0.75 * 0.1 * 0.5 * (1 + std::cos(3.141592653589793 * 0.15))));
  Schedule plain = s;
  plain.warmup_epochs = 0;
  CHECK(s.at(2, 10, 0.2) == plain.at(2, 10, 0.2));
  CHECK(s.at(5, 10, 0.5) == plain.at(5, 10, 0.5));
  s.kind = "constant";
  CHECK(s.at(0, 10, 0.1) == doctest::Approx(0.05));
  CHECK(s.at(3, 10, 0.3) == 0.1);
  s.warmup_epochs = 10;
  CHECK_THROWS_AS(s.at(0, 10, 0.0), Error);
  // In the library's words: the tools name the flag (cli/options.cpp TrainFlags::resolved).
  CHECK(test::error_of([&] { s.at(0, 10, 0.0); }) == "a warmup of 10 epochs must be shorter than the run (10 epochs)");
}
