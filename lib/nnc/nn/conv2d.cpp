// Conv2d's arithmetic (conv2d.hpp): im2col, the direct 3x3 path and the Winograd path, forward
// and backward, and the inference copy's fused output pass.
#include "nnc/nn/conv2d.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

#include <omp.h>

#include "nnc/nn/error.hpp"
#include "nnc/nn/layer_detail.hpp"
#include "nnc/nn/parallel.hpp"

namespace nnc {

using layer_detail::begin_readout;
using layer_detail::ensure_size;
using layer_detail::init_uniform;
using layer_detail::readout_blocks;
using layer_detail::ReadoutProduct;

std::string Conv2d::spec() const {
  std::string s = "c" + std::to_string(out_channels_);
  if (kernel_ != 3) s += "k" + std::to_string(kernel_);
  if (stride_ != 1) s += "s" + std::to_string(stride_);
  if (pad_ != 0) s += "p" + std::to_string(pad_);
  return s;
}

Shape Conv2d::setup(Shape in) {
  const int h = (in.h + 2 * pad_ - kernel_) / stride_ + 1;
  const int w = (in.w + 2 * pad_ - kernel_) / stride_ + 1;
  if (in.h + 2 * pad_ < kernel_ || in.w + 2 * pad_ < kernel_ || h <= 0 || w <= 0) {
    throw Error("layer " + spec() + ": kernel " + std::to_string(kernel_) +
                " does not fit input " + in.str());
  }
  in_ = in;
  out_ = {out_channels_, h, w};
  weight.resize({out_channels_, in.c, kernel_, kernel_});
  if (has_bias_) bias.resize({out_channels_});
  return out_;
}

void Conv2d::init(Rng& rng) {
  init_uniform(weight.value, rows(), rng);
  if (has_bias_) bias.value.setZero();
  weight.apply_mask();
}

std::vector<Param*> Conv2d::params() {
  if (has_bias_) return {&weight, &bias};
  return {&weight};
}

double Conv2d::macs() const { return double(out_.size()) * rows(); }

// The unrolled input of samples [begin, end): column r = (c*k + i)*k + j holds, for each
// sample s and output position p, x[s][c][oy*stride - pad + i][ox*stride - pad + j] (zero
// outside the image) at row s*P + p.
void Conv2d::im2col(const Tensor& x, int begin, int end, Matrix& cols) const {
  const int k = kernel_, P = out_.h * out_.w, n = end - begin;
  cols.resize(static_cast<Eigen::Index>(n) * P, rows());
  for (int c = 0; c < in_.c; ++c) {
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < k; ++j) {
        Real* col = cols.data() + static_cast<std::size_t>((c * k + i) * k + j) * n * P;
        // Output columns whose input column lies inside the image: [ox0, ox1).
        int ox0 = 0, ox1 = out_.w;
        while (ox0 < out_.w && ox0 * stride_ - pad_ + j < 0) ++ox0;
        while (ox1 > ox0 && (ox1 - 1) * stride_ - pad_ + j >= in_.w) --ox1;
        for (int s = 0; s < n; ++s) {
          const Real* img = x.sample(begin + s) + static_cast<std::size_t>(c) * in_.h * in_.w;
          for (int oy = 0; oy < out_.h; ++oy) {
            Real* dst = col + static_cast<std::size_t>(s) * P + oy * out_.w;
            const int iy = oy * stride_ - pad_ + i;
            if (iy < 0 || iy >= in_.h) {
              std::fill(dst, dst + out_.w, Real(0));
              continue;
            }
            const Real* row = img + iy * in_.w;
            const int off = j - pad_;  // ix = ox * stride + off
            std::fill(dst, dst + ox0, Real(0));
            if (stride_ == 1) {
              if (ox1 > ox0) std::memcpy(dst + ox0, row + ox0 + off, sizeof(Real) * static_cast<std::size_t>(ox1 - ox0));
            } else {
              for (int ox = ox0; ox < ox1; ++ox) dst[ox] = row[ox * stride_ + off];
            }
            std::fill(dst + ox1, dst + out_.w, Real(0));
          }
        }
      }
    }
  }
}

// Adds the unrolled gradient back onto the input positions it came from (im2col's adjoint).
void Conv2d::col2im(const Matrix& dcols, int begin, int end, Tensor& dx) const {
  const int k = kernel_, P = out_.h * out_.w, n = end - begin;
  for (int s = 0; s < n; ++s) std::fill(dx.sample(begin + s), dx.sample(begin + s) + in_.size(), Real(0));
  for (int c = 0; c < in_.c; ++c) {
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < k; ++j) {
        const Real* col = dcols.data() + static_cast<std::size_t>((c * k + i) * k + j) * n * P;
        int ox0 = 0, ox1 = out_.w;
        while (ox0 < out_.w && ox0 * stride_ - pad_ + j < 0) ++ox0;
        while (ox1 > ox0 && (ox1 - 1) * stride_ - pad_ + j >= in_.w) --ox1;
        for (int s = 0; s < n; ++s) {
          Real* img = dx.sample(begin + s) + static_cast<std::size_t>(c) * in_.h * in_.w;
          for (int oy = 0; oy < out_.h; ++oy) {
            const int iy = oy * stride_ - pad_ + i;
            if (iy < 0 || iy >= in_.h) continue;
            const Real* src = col + static_cast<std::size_t>(s) * P + oy * out_.w;
            Real* row = img + iy * in_.w;
            const int off = j - pad_;
            if (stride_ == 1) {
              for (int ox = ox0; ox < ox1; ++ox) row[ox + off] += src[ox];
            } else {
              for (int ox = ox0; ox < ox1; ++ox) row[ox * stride_ + off] += src[ox];
            }
          }
        }
      }
    }
  }
}

namespace {
// Unrolled inputs of one training batch are kept for backward up to this size; above it
// (large batches) backward unrolls again rather than hold the memory.
constexpr std::size_t kKeepColsBytes = std::size_t{64} << 20;
}  // namespace

namespace {

// winograd_filter (rotated: winograd_filter_rotated) into a new object, to be shared; with
// bf16 products, packed for them (and the float matrices freed).
std::shared_ptr<const WinogradFilter> winograd_filter_of(const Real* weight, int out, int in, int m, bool rotated) {
  auto f = std::make_shared<WinogradFilter>();
  rotated ? winograd_filter_rotated(weight, out, in, m, f->u) : winograd_filter(weight, out, in, m, f->u);
  f->bf16 = bf16_products();
  if (f->bf16) {
    parallel_for(WinogradTiles{0, 0, 0, m}.points(), [&](int xi) {
      const Matrix& u = f->u[static_cast<std::size_t>(xi)];
      pack_a(u.data(), static_cast<int>(u.rows()), static_cast<int>(u.cols()), u.rows(), f->packed[static_cast<std::size_t>(xi)]);
    });
    f->u = {};
  }
  return f;
}

// out = the filter's point xi times in: the products of forward (U V) and of the input
// gradient. Sizes out.
void filter_product(const WinogradFilter& f, int xi, const Matrix& in, Matrix& out, PairsB& pairs) {
  const auto p = static_cast<std::size_t>(xi);
  if (!f.bf16) {
    out.noalias() = f.u[p] * in;
    return;
  }
  out.resize(f.packed[p].rows, in.cols());
  pairs_b(in.data(), static_cast<int>(in.rows()), static_cast<int>(in.cols()), in.rows(), pairs);
  gemm_bf16(f.packed[p], pairs, out.data(), out.rows(), false);
}

// du = dm v^T (+= when accumulate): the filter gradient at one point of the transform domain,
// summed over the tiles.
void gradient_product(const Matrix& dm, const Matrix& v, Matrix& du, bool accumulate, PackedA& a, PairsB& b) {
  if (!bf16_products()) {
    if (accumulate) {
      du.noalias() += dm * v.transpose();
    } else {
      du.noalias() = dm * v.transpose();
    }
    return;
  }
  if (!accumulate) du.resize(dm.rows(), v.rows());
  pack_a(dm.data(), static_cast<int>(dm.rows()), static_cast<int>(dm.cols()), dm.rows(), a);
  pairs_b_transposed(v.data(), static_cast<int>(v.cols()), static_cast<int>(v.rows()), v.rows(), b);
  gemm_bf16(a, b, du.data(), du.rows(), accumulate);
}

}  // namespace

void Conv2d::fuse_inference(const std::vector<Real>& scale, const std::vector<Real>& shift, bool relu, bool pool) {
  if (pool && !can_fuse_pool()) throw Error("conv " + spec() + ": cannot pool in its output pass");
  const auto outs = static_cast<std::size_t>(out_channels_);
  if (scale.size() != outs || shift.size() != outs) throw Error("conv " + spec() + ": fused batch norm of another width");
  if (readout) {  // the weights stay: the batch norm comes after the read-out (after_readout)
    after_ = {scale, shift, relu, pool};
    return;
  }
  const auto n = static_cast<std::size_t>(rows());
  if (!has_bias_) {
    bias.value = Vector::Zero(out_channels_);
    has_bias_ = true;
  }
  for (std::size_t o = 0; o < outs; ++o) {
    for (std::size_t r = 0; r < n; ++r) weight.value[o * n + r] *= scale[o];
    bias.value[o] = bias.value[o] * scale[o] + shift[o];
  }
  relu_out_ = relu;
  pool_out_ = pool;
  filter_ready_ = false;
}

namespace {

// The output pass of a read-out layer with its batch norm, ReLU and 2x2 max pool fused
// (Conv2d::fuse_inference): one map of h x w sums read out, plus `bias` when kBias, into dst,
// with the float operations of the layers it stands for, in their order: v = sum + bias (the
// conv's output pass), v * scale + shift (BatchNorm::forward), v > 0 ? v : 0 (Relu::forward),
// and of each 2x2 window the first largest value in the order (0,0), (0,1), (1,0), (1,1)
// (Pool::forward; a last row or column that fills no window dropped). So the output is the
// layers' to the bit.
template <bool kBias, bool kRelu>
void after_readout_plane(const Real* __restrict src, int h, int w, Real bias, Real scale, Real shift, bool pool,
                         Real* __restrict dst) {
  auto value = [&](int i) {
    Real v = src[i];
    if constexpr (kBias) v = v + bias;
    v = v * scale + shift;
    if constexpr (kRelu) v = v > 0 ? v : Real(0);
    return v;
  };
  if (!pool) {
    const int n = h * w;
    for (int i = 0; i < n; ++i) dst[i] = value(i);
    return;
  }
  const int oh = h / 2, ow = w / 2;
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 0; ox < ow; ++ox) {
      const int i = 2 * oy * w + 2 * ox;
      const Real a = value(i), b = value(i + 1), c = value(i + w), d = value(i + w + 1);
      Real m = a;
      m = b > m ? b : m;
      m = c > m ? c : m;
      m = d > m ? d : m;
      dst[oy * ow + ox] = m;
    }
  }
}

}  // namespace

void Conv2d::after_readout(const Real* sums, bool add_bias, int smp, int o, Tensor& y) const {
  const Shape s = fused_output_shape();
  const auto c = static_cast<std::size_t>(o);
  const Real b = has_bias_ ? bias.value[o] : Real(0);
  Real* dst = y.sample(smp) + c * static_cast<std::size_t>(s.h) * s.w;
  const Real scale = after_.scale[c], shift = after_.shift[c];
  if (add_bias) {
    after_.relu ? after_readout_plane<true, true>(sums, out_.h, out_.w, b, scale, shift, after_.pool, dst)
                : after_readout_plane<true, false>(sums, out_.h, out_.w, b, scale, shift, after_.pool, dst);
  } else {
    after_.relu ? after_readout_plane<false, true>(sums, out_.h, out_.w, b, scale, shift, after_.pool, dst)
                : after_readout_plane<false, false>(sums, out_.h, out_.w, b, scale, shift, after_.pool, dst);
  }
}

// The transformed filter replaces the weights, which the Winograd forward pass then never
// reads: the per-thread copies keep none (VGG-16: 59 MB a copy).
void Conv2d::prepare_inference() {
  if (reads_blocks_by_winograd(ForwardContext{})) {
    const ReadoutProduct rp = layer_detail::readout_weights(*readout, weight.value, spec());
    block_filters_ = block_filters(rp.analog, rp.digital);
  }
  if (readout && readout->sums_only() && uses_winograd()) {
    const Vector* power = readout->variance_weight();
    if (power && power->size() == weight.value.size()) {
      variance_filter_ = winograd_filter_of(power->data(), out_channels_, in_.c, winograd_tile(), false);
    }
  }
  if (!uses_winograd()) return;
  filter_ = winograd_filter_of(weight.value.data(), out_channels_, in_.c, winograd_tile(), false);
  filter_ready_ = true;
  weight.value = Vector();
  weight.mask.clear();
}

// A whole-batch Winograd layer's GEMMs have one row per tile of the call: 4 chunks give
// VGG-16's 2x2 maps 64 rows rather than 16.
int Conv2d::inference_samples() const {
  if (reads_blocks_by_winograd(ForwardContext{})) return kBlocksChunk;
  return uses_winograd() && winograd_whole_batch(false) ? 4 * kSampleChunk : kSampleChunk;
}

int Conv2d::winograd_tile() const {
  return std::min(out_.h, out_.w) >= kWinograd4MinSize ? 4 : 2;
}

bool Conv2d::uses_winograd() const {
  return kernel_ == 3 && stride_ == 1 && pad_ == 1 && !reads_blocks() && in_.c >= kWinogradMinChannels;
}

bool Conv2d::uses_direct(bool training) const {
  return kernel_ == 3 && pad_ == 1 && !reads_blocks() &&
         ((stride_ == 1 && in_.c < kWinogradMinChannels) || (stride_ == 2 && !training && out_.w >= kDirectMinWidth));
}

void Conv2d::forward(const Tensor& x, Tensor& y, const ForwardContext& ctx) {
  // Read noise on the whole sums comes after the product's output pass, and a fused batch norm
  // after the noise: the sums go to noisy_, and one more pass maps them into y. (A readout that
  // reads row blocks applies the batch norm in its own output pass.)
  const bool noise_first = readout && readout->sums_only() && fused_after_readout();
  if (noise_first) ensure_size(noisy_, 1);
  Tensor& sums = noise_first ? noisy_[0] : y;
  if (uses_winograd()) {
    forward_winograd(x, sums);
  } else if (uses_direct(ctx.training)) {
    forward_direct(x, sums);
  } else if (reads_blocks_by_winograd(ctx)) {
    forward_winograd_blocks(x, sums, ctx);
  } else {
    forward_im2col(x, sums, ctx);
  }
  if (readout && readout->sums_only()) add_sum_noise(x, sums, ctx);
  if (!noise_first) return;
  const int N = sums.n(), P = out_.h * out_.w;
  y.resize(N, fused_output_shape());
  parallel_for(N, [&](int smp) {
    for (int o = 0; o < out_channels_; ++o) after_readout(sums.sample(smp) + static_cast<std::size_t>(o) * P, false, smp, o, y);
  });
}

// Training keeps im2col (its backward reads the unrolled input).
bool Conv2d::reads_blocks_by_winograd(const ForwardContext& ctx) const {
  return reads_blocks() && !ctx.training && kernel_ == 3 && stride_ == 1 && pad_ == 1 && in_.c >= kWinogradMinChannels;
}

namespace {

// out = the filter's point xi times channels [c0, c0 + nc) of in. Sizes out.
void filter_product_rows(const WinogradFilter& f, int xi, const Matrix& in, int c0, int nc, Matrix& out, PairsB& pairs) {
  const auto p = static_cast<std::size_t>(xi);
  if (!f.bf16) {
    out.noalias() = f.u[p] * in.middleRows(c0, nc);
    return;
  }
  out.resize(f.packed[p].rows, in.cols());
  pairs_b(in.data() + c0, nc, static_cast<int>(in.cols()), in.rows(), pairs);
  gemm_bf16(f.packed[p], pairs, out.data(), out.rows(), false);
}

// A row block's part of a conv weight [out][in][3][3] (the crossbar rows [r0, r1), row = c * 9 +
// tap) as the weight of channels [r0 / 9, ceil(r1 / 9)), zero at the taps of those channels
// outside the block, transformed for the Winograd products.
std::shared_ptr<const WinogradFilter> block_filter(const Real* weight, int out, int rows, int r0, int r1, int m) {
  const int c0 = r0 / 9, nc = (r1 + 8) / 9 - c0;
  std::vector<Real> w(static_cast<std::size_t>(out) * nc * 9, Real(0));
  for (int o = 0; o < out; ++o) {
    std::copy(weight + static_cast<std::size_t>(o) * rows + r0, weight + static_cast<std::size_t>(o) * rows + r1,
              w.data() + static_cast<std::size_t>(o) * nc * 9 + (r0 - c0 * 9));
  }
  return winograd_filter_of(w.data(), out, nc, m, false);
}

}  // namespace

std::shared_ptr<const Conv2d::BlockFilters> Conv2d::block_filters(const Real* analog, const Vector& digital) const {
  const int m = winograd_tile(), B = readout->blocks(rows()), R = readout->block_rows;
  const Vector* power = readout->variance_weight();
  const bool noisy = power && power->size() != 0;
  if (noisy && power->size() != static_cast<Eigen::Index>(rows()) * out_channels_) {
    throw Error("conv " + spec() + ": the read-out's variance weights have " + std::to_string(power->size()) +
                " values, the weight " + std::to_string(static_cast<Eigen::Index>(rows()) * out_channels_));
  }
  auto f = std::make_shared<BlockFilters>();
  f->signal.resize(static_cast<std::size_t>(B));
  f->variance.resize(noisy ? static_cast<std::size_t>(B) : 0);
  parallel_for(B, [&](int b) {
    const int r0 = b * R, r1 = std::min(rows(), r0 + R);
    f->signal[static_cast<std::size_t>(b)] = block_filter(analog, out_channels_, rows(), r0, r1, m);
    if (noisy) f->variance[static_cast<std::size_t>(b)] = block_filter(power->data(), out_channels_, rows(), r0, r1, m);
  });
  if (digital.size() != 0) f->digital = winograd_filter_of(digital.data(), out_channels_, in_.c, m, false);
  return f;
}

// The sums of a row block are linear in the block's weights, so the Winograd algorithm computes
// them from the block's own filter (zero at the taps of a channel the block shares with its
// neighbour) and the transformed input of its channels: one input transform for every block,
// per block the products over its channels (split channels counted in both blocks) and an
// output transform. The read noise's variance is the same computation on the squared input
// with the noise power as weights. The digital part (RSA cells) is one more product over every
// channel, added after the readout.
void Conv2d::forward_winograd_blocks(const Tensor& x, Tensor& y, const ForwardContext& ctx) {
  const int m = winograd_tile(), points = WinogradTiles{0, 0, 0, m}.points();
  const int N = x.n(), P = out_.h * out_.w;
  y.resize(N, fused_output_shape());
  ensure_size(scratch_, static_cast<std::size_t>(max_threads()));
  cols_of_ = nullptr;
  const ReadoutProduct rp = begin_readout(*readout, weight.value, rows(), N, ctx, spec());
  const int B = readout->blocks(rows()), R = readout->block_rows;
  const Vector* power = readout->variance_weight();
  const bool noisy = power && power->size() != 0;
  const std::shared_ptr<const BlockFilters> filters = block_filters_ ? block_filters_ : block_filters(rp.analog, rp.digital);
  const auto& signal = filters->signal;
  const auto& variance = filters->variance;
  const auto& digital = filters->digital;
  // A chunk in blocks of samples whose transformed input and output stay in cache, as
  // forward_winograd's.
  // Chunks of kBlocksChunk samples where there are enough of them for every thread (or this is
  // one of Model::infer's copies, run on one thread each): the GEMMs of small maps get more
  // columns. No sum depends on the cut.
  const int chunk = omp_in_parallel() || N >= kBlocksChunk * max_threads() ? kBlocksChunk : kSampleChunk;
  const int sub = winograd_block_samples(out_.h, out_.w, in_.c, out_channels_, chunk, m);
  auto samples = [&](int k, int begin, int end) {
    Work& s = scratch_[static_cast<std::size_t>(omp_get_thread_num())];
    const int n = end - begin;
    const WinogradTiles tiles{n, out_.h, out_.w, m};
    winograd_resize(s.t_in, m, in_.c, tiles.count());
    winograd_input(x.sample(begin), in_.c, tiles, s.t_in, 0);
    if (noisy) {  // the squared input's transform, in du (unused in inference)
      s.dcols = Eigen::Map<const Matrix>(x.sample(begin), static_cast<Eigen::Index>(in_.size()), n).array().square().matrix();
      winograd_resize(s.du, m, in_.c, tiles.count());
      winograd_input(s.dcols.data(), in_.c, tiles, s.du, 0);
    }
    ReadoutBlock at{.chunk = k, .sample_begin = begin, .sample_end = end, .positions = P, .outputs_in_rows = true};
    // A quantizer alone (an ADC without read noise) runs in the output transform, which adds each
    // block's quantized sums in place (channels innermost, s.dout): no pass of its own.
    BlockQuantizer q;
    const bool fused = !noisy && readout->quantizer(0, q);
    bool started = false;
    if (fused) s.dout.resize(static_cast<Eigen::Index>(winograd_sums_hwc(out_channels_, tiles)), n);
    for (int b = 0; b < B; ++b) {
      const int r0 = b * R, r1 = std::min(rows(), r0 + R), c0 = r0 / 9, nc = (r1 + 8) / 9 - c0;
      at.block = b;
      if (fused && readout->quantizer(b, q) && q.zero) {
        if (!started) s.dout.setZero();
        started = true;
        continue;
      }
      for (int xi = 0; xi < points; ++xi) filter_product_rows(*signal[static_cast<std::size_t>(b)], xi, s.t_in[xi], c0, nc, s.t_out[xi], s.b);
      if (fused) {
        winograd_output_quantized(s.t_out, tiles, q.inv_step, q.step, q.lo, q.hi, !started, s.dout.data());
        started = true;
        continue;
      }
      s.part.resize(static_cast<Eigen::Index>(out_channels_) * P, n);
      winograd_output(s.t_out, nullptr, tiles, s.part.data(), 0);
      if (noisy) {
        for (int xi = 0; xi < points; ++xi) filter_product_rows(*variance[static_cast<std::size_t>(b)], xi, s.du[xi], c0, nc, s.t_out[xi], s.b);
        s.dw.resize(s.part.rows(), n);
        winograd_output(s.t_out, nullptr, tiles, s.dw.data(), 0);
        at.variance = s.dw.data();
      }
      readout->accumulate(s.part, at, s.out, b == 0);
    }
    if (fused) {
      s.out.resize(static_cast<Eigen::Index>(out_channels_) * P, n);
      winograd_sums_to_chw(s.dout.data(), out_channels_, tiles, s.out.data());
    }
    if (digital) {
      for (int xi = 0; xi < points; ++xi) filter_product(*digital, xi, s.t_in[xi], s.t_out[xi], s.b);
      s.part.resize(s.out.rows(), n);
      winograd_output(s.t_out, nullptr, tiles, s.part.data(), 0);
      s.out += s.part;
    }
    for (int smp = 0; smp < n; ++smp) {
      Real* dst = y.sample(begin + smp);
      const Real* src = s.out.data() + static_cast<std::size_t>(smp) * s.out.rows();
      for (int o = 0; o < out_channels_; ++o) {
        if (fused_after_readout()) {
          after_readout(src + static_cast<std::size_t>(o) * P, true, begin + smp, o, y);
          continue;
        }
        const Real bias_o = has_bias_ ? bias.value[o] : Real(0);
        for (int p = 0; p < P; ++p) dst[o * P + p] = src[o * P + p] + bias_o;
      }
    }
  };
  parallel_chunks(N, chunk, [&](int k, int begin, int end) {
    for (int b0 = begin; b0 < end; b0 += sub) samples(k, b0, std::min(end, b0 + sub));
  });
  readout->end_pass();
  release_winograd();
}

// Read noise on the whole sums (PartialSumReadout::sums_only): the variance of every sum is the
// same convolution of the squared inputs with the readout's variance weights, computed by a
// bias-free copy of this layer's geometry, so by the same fast path and at its precision.
void Conv2d::add_sum_noise(const Tensor& x, Tensor& y, const ForwardContext& ctx) {
  const Vector* power = readout->variance_weight();
  const Eigen::Index weights = static_cast<Eigen::Index>(rows()) * out_channels_;
  if (!power || power->size() != weights) {
    throw Error("conv " + spec() + ": the read-out's variance weights have " + std::to_string(power ? power->size() : 0) +
                " values, the weight " + std::to_string(weights));
  }
  Conv2d v(out_channels_, kernel_, stride_, pad_, false);
  v.setup(in_);
  v.weight.value = *power;
  if (variance_filter_) {  // an inference copy's (prepare_inference)
    v.filter_ = variance_filter_;
    v.filter_ready_ = true;
  }
  Tensor x2(x.n(), in_), var;
  Eigen::Map<Eigen::ArrayXf>(x2.data(), static_cast<Eigen::Index>(x2.size())) =
      Eigen::Map<const Eigen::ArrayXf>(x.data(), static_cast<Eigen::Index>(x.size())).square();
  v.forward(x2, var, ForwardContext{});
  ReadoutPass pass;
  pass.layer = spec();
  pass.rows = rows();
  pass.blocks = 1;
  pass.samples = x.n();
  pass.chunks = num_chunks(x.n(), kSampleChunk);
  pass.ctx = ctx;
  readout->add_to_sums(y.data(), var.data(), static_cast<int>(out_.size()), pass);
}

void Conv2d::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
  if (uses_winograd()) {
    backward_winograd(x, dy, dx);
  } else {
    backward_im2col(x, dy, dx);
  }
}

void Conv2d::forward_im2col(const Tensor& x, Tensor& y, const ForwardContext& ctx) {
  const int N = x.n(), P = out_.h * out_.w;
  ReadoutProduct rp;
  const bool blocks = reads_blocks();
  // A fused batch norm after a read-out of row blocks runs in this output pass (with noise on
  // the whole sums, forward() applies it after the noise).
  const bool after = blocks && fused_after_readout();
  y.resize(N, after ? fused_output_shape() : out_);
  const int chunks = num_chunks(N, kSampleChunk);
  const bool keep = ctx.training &&
                    static_cast<std::size_t>(N) * P * static_cast<std::size_t>(rows()) * sizeof(Real) <= kKeepColsBytes;
  if (keep) ensure_size(work_, static_cast<std::size_t>(chunks));
  ensure_size(scratch_, static_cast<std::size_t>(max_threads()));
  cols_of_ = nullptr;
  const ConstMatrixMap W(weight.value.data(), rows(), out_channels_);
  if (blocks) rp = begin_readout(*readout, weight.value, rows(), N, ctx, spec());
  parallel_chunks(N, kSampleChunk, [&](int k, int begin, int end) {
    Work& s = scratch_[static_cast<std::size_t>(omp_get_thread_num())];
    Matrix& cols = keep ? work_[static_cast<std::size_t>(k)].cols : s.cols;
    im2col(x, begin, end, cols);
    if (blocks) {
      const ConstMatrixMap Wa(rp.analog, rows(), out_channels_);
      const ReadoutBlock at{.chunk = k, .sample_begin = begin, .sample_end = end, .positions = P, .outputs_in_rows = false};
      readout_blocks(*readout, rows(), at, s.out, s.part, [&](int r0, int rb, Matrix& part, ReadoutBlock& in) {
        part.noalias() = cols.middleCols(r0, rb) * Wa.middleRows(r0, rb);
        in.inputs = cols.data() + static_cast<Eigen::Index>(r0) * cols.rows();
        in.input_rows = in.input_stride = cols.rows();
        in.input_cols = rb;
      });
      if (rp.digital.size() != 0) s.out.noalias() += cols * ConstMatrixMap(rp.digital.data(), rows(), out_channels_);
    } else {
      s.out.noalias() = cols * W;
    }
    // out is (n*P) x out_channels; y holds each sample as out_channels x P.
    for (int smp = begin; smp < end; ++smp) {
      for (int o = 0; o < out_channels_; ++o) {
        const Real b = has_bias_ ? bias.value[o] : Real(0);
        const Real* src = s.out.data() + static_cast<std::size_t>(o) * s.out.rows() +
                          static_cast<std::size_t>(smp - begin) * P;
        if (after) {
          after_readout(src, true, smp, o, y);
          continue;
        }
        Real* dst = y.sample(smp) + static_cast<std::size_t>(o) * P;
        if (relu_out_) {
          for (int p = 0; p < P; ++p) dst[p] = std::max(src[p] + b, Real(0));
        } else {
          for (int p = 0; p < P; ++p) dst[p] = src[p] + b;
        }
      }
    }
  });
  if (blocks) readout->end_pass();
  if (keep) {
    cols_of_ = &x;
    cols_n_ = N;
  }
}

namespace {

// Output rows oy to oy + kRows - 1 of kOuts consecutive output channels of a direct 3x3
// convolution of stride kStride: each output starts at its bias and adds the in-channels * 9
// taps, w * (a row of the zero-padded input `padded`), in tap order, as fused multiply-adds.
// `padded` holds per channel kStride planes of ph x pw, plane q the padded columns q,
// q + kStride, ..., so that a tap's inputs for consecutive outputs are consecutive. Vectors of
// columns of the kOuts outputs stay in registers over all taps and each input vector loaded
// serves kOuts outputs. out[q] is row oy of output q, its next rows `width` apart.
template <int kOuts, int kStride, int kRows>
void direct_row(const Real* padded, int channels, int ph, int pw, int oy, int width, const Real* weight, int rows,
                const Real* bias, bool relu, Real* const* out) {
  using Packet = Eigen::internal::packet_traits<Real>::type;
  constexpr int P = Eigen::internal::unpacket_traits<Packet>::size;
  const auto plane = static_cast<std::size_t>(ph) * pw;
  auto tap_of = [&](int c, int i, int j, int r) {
    return padded + static_cast<std::size_t>(c * kStride + j % kStride) * plane +
           static_cast<std::size_t>((oy + r) * kStride + i) * pw + j / kStride;
  };
  // kCols vectors of columns of each of the kRows rows at a time.
  auto columns = [&]<int kCols>(int ox) {
    constexpr int kVecs = kRows * kCols;
    Packet acc[kOuts][kVecs];
    for (int q = 0; q < kOuts; ++q) {
      for (int k = 0; k < kVecs; ++k) acc[q][k] = Eigen::internal::pset1<Packet>(bias[q]);
    }
    for (int c = 0; c < channels; ++c) {
      for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j) {
          Packet v[kVecs];
          for (int r = 0; r < kRows; ++r) {
            const Real* src = tap_of(c, i, j, r) + ox;
            for (int k = 0; k < kCols; ++k) v[r * kCols + k] = Eigen::internal::ploadu<Packet>(src + k * P);
          }
          const int tap = (c * 3 + i) * 3 + j;
          for (int q = 0; q < kOuts; ++q) {
            const Packet wq = Eigen::internal::pset1<Packet>(weight[q * rows + tap]);
            for (int k = 0; k < kVecs; ++k) acc[q][k] = Eigen::internal::pmadd(wq, v[k], acc[q][k]);
          }
        }
      }
    }
    for (int q = 0; q < kOuts; ++q) {
      for (int k = 0; k < kVecs; ++k) {
        if (relu) acc[q][k] = Eigen::internal::pmax(acc[q][k], Eigen::internal::pzero(acc[q][k]));
        Eigen::internal::pstoreu(out[q] + static_cast<std::size_t>(k / kCols) * width + ox + (k % kCols) * P, acc[q][k]);
      }
    }
  };
  int ox = 0;
  if constexpr (kRows == 1) {
    for (; ox + 2 * P <= width; ox += 2 * P) columns.template operator()<2>(ox);
  }
  for (; ox + P <= width; ox += P) columns.template operator()<1>(ox);
  for (; ox < width; ++ox) {
    for (int r = 0; r < kRows; ++r) {
      for (int q = 0; q < kOuts; ++q) {
        Real acc = bias[q];
        for (int c = 0; c < channels; ++c) {
          for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j) acc = std::fma(weight[q * rows + (c * 3 + i) * 3 + j], tap_of(c, i, j, r)[ox], acc);
          }
        }
        out[q][static_cast<std::size_t>(r) * width + ox] = relu ? std::max(acc, Real(0)) : acc;
      }
    }
  }
}

}  // namespace

// Direct convolution (uses_direct): with 3 inputs im2col's product has 27 terms per output
// and ran at a tenth of the GEMM rate. Each sample is copied once with its zero padding (at
// stride 2 its even and odd columns apart), then every output row is computed by direct_row,
// eight output channels at a time.
void Conv2d::forward_direct(const Tensor& x, Tensor& y) {
  constexpr int kOuts = 8;
  const int N = x.n(), C = in_.c, H = out_.h, W = out_.w, IH = in_.h, IW = in_.w, S = stride_;
  const int PH = IH + 2, PW = (IW + 2 + S - 1) / S;  // a plane: the padded rows, every S-th column
  y.resize(N, out_);
  const auto plane = static_cast<std::size_t>(PH) * PW;
  std::vector<Real> zeros;
  if (!has_bias_) zeros.assign(static_cast<std::size_t>(out_channels_), Real(0));
  const Real* b = has_bias_ ? bias.value.data() : zeros.data();
  parallel_chunks(N, kSampleChunk, [&](int, int begin, int end) {
    std::vector<Real> padded(static_cast<std::size_t>(C) * S * plane, Real(0));
    for (int smp = begin; smp < end; ++smp) {
      for (int c = 0; c < C; ++c) {
        for (int iy = 0; iy < IH; ++iy) {
          const Real* src = x.sample(smp) + (static_cast<std::size_t>(c) * IH + iy) * IW;
          Real* dst = padded.data() + static_cast<std::size_t>(c) * S * plane + static_cast<std::size_t>(iy + 1) * PW;
          if (S == 1) {
            std::copy(src, src + IW, dst + 1);
          } else {
            for (int ix = 0; ix < IW; ++ix) dst[static_cast<std::size_t>((ix + 1) % S) * plane + (ix + 1) / S] = src[ix];
          }
        }
      }
      // At stride 2 two rows at a time: a row of 16 outputs is one vector, and two give each
      // weight loaded two vectors, as two vectors of columns do at stride 1.
      for (int oy = 0; oy < H;) {
        const int nr = S == 2 && oy + 1 < H ? 2 : 1;
        Real* out[kOuts];
        for (int o = 0; o < out_channels_;) {
          const int n = out_channels_ - o >= kOuts ? kOuts : 1;
          for (int q = 0; q < n; ++q) out[q] = y.sample(smp) + (static_cast<std::size_t>(o + q) * H + oy) * W;
          const Real* w = weight.value.data() + static_cast<std::size_t>(o) * rows();
          if (S == 2 && nr == 2) {
            n == kOuts ? direct_row<kOuts, 2, 2>(padded.data(), C, PH, PW, oy, W, w, rows(), b + o, relu_out_, out)
                       : direct_row<1, 2, 2>(padded.data(), C, PH, PW, oy, W, w, rows(), b + o, relu_out_, out);
          } else if (S == 2) {
            n == kOuts ? direct_row<kOuts, 2, 1>(padded.data(), C, PH, PW, oy, W, w, rows(), b + o, relu_out_, out)
                       : direct_row<1, 2, 1>(padded.data(), C, PH, PW, oy, W, w, rows(), b + o, relu_out_, out);
          } else if (n == kOuts) {
            direct_row<kOuts, 1, 1>(padded.data(), C, PH, PW, oy, W, w, rows(), b + o, relu_out_, out);
          } else {
            direct_row<1, 1, 1>(padded.data(), C, PH, PW, oy, W, w, rows(), b + o, relu_out_, out);
          }
          o += n;
        }
        oy += nr;
      }
    }
  });
}

void Conv2d::backward_im2col(const Tensor& x, const Tensor& dy, Tensor* dx) {
  const int N = x.n(), P = out_.h * out_.w;
  const int chunks = num_chunks(N, kSampleChunk);
  const bool have_cols = cols_of_ == &x && cols_n_ == N && work_.size() >= static_cast<std::size_t>(chunks);
  ensure_size(work_, static_cast<std::size_t>(chunks));
  ensure_size(scratch_, static_cast<std::size_t>(max_threads()));
  if (dx) dx->resize(N, in_);
  const ConstMatrixMap W(weight.value.data(), rows(), out_channels_);
  parallel_chunks(N, kSampleChunk, [&](int k, int begin, int end) {
    Work& w = work_[static_cast<std::size_t>(k)];
    Work& s = scratch_[static_cast<std::size_t>(omp_get_thread_num())];
    const int n = end - begin;
    s.dout.resize(static_cast<Eigen::Index>(n) * P, out_channels_);
    for (int smp = begin; smp < end; ++smp) {
      for (int o = 0; o < out_channels_; ++o) {
        std::memcpy(s.dout.data() + static_cast<std::size_t>(o) * s.dout.rows() +
                        static_cast<std::size_t>(smp - begin) * P,
                    dy.sample(smp) + static_cast<std::size_t>(o) * P, sizeof(Real) * P);
      }
    }
    if (!have_cols) im2col(x, begin, end, s.cols);
    const Matrix& cols = have_cols ? w.cols : s.cols;
    w.dw.noalias() = cols.transpose() * s.dout;
    if (has_bias_) w.db = s.dout.colwise().sum().transpose();
    if (dx) {
      s.dcols.noalias() = s.dout * W.transpose();
      col2im(s.dcols, begin, end, *dx);
    }
  });
  sum_chunk_gradients(chunks);
}

namespace {

// Adds each of `channels` channels' sum over one sample's map of P values (dy) to db, in kLanes
// float lanes added in order: the order depends on P alone. Eigen's colwise().sum() of a map of
// dy started its vectors at the first aligned value, so the rounding followed the address of
// dy's buffer, which differs with the thread count (malloc's arenas) and from run to run.
void add_channel_sums(const Real* dy, int P, int channels, Vector& db) {
  for (int o = 0; o < channels; ++o) {
    const Real* p = dy + static_cast<std::size_t>(o) * P;
    db[o] += layer_detail::lane_sum<Real>(P, [p](int i) { return p[i]; });
  }
}

}  // namespace

// The Winograd path has two schedules (docs/algorithms.md "Winograd convolution"). Where a
// chunk has enough tiles, each chunk runs on its own thread in blocks of samples small enough
// for the cache. Smaller feature maps (VGG-16's 4x4 and 2x2) would give GEMMs of a few rows,
// so there the whole batch is transformed chunk by chunk into one matrix per point and the 16
// GEMMs run side by side, one per thread at a time. Backward switches at larger maps than
// forward: its filter-gradient GEMMs sum over the tiles, and at 4x4 one sum over the batch
// beat a sum per chunk, while forward was faster in chunks, whose matrices stay in cache
// (VGG-16, one thread). Either way every value is computed the same way whatever the thread
// count.
bool Conv2d::winograd_whole_batch(bool backward) const {
  const Eigen::Index tiles = WinogradTiles{kSampleChunk, out_.h, out_.w, winograd_tile()}.count();
  return tiles < (backward ? kWinogradMinTiles : kWinogradMinTiles / 4);
}

void Conv2d::forward_winograd(const Tensor& x, Tensor& y) {
  const int m = winograd_tile(), points = WinogradTiles{0, 0, 0, m}.points();
  const int N = x.n();
  y.resize(N, pool_out_ ? Shape{out_.c, out_.h / 2, out_.w / 2} : out_);
  ensure_size(scratch_, static_cast<std::size_t>(max_threads()));
  cols_of_ = nullptr;
  if (!filter_ready_) filter_ = winograd_filter_of(weight.value.data(), out_channels_, in_.c, m, false);
  const WinogradFilter& u = *filter_;
  const Real* b = has_bias_ ? bias.value.data() : nullptr;
  const Eigen::Index per_sample = WinogradTiles{1, out_.h, out_.w, m}.count();
  if (winograd_whole_batch(false)) {
    ensure_size(batch_, 1);
    Work& w = batch_[0];
    winograd_resize(w.t_in, m, in_.c, N * per_sample);
    winograd_resize(w.t_out, m, out_channels_, N * per_sample);
    parallel_chunks(N, kSampleChunk, [&](int, int begin, int end) {
      winograd_input(x.sample(begin), in_.c, {end - begin, out_.h, out_.w, m}, w.t_in, begin * per_sample);
    });
    parallel_for(points, [&](int xi) {
      Work& s = scratch_[static_cast<std::size_t>(omp_get_thread_num())];
      filter_product(u, xi, w.t_in[xi], w.t_out[xi], s.b);
    });
    parallel_chunks(N, kSampleChunk, [&](int, int begin, int end) {
      winograd_output(w.t_out, b, {end - begin, out_.h, out_.w, m}, y.sample(begin), begin * per_sample, relu_out_,
                      pool_out_);
    });
    release_winograd();
    return;
  }
  const int block = winograd_block_samples(out_.h, out_.w, in_.c, out_channels_, kSampleChunk, m);
  parallel_chunks(N, kSampleChunk, [&](int, int begin, int end) {
    Work& s = scratch_[static_cast<std::size_t>(omp_get_thread_num())];
    for (int b0 = begin; b0 < end; b0 += block) {
      const WinogradTiles tiles{std::min(block, end - b0), out_.h, out_.w, m};
      winograd_resize(s.t_in, m, in_.c, tiles.count());
      winograd_resize(s.t_out, m, out_channels_, tiles.count());
      winograd_input(x.sample(b0), in_.c, tiles, s.t_in, 0);
      for (int xi = 0; xi < points; ++xi) filter_product(u, xi, s.t_in[xi], s.t_out[xi], s.b);
      winograd_output(s.t_out, b, tiles, y.sample(b0), 0, relu_out_, pool_out_);
    }
  });
  release_winograd();
}

// Backward transforms the input again rather than keep forward's V (2.25 or 4 times the
// input): the transform is a few adds per value, small beside the GEMMs, and so forward keeps
// no state for backward on this path.
void Conv2d::backward_winograd(const Tensor& x, const Tensor& dy, Tensor* dx) {
  const int m = winograd_tile(), points = WinogradTiles{0, 0, 0, m}.points();
  const int N = x.n(), P = out_.h * out_.w;
  filter_ready_ = false;
  if (dx) {
    dx->resize(N, in_);
    filter_ = winograd_filter_of(weight.value.data(), out_channels_, in_.c, m, true);
  }
  if (winograd_whole_batch(true)) {
    backward_winograd_batch(x, dy, dx);
    return;
  }
  const int chunks = num_chunks(N, kSampleChunk);
  ensure_size(work_, static_cast<std::size_t>(chunks));
  ensure_size(scratch_, static_cast<std::size_t>(max_threads()));
  // The filter gradient in the transform domain is summed over a chunk's blocks in block order.
  const int block = winograd_block_samples(out_.h, out_.w, in_.c, out_channels_, kSampleChunk, m);
  parallel_chunks(N, kSampleChunk, [&](int k, int begin, int end) {
    Work& w = work_[static_cast<std::size_t>(k)];
    Work& s = scratch_[static_cast<std::size_t>(omp_get_thread_num())];
    for (int b0 = begin; b0 < end; b0 += block) {
      const WinogradTiles tiles{std::min(block, end - b0), out_.h, out_.w, m};
      winograd_resize(s.t_in, m, in_.c, tiles.count());
      winograd_resize(s.t_out, m, out_channels_, tiles.count());
      winograd_input(x.sample(b0), in_.c, tiles, s.t_in, 0);
      winograd_output_adjoint(dy.sample(b0), out_channels_, tiles, s.t_out, 0);
      for (int xi = 0; xi < points; ++xi) gradient_product(s.t_out[xi], s.t_in[xi], s.du[xi], b0 != begin, s.a, s.b);
      if (dx) {
        // dx = conv(dy, rot180(weight)) with in and out swapped: forward's steps, from t_out to t_in.
        winograd_input(dy.sample(b0), out_channels_, tiles, s.t_out, 0);
        for (int xi = 0; xi < points; ++xi) filter_product(*filter_, xi, s.t_out[xi], s.t_in[xi], s.b);
        winograd_output(s.t_in, nullptr, tiles, dx->sample(b0), 0);
      }
    }
    w.dw.resize(rows(), out_channels_);
    winograd_filter_adjoint(s.du, m, w.dw.data());
    if (has_bias_) {
      w.db.setZero(out_channels_);
      for (int smp = begin; smp < end; ++smp) {
        add_channel_sums(dy.sample(smp), P, out_channels_, w.db);
      }
    }
  });
  sum_chunk_gradients(chunks);
  release_winograd();
}

// The whole-batch schedule of backward: one GEMM per point over every tile of the batch gives
// the filter gradient at once, with no chunk sums.
void Conv2d::backward_winograd_batch(const Tensor& x, const Tensor& dy, Tensor* dx) {
  const int m = winograd_tile(), points = WinogradTiles{0, 0, 0, m}.points();
  const int N = x.n(), P = out_.h * out_.w;
  const Eigen::Index per_sample = WinogradTiles{1, out_.h, out_.w, m}.count();
  ensure_size(batch_, 1);
  Work& w = batch_[0];
  winograd_resize(w.t_in, m, in_.c, N * per_sample);
  winograd_resize(w.t_out, m, out_channels_, N * per_sample);
  parallel_chunks(N, kSampleChunk, [&](int, int begin, int end) {
    const WinogradTiles tiles{end - begin, out_.h, out_.w, m};
    winograd_input(x.sample(begin), in_.c, tiles, w.t_in, begin * per_sample);
    winograd_output_adjoint(dy.sample(begin), out_channels_, tiles, w.t_out, begin * per_sample);
  });
  ensure_size(scratch_, static_cast<std::size_t>(max_threads()));
  parallel_for(points, [&](int xi) {
    Work& s = scratch_[static_cast<std::size_t>(omp_get_thread_num())];
    gradient_product(w.t_out[xi], w.t_in[xi], w.du[xi], false, s.a, s.b);
  });
  winograd_filter_adjoint(w.du, m, weight.grad.data());
  if (has_bias_) {
    bias.grad.setZero();
    for (int smp = 0; smp < N; ++smp) add_channel_sums(dy.sample(smp), P, out_channels_, bias.grad);
  }
  if (!dx) {
    release_winograd();
    return;
  }
  parallel_chunks(N, kSampleChunk, [&](int, int begin, int end) {
    winograd_input(dy.sample(begin), out_channels_, {end - begin, out_.h, out_.w, m}, w.t_out, begin * per_sample);
  });
  parallel_for(points, [&](int xi) {
    Work& s = scratch_[static_cast<std::size_t>(omp_get_thread_num())];
    filter_product(*filter_, xi, w.t_out[xi], w.t_in[xi], s.b);
  });
  parallel_chunks(N, kSampleChunk, [&](int, int begin, int end) {
    winograd_output(w.t_in, nullptr, {end - begin, out_.h, out_.w, m}, dx->sample(begin), begin * per_sample);
  });
  release_winograd();
}

// Outside a prepared inference copy, a pass keeps none of its transformed filters and data
// (up to 2.25 times the batch's activations and 4 times the weights a layer): the next layer
// reuses the memory (malloc keeps it, nn/parallel.hpp keep_freed_memory). Kept per layer, they
// took VGG-16's training from 863 to 1,228 MB (nnc-bench, batch 64).
void Conv2d::release_winograd() {
  if (filter_ready_) return;
  filter_.reset();
  batch_.clear();
  for (Work& s : scratch_) {
    s.t_in = s.t_out = s.du = {};
    s.a = {};
    s.b = {};
  }
}

// Chunk results are summed in chunk order: the same sum whatever the thread count.
void Conv2d::sum_chunk_gradients(int chunks) {
  MatrixMap dW(weight.grad.data(), rows(), out_channels_);
  dW = work_[0].dw;
  for (int k = 1; k < chunks; ++k) dW += work_[static_cast<std::size_t>(k)].dw;
  if (has_bias_) {
    bias.grad = work_[0].db;
    for (int k = 1; k < chunks; ++k) bias.grad += work_[static_cast<std::size_t>(k)].db;
  }
}

}  // namespace nnc
