// Winograd F(2x2, 3x3): the transforms that turn a 3x3, stride 1, padding 1 convolution into 16
// independent GEMMs over 2x2 output tiles (Conv2d uses them; docs/algorithms.md "Winograd
// convolution"). Pure functions over one chunk of samples in the batch layout of nn/tensor.hpp.
//
// Tiles: each sample of h x w is cut into th x tw tiles of 2x2 outputs, th = (h + 1) / 2,
// tw = (w + 1) / 2 (a tile over an odd edge is clipped); tile (s, ty, tx) of a chunk of n samples
// is row t = (s * th + ty) * tw + tx of every transformed matrix, T = n * th * tw rows in all.
// A WinogradMatrices holds one matrix per point xi = 4 * i + j of the 4x4 transform domain.
//
// With B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
// A^T = [1 1 1 0; 0 1 -1 -1], a tile's output is Y = A^T [(G g G^T) .* (B^T d B)] A summed over
// input channels, d the 4x4 input patch over the tile (zero outside the image).
#pragma once
#include <array>
#include <cstddef>

#include "nnc/nn/tensor.hpp"

namespace nnc {

using WinogradMatrices = std::array<Matrix, 16>;

// The tiles of n samples of h x w (the output size, which equals the input size).
struct WinogradTiles {
  int n = 0, h = 0, w = 0;
  int th() const { return (h + 1) / 2; }
  int tw() const { return (w + 1) / 2; }
  Eigen::Index count() const { return Eigen::Index{n} * th() * tw(); }
};

// How many of a chunk's samples one pass of the transforms and GEMMs takes at a time: as many
// as keep the block's transformed input and output (16 values per tile and channel each)
// within kWinogradBlockBytes, so that the output transform reads the GEMMs' results from cache
// rather than memory, but at least enough for kWinogradMinTiles GEMM rows; between 1 and
// `chunk`. A function of the layer's shape only, never of the
// thread count.
inline constexpr std::size_t kWinogradBlockBytes = std::size_t{1} << 20;
inline constexpr int kWinogradMinTiles = 128;
int winograd_block_samples(int h, int w, int in, int out, int chunk);

// Filter transform U = G g G^T of a conv weight [out][in][3][3]: u[xi] is in x out, element
// (ci, ko) from g = weight[ko][ci]. Overwrites u.
void winograd_filter(const Real* weight, int out, int in, WinogradMatrices& u);

// The filter of the input gradient: dx = conv(dy, rot180(weight)) with in and out swapped, so
// u[xi] is out x in, element (ko, ci) from g = weight[ko][ci] rotated by 180 degrees.
// Overwrites u.
void winograd_filter_rotated(const Real* weight, int out, int in, WinogradMatrices& u);

// Sizes every matrix of `a` to rows x cols.
void winograd_resize(WinogradMatrices& a, Eigen::Index rows, Eigen::Index cols);

// The data transforms below read or write rows row0 .. row0 + tiles.count() - 1 of their
// matrices (tile row t at row0 + t), which the caller sizes (winograd_resize) to at least that
// many rows, one column per channel: so chunks of a batch can fill one matrix side by side.

// Input transform V = B^T d B of every tile: x holds tiles.n samples of channels x h x w;
// v[xi] receives T x channels (a column is contiguous over tiles).
void winograd_input(const Real* x, int channels, WinogradTiles tiles, WinogradMatrices& v, Eigen::Index row0);

// Output transform Y = A^T M A of every tile, plus bias[ko] (bias may be null), through
// max(0, .) when relu: m[xi] holds T x channels; y receives tiles.n samples of channels x h x w,
// clipped at odd edges. With pool (h and w even), each tile's 2x2 outputs are max-pooled into
// one: y receives channels x h/2 x w/2 a sample. Overwrites y.
void winograd_output(const WinogradMatrices& m, const Real* bias, WinogradTiles tiles, Real* y, Eigen::Index row0,
                     bool relu = false, bool pool = false);

// Adjoint of winograd_output: dM = A dY A^T of every tile (dY the tile's 2x2 of dy, zero
// outside the image); dy holds tiles.n samples of channels x h x w; dm[xi] receives
// T x channels.
void winograd_output_adjoint(const Real* dy, int channels, WinogradTiles tiles, WinogradMatrices& dm,
                             Eigen::Index row0);

// Adjoint of winograd_filter: dweight[ko][ci] = G^T dU G, du[xi] in x out as winograd_filter's
// u. Overwrites dweight ([out][in][3][3]).
void winograd_filter_adjoint(const WinogradMatrices& du, Real* dweight);

}  // namespace nnc
