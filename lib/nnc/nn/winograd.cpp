#include "nnc/nn/winograd.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace nnc {

namespace {

// Every transform is written as adds: the entries of B, G and A are 0, +-1 and +-1/2. A 2-D
// transform applies its 1-D one along one axis of the tile, then along the other, and each 1-D
// step is a loop over many kernels or tiles at once, so that it vectorizes and writes every
// transformed matrix in contiguous runs: the filter transforms take one column of kernels at a
// time, kept as 9 planes (tap r = 3i + j of kernel q at planes[r * count + q]); the data
// transforms one row of tiles.

// o_i[q] = (G g)_i: the 1-D filter transform of count 3-vectors (g0[q], g1[q], g2[q]). The
// planes never overlap; __restrict says so, without which GCC leaves these loops scalar.
void filter_1d(const Real* __restrict g0, const Real* __restrict g1, const Real* __restrict g2, int count,
               Real* __restrict o0, Real* __restrict o1, Real* __restrict o2, Real* __restrict o3) {
  for (int q = 0; q < count; ++q) {
    o0[q] = g0[q];
    o1[q] = Real(0.5) * (g0[q] + g1[q] + g2[q]);
    o2[q] = Real(0.5) * (g0[q] - g1[q] + g2[q]);
    o3[q] = g2[q];
  }
}

// o_i[q] = (G^T u)_i: the adjoint of filter_1d.
void filter_adjoint_1d(const Real* __restrict u0, const Real* __restrict u1, const Real* __restrict u2,
                       const Real* __restrict u3, int count, Real* __restrict o0, Real* __restrict o1,
                       Real* __restrict o2) {
  for (int q = 0; q < count; ++q) {
    o0[q] = u0[q] + Real(0.5) * (u1[q] + u2[q]);
    o1[q] = Real(0.5) * (u1[q] - u2[q]);
    o2[q] = Real(0.5) * (u1[q] + u2[q]) + u3[q];
  }
}

// U = G g G^T of the kernels in `planes` (g G^T first, 4x3 per kernel in `tmp`, 12 * count),
// u[xi][q] the 16 values of kernel q.
void filter_planes(const Real* planes, int count, Real* tmp, Real* const* u) {
  auto g = [&](int i, int j) { return planes + static_cast<std::size_t>(3 * i + j) * count; };
  auto t = [&](int i, int j) { return tmp + static_cast<std::size_t>(3 * i + j) * count; };
  for (int j = 0; j < 3; ++j) filter_1d(g(0, j), g(1, j), g(2, j), count, t(0, j), t(1, j), t(2, j), t(3, j));
  for (int i = 0; i < 4; ++i) filter_1d(t(i, 0), t(i, 1), t(i, 2), count, u[4 * i], u[4 * i + 1], u[4 * i + 2], u[4 * i + 3]);
}

// dg = G^T dU G of count kernels, du[xi][q] the 16 values of kernel q, into `planes` (dU G
// first, 4x3 per kernel in `tmp`, 12 * count).
void filter_adjoint_planes(const Real* const* du, int count, Real* tmp, Real* planes) {
  auto g = [&](int i, int j) { return planes + static_cast<std::size_t>(3 * i + j) * count; };
  auto t = [&](int i, int j) { return tmp + static_cast<std::size_t>(3 * i + j) * count; };
  for (int i = 0; i < 4; ++i) {
    filter_adjoint_1d(du[4 * i], du[4 * i + 1], du[4 * i + 2], du[4 * i + 3], count, t(i, 0), t(i, 1), t(i, 2));
  }
  for (int j = 0; j < 3; ++j) filter_adjoint_1d(t(0, j), t(1, j), t(2, j), t(3, j), count, g(0, j), g(1, j), g(2, j));
}

// The data transforms' 1-D steps, each over `count` columns (vertical: the same column of 4
// or 2 rows) or tiles (horizontal: tile t at b[2t..2t+3]).

// o_i = (B^T d)_i for 4 rows d0..d3.
void input_vertical(const Real* __restrict d0, const Real* __restrict d1, const Real* __restrict d2,
                    const Real* __restrict d3, int count, Real* __restrict o0, Real* __restrict o1,
                    Real* __restrict o2, Real* __restrict o3) {
  for (int q = 0; q < count; ++q) {
    o0[q] = d0[q] - d2[q];
    o1[q] = d1[q] + d2[q];
    o2[q] = d2[q] - d1[q];
    o3[q] = d1[q] - d3[q];
  }
}

// o_j[t] = (b B)_j for the 4 values of tile t in row b.
void input_horizontal(const Real* __restrict b, int count, Real* __restrict o0, Real* __restrict o1,
                      Real* __restrict o2, Real* __restrict o3) {
  for (int t = 0; t < count; ++t) {
    o0[t] = b[2 * t] - b[2 * t + 2];
    o1[t] = b[2 * t + 1] + b[2 * t + 2];
    o2[t] = b[2 * t + 2] - b[2 * t + 1];
    o3[t] = b[2 * t + 1] - b[2 * t + 3];
  }
}

// o_i = (A^T m)_i for 4 rows (or columns) m0..m3.
void output_1d(const Real* __restrict m0, const Real* __restrict m1, const Real* __restrict m2,
               const Real* __restrict m3, int count, Real* __restrict o0, Real* __restrict o1) {
  for (int q = 0; q < count; ++q) {
    o0[q] = m0[q] + m1[q] + m2[q];
    o1[q] = m1[q] - m2[q] - m3[q];
  }
}

// An output row of w values from the tiles' columns 0 (a) and 1 (b), plus the bias, through
// max(0, .) when kRelu.
template <bool kRelu>
void interleave(const Real* __restrict a, const Real* __restrict b, int w, Real bias, Real* __restrict row) {
  const auto out = [bias](Real v) { return kRelu ? std::max(v + bias, Real(0)) : v + bias; };
  for (int t = 0; t < w / 2; ++t) {
    row[2 * t] = out(a[t]);
    row[2 * t + 1] = out(b[t]);
  }
  if (w % 2) row[w - 1] = out(a[w / 2]);
}

// o_i = (A dY)_i for 2 rows d0, d1.
void output_adjoint_vertical(const Real* __restrict d0, const Real* __restrict d1, int count, Real* __restrict o0,
                             Real* __restrict o1, Real* __restrict o2, Real* __restrict o3) {
  for (int q = 0; q < count; ++q) {
    o0[q] = d0[q];
    o1[q] = d0[q] + d1[q];
    o2[q] = d0[q] - d1[q];
    o3[q] = -d1[q];
  }
}

// o_j[t] = (b A^T)_j for the 2 values of tile t in row b.
void output_adjoint_horizontal(const Real* __restrict b, int count, Real* __restrict o0, Real* __restrict o1,
                               Real* __restrict o2, Real* __restrict o3) {
  for (int t = 0; t < count; ++t) {
    o0[t] = b[2 * t];
    o1[t] = b[2 * t] + b[2 * t + 1];
    o2[t] = b[2 * t] - b[2 * t + 1];
    o3[t] = -b[2 * t + 1];
  }
}

}  // namespace

void winograd_resize(WinogradMatrices& a, Eigen::Index rows, Eigen::Index cols) {
  for (Matrix& m : a) m.resize(rows, cols);
}

int winograd_block_samples(int h, int w, int in, int out, int chunk) {
  const WinogradTiles one{1, h, w};
  const auto tiles = static_cast<std::size_t>(one.count());
  const std::size_t bytes = tiles * static_cast<std::size_t>(in + out) * 16 * sizeof(Real);
  const auto fit = static_cast<int>(std::min<std::size_t>(kWinogradBlockBytes / bytes, static_cast<std::size_t>(chunk)));
  const auto rows = static_cast<int>((kWinogradMinTiles + tiles - 1) / tiles);
  return std::clamp(std::max(fit, rows), 1, chunk);
}

void winograd_filter(const Real* weight, int out, int in, WinogradMatrices& u) {
  winograd_resize(u, in, out);
  std::vector<Real> planes(static_cast<std::size_t>(9) * in), tmp(static_cast<std::size_t>(12) * in);
  for (int ko = 0; ko < out; ++ko) {
    for (int ci = 0; ci < in; ++ci) {
      for (int r = 0; r < 9; ++r) planes[static_cast<std::size_t>(r) * in + ci] = weight[(static_cast<std::size_t>(ko) * in + ci) * 9 + r];
    }
    Real* col[16];
    for (int xi = 0; xi < 16; ++xi) col[xi] = u[xi].col(ko).data();
    filter_planes(planes.data(), in, tmp.data(), col);
  }
}

void winograd_filter_rotated(const Real* weight, int out, int in, WinogradMatrices& u) {
  winograd_resize(u, out, in);
  std::vector<Real> planes(static_cast<std::size_t>(9) * out), tmp(static_cast<std::size_t>(12) * out);
  for (int ci = 0; ci < in; ++ci) {
    for (int ko = 0; ko < out; ++ko) {
      // rot180 of a row-major 3x3 reverses its 9 values
      for (int r = 0; r < 9; ++r) planes[static_cast<std::size_t>(r) * out + ko] = weight[(static_cast<std::size_t>(ko) * in + ci) * 9 + 8 - r];
    }
    Real* col[16];
    for (int xi = 0; xi < 16; ++xi) col[xi] = u[xi].col(ci).data();
    filter_planes(planes.data(), out, tmp.data(), col);
  }
}

void winograd_input(const Real* x, int channels, WinogradTiles tiles, WinogradMatrices& v, Eigen::Index row0) {
  const int h = tiles.h, w = tiles.w, th = tiles.th(), tw = tiles.tw();
  const Eigen::Index ld = v[0].rows();
  eigen_assert(row0 + tiles.count() <= ld && v[0].cols() == channels);
  // The patch of tile (ty, tx) is image rows 2ty-1..2ty+2 and columns 2tx-1..2tx+2. Rows
  // outside the image read `zeros`; column c of the image is column c + 1 of a row of `bt`,
  // whose first and last columns stay 0. The vertical step runs over the whole plane before
  // the horizontal one reads it back: read straight after it was written, a row of `bt` (one
  // value off the vector alignment) stalls on store forwarding, which cost half this function.
  const int pw = 2 * tw + 2;
  const std::vector<Real> zeros(static_cast<std::size_t>(w), Real(0));
  std::vector<Real> bt(static_cast<std::size_t>(4) * th * pw, Real(0));  // B^T d of every tile row
  auto row = [&](int ty, int i) { return bt.data() + static_cast<std::size_t>(4 * ty + i) * pw; };
  for (int s = 0; s < tiles.n; ++s) {
    for (int c = 0; c < channels; ++c) {
      const Real* img = x + (static_cast<std::size_t>(s) * channels + c) * h * w;
      for (int ty = 0; ty < th; ++ty) {
        const Real* d[4];
        for (int r = 0; r < 4; ++r) {
          const int iy = 2 * ty - 1 + r;
          d[r] = iy >= 0 && iy < h ? img + static_cast<std::size_t>(iy) * w : zeros.data();
        }
        input_vertical(d[0], d[1], d[2], d[3], w, row(ty, 0) + 1, row(ty, 1) + 1, row(ty, 2) + 1, row(ty, 3) + 1);
      }
      for (int ty = 0; ty < th; ++ty) {
        const Eigen::Index at = Eigen::Index{c} * ld + row0 + (Eigen::Index{s} * th + ty) * tw;
        for (int i = 0; i < 4; ++i) {
          input_horizontal(row(ty, i), tw, v[4 * i].data() + at, v[4 * i + 1].data() + at, v[4 * i + 2].data() + at,
                           v[4 * i + 3].data() + at);
        }
      }
    }
  }
}

void winograd_output(const WinogradMatrices& m, const Real* bias, WinogradTiles tiles, Real* y, Eigen::Index row0,
                     bool relu, bool pool) {
  const int h = tiles.h, w = tiles.w, th = tiles.th(), tw = tiles.tw();
  const Eigen::Index ld = m[0].rows();
  eigen_assert(row0 + tiles.count() <= ld);
  const auto channels = static_cast<int>(m[0].cols());
  // For a tile row: ma (column 0 of M A) and mb (column 1), 4 rows each; then ya and yb,
  // columns 0 and 1 of the 2 output rows.
  std::vector<Real> buf(static_cast<std::size_t>(12) * tw);
  Real *ma[4], *mb[4], *ya[2], *yb[2];
  for (int i = 0; i < 4; ++i) {
    ma[i] = buf.data() + static_cast<std::size_t>(i) * tw;
    mb[i] = ma[i] + 4 * tw;
  }
  for (int r = 0; r < 2; ++r) {
    ya[r] = buf.data() + static_cast<std::size_t>(8 + r) * tw;
    yb[r] = ya[r] + 2 * tw;
  }
  eigen_assert(!pool || (h % 2 == 0 && w % 2 == 0));
  const auto plane = static_cast<std::size_t>(pool ? th * tw : h * w);
  for (int s = 0; s < tiles.n; ++s) {
    for (int c = 0; c < channels; ++c) {
      const Real b = bias ? bias[c] : Real(0);
      Real* img = y + (static_cast<std::size_t>(s) * channels + c) * plane;
      for (int ty = 0; ty < th; ++ty) {
        const Eigen::Index at = Eigen::Index{c} * ld + row0 + (Eigen::Index{s} * th + ty) * tw;
        for (int i = 0; i < 4; ++i) {
          output_1d(m[4 * i].data() + at, m[4 * i + 1].data() + at, m[4 * i + 2].data() + at, m[4 * i + 3].data() + at,
                    tw, ma[i], mb[i]);
        }
        output_1d(ma[0], ma[1], ma[2], ma[3], tw, ya[0], ya[1]);
        output_1d(mb[0], mb[1], mb[2], mb[3], tw, yb[0], yb[1]);
        if (pool) {
          // A tile is a 2x2 pooling window, and adding the bias and max(0, .) commute with max.
          Real* row = img + static_cast<std::size_t>(ty) * tw;
          for (int t = 0; t < tw; ++t) {
            const Real v = std::max(std::max(ya[0][t], yb[0][t]), std::max(ya[1][t], yb[1][t])) + b;
            row[t] = relu ? std::max(v, Real(0)) : v;
          }
          continue;
        }
        for (int r = 0; r < std::min(2, h - 2 * ty); ++r) {
          Real* row = img + static_cast<std::size_t>(2 * ty + r) * w;
          relu ? interleave<true>(ya[r], yb[r], w, b, row) : interleave<false>(ya[r], yb[r], w, b, row);
        }
      }
    }
  }
}

void winograd_output_adjoint(const Real* dy, int channels, WinogradTiles tiles, WinogradMatrices& dm,
                             Eigen::Index row0) {
  const int h = tiles.h, w = tiles.w, th = tiles.th(), tw = tiles.tw();
  const Eigen::Index ld = dm[0].rows();
  eigen_assert(row0 + tiles.count() <= ld && dm[0].cols() == channels);
  // A clipped tile reads zeros outside the image: a row of `zeros` below it, the last column
  // of `ad` (2tw wide, written up to w) to its right. As in winograd_input, the vertical step
  // covers the plane before the horizontal one reads it.
  const int pw = 2 * tw;
  const std::vector<Real> zeros(static_cast<std::size_t>(w), Real(0));
  std::vector<Real> ad(static_cast<std::size_t>(4) * th * pw, Real(0));  // A dY of every tile row
  auto row = [&](int ty, int i) { return ad.data() + static_cast<std::size_t>(4 * ty + i) * pw; };
  for (int s = 0; s < tiles.n; ++s) {
    for (int c = 0; c < channels; ++c) {
      const Real* img = dy + (static_cast<std::size_t>(s) * channels + c) * h * w;
      for (int ty = 0; ty < th; ++ty) {
        const Real* d0 = img + static_cast<std::size_t>(2 * ty) * w;
        const Real* d1 = 2 * ty + 1 < h ? d0 + w : zeros.data();
        output_adjoint_vertical(d0, d1, w, row(ty, 0), row(ty, 1), row(ty, 2), row(ty, 3));
      }
      for (int ty = 0; ty < th; ++ty) {
        const Eigen::Index at = Eigen::Index{c} * ld + row0 + (Eigen::Index{s} * th + ty) * tw;
        for (int i = 0; i < 4; ++i) {
          output_adjoint_horizontal(row(ty, i), tw, dm[4 * i].data() + at, dm[4 * i + 1].data() + at,
                                    dm[4 * i + 2].data() + at, dm[4 * i + 3].data() + at);
        }
      }
    }
  }
}

void winograd_filter_adjoint(const WinogradMatrices& du, Real* dweight) {
  const auto in = static_cast<int>(du[0].rows()), out = static_cast<int>(du[0].cols());
  std::vector<Real> planes(static_cast<std::size_t>(9) * in), tmp(static_cast<std::size_t>(12) * in);
  for (int ko = 0; ko < out; ++ko) {
    const Real* col[16];
    for (int xi = 0; xi < 16; ++xi) col[xi] = du[xi].col(ko).data();
    filter_adjoint_planes(col, in, tmp.data(), planes.data());
    for (int ci = 0; ci < in; ++ci) {
      for (int r = 0; r < 9; ++r) dweight[(static_cast<std::size_t>(ko) * in + ci) * 9 + r] = planes[static_cast<std::size_t>(r) * in + ci];
    }
  }
}

}  // namespace nnc
