// Matrix products with bf16 operands and float sums, for the Winograd convolutions' GEMMs
// (nn/layers.cpp; docs/algorithms.md "Winograd convolution"): on a processor with AVX512_BF16
// one VDPBF16PS does 32 products where an FMA does 16. Each operand is rounded to bf16 (8
// significant bits, round to nearest even) once, when packed; the products of two bf16 values
// are exact in float and the sums are float, so the error against a float product is that of
// the rounded operands, a relative 2^-8 a product at most.
//
// The layouts, of bf16 pairs along K (VDPBF16PS sums a pair of products per float lane):
// - PackedA: an M x K operand in panels of 16 rows, panel p holding rows 16p..16p+15 as
//   [K/2 pairs][16 rows][2], zero past M and K;
// - PairsB: a K x N operand whose pair (k, k+1) of column n sits at pair index
//   (k / 2) * q_stride + n * n_stride, zero past K.
// Every output is one fixed sequence of operations whatever the thread count or blocking.
#pragma once
#include <cstdint>
#include <vector>

#include "nnc/nn/tensor.hpp"

namespace nnc {

// True where this build can run the bf16 kernels (compiled for AVX512_BF16); elsewhere the
// callers keep float products.
bool gemm_bf16_available();

// Whether the Winograd convolutions multiply in bf16: on by default where available (the tools'
// --float-products turns it off). Set it before a pass, never during one.
bool bf16_products();
void set_bf16_products(bool on);  // on where unavailable: stays off

struct PackedA {
  int rows = 0, depth = 0;             // M, K
  std::vector<std::uint32_t> pairs;    // panels x (K + 1) / 2 x 16, each a bf16 pair
  int panels() const { return (rows + 15) / 16; }
  int kpairs() const { return (depth + 1) / 2; }
};

struct PairsB {
  int depth = 0, cols = 0;             // K, N
  std::vector<std::uint32_t> pairs;
  long q_stride = 0, n_stride = 0;     // in pairs
  int kpairs() const { return (depth + 1) / 2; }
};

// A = a (rows x depth, column-major, leading dimension lda).
void pack_a(const Real* a, int rows, int depth, long lda, PackedA& out);
// B = b (depth x cols, column-major, leading dimension ldb): pairs of a column contiguous.
void pairs_b(const Real* b, int depth, int cols, long ldb, PairsB& out);
// B = a^T, a (cols x depth, column-major, leading dimension lda): pair q of every column side
// by side, [K/2][cols][2].
void pairs_b_transposed(const Real* a, int depth, int cols, long lda, PairsB& out);

// c (M x N, column-major, leading dimension ldc) = a b, or += a b when accumulate.
void gemm_bf16(const PackedA& a, const PairsB& b, Real* c, long ldc, bool accumulate);

}  // namespace nnc
