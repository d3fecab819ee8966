// The fast kernel paths of layers.cpp (issue 3) against naive references in double: unrolled
// convolution with kept or recomputed columns, pooling; and bitwise equality of a LeNet-5
// training step and of batch inference across thread counts; the partial-sum readout extension
// point (nn/readout.hpp): blockwise product, what the readout is handed, copies.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "fixtures.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/loss.hpp"
#include "nnc/nn/model.hpp"
#include "nnc/nn/optimizer.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/nn/readout.hpp"
#include "nnc/nn/stats.hpp"

using namespace nnc;
using nnc::test::random_tensor;

namespace {

struct ConvCase {
  int cin, h, w, out, k, stride, pad, n;
  bool bias;
};

// y[s][o][oy][ox] = b[o] + sum_{c,i,j} W[o][c][i][j] x[s][c][oy*S-P+i][ox*S-P+j], in double.
std::vector<double> naive_conv(const Conv2d& conv, const Tensor& x) {
  const Shape in = conv.input_shape(), out = conv.output_shape();
  const int k = conv.kernel();
  std::vector<double> y(static_cast<std::size_t>(x.n()) * out.size());
  for (int s = 0; s < x.n(); ++s)
    for (int o = 0; o < out.c; ++o)
      for (int oy = 0; oy < out.h; ++oy)
        for (int ox = 0; ox < out.w; ++ox) {
          double acc = conv.has_bias() ? conv.bias.value[o] : 0.0;
          for (int c = 0; c < in.c; ++c)
            for (int i = 0; i < k; ++i)
              for (int j = 0; j < k; ++j) {
                const int iy = oy * conv.stride() - conv.pad() + i, ix = ox * conv.stride() - conv.pad() + j;
                if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) continue;
                acc += double(conv.weight.value[((o * in.c + c) * k + i) * k + j]) *
                       x.sample(s)[(c * in.h + iy) * in.w + ix];
              }
          y[(static_cast<std::size_t>(s) * out.c + o) * out.h * out.w + oy * out.w + ox] = acc;
        }
  return y;
}

// Gradients of L = sum(dy .* conv(x)) in double: dW, db, dx.
void naive_conv_backward(const Conv2d& conv, const Tensor& x, const Tensor& dy, std::vector<double>& dw,
                         std::vector<double>& db, std::vector<double>& dx) {
  const Shape in = conv.input_shape(), out = conv.output_shape();
  const int k = conv.kernel();
  dw.assign(conv.weight.size(), 0.0);
  db.assign(static_cast<std::size_t>(out.c), 0.0);
  dx.assign(x.size(), 0.0);
  for (int s = 0; s < x.n(); ++s)
    for (int o = 0; o < out.c; ++o)
      for (int oy = 0; oy < out.h; ++oy)
        for (int ox = 0; ox < out.w; ++ox) {
          const double g = dy.sample(s)[(o * out.h + oy) * out.w + ox];
          db[static_cast<std::size_t>(o)] += g;
          for (int c = 0; c < in.c; ++c)
            for (int i = 0; i < k; ++i)
              for (int j = 0; j < k; ++j) {
                const int iy = oy * conv.stride() - conv.pad() + i, ix = ox * conv.stride() - conv.pad() + j;
                if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) continue;
                const std::size_t wi = static_cast<std::size_t>(((o * in.c + c) * k + i) * k + j);
                const std::size_t xi = static_cast<std::size_t>(s) * in.size() + (c * in.h + iy) * in.w + ix;
                dw[wi] += g * x.data()[xi];
                dx[xi] += g * conv.weight.value[static_cast<Eigen::Index>(wi)];
              }
        }
}

bool near(double a, double b) { return std::fabs(a - b) <= 1e-4 + 1e-4 * std::fabs(b); }

std::vector<float> flat_params(Model& m) {
  std::vector<float> v;
  for (Param* p : m.params()) v.insert(v.end(), p->value.data(), p->value.data() + p->value.size());
  return v;
}

}  // namespace

TEST_CASE("convolution matches a naive double reference, kept and recomputed columns alike") {
  const ConvCase cases[] = {
      {1, 28, 28, 6, 5, 1, 0, 17, true},   // LeNet conv1 shape, a partial last chunk
      {3, 9, 7, 4, 3, 1, 1, 5, false},     // padding, non-square
      {2, 8, 8, 3, 3, 2, 1, 3, true},      // stride 2
      {2, 5, 6, 3, 3, 2, 2, 2, true},      // padding wider than the stride steps
      {4, 6, 6, 5, 1, 1, 0, 33, true},     // 1x1 kernel, three chunks
  };
  for (const ConvCase& cc : cases) {
    Conv2d conv(cc.out, cc.k, cc.stride, cc.pad, cc.bias);
    conv.setup({cc.cin, cc.h, cc.w});
    Rng rng(3);
    conv.init(rng);
    if (cc.bias)
      for (int o = 0; o < cc.out; ++o) conv.bias.value[o] = static_cast<Real>(0.1 * (o + 1));
    const Tensor x = random_tensor(cc.n, {cc.cin, cc.h, cc.w}, 21);
    const std::vector<double> ref = naive_conv(conv, x);
    Tensor y;
    conv.forward(x, y, ForwardContext{true, 1, 0, 0});
    INFO("conv " << conv.spec() << " on " << cc.cin << "x" << cc.h << "x" << cc.w << " n=" << cc.n);
    REQUIRE(y.size() == ref.size());
    for (std::size_t i = 0; i < ref.size(); ++i) CHECK(near(y.data()[i], ref[i]));

    const Tensor dy = random_tensor(cc.n, conv.output_shape(), 22);
    std::vector<double> dw, db, dx;
    naive_conv_backward(conv, x, dy, dw, db, dx);
    Tensor dx_kept, dx_again;
    conv.backward(x, y, dy, &dx_kept);  // columns kept by the training forward pass
    const Vector dw_kept = conv.weight.grad, db_kept = conv.has_bias() ? conv.bias.grad : Vector();
    for (std::size_t i = 0; i < dw.size(); ++i) CHECK(near(dw_kept[static_cast<Eigen::Index>(i)], dw[i]));
    for (std::size_t i = 0; i < db.size() && cc.bias; ++i) CHECK(near(db_kept[static_cast<Eigen::Index>(i)], db[i]));
    for (std::size_t i = 0; i < dx.size(); ++i) CHECK(near(dx_kept.data()[i], dx[i]));

    conv.forward(x, y, ForwardContext{});  // inference: nothing kept, backward unrolls again
    conv.backward(x, y, dy, &dx_again);
    CHECK(conv.weight.grad == dw_kept);
    if (cc.bias) CHECK(conv.bias.grad == db_kept);
    CHECK(std::equal(dx_kept.data(), dx_kept.data() + dx_kept.size(), dx_again.data()));
  }
}

TEST_CASE("max and average pooling match a naive reference, ties to the first maximum") {
  for (bool is_max : {true, false}) {
    Pool pool(is_max, 2);
    const Shape in{3, 7, 6};  // an odd height: the last row is dropped
    pool.setup(in);
    Tensor x = random_tensor(19, in, 4);
    for (std::size_t i = 0; i < x.size(); i += 5) x.data()[i] = x.data()[i + 1];  // ties
    Tensor y, dx;
    pool.forward(x, y, ForwardContext{});
    const Shape out = pool.output_shape();
    CHECK(out == Shape{3, 3, 3});
    Tensor dy = random_tensor(19, out, 8);
    pool.backward(x, y, dy, &dx);
    std::vector<double> dref(x.size(), 0.0);
    for (int s = 0; s < x.n(); ++s)
      for (int c = 0; c < out.c; ++c)
        for (int oy = 0; oy < out.h; ++oy)
          for (int ox = 0; ox < out.w; ++ox) {
            double acc = is_max ? -1e30 : 0;
            std::size_t best = 0;
            for (int i = 0; i < 2; ++i)
              for (int j = 0; j < 2; ++j) {
                const std::size_t idx = static_cast<std::size_t>(s) * in.size() + (c * in.h + oy * 2 + i) * in.w + ox * 2 + j;
                if (is_max && x.data()[idx] > acc) { acc = x.data()[idx]; best = idx; }
                if (!is_max) acc += x.data()[idx];
              }
            const double g = dy.sample(s)[(c * out.h + oy) * out.w + ox];
            const double v = is_max ? acc : acc / 4;
            CHECK(near(y.sample(s)[(c * out.h + oy) * out.w + ox], v));
            if (is_max) {
              dref[best] += g;
            } else {
              for (int i = 0; i < 2; ++i)
                for (int j = 0; j < 2; ++j)
                  dref[static_cast<std::size_t>(s) * in.size() + (c * in.h + oy * 2 + i) * in.w + ox * 2 + j] += g / 4;
            }
          }
    for (std::size_t i = 0; i < dref.size(); ++i) CHECK(near(dx.data()[i], dref[i]));
  }
}

TEST_CASE("a LeNet-5 training step and batch inference are bitwise equal on 1 and 2 threads") {
  const Shape shape{1, 28, 28};
  const int batch = 72;  // four full chunks and a partial one
  Tensor x = random_tensor(batch, shape, 31, 0, 1);
  std::vector<int> labels(static_cast<std::size_t>(batch));
  for (int i = 0; i < batch; ++i) labels[static_cast<std::size_t>(i)] = (i * 7) % 10;
  std::vector<float> params[2], logits[2];
  for (int threads : {1, 2}) {
    set_threads(threads);
    Model m("lenet5", shape, 10);
    m.init(5);
    Tensor dlogits;
    for (int step = 0; step < 2; ++step) {
      const Tensor& z = m.forward(x, ForwardContext{true, 1, static_cast<std::uint64_t>(step), 0});
      softmax_cross_entropy(z, labels.data(), &dlogits);
      m.backward(dlogits);
      sgd_step(m.params(), 0.05, SgdOptions{});
    }
    params[threads - 1] = flat_params(m);
    const Tensor& z = m.forward(x, ForwardContext{});
    logits[threads - 1].assign(z.data(), z.data() + z.size());
  }
  set_threads(0);
  CHECK(params[0] == params[1]);
  CHECK(logits[0] == logits[1]);
}

// The Winograd path (3x3, 16 inputs): its bias gradient was Eigen's colwise().sum() of a map of
// dy, whose vectors start at the first aligned value, so its rounding followed dy's address,
// which differed between 1 and 2 threads (malloc's arenas) and from run to run on MPI ranks.
// dy is copied to every offset from a 64-byte boundary the heap gives (malloc keeps large
// blocks on the heap, as in the tools); both schedules: 16x16 maps in chunks, 8x8 whole-batch.
TEST_CASE("a 16-channel 3x3 convolution's forward pass and gradients are bitwise equal on 1 and 2 threads wherever dy lies") {
  keep_freed_memory();
  for (const int side : {16, 8}) {
    const Shape in{16, side, side};
    const int batch = 20;  // a full chunk and a partial one
    const Tensor x = random_tensor(batch, in, 41);
    std::vector<std::unique_ptr<Tensor>> dys;
    std::vector<std::vector<Real>> pads;
    bool seen[4] = {};
    int offsets = 0;
    for (int k = 0; k < 64 && offsets < 4; ++k) {
      pads.emplace_back(static_cast<std::size_t>(4 * (k % 4) + 1));
      auto dy = std::make_unique<Tensor>(random_tensor(batch, {16, side, side}, 42));
      const auto off = static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(dy->data()) % 64 / 16);
      if (seen[off]) continue;
      seen[off] = true;
      ++offsets;
      dys.push_back(std::move(dy));
    }
    INFO("maps " << side << "x" << side);
#ifdef __SANITIZE_ADDRESS__
    // AddressSanitizer's allocator aligns every block alike: only the thread counts differ here.
    REQUIRE(offsets >= 1);
#else
    REQUIRE(offsets >= 2);
#endif
    std::vector<float> y0, dw0, db0, dx0;
    for (const int threads : {1, 2}) {
      set_threads(threads);
      for (const auto& dy : dys) {
        Conv2d conv(16, 3, 1, 1, true);
        conv.setup(in);
        Rng rng(7);
        conv.init(rng);
        REQUIRE(conv.uses_winograd());
        Tensor y, dx;
        conv.forward(x, y, ForwardContext{true, 1, 0, 0});
        conv.backward(x, y, *dy, &dx);
        const std::vector<float> yv(y.data(), y.data() + y.size()), dxv(dx.data(), dx.data() + dx.size());
        const std::vector<float> dw(conv.weight.grad.data(), conv.weight.grad.data() + conv.weight.grad.size());
        const std::vector<float> db(conv.bias.grad.data(), conv.bias.grad.data() + conv.bias.grad.size());
        if (y0.empty()) {
          y0 = yv, dw0 = dw, db0 = db, dx0 = dxv;
          continue;
        }
        INFO(threads << " threads, dy at " << reinterpret_cast<std::uintptr_t>(dy->data()) % 64 << " bytes from 64");
        CHECK(yv == y0);
        CHECK(dw == dw0);
        CHECK(db == db0);
        CHECK(dxv == dx0);
      }
    }
    set_threads(0);
  }
}

// ---------------------------------------------------------------------------------------
// The partial-sum readout extension point (nn/readout.hpp), with a test readout that scales
// block b's sums by b + 1 and records what the layer hands it.

namespace {

class ScaleReadout : public PartialSumReadout {
 public:
  struct Call {
    ReadoutBlock at;
    Eigen::Index rows, cols;
  };
  std::unique_ptr<PartialSumReadout> clone() const override { return std::make_unique<ScaleReadout>(*this); }
  void begin_pass(const ReadoutPass& p) override {
    ++begins;
    pass = p;
    calls.assign(static_cast<std::size_t>(p.chunks), {});
  }
  void transform(Matrix& part, const ReadoutBlock& at) override {
    calls.at(static_cast<std::size_t>(at.chunk)).push_back({at, part.rows(), part.cols()});
    part *= static_cast<Real>(at.block + 1);
  }
  void end_pass() override { ++ends; }

  int begins = 0, ends = 0;
  ReadoutPass pass;
  std::vector<std::vector<Call>> calls;  // per chunk
};

// Checks that `layer` with a ScaleReadout of 4-row blocks computes the exact product of the
// block-scaled weight, and that every (chunk, block) was transformed once, blocks in order,
// with the right samples and layout.
template <class L>
void check_readout(L layer, Shape in, int outputs, int positions, bool outputs_in_rows) {
  const int n = 37;  // 3 sample chunks, the last partial
  layer.setup(in);
  Rng rng(3);
  layer.init(rng);
  for (Eigen::Index i = 0; i < layer.bias.value.size(); ++i) layer.bias.value[i] = static_cast<Real>(rng.uniform() - 0.5);
  const Tensor x = random_tensor(n, in, 8);
  const int rows = static_cast<int>(crossbar_matrix(layer).rows());
  const int blocks = (rows + 3) / 4;

  L scaled = layer;  // the reference: no readout, rows of block b times b + 1
  for (int c = 0; c < outputs; ++c)
    for (int r = 0; r < rows; ++r) scaled.weight.value[static_cast<Eigen::Index>(c) * rows + r] *= static_cast<Real>(r / 4 + 1);
  Tensor ref;
  scaled.forward(x, ref, ForwardContext{});

  auto r = std::make_unique<ScaleReadout>();
  r->block_rows = 4;
  layer.readout = std::move(r);
  Tensor y;
  layer.forward(x, y, ForwardContext{false, 11, 7, 3});
  REQUIRE(y.size() == ref.size());
  for (std::size_t i = 0; i < y.size(); ++i) CHECK(near(y.data()[i], ref.data()[i]));

  const auto& s = dynamic_cast<const ScaleReadout&>(*layer.readout);
  CHECK(s.begins == 1);
  CHECK(s.ends == 1);
  CHECK(s.pass.layer == layer.spec());
  CHECK(s.pass.rows == rows);
  CHECK(s.pass.blocks == blocks);
  CHECK(s.pass.samples == n);
  CHECK(s.pass.chunks == 3);
  CHECK(s.pass.ctx.step == 7);
  CHECK(s.pass.ctx.layer_index == 3);
  int next = 0;  // chunks cover the samples in order
  for (std::size_t k = 0; k < s.calls.size(); ++k) {
    REQUIRE(s.calls[k].size() == static_cast<std::size_t>(blocks));
    for (int b = 0; b < blocks; ++b) {
      const auto& c = s.calls[k][static_cast<std::size_t>(b)];
      CHECK(c.at.block == b);
      CHECK(c.at.chunk == static_cast<int>(k));
      CHECK(c.at.sample_begin == next);
      CHECK(c.at.positions == positions);
      CHECK(c.at.outputs_in_rows == outputs_in_rows);
      const Eigen::Index m = static_cast<Eigen::Index>(c.at.sample_end - c.at.sample_begin) * positions;
      CHECK(c.rows == (outputs_in_rows ? outputs : m));
      CHECK(c.cols == (outputs_in_rows ? m : outputs));
    }
    next = s.calls[k].front().at.sample_end;
  }
  CHECK(next == n);

  // Copies own their readout, with its state: a copied layer, a copied model.
  L copy = layer;
  REQUIRE(copy.readout);
  CHECK(copy.readout.get() != layer.readout.get());
  CHECK(dynamic_cast<const ScaleReadout&>(*copy.readout).begins == 1);
  Tensor yc;
  copy.forward(x, yc, ForwardContext{});
  CHECK(std::equal(y.data(), y.data() + y.size(), yc.data()));
  CHECK(dynamic_cast<const ScaleReadout&>(*layer.readout).begins == 1);

  // A readout that does not fit the layer is refused.
  copy.readout->analog = Vector::Zero(3);
  CHECK_THROWS_AS(copy.forward(x, yc, ForwardContext{}), Error);
  copy.readout->analog.resize(0);
  copy.readout->block_rows = 0;
  CHECK_THROWS_AS(copy.forward(x, yc, ForwardContext{}), Error);
}

}  // namespace

TEST_CASE("a partial-sum readout transforms every block of every sample chunk once, and copies with its layer") {
  check_readout(Conv2d(5, 3, 1, 1, true), {2, 6, 6}, 5, 36, false);  // rows 18: blocks 4, 4, 4, 4, 2
  check_readout(Dense(6), {19, 1, 1}, 6, 1, true);                    // rows 19: blocks 4, 4, 4, 4, 3

  Model m("c4k3,relu,flat,fc3", {1, 6, 6}, 3);
  m.init(2);
  CHECK(readout_slot(*m.layers()[1]) == nullptr);  // relu has none
  ReadoutPtr* slot = readout_slot(*m.layers()[0]);
  REQUIRE(slot);
  CHECK(!*slot);
  auto r = std::make_unique<ScaleReadout>();
  r->block_rows = 4;
  r->begins = 5;
  *slot = std::move(r);
  const Model copy = m;
  const ReadoutPtr* copied = readout_slot(*copy.layers()[0]);
  REQUIRE(copied);
  REQUIRE(*copied);
  CHECK(copied->get() != slot->get());
  CHECK(dynamic_cast<const ScaleReadout&>(**copied).begins == 5);
  CHECK(dynamic_cast<const ScaleReadout&>(**copied).block_rows == 4);
}
