// Networks that are graphs (docs/design.md section 5): the residual layers' gradients by finite
// differences, a residual model's forward against its layers composed by hand and its gradient
// (summed where an output has two readers) against finite differences, the CIFAR ResNet
// presets' sizes, the spec grammar of graphs and its errors, inference, training, checkpoints
// and HDF5 round trips of a graph.
#include <doctest/doctest.h>

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "fixtures.hpp"
#include "nnc/io/artifact.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/model.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/nn/residual.hpp"
#include "nnc/train/train.hpp"

using namespace nnc;
using nnc::test::random_tensor;

namespace {

bool close(double analytic, double numeric) { return std::fabs(analytic - numeric) <= 2e-3 + 2e-2 * std::fabs(numeric); }

double weighted_sum(const Tensor& y, const Tensor& r) {
  double s = 0;
  for (std::size_t i = 0; i < y.size(); ++i) s += double(y.data()[i]) * r.data()[i];
  return s;
}

// A one-input layer without params: dL/dx of L = sum(r .* layer(x)) against central differences.
void check_input_gradient(Layer& layer, Shape in, int n) {
  layer.setup(in);
  Tensor x = random_tensor(n, in, 5), y, dx;
  layer.forward(x, y, ForwardContext{});
  const Tensor r = random_tensor(y.n(), y.shape(), 6);
  layer.backward(x, y, r, &dx);
  const double eps = 1e-2;
  for (std::size_t i = 0; i < x.size(); ++i) {
    Tensor xp = x, xm = x, yp, ym;
    xp.data()[i] += static_cast<Real>(eps);
    xm.data()[i] -= static_cast<Real>(eps);
    layer.forward(xp, yp, ForwardContext{});
    layer.forward(xm, ym, ForwardContext{});
    INFO(layer.spec(), " dx[", i, "]");
    CHECK(close(dx.data()[i], (weighted_sum(yp, r) - weighted_sum(ym, r)) / (2 * eps)));
  }
}

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

std::vector<float> flat_params(Model& m) {
  std::vector<float> out;
  for (Param* p : m.params()) out.insert(out.end(), p->value.data(), p->value.data() + p->value.size());
  return out;
}

// Two residual blocks on 1x12x12 bars: an identity shortcut, then one of option A halving the
// side and doubling the width.
const char* kResidualSpec =
    "c8p1,bn,r=relu,c8p1,bn,relu,c8p1,bn,add@r,b=relu,s=id16s2,c16s2p1@b,bn,relu,c16p1,bn,add@s,relu,gap,fc4";

}  // namespace

TEST_CASE("gradients of the residual layers match finite differences") {
  SUBCASE("global average pooling") {
    GlobalAvgPool l;
    check_input_gradient(l, {3, 3, 4}, 2);
  }
  SUBCASE("identity shortcut, option A, stride 2, odd side") {
    PadShortcut l(6, 2);
    check_input_gradient(l, {2, 5, 5}, 2);
  }
  SUBCASE("identity shortcut, stride 1, the same width") {
    PadShortcut l(3, 1);
    check_input_gradient(l, {3, 2, 3}, 2);
  }
  SUBCASE("add: each input's gradient is dy") {
    Add l;
    const Shape in{2, 3, 3};
    CHECK(l.setup_inputs({in, in}) == in);
    const Tensor a = random_tensor(2, in, 1), b = random_tensor(2, in, 2), dy = random_tensor(2, in, 3);
    Tensor y, da, db;
    l.forward_inputs({&a, &b}, y, ForwardContext{});
    CHECK(y.mat() == (a.mat() + b.mat()));
    l.backward_inputs({&a, &b}, y, dy, {&da, &db});
    CHECK(da.mat() == dy.mat());
    CHECK(db.mat() == dy.mat());
    CHECK_THROWS_AS(l.setup_inputs({in, Shape{2, 3, 4}}), Error);
  }
}

TEST_CASE("an add with the ReLU after it in its pass (relu_after) is bitwise the add then the ReLU") {
  Add add;
  Relu relu;
  const Shape in{3, 5, 7};
  add.setup_inputs({in, in});
  relu.setup(in);
  const int n = 20;  // two sample chunks
  const Tensor a = random_tensor(n, in, 11), b = random_tensor(n, in, 12), dy = random_tensor(n, in, 13);
  Tensor sum, y, dsum, da, db;
  add.forward_inputs({&a, &b}, sum, ForwardContext{});
  relu.forward(sum, y, ForwardContext{});
  relu.backward(sum, y, dy, &dsum);
  ForwardContext ctx;
  ctx.relu_after = true;
  Tensor fused_y, fused_da, fused_db;
  add.forward_inputs({&a, &b}, fused_y, ctx);
  CHECK(fused_y.mat() == y.mat());
  CHECK((y.mat().array() == 0).count() > 0);
  add.backward_inputs({&a, &b}, fused_y, dy, {&fused_da, &fused_db});
  CHECK(fused_da.mat() == dsum.mat());
  CHECK(fused_db.mat() == dsum.mat());
  add.backward_inputs({&a, &b}, fused_y, dy, {nullptr, &fused_db});
  CHECK(fused_db.mat() == dsum.mat());
  // A model runs the ReLU after an add in the add's pass, with the layers' numbers.
  const Shape min{2, 6, 6};
  Model m("c4p1,bn,a=relu,c4p1,bn,add@a,relu,gap,fc3", min, 3);
  m.init(2);
  randomize_batch_norms(m);
  const Tensor x = random_tensor(3, min, 4);
  const ForwardContext train{true, 1, 0, 0};
  const Tensor logits = m.forward(x, train);
  CHECK(m.relu_folded(6));
  auto& L = m.layers();
  Tensor t[9];
  L[0]->forward(x, t[0], train);
  L[1]->forward(t[0], t[1], train);
  L[2]->forward(t[1], t[2], train);
  L[3]->forward(t[2], t[3], train);
  L[4]->forward(t[3], t[4], train);
  t[5].resize(3, t[4].shape());
  t[5].mat() = t[4].mat() + t[2].mat();
  L[6]->forward(t[5], t[6], train);
  L[7]->forward(t[6], t[7], train);
  L[8]->forward(t[7], t[8], train);
  CHECK(logits.mat() == t[8].mat());
}

TEST_CASE("a residual model's training pass, the adds' ReLUs folded, gives the same bits on 1 and 2 threads") {
  // 16 channels and 16x16 maps: the Winograd path, whose chunks the threads share.
  const Shape in{3, 16, 16};
  const char* spec = "c16p1,bn,r=relu,c16p1,bn,relu,c16p1,bn,add@r,b=relu,s=id32s2,c32s2p1@b,bn,relu,c32p1,bn,add@s,relu,gap,fc4";
  const Tensor x = random_tensor(40, in, 31), r = random_tensor(40, {4, 1, 1}, 32);
  std::vector<std::vector<float>> grads(2);
  std::vector<Tensor> logits(2), dx(2);
  for (int threads : {1, 2}) {
    set_threads(threads);
    Model m(spec, in, 4);
    m.init(6);
    logits[threads - 1] = m.forward(x, ForwardContext{true, 1, 0, 0});
    CHECK(m.relu_folded(9));
    m.backward(r, true);
    dx[threads - 1] = m.input_grad();
    for (Param* p : m.params()) grads[threads - 1].insert(grads[threads - 1].end(), p->grad.data(), p->grad.data() + p->grad.size());
  }
  set_threads(0);
  CHECK(logits[0].mat() == logits[1].mat());
  CHECK(dx[0].mat() == dx[1].mat());
  CHECK(grads[0] == grads[1]);
}

TEST_CASE("a stride-2 3x3 conv at inference goes direct: the sums in double, the same bits on 1 and 2 threads") {
  // Output rows of 16 (one vector) and 17 (a scalar tail, an odd row count), output channels in
  // blocks of 8 and singly (11), the fused ReLU.
  for (const Shape in : {Shape{5, 32, 32}, Shape{16, 33, 34}}) {
    for (bool relu : {false, true}) {
      Conv2d conv(11, 3, 2, 1, true);
      const Shape out = conv.setup(in);
      Rng rng(3);
      conv.init(rng);
      for (Eigen::Index o = 0; o < conv.bias.value.size(); ++o) conv.bias.value[o] = static_cast<Real>(0.1 * (o % 3) - 0.1);
      CHECK(conv.uses_direct());
      CHECK(!conv.uses_direct(true));  // training keeps im2col
      if (relu) conv.fuse_inference(std::vector<Real>(11, Real(1)), std::vector<Real>(11, Real(0)), true, false);
      const Tensor x = random_tensor(18, in, 21);
      Tensor y[2];
      for (int threads : {1, 2}) {
        set_threads(threads);
        Conv2d copy = conv;
        copy.forward(x, y[threads - 1], ForwardContext{});
      }
      set_threads(0);
      CHECK(y[0].mat() == y[1].mat());
      double worst = 0, largest = 0;
      for (int s = 0; s < x.n(); ++s) {
        for (int o = 0; o < out.c; ++o) {
          for (int oy = 0; oy < out.h; ++oy) {
            for (int ox = 0; ox < out.w; ++ox) {
              double sum = conv.bias.value[o], size = std::fabs(sum);
              for (int c = 0; c < in.c; ++c) {
                for (int i = 0; i < 3; ++i) {
                  for (int j = 0; j < 3; ++j) {
                    const int iy = 2 * oy - 1 + i, ix = 2 * ox - 1 + j;
                    if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) continue;
                    const double t = double(conv.weight.value[((o * in.c + c) * 3 + i) * 3 + j]) *
                                     x.sample(s)[(c * in.h + iy) * in.w + ix];
                    sum += t;
                    size += std::fabs(t);
                  }
                }
              }
              if (relu) sum = std::max(sum, 0.0);
              worst = std::max(worst, std::fabs(y[0].sample(s)[(o * out.h + oy) * out.w + ox] - sum));
              largest = std::max(largest, size);
            }
          }
        }
      }
      INFO(in.str(), relu ? " relu" : "");
      CHECK(worst <= 1e-6 * largest);
    }
  }
}

TEST_CASE("the identity shortcut subsamples and puts the input channels in the middle of the zeros") {
  PadShortcut l(4, 2);
  CHECK(l.setup({2, 3, 3}) == Shape{4, 2, 2});
  CHECK(l.spec() == "id4s2");
  Tensor x(1, {2, 3, 3}), y;
  for (int i = 0; i < 18; ++i) x.data()[i] = static_cast<Real>(i + 1);
  l.forward(x, y, ForwardContext{});
  // Channel 0 of the output is zero, channels 1 and 2 hold rows and columns 0 and 2 of the
  // input's channels 0 and 1, channel 3 is zero.
  const std::vector<Real> want = {0, 0, 0, 0, 1, 3, 7, 9, 10, 12, 16, 18, 0, 0, 0, 0};
  CHECK(std::vector<Real>(y.data(), y.data() + y.size()) == want);
}

TEST_CASE("a residual model's forward pass is its layers composed by hand") {
  const Shape in{2, 6, 6};
  Model m("c4p1,bn,a=relu,c4p1,bn,add@a,gap,fc3", in, 3);
  m.init(2);
  randomize_batch_norms(m);
  CHECK(!m.is_chain());
  CHECK(m.layer_inputs(5) == std::vector<int>{4, 2});
  const Tensor x = random_tensor(3, in, 4);
  for (bool training : {false, true}) {
    const ForwardContext ctx{training, 1, 0, 0};
    const Tensor logits = m.forward(x, ctx);
    auto& L = m.layers();
    Tensor t[8];
    L[0]->forward(x, t[0], ctx);
    L[1]->forward(t[0], t[1], ctx);
    L[2]->forward(t[1], t[2], ctx);
    L[3]->forward(t[2], t[3], ctx);
    L[4]->forward(t[3], t[4], ctx);
    t[5].resize(3, t[4].shape());
    t[5].mat() = t[4].mat() + t[2].mat();
    L[6]->forward(t[5], t[6], ctx);
    L[7]->forward(t[6], t[7], ctx);
    CHECK(logits.mat() == t[7].mat());
  }
}

TEST_CASE("a residual model's gradient, summed over an output's readers, matches finite differences") {
  // Every shortcut kind: identity, option A (id8s2), a 1x1 projection with batch norm; layer a
  // has two readers, b three. No ReLU, whose kinks are not derivatives.
  const Shape in{2, 6, 6};
  Model m("c4p1,a=bn,c4p1,bn,b=add@a,s=id8s2,c8s2p1@b,bn,c=add@s,c8k1s2@b,bn,add@c,gap,fc3", in, 3);
  m.init(5);
  randomize_batch_norms(m);
  const Tensor x = random_tensor(4, in, 8);
  const ForwardContext ctx{true, 1, 0, 0};
  const Tensor r = random_tensor(4, {3, 1, 1}, 9);
  auto loss = [&](const Tensor& input) { return weighted_sum(m.forward(input, ctx), r); };
  m.forward(x, ctx);
  m.backward(r, true);
  const Tensor dx = m.input_grad();
  std::vector<Vector> grads;
  for (Param* p : m.params()) grads.push_back(p->grad);
  const double eps = 1e-2;
  for (std::size_t i = 0; i < x.size(); i += 3) {
    Tensor xp = x, xm = x;
    xp.data()[i] += static_cast<Real>(eps);
    xm.data()[i] -= static_cast<Real>(eps);
    INFO("dx[", i, "]");
    CHECK(close(dx.data()[i], (loss(xp) - loss(xm)) / (2 * eps)));
  }
  auto ps = m.params();
  for (std::size_t k = 0; k < ps.size(); ++k) {
    if (!ps[k]->trainable) continue;
    for (Eigen::Index i = 0; i < ps[k]->value.size(); i += 2) {
      const Real saved = ps[k]->value[i];
      ps[k]->value[i] = saved + static_cast<Real>(eps);
      const double lp = loss(x);
      ps[k]->value[i] = saved - static_cast<Real>(eps);
      const double lm = loss(x);
      ps[k]->value[i] = saved;
      INFO("param ", k, " (", ps[k]->name, ") [", i, "]");
      CHECK(close(grads[k][i], (lp - lm) / (2 * eps)));
    }
  }
}

TEST_CASE("the CIFAR ResNet presets: He et al.'s sizes, and their specs read back as written") {
  // He et al. 2016, Table 6: 0.27M, 0.46M and 0.85M parameters.
  const std::pair<const char*, std::size_t> presets[] = {{"resnet20", 269722}, {"resnet32", 464154}, {"resnet56", 853018}};
  for (const auto& [name, params] : presets) {
    INFO(name);
    const Model m(name, {3, 32, 32}, 10);
    CHECK(m.param_count() == params);
    CHECK(Model(m.spec(), {3, 32, 32}, 10).spec() == m.spec());
    CHECK(m.spec() == preset_spec(name));
    CHECK(m.layers().back()->output_shape() == Shape{10, 1, 1});
  }
  CHECK(std::fabs(Model("resnet20", {3, 32, 32}, 10).param_count() / 1e6 - 0.27) < 0.005);
  CHECK(std::fabs(Model("resnet32", {3, 32, 32}, 10).param_count() / 1e6 - 0.46) < 0.005);
  CHECK(std::fabs(Model("resnet56", {3, 32, 32}, 10).param_count() / 1e6 - 0.85) < 0.005);
  // 6n + 2 weighted layers; stride-2 blocks shortcut by option A (no parameters).
  const Model r20("resnet20", {3, 32, 32}, 10);
  int weighted = 0, shortcuts = 0, adds = 0;
  for (const auto& l : r20.layers()) {
    weighted += l->is_mapped();
    shortcuts += l->type() == "shortcut";
    adds += l->type() == "add";
  }
  CHECK(weighted == 20);
  CHECK(shortcuts == 2);
  CHECK(adds == 9);
}

TEST_CASE("graph specs: names, inputs, and the malformed ones refused in one line") {
  const Shape in{1, 8, 8};
  // A chain reads as before; a graph writes its names and out-of-turn inputs back.
  CHECK(Model("c4,relu,flat,fc3", in, 3).is_chain());
  const std::string graph = "c4p1,x=relu,c4p1@in,add@x,gap,fc3";
  CHECK(Model(graph, in, 3).spec() == graph);
  CHECK(Model("a=c4p1,b=c4p1@in,add@a+b,gap,fc3", in, 3).spec() == "a=c4p1,b=c4p1@in,add@a+b,gap,fc3");
  CHECK(Model("a=c4p1,b=c4p1@in,add@a+b,gap,fc3", in, 3).layer_inputs(2) == std::vector<int>{0, 1});
  // A conv before a batch norm that reads another layer keeps its bias.
  CHECK(Model("a=c4p1,c=c4p1,bn@a,add@c,gap,fc3", in, 3).layers()[1]->params().size() == 2);
  CHECK(Model("a=c4p1,c4p1,bn,add@a,gap,fc3", in, 3).layers()[1]->params().size() == 1);
  const std::pair<const char*, const char*> bad[] = {
      {"c4,relu,add@y,gap,fc3", "reads 'y', which no layer is named"},                    // dangling input
      {"c4,add@z,z=relu,gap,fc3", "which is not an earlier layer"},                         // a cycle
      {"a=c4,c8,add@a,gap,fc3", "inputs have different shapes, 8x4x4 and 4x6x6"},          // add of two shapes
      {"a=c4,c4s2,add@a,gap,fc3", "inputs have different shapes"},                          // shapes do not add up
      {"c4,add,gap,fc3", "needs a second input"},                                          // add of one input
      {"a=c4,b=relu,c4@a+b,gap,fc3", "reads one input, given 2"},
      {"a=c4,a=relu,gap,fc3", "repeats the name 'a'"},
      {"A=c4,relu,gap,fc3", "has the name 'A'"},
      {"=c4,relu,gap,fc3", "has the name ''"},
      {"in=c4,relu,gap,fc3", "has the name 'in'"},
      {"c4,x=relu,c4@in,gap,fc3", "'x=relu' is read by no layer"},                       // a branch that ends nowhere
      {"c4,relu,id2,gap,fc3", "cannot hold an input of 4x6x6"},
  };
  for (const auto& [spec, why] : bad) {
    INFO(spec);
    try {
      Model m(spec, in, 3);
      FAIL("no error");
    } catch (const Error& e) {
      const std::string what = e.what();
      INFO(what);
      CHECK(e.kind() == ErrorKind::bad_input);
      CHECK(what.find(why) != std::string::npos);
      CHECK(what.find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("inference of a graph past the pipeline size matches forward() and not the thread count") {
  const nnc::test::ProductsMode float_products(false);
  const Shape in{16, 32, 32};
  Model m("c8k1,bn,a=relu,c8k1,bn,add@a,b=relu,s=id16s2,c16k1s2@b,bn,add@s,relu,gap,fc10", in, 10);
  m.init(4);
  randomize_batch_norms(m);
  const int n = 1040, slice = 104;
  REQUIRE(std::size_t{n} * in.size() * sizeof(Real) > Model::kPipelineBytes);
  const Tensor x = random_tensor(n, in, 5);
  Tensor out[2];
  for (int threads : {1, 2}) {
    set_threads(threads);
    m.infer(x, out[threads - 1]);
  }
  set_threads(0);
  CHECK(std::equal(out[0].data(), out[0].data() + out[0].size(), out[1].data()));
  const auto [worst, largest] = test::deviation_from_slices(m, x, out[0], slice);
  CHECK(largest > 0.1);
  CHECK(worst <= 1e-5 * largest);
}

TEST_CASE("a residual network learns the bars, its loss falls, and a resumed run ends bitwise equal") {
  const Dataset data = test::bars_dataset(400);
  const auto [tr, val] = split_validation(data, 80);
  const TrainOptions opt = test::small_train_options(3, 0.05, 42);
  Model whole(kResidualSpec, tr.shape, tr.classes);
  whole.init(1);
  TrainState whole_state;
  train(whole, tr, val, opt, whole_state);
  REQUIRE(whole_state.history.size() == 3);
  CHECK(whole_state.history[2].train_loss < whole_state.history[0].train_loss);
  CHECK(whole_state.history[0].train_loss < 0.9 * std::log(4.0));
  CHECK(whole_state.history.back().val_accuracy > 0.9);

  Model part(kResidualSpec, tr.shape, tr.classes);
  part.init(1);
  TrainState st;
  const Bytes checkpoint = test::train_until_stopped(part, tr, val, opt, st, 27);
  REQUIRE(st.step > 0);
  ModelArtifact resumed = decode_model(checkpoint, "checkpoint");
  REQUIRE(resumed.checkpoint);
  CHECK(resumed.model.spec() == Model(kResidualSpec, tr.shape, tr.classes).spec());
  TrainState rs = *resumed.checkpoint;
  train(resumed.model, tr, val, opt, rs);
  CHECK(flat_params(resumed.model) == flat_params(whole));
}

TEST_CASE("a graph model round-trips through HDF5 with its layers' inputs") {
  Model m = test::make_model("resnet20", {3, 32, 32}, 10);
  randomize_batch_norms(m);
  ModelArtifact a;
  a.model = m;
  ModelArtifact b = decode_model(encode_model(a), "resnet20.h5");
  CHECK(b.model.spec() == m.spec());
  CHECK(b.model.arch() == "resnet20");
  for (std::size_t i = 0; i < m.layers().size(); ++i) CHECK(b.model.layer_inputs(i) == m.layer_inputs(i));
  const Tensor x = random_tensor(2, {3, 32, 32}, 3);
  Tensor y1, y2;
  m.infer(x, y1);
  b.model.infer(x, y2);
  CHECK(y1.mat() == y2.mat());
}

namespace {

// A model file as nnc wrote it before 1.7.0: no /layers/NNN@inputs.
ModelArtifact without_inputs(const Model& m, const std::string& tag) {
  const auto path = std::filesystem::temp_directory_path() / ("nnc-test-graph-" + tag + "-" + std::to_string(::getpid()) + ".h5");
  ModelArtifact a;
  a.model = m;
  save_model(path.string(), a);
  const hid_t f = H5Fopen(path.string().c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  REQUIRE(f >= 0);
  for (std::size_t i = 0; i < m.layers().size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/layers/%03zu", i);
    REQUIRE(H5Adelete_by_name(f, name, "inputs", H5P_DEFAULT) >= 0);
  }
  H5Fclose(f);
  struct Remove {
    std::filesystem::path p;
    ~Remove() { std::filesystem::remove(p); }
  } remove{path};
  return load_model(path.string());
}

}  // namespace

TEST_CASE("a chain file without @inputs (before 1.7.0) reads as a chain, a graph's file does not") {
  const Model chain = test::make_model("c4k3,bn,relu,flat,fc4", {1, 6, 6}, 4);
  const ModelArtifact a = without_inputs(chain, "chain");
  CHECK(a.model.is_chain());
  CHECK(a.model.spec() == chain.spec());
  const Model graph = test::make_model("c4p1,a=relu,c4p1,add@a,gap,fc4", {1, 6, 6}, 4);
  try {
    without_inputs(graph, "graph");
    FAIL("read");
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(e.kind() == ErrorKind::bad_input);
    CHECK(std::string(e.what()).find("/layers/003: inputs [2] (no @inputs: a chain), the architecture says [2, 1]") !=
          std::string::npos);
  }
}
