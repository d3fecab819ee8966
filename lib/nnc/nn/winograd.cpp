#include "nnc/nn/winograd.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "nnc/nn/parallel.hpp"

namespace nnc {

namespace {

// The 1-D transforms of F(M x M, 3x3), each of one vector, written as adds and multiplications
// by the matrices' few distinct entries: Input o = B^T d (a values to a, a = M + 2), Filter
// o = G g (3 to a), Output o = A^T v (a to M), and the adjoints of the last two,
// FilterAdjoint o = G^T u (a to 3) and OutputAdjoint o = A d (M to a).
template <int M>
struct Transform;

template <>
struct Transform<2> {
  struct Input {
    void operator()(const Real* d, Real* o) const {
      o[0] = d[0] - d[2];
      o[1] = d[1] + d[2];
      o[2] = d[2] - d[1];
      o[3] = d[1] - d[3];
    }
  };
  struct Filter {
    void operator()(const Real* g, Real* o) const {
      o[0] = g[0];
      o[1] = Real(0.5) * (g[0] + g[1] + g[2]);
      o[2] = Real(0.5) * (g[0] - g[1] + g[2]);
      o[3] = g[2];
    }
  };
  struct FilterAdjoint {
    void operator()(const Real* u, Real* o) const {
      o[0] = u[0] + Real(0.5) * (u[1] + u[2]);
      o[1] = Real(0.5) * (u[1] - u[2]);
      o[2] = Real(0.5) * (u[1] + u[2]) + u[3];
    }
  };
  struct Output {
    void operator()(const Real* v, Real* o) const {
      o[0] = v[0] + v[1] + v[2];
      o[1] = v[1] - v[2] - v[3];
    }
  };
  struct OutputAdjoint {
    void operator()(const Real* d, Real* o) const {
      o[0] = d[0];
      o[1] = d[0] + d[1];
      o[2] = d[0] - d[1];
      o[3] = -d[1];
    }
  };
};

template <>
struct Transform<4> {
  struct Input {
    void operator()(const Real* d, Real* o) const {
      o[0] = Real(4) * d[0] - Real(5) * d[2] + d[4];
      o[1] = (d[3] + d[4]) - Real(4) * (d[1] + d[2]);
      o[2] = (d[4] - d[3]) + Real(4) * (d[1] - d[2]);
      o[3] = (d[4] - d[2]) + Real(2) * (d[3] - d[1]);
      o[4] = (d[4] - d[2]) - Real(2) * (d[3] - d[1]);
      o[5] = Real(4) * d[1] - Real(5) * d[3] + d[5];
    }
  };
  struct Filter {
    void operator()(const Real* g, Real* o) const {
      const Real even = g[0] + g[2], odd = g[1];
      o[0] = Real(0.25) * g[0];
      o[1] = Real(-1.0 / 6) * (even + odd);
      o[2] = Real(-1.0 / 6) * (even - odd);
      const Real quarter = Real(1.0 / 24) * g[0] + Real(1.0 / 6) * g[2], half = Real(1.0 / 12) * odd;
      o[3] = quarter + half;
      o[4] = quarter - half;
      o[5] = g[2];
    }
  };
  struct FilterAdjoint {
    void operator()(const Real* u, Real* o) const {
      const Real s12 = u[1] + u[2], d12 = u[2] - u[1], s34 = u[3] + u[4], d34 = u[3] - u[4];
      o[0] = Real(0.25) * u[0] - Real(1.0 / 6) * s12 + Real(1.0 / 24) * s34;
      o[1] = Real(1.0 / 6) * d12 + Real(1.0 / 12) * d34;
      o[2] = Real(1.0 / 6) * (s34 - s12) + u[5];
    }
  };
  struct Output {
    void operator()(const Real* v, Real* o) const {
      const Real s12 = v[1] + v[2], d12 = v[1] - v[2], s34 = v[3] + v[4], d34 = v[3] - v[4];
      o[0] = v[0] + s12 + s34;
      o[1] = d12 + Real(2) * d34;
      o[2] = s12 + Real(4) * s34;
      o[3] = d12 + Real(8) * d34 + v[5];
    }
  };
  struct OutputAdjoint {
    void operator()(const Real* d, Real* o) const {
      const Real s02 = d[0] + d[2], s13 = d[1] + d[3], e = d[0] + Real(4) * d[2], f = Real(2) * d[1] + Real(8) * d[3];
      o[0] = d[0];
      o[1] = s02 + s13;
      o[2] = s02 - s13;
      o[3] = e + f;
      o[4] = e - f;
      o[5] = d[3];
    }
  };
};

// Applies a 1-D transform f to `count` vectors at once: vector q is (in[0][q], ...,
// in[kIn-1][q]) and its result goes to (out[0][q], ..., out[kOut-1][q]). The rows never
// overlap; ivdep says so, without which GCC leaves these loops scalar.
template <std::size_t kIn, std::size_t kOut, class F>
[[gnu::always_inline]] inline void apply_1d(const std::array<const Real*, kIn> in, int count,
                                            const std::array<Real*, kOut> out, F f) {
#pragma GCC ivdep
  for (int q = 0; q < count; ++q) {
    Real a[kIn], b[kOut];
    for (std::size_t i = 0; i < kIn; ++i) a[i] = in[i][q];
    f(a, b);
    for (std::size_t k = 0; k < kOut; ++k) out[k][q] = b[k];
  }
}

template <int K, class P, class F>
std::array<P, K> pointers(F at) {
  std::array<P, K> p;
  for (int k = 0; k < K; ++k) p[static_cast<std::size_t>(k)] = at(k);
  return p;
}

// U = G g G^T of the kernels in `planes` (tap r = 3i + j of kernel q at planes[r * count + q]),
// G g first (a x 3 per kernel in `tmp`, 3a * count); u[xi][q] the a^2 values of kernel q.
template <int M>
void filter_planes(const Real* planes, int count, Real* tmp, Real* const* u) {
  constexpr int kA = M + 2;
  const typename Transform<M>::Filter f;
  auto g = [&](int i, int j) { return planes + static_cast<std::size_t>(3 * i + j) * count; };
  auto t = [&](int i, int j) { return tmp + static_cast<std::size_t>(3 * i + j) * count; };
  for (int j = 0; j < 3; ++j) {
    apply_1d(pointers<3, const Real*>([&](int i) { return g(i, j); }), count,
             pointers<kA, Real*>([&](int i) { return t(i, j); }), f);
  }
  for (int i = 0; i < kA; ++i) {
    apply_1d(pointers<3, const Real*>([&](int j) { return t(i, j); }), count,
             pointers<kA, Real*>([&](int j) { return u[kA * i + j]; }), f);
  }
}

// dg = G^T dU G of count kernels, du[xi][q] the a^2 values of kernel q, into `planes` (dU G
// first, a x 3 per kernel in `tmp`, 3a * count).
template <int M>
void filter_adjoint_planes(const Real* const* du, int count, Real* tmp, Real* planes) {
  constexpr int kA = M + 2;
  const typename Transform<M>::FilterAdjoint f;
  auto g = [&](int i, int j) { return planes + static_cast<std::size_t>(3 * i + j) * count; };
  auto t = [&](int i, int j) { return tmp + static_cast<std::size_t>(3 * i + j) * count; };
  for (int i = 0; i < kA; ++i) {
    apply_1d(pointers<kA, const Real*>([&](int j) { return du[kA * i + j]; }), count,
             pointers<3, Real*>([&](int j) { return t(i, j); }), f);
  }
  for (int j = 0; j < 3; ++j) {
    apply_1d(pointers<kA, const Real*>([&](int i) { return t(i, j); }), count,
             pointers<3, Real*>([&](int i) { return g(i, j); }), f);
  }
}

// The filter transforms of every kernel: tap(r, c, k) is tap k of the kernel that lands in row
// r and column c of the transformed matrices (rows x cols), one column of kernels at a time.
// Columns of kernels a task of the filter transforms takes: each column is computed alone, so
// the results do not depend on how the columns are shared out.
constexpr int kFilterColumns = 16;

template <int M, class Tap>
void filter_matrices(int rows, int cols, Tap tap, WinogradMatrices& u) {
  constexpr int kP = (M + 2) * (M + 2);
  winograd_resize(u, M, rows, cols);
  parallel_chunks(cols, kFilterColumns, [&](int, int begin, int end) {
    std::vector<Real> planes(static_cast<std::size_t>(9) * rows), tmp(static_cast<std::size_t>(3 * (M + 2)) * rows);
    for (int c = begin; c < end; ++c) {
      for (int r = 0; r < rows; ++r) {
        for (int k = 0; k < 9; ++k) planes[static_cast<std::size_t>(k) * rows + r] = tap(r, c, k);
      }
      Real* col[kP];
      for (int xi = 0; xi < kP; ++xi) col[xi] = u[static_cast<std::size_t>(xi)].col(c).data();
      filter_planes<M>(planes.data(), rows, tmp.data(), col);
    }
  });
}

template <int M>
void filter_adjoint(const WinogradMatrices& du, Real* dweight) {
  constexpr int kP = (M + 2) * (M + 2);
  const auto out = static_cast<int>(du[0].rows()), in = static_cast<int>(du[0].cols());
  parallel_chunks(in, kFilterColumns, [&](int, int begin, int end) {
    std::vector<Real> planes(static_cast<std::size_t>(9) * out), tmp(static_cast<std::size_t>(3 * (M + 2)) * out);
    for (int ci = begin; ci < end; ++ci) {
      const Real* col[kP];
      for (int xi = 0; xi < kP; ++xi) col[xi] = du[static_cast<std::size_t>(xi)].col(ci).data();
      filter_adjoint_planes<M>(col, out, tmp.data(), planes.data());
      for (int ko = 0; ko < out; ++ko) {
        Real* g = dweight + (static_cast<std::size_t>(ko) * in + ci) * 9;
        for (int r = 0; r < 9; ++r) g[r] = planes[static_cast<std::size_t>(r) * out + ko];
      }
    }
  });
}

// The data transforms work on images with the channels innermost (h x w x channels, "HWC"),
// so that every step is vectorized over the channels, whatever the map size: a tile's 2-D
// transform is kIn x kIn channel vectors in, kOut x kOut out, f applied down the columns
// and then along the rows.
template <int kIn, int kOut, class F>
[[gnu::always_inline]] inline void transform_2d(const Real (&d)[kIn][kIn], Real (&o)[kOut][kOut], F f) {
  Real t[kOut][kIn];
#pragma GCC unroll 8
  for (int k = 0; k < kIn; ++k) {
    Real col[kIn], r[kOut];
#pragma GCC unroll 8
    for (int i = 0; i < kIn; ++i) col[i] = d[i][k];
    f(col, r);
#pragma GCC unroll 8
    for (int i = 0; i < kOut; ++i) t[i][k] = r[i];
  }
#pragma GCC unroll 8
  for (int i = 0; i < kOut; ++i) f(t[i], o[i]);
}

// out = in^T: in is r x c and out c x r, both column-major (in's columns ld apart, r unless
// given); in blocks of P x P through SIMD registers (Eigen's packet transpose), the edges one
// value at a time.
void transpose(const Real* in, int r, int c, Real* out, int ld = 0) {
  using Packet = Eigen::internal::packet_traits<Real>::type;
  constexpr int P = Eigen::internal::unpacket_traits<Packet>::size;
  if (ld == 0) ld = r;
  const int rb = r - r % P, cb = c - c % P;
  const auto at = [](int i, int j, int ld) { return static_cast<std::size_t>(j) * ld + i; };
  for (int j0 = 0; j0 < cb; j0 += P) {
    for (int i0 = 0; i0 < rb; i0 += P) {
      Eigen::internal::PacketBlock<Packet, P> block;
      for (int k = 0; k < P; ++k) block.packet[k] = Eigen::internal::ploadu<Packet>(in + at(i0, j0 + k, ld));
      Eigen::internal::ptranspose(block);
      for (int k = 0; k < P; ++k) Eigen::internal::pstoreu(out + at(j0, i0 + k, c), block.packet[k]);
    }
  }
  for (int j = 0; j < c; ++j) {
    for (int i = j < cb ? rb : 0; i < r; ++i) out[at(j, i, c)] = in[at(i, j, ld)];
  }
}

// Image img (channels x h x w) as rows x pitch pixels of `channels` values each (channels
// innermost), pixel (y, x) at (y + top, x + left), zero elsewhere; `scratch` holds h w channels.
void to_hwc(const Real* img, int channels, int h, int w, int top, int left, int rows, int pitch, Real* out,
            Real* scratch) {
  const auto C = static_cast<std::size_t>(channels);
  if (top == 0 && left == 0 && rows == h && pitch == w) {
    transpose(img, h * w, channels, out);
    return;
  }
  // Rows of whole vectors (maps of 16 and 32 a side) go straight to their padded place; others
  // through scratch, as one transpose of the whole image has full blocks where a row has none.
  constexpr int P = Eigen::internal::unpacket_traits<Eigen::internal::packet_traits<Real>::type>::size;
  const bool by_rows = w % P == 0;
  if (!by_rows) transpose(img, h * w, channels, scratch);
  std::fill(out, out + static_cast<std::size_t>(top) * pitch * C, Real(0));
  for (int y = 0; y < h; ++y) {
    Real* row = out + static_cast<std::size_t>(y + top) * pitch * C;
    std::fill(row, row + left * C, Real(0));
    if (by_rows) {
      transpose(img + static_cast<std::size_t>(y) * w, w, channels, row + left * C, h * w);
    } else {
      std::copy_n(scratch + static_cast<std::size_t>(y) * w * C, w * C, row + left * C);
    }
    std::fill(row + (left + w) * C, row + pitch * C, Real(0));
  }
  const auto row = [&](int y) { return out + static_cast<std::size_t>(y) * pitch * C; };
  std::fill(row(h + top), row(rows), Real(0));
}

// The reverse of to_hwc for the rows x cols pixels from (0, 0) of a channels-innermost buffer
// of `pitch` pixels a row: img (channels x rows x cols) receives them; `scratch` holds
// rows cols channels.
void from_hwc(const Real* in, int channels, int rows, int cols, int pitch, Real* img, Real* scratch) {
  const auto C = static_cast<std::size_t>(channels);
  if (pitch != cols) {
    for (int y = 0; y < rows; ++y) {
      std::copy_n(in + static_cast<std::size_t>(y) * pitch * C, cols * C, scratch + static_cast<std::size_t>(y) * cols * C);
    }
    in = scratch;
  }
  transpose(in, channels, rows * cols, img);
}

// The transforms that read images, into channels x tiles matrices: V = B^T d B of the input
// (kIn = M + 2, each patch starting one pixel above and left of its tile, `pad` 1) and
// dM = A dY A^T of the output gradient (kIn = M, the tile's own pixels, `pad` 0). Pixels outside
// the image, and those of tiles clipped at its edges, read the zeros of the padded copy.
template <int M, int kIn, class F>
void image_transform(const Real* x, int channels, WinogradTiles tiles, WinogradMatrices& v, Eigen::Index col0, int pad,
                     F f) {
  constexpr int kA = M + 2;
  const int h = tiles.h, w = tiles.w, th = tiles.th(), tw = tiles.tw(), C = channels;
  eigen_assert(v[0].rows() == channels && col0 + tiles.count() <= v[0].cols());
  // The patch of tile (ty, tx) is pixel (M ty + r, M tx + k) of the padded image, r, k < kIn.
  const int rows = M * th + 2 * pad, pitch = M * tw + 2 * pad;
  Vector hwc(Eigen::Index{rows} * pitch * C), scratch(Eigen::Index{h} * w * C);  // uninitialized: to_hwc writes all
  Real* out[kA * kA];
  for (int s = 0; s < tiles.n; ++s) {
    to_hwc(x + static_cast<std::size_t>(s) * C * h * w, C, h, w, pad, pad, rows, pitch, hwc.data(), scratch.data());
    for (int ty = 0; ty < th; ++ty) {
      for (int tx = 0; tx < tw; ++tx) {
        const Real* base = hwc.data() + (static_cast<std::size_t>(M * ty) * pitch + M * tx) * C;
        const Eigen::Index t = col0 + (Eigen::Index{s} * th + ty) * tw + tx;
        for (int xi = 0; xi < kA * kA; ++xi) out[xi] = v[static_cast<std::size_t>(xi)].data() + t * C;
#pragma GCC ivdep
        for (int c = 0; c < C; ++c) {
          Real d[kIn][kIn], o[kA][kA];
#pragma GCC unroll 8
          for (int r = 0; r < kIn; ++r) {
#pragma GCC unroll 8
            for (int k = 0; k < kIn; ++k) d[r][k] = base[(static_cast<std::size_t>(r) * pitch + k) * C + c];
          }
          transform_2d(d, o, f);
#pragma GCC unroll 8
          for (int i = 0; i < kA; ++i) {
#pragma GCC unroll 8
            for (int j = 0; j < kA; ++j) out[kA * i + j][c] = o[i][j];
          }
        }
      }
    }
  }
}

// Channel c of one tile's transformed products in[xi] through the output transform: o, M x M.
template <int M>
[[gnu::always_inline]] inline void channel_outputs(const std::array<const Real*, (M + 2) * (M + 2)>& in, int c,
                                                   const typename Transform<M>::Output& f, Real (&o)[M][M]) {
  constexpr int kA = M + 2;
  Real d[kA][kA];
#pragma GCC unroll 8
  for (int i = 0; i < kA; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < kA; ++j) d[i][j] = in[static_cast<std::size_t>(kA * i + j)][c];
  }
  transform_2d(d, o, f);
}

// One tile of output_transform: the channel vectors in[xi] to its outputs (kPool: its pooled
// windows) from `base` in an HWC buffer of `pitch` pixels a row, plus bias, through max(0, .)
// when kRelu.
template <int M, bool kPool, bool kRelu>
void output_tile(const std::array<const Real*, (M + 2) * (M + 2)> in, const Real* bias, int C, int pitch, Real* base) {
  constexpr int kHalf = M / 2;
  const typename Transform<M>::Output f;
  const auto out = [](Real v) { return kRelu ? std::max(v, Real(0)) : v; };
#pragma GCC ivdep
  for (int c = 0; c < C; ++c) {
    Real o[M][M];
    channel_outputs<M>(in, c, f, o);
    if constexpr (kPool) {
      // A tile holds (M/2)^2 whole 2x2 pooling windows, and adding the bias and max(0, .)
      // commute with max.
#pragma GCC unroll 4
      for (int r = 0; r < kHalf; ++r) {
#pragma GCC unroll 4
        for (int k = 0; k < kHalf; ++k) {
          const Real v = std::max(std::max(o[2 * r][2 * k], o[2 * r][2 * k + 1]),
                                  std::max(o[2 * r + 1][2 * k], o[2 * r + 1][2 * k + 1]));
          base[(static_cast<std::size_t>(r) * pitch + k) * C + c] = out(v + bias[c]);
        }
      }
    } else {
#pragma GCC unroll 4
      for (int r = 0; r < M; ++r) {
#pragma GCC unroll 4
        for (int k = 0; k < M; ++k) base[(static_cast<std::size_t>(r) * pitch + k) * C + c] = out(o[r][k] + bias[c]);
      }
    }
  }
}

template <int M, bool kPool, bool kRelu>
void output_transform(const WinogradMatrices& m, const Real* bias, WinogradTiles tiles, Real* y, Eigen::Index col0) {
  constexpr int kA = M + 2, side = kPool ? M / 2 : M;
  const int h = tiles.h, w = tiles.w, th = tiles.th(), tw = tiles.tw();
  const auto C = static_cast<int>(m[0].rows());
  eigen_assert(col0 + tiles.count() <= m[0].cols());
  eigen_assert(!kPool || (h % 2 == 0 && w % 2 == 0));
  // Each tile's outputs (or, pooled, its (M/2)^2 windows) go to an HWC buffer of whole tiles,
  // whose part inside the image is then written out channel by channel.
  const int rows = side * th, pitch = side * tw;
  const int oh = kPool ? h / 2 : h, ow = kPool ? w / 2 : w;
  Vector hwc(Eigen::Index{rows} * pitch * C), scratch(Eigen::Index{oh} * ow * C);  // uninitialized: every tile writes
  const Vector zero = Vector::Zero(C);
  const Real* b = bias ? bias : zero.data();
  for (int s = 0; s < tiles.n; ++s) {
    for (int ty = 0; ty < th; ++ty) {
      for (int tx = 0; tx < tw; ++tx) {
        const Eigen::Index t = col0 + (Eigen::Index{s} * th + ty) * tw + tx;
        const auto in = pointers<kA * kA, const Real*>([&](int xi) { return m[static_cast<std::size_t>(xi)].data() + t * C; });
        output_tile<M, kPool, kRelu>(in, b, C, pitch, hwc.data() + (static_cast<std::size_t>(side * ty) * pitch + side * tx) * C);
      }
    }
    from_hwc(hwc.data(), C, oh, ow, pitch, y + static_cast<std::size_t>(s) * C * oh * ow, scratch.data());
  }
}

// One tile of winograd_output_quantized: its quantized outputs added to `base` in an HWC buffer
// of `pitch` pixels a row.
template <int M, bool kFirst>
void quantized_tile(const std::array<const Real*, (M + 2) * (M + 2)> in, int C, Real inv_step, Real step, Real lo,
                    Real hi, int pitch, Real* base) {
  const typename Transform<M>::Output f;
#pragma GCC ivdep
  for (int c = 0; c < C; ++c) {
    Real o[M][M];
    channel_outputs<M>(in, c, f, o);
#pragma GCC unroll 4
    for (int r = 0; r < M; ++r) {
#pragma GCC unroll 4
      for (int k = 0; k < M; ++k) {
        Real& a = base[(static_cast<std::size_t>(r) * pitch + k) * C + c];
        const Real level = std::min(std::max(std::rint((o[r][k] + Real(0)) * inv_step), lo), hi);
        a = kFirst ? level * step : std::fma(level, step, a);
      }
    }
  }
}

template <int M, bool kFirst>
void quantized_transform(const WinogradMatrices& m, WinogradTiles tiles, Real inv_step, Real step, Real lo, Real hi,
                         Real* acc) {
  constexpr int kA = M + 2;
  const int th = tiles.th(), tw = tiles.tw(), pitch = M * tw;
  const auto C = static_cast<int>(m[0].rows());
  for (int s = 0; s < tiles.n; ++s) {
    for (int ty = 0; ty < th; ++ty) {
      for (int tx = 0; tx < tw; ++tx) {
        const Eigen::Index t = (Eigen::Index{s} * th + ty) * tw + tx;
        const auto in = pointers<kA * kA, const Real*>([&](int xi) { return m[static_cast<std::size_t>(xi)].data() + t * C; });
        Real* base = acc + (static_cast<std::size_t>(s) * M * th * pitch + static_cast<std::size_t>(M * ty) * pitch + M * tx) * C;
        quantized_tile<M, kFirst>(in, C, inv_step, step, lo, hi, pitch, base);
      }
    }
  }
}

// Calls body.template operator()<M>() with the tile size m as a constant.
template <class Body>
void with_tile(int m, Body body) {
  eigen_assert(m == 2 || m == 4);
  if (m == 4) {
    body.template operator()<4>();
  } else {
    body.template operator()<2>();
  }
}

}  // namespace

void winograd_resize(WinogradMatrices& a, int m, Eigen::Index rows, Eigen::Index cols) {
  const int points = (m + 2) * (m + 2);
  for (int xi = 0; xi < kWinogradMaxPoints; ++xi) {
    Matrix& mat = a[static_cast<std::size_t>(xi)];
    if (xi < points) {
      mat.resize(rows, cols);
    } else if (mat.size() != 0) {
      mat.resize(0, 0);
    }
  }
}

int winograd_block_samples(int h, int w, int in, int out, int chunk, int m) {
  const WinogradTiles one{1, h, w, m};
  const auto tiles = static_cast<std::size_t>(one.count());
  const std::size_t bytes = tiles * static_cast<std::size_t>(in + out) * one.points() * sizeof(Real);
  const auto fit = static_cast<int>(std::min<std::size_t>(kWinogradBlockBytes / bytes, static_cast<std::size_t>(chunk)));
  const auto rows = static_cast<int>((kWinogradMinTiles + tiles - 1) / tiles);
  return std::clamp(std::max(fit, rows), 1, chunk);
}

void winograd_filter(const Real* weight, int out, int in, int m, WinogradMatrices& u) {
  with_tile(m, [&]<int M>() {
    const auto tap = [&](int ko, int ci, int r) { return weight[(static_cast<std::size_t>(ko) * in + ci) * 9 + r]; };
    filter_matrices<M>(out, in, tap, u);
  });
}

void winograd_filter_rotated(const Real* weight, int out, int in, int m, WinogradMatrices& u) {
  // rot180 of a row-major 3x3 reverses its 9 values
  with_tile(m, [&]<int M>() {
    const auto tap = [&](int ci, int ko, int r) { return weight[(static_cast<std::size_t>(ko) * in + ci) * 9 + 8 - r]; };
    filter_matrices<M>(in, out, tap, u);
  });
}

void winograd_input(const Real* x, int channels, WinogradTiles tiles, WinogradMatrices& v, Eigen::Index col0) {
  with_tile(tiles.m, [&]<int M>() {
    image_transform<M, M + 2>(x, channels, tiles, v, col0, 1, typename Transform<M>::Input{});
  });
}

void winograd_output(const WinogradMatrices& m, const Real* bias, WinogradTiles tiles, Real* y, Eigen::Index col0,
                     bool relu, bool pool) {
  with_tile(tiles.m, [&]<int M>() {
    if (pool && relu) {
      output_transform<M, true, true>(m, bias, tiles, y, col0);
    } else if (pool) {
      output_transform<M, true, false>(m, bias, tiles, y, col0);
    } else if (relu) {
      output_transform<M, false, true>(m, bias, tiles, y, col0);
    } else {
      output_transform<M, false, false>(m, bias, tiles, y, col0);
    }
  });
}

void winograd_output_quantized(const WinogradMatrices& m, WinogradTiles tiles, Real inv_step, Real step, Real lo, Real hi,
                               bool first, Real* acc) {
  with_tile(tiles.m, [&]<int M>() {
    if (first) {
      quantized_transform<M, true>(m, tiles, inv_step, step, lo, hi, acc);
    } else {
      quantized_transform<M, false>(m, tiles, inv_step, step, lo, hi, acc);
    }
  });
}

std::size_t winograd_sums_hwc(int channels, WinogradTiles tiles) {
  return static_cast<std::size_t>(tiles.m * tiles.th()) * static_cast<std::size_t>(tiles.m * tiles.tw()) *
         static_cast<std::size_t>(channels);
}

void winograd_sums_to_chw(const Real* acc, int channels, WinogradTiles tiles, Real* y) {
  const std::size_t per = winograd_sums_hwc(channels, tiles), out = static_cast<std::size_t>(channels) * tiles.h * tiles.w;
  Vector scratch(static_cast<Eigen::Index>(out));
  for (int s = 0; s < tiles.n; ++s) {
    from_hwc(acc + static_cast<std::size_t>(s) * per, channels, tiles.h, tiles.w, tiles.m * tiles.tw(), y + static_cast<std::size_t>(s) * out,
             scratch.data());
  }
}

void winograd_output_adjoint(const Real* dy, int channels, WinogradTiles tiles, WinogradMatrices& dm,
                             Eigen::Index col0) {
  with_tile(tiles.m, [&]<int M>() {
    image_transform<M, M>(dy, channels, tiles, dm, col0, 0, typename Transform<M>::OutputAdjoint{});
  });
}

void winograd_filter_adjoint(const WinogradMatrices& du, int m, Real* dweight) {
  with_tile(m, [&]<int M>() { filter_adjoint<M>(du, dweight); });
}

}  // namespace nnc
