#include "nnc/nn/winograd.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

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

template <int K, class P, class F>
std::array<P, K> pointers(F at) {
  std::array<P, K> p;
  for (int k = 0; k < K; ++k) p[static_cast<std::size_t>(k)] = at(k);
  return p;
}

// Applies a 1-D transform f to `count` vectors at once: vector q is (in[0][kStride q], ...,
// in[kIn-1][kStride q]) and its result goes to (out[0][q], ..., out[kOut-1][q]). Each step of a
// 2-D transform is one such call over many kernels, columns or tiles, so that it vectorizes and
// writes every transformed matrix in contiguous runs. The rows never overlap; `omp simd` says
// so, without which GCC leaves these loops scalar.
template <int kStride, std::size_t kIn, std::size_t kOut, class F>
[[gnu::always_inline]] inline void apply_1d(const std::array<const Real*, kIn> in, int count, const std::array<Real*, kOut> out, F f) {
#pragma GCC ivdep
  for (int q = 0; q < count; ++q) {
    Real a[kIn], b[kOut];
    for (std::size_t i = 0; i < kIn; ++i) a[i] = in[i][kStride * q];
    f(a, b);
    for (std::size_t k = 0; k < kOut; ++k) out[k][q] = b[k];
  }
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
    apply_1d<1>(pointers<3, const Real*>([&](int i) { return g(i, j); }), count,
                pointers<kA, Real*>([&](int i) { return t(i, j); }), f);
  }
  for (int i = 0; i < kA; ++i) {
    apply_1d<1>(pointers<3, const Real*>([&](int j) { return t(i, j); }), count,
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
    apply_1d<1>(pointers<kA, const Real*>([&](int j) { return du[kA * i + j]; }), count,
                pointers<3, Real*>([&](int j) { return t(i, j); }), f);
  }
  for (int j = 0; j < 3; ++j) {
    apply_1d<1>(pointers<kA, const Real*>([&](int i) { return t(i, j); }), count,
                pointers<3, Real*>([&](int i) { return g(i, j); }), f);
  }
}

// The transforms of every kernel pair: g(ko, ci) gives the 9 taps of the kernel that lands in
// column `col` and row `row` of the transformed matrices (rows x cols).
template <int M, class Tap>
void filter_matrices(int rows, int cols, Tap tap, WinogradMatrices& u) {
  constexpr int kP = (M + 2) * (M + 2);
  winograd_resize(u, M, rows, cols);
  std::vector<Real> planes(static_cast<std::size_t>(9) * rows), tmp(static_cast<std::size_t>(3 * (M + 2)) * rows);
  for (int c = 0; c < cols; ++c) {
    for (int r = 0; r < rows; ++r) {
      for (int k = 0; k < 9; ++k) planes[static_cast<std::size_t>(k) * rows + r] = tap(r, c, k);
    }
    Real* col[kP];
    for (int xi = 0; xi < kP; ++xi) col[xi] = u[static_cast<std::size_t>(xi)].col(c).data();
    filter_planes<M>(planes.data(), rows, tmp.data(), col);
  }
}

template <int M>
void input_transform(const Real* x, int channels, WinogradTiles tiles, WinogradMatrices& v, Eigen::Index row0) {
  constexpr int kA = M + 2;
  const typename Transform<M>::Input f;
  const int h = tiles.h, w = tiles.w, th = tiles.th(), tw = tiles.tw();
  const Eigen::Index ld = v[0].rows();
  eigen_assert(row0 + tiles.count() <= ld && v[0].cols() == channels);
  // The patch of tile (ty, tx) is image rows M ty - 1 .. M ty + M and the same columns. Rows
  // outside the image read `zeros`; column c of the image is column c + 1 of a row of `bt`,
  // whose first and last columns stay 0. The vertical step runs over the whole plane before
  // the horizontal one reads it back: read straight after it was written, a row of `bt` (one
  // value off the vector alignment) stalls on store forwarding, which cost half this function.
  const int pw = M * tw + 2;
  const std::vector<Real> zeros(static_cast<std::size_t>(w), Real(0));
  std::vector<Real> bt(static_cast<std::size_t>(kA) * th * pw, Real(0));  // B^T d of every tile row
  auto row = [&](int ty, int i) { return bt.data() + static_cast<std::size_t>(kA * ty + i) * pw; };
  for (int s = 0; s < tiles.n; ++s) {
    for (int c = 0; c < channels; ++c) {
      const Real* img = x + (static_cast<std::size_t>(s) * channels + c) * h * w;
      for (int ty = 0; ty < th; ++ty) {
        const auto d = pointers<kA, const Real*>([&](int r) {
          const int iy = M * ty - 1 + r;
          return iy >= 0 && iy < h ? img + static_cast<std::size_t>(iy) * w : zeros.data();
        });
        apply_1d<1>(d, w, pointers<kA, Real*>([&](int i) { return row(ty, i) + 1; }), f);
      }
      for (int ty = 0; ty < th; ++ty) {
        const Eigen::Index at = Eigen::Index{c} * ld + row0 + (Eigen::Index{s} * th + ty) * tw;
        for (int i = 0; i < kA; ++i) {
          apply_1d<M>(pointers<kA, const Real*>([&](int j) { return row(ty, i) + j; }), tw,
                      pointers<kA, Real*>([&](int j) { return v[static_cast<std::size_t>(kA * i + j)].data() + at; }), f);
        }
      }
    }
  }
}

// An output row of w values from the tiles' M columns, plus the bias, through max(0, .) when
// kRelu.
template <bool kRelu, int M>
void interleave(const std::array<const Real*, M>& col, int w, Real bias, Real* row) {
  const auto out = [bias](Real v) { return kRelu ? std::max(v + bias, Real(0)) : v + bias; };
  const int full = w / M;
  for (int t = 0; t < full; ++t) {
    for (int j = 0; j < M; ++j) row[M * t + j] = out(col[static_cast<std::size_t>(j)][t]);
  }
  for (int j = 0; j < w % M; ++j) row[M * full + j] = out(col[static_cast<std::size_t>(j)][full]);
}

template <int M>
void output_transform(const WinogradMatrices& m, const Real* bias, WinogradTiles tiles, Real* y, Eigen::Index row0,
                      bool relu, bool pool) {
  constexpr int kA = M + 2, kHalf = M / 2;
  const typename Transform<M>::Output f;
  const int h = tiles.h, w = tiles.w, th = tiles.th(), tw = tiles.tw();
  const Eigen::Index ld = m[0].rows(), count = tiles.count();
  eigen_assert(row0 + count <= ld);
  eigen_assert(!pool || (h % 2 == 0 && w % 2 == 0));
  const auto channels = static_cast<int>(m[0].cols());
  // Both 1-D steps run over every tile of a channel at once (a column of the matrices is
  // contiguous over the tiles): ma(i, j), column j of row i of M A (a x M planes of `count`
  // values), then yv(r, j), output row r and column j of every tile (M x M planes). Only
  // writing the rows out goes tile row by tile row.
  const auto n = static_cast<std::size_t>(count);
  std::vector<Real> buf(static_cast<std::size_t>(kA * M + M * M) * n);
  auto ma = [&](int i, int j) { return buf.data() + static_cast<std::size_t>(i * M + j) * n; };
  auto yv = [&](int r, int j) { return buf.data() + static_cast<std::size_t>(kA * M + r * M + j) * n; };
  const int ph = h / 2, pw = w / 2;  // the pooled map
  const auto plane = static_cast<std::size_t>(pool ? ph * pw : h * w);
  for (int c = 0; c < channels; ++c) {
    const Eigen::Index at = Eigen::Index{c} * ld + row0;
    for (int i = 0; i < kA; ++i) {
      apply_1d<1>(pointers<kA, const Real*>([&](int j) { return m[static_cast<std::size_t>(kA * i + j)].data() + at; }),
                  static_cast<int>(count), pointers<M, Real*>([&](int j) { return ma(i, j); }), f);
    }
    for (int j = 0; j < M; ++j) {
      apply_1d<1>(pointers<kA, const Real*>([&](int i) { return ma(i, j); }), static_cast<int>(count),
                  pointers<M, Real*>([&](int r) { return yv(r, j); }), f);
    }
    const Real b = bias ? bias[c] : Real(0);
    for (int s = 0; s < tiles.n; ++s) {
      Real* img = y + (static_cast<std::size_t>(s) * channels + c) * plane;
      for (int ty = 0; ty < th; ++ty) {
        const std::size_t t0 = (static_cast<std::size_t>(s) * th + ty) * tw;  // the row's first tile
        if (pool) {
          // A tile holds (M/2)^2 whole 2x2 pooling windows, and adding the bias and max(0, .)
          // commute with max.
          for (int pr = 0; pr < std::min(kHalf, ph - kHalf * ty); ++pr) {
            Real* prow = img + static_cast<std::size_t>(kHalf * ty + pr) * pw;
            for (int pc = 0; pc < kHalf; ++pc) {
              const Real *a0 = yv(2 * pr, 2 * pc) + t0, *a1 = yv(2 * pr, 2 * pc + 1) + t0;
              const Real *b0 = yv(2 * pr + 1, 2 * pc) + t0, *b1 = yv(2 * pr + 1, 2 * pc + 1) + t0;
              for (int t = 0; kHalf * t + pc < pw; ++t) {
                const Real v = std::max(std::max(a0[t], a1[t]), std::max(b0[t], b1[t])) + b;
                prow[kHalf * t + pc] = relu ? std::max(v, Real(0)) : v;
              }
            }
          }
          continue;
        }
        for (int r = 0; r < std::min(M, h - M * ty); ++r) {
          Real* row = img + static_cast<std::size_t>(M * ty + r) * w;
          const auto col = pointers<M, const Real*>([&](int j) { return yv(r, j) + t0; });
          relu ? interleave<true, M>(col, w, b, row) : interleave<false, M>(col, w, b, row);
        }
      }
    }
  }
}

template <int M>
void output_adjoint_transform(const Real* dy, int channels, WinogradTiles tiles, WinogradMatrices& dm,
                              Eigen::Index row0) {
  constexpr int kA = M + 2;
  const typename Transform<M>::OutputAdjoint f;
  const int h = tiles.h, w = tiles.w, th = tiles.th(), tw = tiles.tw();
  const Eigen::Index ld = dm[0].rows();
  eigen_assert(row0 + tiles.count() <= ld && dm[0].cols() == channels);
  // A clipped tile reads zeros outside the image: rows of `zeros` below it, the last columns
  // of `ad` (M tw wide, written up to w) to its right. As in input_transform, the vertical step
  // covers the plane before the horizontal one reads it.
  const int pw = M * tw;
  const std::vector<Real> zeros(static_cast<std::size_t>(w), Real(0));
  std::vector<Real> ad(static_cast<std::size_t>(kA) * th * pw, Real(0));  // A dY of every tile row
  auto row = [&](int ty, int i) { return ad.data() + static_cast<std::size_t>(kA * ty + i) * pw; };
  for (int s = 0; s < tiles.n; ++s) {
    for (int c = 0; c < channels; ++c) {
      const Real* img = dy + (static_cast<std::size_t>(s) * channels + c) * h * w;
      for (int ty = 0; ty < th; ++ty) {
        const auto d = pointers<M, const Real*>([&](int r) {
          const int iy = M * ty + r;
          return iy < h ? img + static_cast<std::size_t>(iy) * w : zeros.data();
        });
        apply_1d<1>(d, w, pointers<kA, Real*>([&](int i) { return row(ty, i); }), f);
      }
      for (int ty = 0; ty < th; ++ty) {
        const Eigen::Index at = Eigen::Index{c} * ld + row0 + (Eigen::Index{s} * th + ty) * tw;
        for (int i = 0; i < kA; ++i) {
          apply_1d<M>(pointers<M, const Real*>([&](int j) { return row(ty, i) + j; }), tw,
                      pointers<kA, Real*>([&](int j) { return dm[static_cast<std::size_t>(kA * i + j)].data() + at; }), f);
        }
      }
    }
  }
}

template <int M>
void filter_adjoint(const WinogradMatrices& du, Real* dweight) {
  constexpr int kP = (M + 2) * (M + 2);
  const auto in = static_cast<int>(du[0].rows()), out = static_cast<int>(du[0].cols());
  std::vector<Real> planes(static_cast<std::size_t>(9) * in), tmp(static_cast<std::size_t>(3 * (M + 2)) * in);
  for (int ko = 0; ko < out; ++ko) {
    const Real* col[kP];
    for (int xi = 0; xi < kP; ++xi) col[xi] = du[static_cast<std::size_t>(xi)].col(ko).data();
    filter_adjoint_planes<M>(col, in, tmp.data(), planes.data());
    for (int ci = 0; ci < in; ++ci) {
      for (int r = 0; r < 9; ++r) dweight[(static_cast<std::size_t>(ko) * in + ci) * 9 + r] = planes[static_cast<std::size_t>(r) * in + ci];
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
    filter_matrices<M>(in, out, [&](int ci, int ko, int r) { return weight[(static_cast<std::size_t>(ko) * in + ci) * 9 + r]; }, u);
  });
}

void winograd_filter_rotated(const Real* weight, int out, int in, int m, WinogradMatrices& u) {
  // rot180 of a row-major 3x3 reverses its 9 values
  with_tile(m, [&]<int M>() {
    filter_matrices<M>(out, in, [&](int ko, int ci, int r) { return weight[(static_cast<std::size_t>(ko) * in + ci) * 9 + 8 - r]; }, u);
  });
}

void winograd_input(const Real* x, int channels, WinogradTiles tiles, WinogradMatrices& v, Eigen::Index row0) {
  with_tile(tiles.m, [&]<int M>() { input_transform<M>(x, channels, tiles, v, row0); });
}

void winograd_output(const WinogradMatrices& m, const Real* bias, WinogradTiles tiles, Real* y, Eigen::Index row0,
                     bool relu, bool pool) {
  with_tile(tiles.m, [&]<int M>() { output_transform<M>(m, bias, tiles, y, row0, relu, pool); });
}

void winograd_output_adjoint(const Real* dy, int channels, WinogradTiles tiles, WinogradMatrices& dm,
                             Eigen::Index row0) {
  with_tile(tiles.m, [&]<int M>() { output_adjoint_transform<M>(dy, channels, tiles, dm, row0); });
}

void winograd_filter_adjoint(const WinogradMatrices& du, int m, Real* dweight) {
  with_tile(m, [&]<int M>() { filter_adjoint<M>(du, dweight); });
}

}  // namespace nnc
