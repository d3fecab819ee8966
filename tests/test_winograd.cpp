// Conv2d's Winograd path (nn/winograd.hpp), F(2x2,3x3) below 4x4 and F(4x4,3x3) from 4x4 up,
// against a direct convolution in double: forward, input, weight and bias gradients on sizes
// whose last tiles are whole or clipped; equality across thread counts; and the layers that
// do not take it (few input channels: a direct forward; a readout: im2col).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "fixtures.hpp"
#include "nnc/nn/gemm_bf16.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/nn/readout.hpp"

using namespace nnc;
using nnc::test::random_tensor;

namespace {

struct ConvShape {
  int n, c, k, h, w;  // samples, input channels, output channels, height, width
};

using Values = std::vector<double>;

Values to_double(const Real* p, std::size_t size) { return Values(p, p + size); }

Values absolute(Values v) {
  for (double& e : v) e = std::fabs(e);
  return v;
}

// Direct 3x3, stride 1, padding 1 convolution in double:
// y[s][o][oy][ox] = b[o] + sum over i, ky, kx of w[o][i][ky][kx] x[s][i][oy-1+ky][ox-1+kx].
Values direct_forward(ConvShape s, const Values& x, const Values& w, const Values& b) {
  Values y(static_cast<std::size_t>(s.n) * s.k * s.h * s.w);
  for (int n = 0; n < s.n; ++n)
    for (int o = 0; o < s.k; ++o)
      for (int oy = 0; oy < s.h; ++oy)
        for (int ox = 0; ox < s.w; ++ox) {
          double sum = b.empty() ? 0 : b[o];
          for (int i = 0; i < s.c; ++i)
            for (int ky = 0; ky < 3; ++ky)
              for (int kx = 0; kx < 3; ++kx) {
                const int iy = oy - 1 + ky, ix = ox - 1 + kx;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                sum += w[((o * s.c + i) * 3 + ky) * 3 + kx] * x[((n * s.c + i) * s.h + iy) * s.w + ix];
              }
          y[((n * s.k + o) * s.h + oy) * s.w + ox] = sum;
        }
  return y;
}

// The input gradient: dx[s][i][iy][ix] = sum over o, ky, kx of w[o][i][ky][kx] dy[s][o][iy+1-ky][ix+1-kx].
Values direct_input_grad(ConvShape s, const Values& dy, const Values& w) {
  Values dx(static_cast<std::size_t>(s.n) * s.c * s.h * s.w);
  for (int n = 0; n < s.n; ++n)
    for (int i = 0; i < s.c; ++i)
      for (int iy = 0; iy < s.h; ++iy)
        for (int ix = 0; ix < s.w; ++ix) {
          double sum = 0;
          for (int o = 0; o < s.k; ++o)
            for (int ky = 0; ky < 3; ++ky)
              for (int kx = 0; kx < 3; ++kx) {
                const int oy = iy + 1 - ky, ox = ix + 1 - kx;
                if (oy < 0 || oy >= s.h || ox < 0 || ox >= s.w) continue;
                sum += w[((o * s.c + i) * 3 + ky) * 3 + kx] * dy[((n * s.k + o) * s.h + oy) * s.w + ox];
              }
          dx[((n * s.c + i) * s.h + iy) * s.w + ix] = sum;
        }
  return dx;
}

// The weight gradient: dw[o][i][ky][kx] = sum over samples and outputs of dy[s][o][oy][ox] x[s][i][oy-1+ky][ox-1+kx].
Values direct_weight_grad(ConvShape s, const Values& x, const Values& dy) {
  Values dw(static_cast<std::size_t>(s.k) * s.c * 9);
  for (int o = 0; o < s.k; ++o)
    for (int i = 0; i < s.c; ++i)
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx) {
          double sum = 0;
          for (int n = 0; n < s.n; ++n)
            for (int oy = 0; oy < s.h; ++oy)
              for (int ox = 0; ox < s.w; ++ox) {
                const int iy = oy - 1 + ky, ix = ox - 1 + kx;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                sum += dy[((n * s.k + o) * s.h + oy) * s.w + ox] * x[((n * s.c + i) * s.h + iy) * s.w + ix];
              }
          dw[((o * s.c + i) * 3 + ky) * 3 + kx] = sum;
        }
  return dw;
}

// Each result is within kTolerance x M of the direct one, M the largest magnitude sum of the
// tensor (the same formula over |x|, |w|, |dy|: the sum of |term| of a result, at most the
// scale of the result, unaffected by cancellation). Why the bound holds: F(2,3)'s transforms
// have entries 0, +-1 and +-1/2 (exact in float) and add at most 4 values per 1-D step, so a
// transformed value is a short exact-coefficient sum and Winograd rounds like direct summation
// times a small constant (Lavin and Gray 2016; Barabasz et al. 2020). The constant multiplies
// the magnitudes of a tile's whole 4x4 patch, not only of the result's own terms (the
// transforms mix the patch before multiplying), hence M rather than each result's own sum.
// Float eps is 6e-8 and a sum here has at most 9 x 24 = 216 (forward) or 192 (weight
// gradient) products: errors stay below 1e-7 M (the MESSAGE with -s), 1e-5 leaves a factor 100.
constexpr double kTolerance = 1e-5;
// With bf16 products (nn/gemm_bf16.hpp) each transformed operand is rounded to 8 significant
// bits, a relative 2^-9 (float: 2^-24), and F(4x4)'s transforms, entries up to 5 (B) and 8 (A),
// amplify that as they amplify float's rounding, 10 times more than F(2x2)'s (the float
// errors above: 1e-7 M against 1e-6 M). Measured on these shapes: F(2x2) 2.2-3.3e-3 M, F(4x4)
// 1.4-3.9e-2 M at worst, and the root mean square of the error 0.1-3.1% of the result's own
// (the MESSAGE with -s). Both bounds below leave a factor 2-3 over that; an index or layout
// bug gives errors of the order of the results (a relative RMS near 1 or above).
constexpr double kToleranceBf16 = 0.1, kRmsToleranceBf16 = 0.1;

// Checks |got - want| <= tolerance x max(magnitude) and, when rms_tolerance > 0, the root
// mean square of got - want within rms_tolerance of want's; returns the largest error over
// max(magnitude).
double check_close(const char* what, const Real* got, const Values& want, const Values& magnitude, double tolerance,
                   double rms_tolerance) {
  const double scale = *std::max_element(magnitude.begin(), magnitude.end());
  double worst = 0, err2 = 0, want2 = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double err = std::fabs(got[i] - want[i]);
    if (err > tolerance * scale) {
      FAIL_CHECK(std::string(what) << "[" << i << "] = " << got[i] << ", direct " << want[i] << ", scale " << scale);
      return err / scale;
    }
    worst = std::max(worst, err / scale);
    err2 += err * err;
    want2 += want[i] * want[i];
  }
  if (rms_tolerance > 0) {
    const double rms = std::sqrt(err2 / want2);
    MESSAGE(what << ": error RMS / result RMS " << rms);
    CHECK_MESSAGE(rms <= rms_tolerance, what << ": error RMS / result RMS " << rms);
  }
  return worst;
}

// Runs conv (set up for s, random weight and bias) forward and backward on random x and dy,
// and checks y, dx, the weight and the bias gradients against the direct formulas.
void check_against_direct(Conv2d& conv, ConvShape s, std::uint64_t seed) {
  CAPTURE(s.n);
  CAPTURE(s.c);
  CAPTURE(s.k);
  CAPTURE(s.h);
  CAPTURE(s.w);
  const Shape in{s.c, s.h, s.w};
  conv.setup(in);
  Rng rng(seed);
  conv.init(rng);
  for (Eigen::Index i = 0; i < conv.bias.value.size(); ++i) conv.bias.value[i] = static_cast<Real>(rng.uniform() - 0.5);
  const Tensor x = random_tensor(s.n, in, seed + 1);
  const Tensor dy = random_tensor(s.n, {s.k, s.h, s.w}, seed + 2);
  Tensor y, dx;
  conv.forward(x, y, {.training = true});
  conv.backward(x, y, dy, &dx);

  const Values xd = to_double(x.data(), x.size()), dyd = to_double(dy.data(), dy.size());
  const Values wd = to_double(conv.weight.value.data(), conv.weight.value.size());
  const Values bd = to_double(conv.bias.value.data(), conv.bias.value.size());
  const ConvShape fwd = s;
  const bool bf16 = conv.uses_winograd() && bf16_products();
  const double tol = bf16 ? kToleranceBf16 : kTolerance, rms = bf16 ? kRmsToleranceBf16 : 0;
  double worst = check_close("y", y.data(), direct_forward(fwd, xd, wd, bd),
                             direct_forward(fwd, absolute(xd), absolute(wd), absolute(bd)), tol, rms);
  worst = std::max(worst, check_close("dx", dx.data(), direct_input_grad(s, dyd, wd),
                                      direct_input_grad(s, absolute(dyd), absolute(wd)), tol, rms));
  worst = std::max(worst, check_close("dw", conv.weight.grad.data(), direct_weight_grad(s, xd, dyd),
                                      direct_weight_grad(s, absolute(xd), absolute(dyd)), tol, rms));
  MESSAGE("largest error / largest magnitude sum: " << worst);
  if (conv.has_bias()) {
    for (int o = 0; o < s.k; ++o) {
      double sum = 0, magnitude = 0;
      for (int n = 0; n < s.n; ++n)
        for (int p = 0; p < s.h * s.w; ++p) {
          sum += dyd[static_cast<std::size_t>((n * s.k + o) * s.h * s.w + p)];
          magnitude += std::fabs(dyd[static_cast<std::size_t>((n * s.k + o) * s.h * s.w + p)]);
        }
      CHECK(std::fabs(conv.bias.grad[o] - sum) <= kTolerance * magnitude);  // no product
    }
  }
}

// A readout that leaves the partial sums as they are: the layer's product is exact, but it
// goes through the readout's blocks.
class IdentityReadout : public PartialSumReadout {
 public:
  std::unique_ptr<PartialSumReadout> clone() const override { return std::make_unique<IdentityReadout>(*this); }
  void begin_pass(const ReadoutPass&) override {}
  void transform(Matrix&, const ReadoutBlock&) override {}
  void end_pass() override {}
};

}  // namespace

TEST_CASE("winograd convolution matches a direct convolution in forward and backward, float and bf16 products") {
  const ConvShape shapes[] = {
      {3, 16, 5, 1, 1}, {3, 17, 7, 2, 2}, {3, 20, 16, 5, 5}, {3, 24, 11, 8, 5},
      {3, 16, 8, 5, 8}, {3, 18, 6, 1, 5}, {3, 16, 13, 8, 8}, {17, 16, 9, 2, 1},
      {5, 64, 64, 16, 16},  // 4x4 tiles, one block of 5 samples
      {3, 16, 7, 9, 11},  {2, 20, 6, 10, 14}, {3, 17, 5, 8, 13}, {2, 16, 8, 12, 8},  // 4x4 tiles, clipped
      {20, 16, 32, 32, 32},  // 4x4 tiles, blocks of 3 samples, the last of 1
      {18, 32, 16, 4, 4},    // one 4x4 tile a sample, the whole batch
  };
  for (bool bf16 : {false, true}) {
    if (bf16 && !gemm_bf16_available()) continue;
    const nnc::test::ProductsMode mode(bf16);
    CAPTURE(bf16);
    std::uint64_t seed = 100;
    int tiles_seen[5] = {};
    for (const ConvShape& s : shapes) {
      for (bool bias : {true, false}) {
        Conv2d conv(s.k, 3, 1, 1, bias);
        conv.setup({s.c, s.h, s.w});
        REQUIRE(conv.uses_winograd());
        ++tiles_seen[conv.winograd_tile()];
        check_against_direct(conv, s, seed += 10);
      }
    }
    CHECK(tiles_seen[2] > 0);
    CHECK(tiles_seen[4] > 0);
  }
}

TEST_CASE("winograd schedules: blocks of a chunk for large maps, the whole batch for small ones") {
  const auto whole_batch = [](ConvShape s, bool backward) {
    Conv2d conv(s.k, 3, 1, 1, true);
    conv.setup({s.c, s.h, s.w});
    return conv.winograd_whole_batch(backward);
  };
  for (bool backward : {false, true}) {
    CHECK(whole_batch({3, 17, 7, 2, 2}, backward));     // 1 tile a sample: 16 in a chunk
    CHECK(!whole_batch({3, 16, 8, 16, 16}, backward));  // 16 tiles (4x4) a sample: 256 in a chunk
  }
  CHECK(!whole_batch({3, 16, 8, 8, 8}, false));  // 4 tiles (4x4) a sample: 64 in a chunk
  CHECK(whole_batch({3, 16, 8, 8, 8}, true));
  CHECK(whole_batch({3, 16, 8, 4, 4}, false));   // 1 tile (4x4) a sample: 16 in a chunk
  CHECK(!whole_batch({3, 16, 8, 3, 3}, false));  // 4 tiles (2x2) a sample: 64 in a chunk
  CHECK(whole_batch({3, 16, 8, 3, 3}, true));
  CHECK(winograd_block_samples(16, 16, 64, 64, kSampleChunk, 2) == 2);   // 512 KB a sample
  CHECK(winograd_block_samples(32, 32, 16, 16, kSampleChunk, 2) == 2);   // 256 KB a sample
  CHECK(winograd_block_samples(8, 8, 16, 16, kSampleChunk, 2) == kSampleChunk);
  CHECK(winograd_block_samples(32, 32, 16, 16, kSampleChunk, 4) == 3);   // 288 KB a sample
  CHECK(winograd_block_samples(16, 16, 64, 64, kSampleChunk, 4) == 8);   // 128 tiles at least
}

TEST_CASE("winograd convolution gives the same bits with 1 and 2 threads, float and bf16 products") {
  // 3 sample chunks, the last partial: one block a chunk; chunks forward and the whole batch
  // backward; the whole batch; blocks of 2.
  for (bool bf16 : {false, true}) {
    if (bf16 && !gemm_bf16_available()) continue;
    const nnc::test::ProductsMode mode(bf16);
    CAPTURE(bf16);
    for (const ConvShape s : {ConvShape{40, 16, 12, 6, 7}, ConvShape{40, 16, 12, 3, 4}, ConvShape{40, 16, 12, 2, 1},
                              ConvShape{20, 64, 64, 16, 16}, ConvShape{40, 16, 12, 8, 8}, ConvShape{40, 16, 12, 10, 9}}) {
      CAPTURE(s.h);
      const Shape in{s.c, s.h, s.w};
      const Tensor x = random_tensor(s.n, in, 5);
      const Tensor dy = random_tensor(s.n, {s.k, s.h, s.w}, 6);
      Tensor y[2], dx[2];
      Vector dw[2], db[2];
      for (int threads : {1, 2}) {
        set_threads(threads);
        Conv2d conv(s.k, 3, 1, 1, true);
        conv.setup(in);
        Rng rng(4);
        conv.init(rng);
        REQUIRE(conv.uses_winograd());
        const int t = threads - 1;
        conv.forward(x, y[t], {.training = true});
        conv.backward(x, y[t], dy, &dx[t]);
        dw[t] = conv.weight.grad;
        db[t] = conv.bias.grad;
      }
      set_threads(0);
      CHECK(y[0].mat() == y[1].mat());
      CHECK(dx[0].mat() == dx[1].mat());
      CHECK(dw[0] == dw[1]);
      CHECK(db[0] == db[1]);
    }
  }
}

TEST_CASE("convolutions unfit for winograd: few input channels go direct, a block readout reads its blocks (by winograd at inference), both match") {
  SUBCASE("fewer input channels than kWinogradMinChannels: the direct forward") {
    // Rows of two vectors, one and a scalar tail (widths 35, 20, 5 with 16 lanes), and output
    // channels in blocks of 8 and singly (11).
    for (const ConvShape s : {ConvShape{3, Conv2d::kWinogradMinChannels - 1, 6, 5, 4}, ConvShape{2, 3, 11, 4, 35},
                              ConvShape{3, 1, 8, 3, 20}, ConvShape{2, 3, 16, 6, 5}}) {
      for (bool bias : {true, false}) {
        Conv2d conv(s.k, 3, 1, 1, bias);
        conv.setup({s.c, s.h, s.w});
        CHECK(!conv.uses_winograd());
        CHECK(conv.uses_direct());
        check_against_direct(conv, s, 7);
      }
    }
  }
  SUBCASE("the direct forward gives the same bits with 1 and 2 threads") {
    const ConvShape s{40, 3, 12, 9, 37};
    const Tensor x = random_tensor(s.n, {s.c, s.h, s.w}, 9);
    Tensor y[2];
    for (int threads : {1, 2}) {
      set_threads(threads);
      Conv2d conv(s.k, 3, 1, 1, true);
      conv.setup({s.c, s.h, s.w});
      Rng rng(4);
      conv.init(rng);
      conv.forward(x, y[threads - 1], ForwardContext{});
    }
    set_threads(0);
    CHECK(y[0].mat() == y[1].mat());
  }
  SUBCASE("a readout") {
    const ConvShape s{3, Conv2d::kWinogradMinChannels + 4, 6, 5, 4};
    Conv2d conv(s.k, 3, 1, 1, true);
    conv.readout = std::make_unique<IdentityReadout>();
    conv.readout->block_rows = 40;
    conv.setup({s.c, s.h, s.w});
    CHECK(!conv.uses_winograd());
    check_against_direct(conv, s, 8);
  }
}
