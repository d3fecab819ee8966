// Winograd F(m x m, 3x3) for m = 2 and m = 4: the transforms that turn a 3x3, stride 1,
// padding 1 convolution into (m + 2)^2 independent GEMMs over m x m output tiles (Conv2d uses
// them; docs/algorithms.md "Winograd convolution"). Pure functions over one chunk of samples in
// the batch layout of nn/tensor.hpp.
//
// Tiles: each sample of h x w is cut into th x tw tiles of m x m outputs, th = ceil(h / m),
// tw = ceil(w / m) (a tile over the edge is clipped); tile (s, ty, tx) of a chunk of n samples
// is column t = (s * th + ty) * tw + tx of every transformed data matrix, T = n * th * tw
// columns in all, each holding the tile's channels (contiguous, so that the transforms
// vectorize over channels whatever the map size).
// A WinogradMatrices holds one matrix per point xi = a * i + j of the a x a transform domain,
// a = m + 2 (the first a * a of its matrices; the others stay empty).
//
// A tile's output is Y = A^T [(G g G^T) .* (B^T d B)] A summed over input channels, d the a x a
// input patch over the tile (zero outside the image), with for m = 2
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
//   A^T = [1 1 1 0; 0 1 -1 -1]
// and for m = 4 (the points 0, +-1, +-2 of Lavin and Gray 2016)
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1],
//   G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1],
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1].
#pragma once
#include <array>
#include <cstddef>

#include "nnc/nn/tensor.hpp"

namespace nnc {

inline constexpr int kWinogradMaxPoints = 36;  // 6 x 6, of F(4x4,3x3)
using WinogradMatrices = std::array<Matrix, kWinogradMaxPoints>;

// The tiles of n samples of h x w (the output size, which equals the input size), m x m
// outputs each (m = 2 or 4).
struct WinogradTiles {
  int n = 0, h = 0, w = 0, m = 2;
  int alpha() const { return m + 2; }  // side of the transform domain
  int points() const { return alpha() * alpha(); }
  int th() const { return (h + m - 1) / m; }
  int tw() const { return (w + m - 1) / m; }
  Eigen::Index count() const { return Eigen::Index{n} * th() * tw(); }
};

// How many of a chunk's samples one pass of the transforms and GEMMs takes at a time: as many
// as keep the block's transformed input and output ((m + 2)^2 values per tile and channel
// each) within kWinogradBlockBytes, so that the output transform reads the GEMMs' results from
// cache rather than memory, but at least kWinogradMinTiles tiles (GEMM columns); between 1 and
// `chunk`. A function of the layer's shape only, never of the thread count.
inline constexpr std::size_t kWinogradBlockBytes = std::size_t{1} << 20;
inline constexpr int kWinogradMinTiles = 128;
int winograd_block_samples(int h, int w, int in, int out, int chunk, int m);

// Filter transform U = G g G^T of a conv weight [out][in][3][3]: u[xi] is out x in, element
// (ko, ci) from g = weight[ko][ci], so that forward's GEMMs are M = U V. Overwrites u.
void winograd_filter(const Real* weight, int out, int in, int m, WinogradMatrices& u);

// The filter of the input gradient: dx = conv(dy, rot180(weight)) with in and out swapped, so
// u[xi] is in x out, element (ci, ko) from g = weight[ko][ci] rotated by 180 degrees.
// Overwrites u.
void winograd_filter_rotated(const Real* weight, int out, int in, int m, WinogradMatrices& u);

// Sizes the first (m + 2)^2 matrices of `a` to rows x cols and frees the others.
void winograd_resize(WinogradMatrices& a, int m, Eigen::Index rows, Eigen::Index cols);

// The data transforms below read or write columns col0 .. col0 + tiles.count() - 1 of their
// matrices (tile t at column col0 + t), which the caller sizes (winograd_resize) to one row
// per channel and at least that many columns: so chunks of a batch can fill one matrix side by
// side.

// Input transform V = B^T d B of every tile: x holds tiles.n samples of channels x h x w;
// v[xi] receives channels x T.
void winograd_input(const Real* x, int channels, WinogradTiles tiles, WinogradMatrices& v, Eigen::Index col0);

// Output transform Y = A^T M A of every tile, plus bias[ko] (bias may be null), through
// max(0, .) when relu: m[xi] holds channels x T; y receives tiles.n samples of channels x h x w,
// clipped at the edges. With pool (h and w even), the outputs are max-pooled 2x2 (a tile holds
// (m/2)^2 whole windows): y receives channels x h/2 x w/2 a sample. Overwrites y.
void winograd_output(const WinogradMatrices& m, const Real* bias, WinogradTiles tiles, Real* y, Eigen::Index col0,
                     bool relu = false, bool pool = false);

// An ADC's quantizer in the output pass (nn/readout.hpp BlockQuantizer; Conv2d's row blocks
// read through one): every tile's Y = A^T M A (plus a zero bias, as winograd_output with none)
// is quantized, level = clamp(rint(Y inv_step), lo, hi), and added to the partial sums `acc` of
// the earlier blocks, acc = level step (first) or fma(level, step, acc) (one rounding, as
// AdcReadout::accumulate). acc holds tiles.n samples of whole tiles with the channels
// innermost: th m x tw m pixels of channels values a sample (winograd_sums_hwc).
void winograd_output_quantized(const WinogradMatrices& m, WinogradTiles tiles, Real inv_step, Real step, Real lo, Real hi,
                               bool first, Real* acc);
// Values per sample of winograd_output_quantized's `acc`.
std::size_t winograd_sums_hwc(int channels, WinogradTiles tiles);
// acc as winograd_output_quantized's to y: tiles.n samples of channels x h x w.
void winograd_sums_to_chw(const Real* acc, int channels, WinogradTiles tiles, Real* y);

// Adjoint of winograd_output: dM = A dY A^T of every tile (dY the tile's m x m of dy, zero
// outside the image); dy holds tiles.n samples of channels x h x w; dm[xi] receives
// channels x T.
void winograd_output_adjoint(const Real* dy, int channels, WinogradTiles tiles, WinogradMatrices& dm,
                             Eigen::Index col0);

// Adjoint of winograd_filter: dweight[ko][ci] = G^T dU G, du[xi] out x in as winograd_filter's
// u (its first (m + 2)^2 matrices). Overwrites dweight ([out][in][3][3]).
void winograd_filter_adjoint(const WinogradMatrices& du, int m, Real* dweight);

}  // namespace nnc
