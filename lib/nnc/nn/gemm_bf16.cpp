#include "nnc/nn/gemm_bf16.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "nnc/nn/error.hpp"

#if defined(__AVX512F__) && defined(__AVX512BF16__) && defined(__AVX512BW__)
#include <immintrin.h>
#define NNC_GEMM_BF16 1
#endif

namespace nnc {

namespace {
bool g_bf16 = gemm_bf16_available();
}  // namespace

bool bf16_products() { return g_bf16; }
void set_bf16_products(bool on) { g_bf16 = on && gemm_bf16_available(); }

#ifdef NNC_GEMM_BF16

namespace {

constexpr int kPanel = 16;      // rows of A a vector holds
constexpr int kColumns = 12;    // columns of C a kernel call keeps in registers
constexpr int kBlockCols = 48;  // columns of B one pass over A's panels reuses

__mmask16 first(int n) { return n >= kPanel ? __mmask16(0xffff) : __mmask16((1u << n) - 1); }

// Pairs (lo[i], hi[i]) of 16 floats each as 16 bf16 pairs, lo in the low half of each.
__m512i interleave(__m512 lo, __m512 hi) {
  static const __m512i order = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6,
                                                21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  return _mm512_permutexvar_epi16(order, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
}

// For each of `count` (<= 16) consecutive n, the pair (col_k[n], col_k1[n]) (col_k1 null: zero,
// past K), zero past count.
__m512i column_pairs(const Real* col_k, const Real* col_k1, int count) {
  const __mmask16 mask = first(count);
  const __m512 lo = _mm512_maskz_loadu_ps(mask, col_k);
  const __m512 hi = col_k1 ? _mm512_maskz_loadu_ps(mask, col_k1) : _mm512_setzero_ps();
  return interleave(lo, hi);
}

// C[0..R*16) x [0..C) += or = A's R panels times B's C columns, summed over kpairs pairs.
template <int R, int C>
void kernel(const std::uint32_t* a, long panel_stride, const std::uint32_t* b, long q_stride, long n_stride,
            int kpairs, Real* c, long ldc, int rows, bool accumulate) {
  __m512 acc[R][C];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < C; ++j) acc[r][j] = _mm512_setzero_ps();
  for (int q = 0; q < kpairs; ++q) {
    __m512bh av[R];
    for (int r = 0; r < R; ++r) av[r] = (__m512bh)_mm512_loadu_si512(a + r * panel_stride + q * kPanel);
    const std::uint32_t* bq = b + q * q_stride;
    for (int j = 0; j < C; ++j) {
      const __m512bh bv = (__m512bh)_mm512_set1_epi32(static_cast<int>(bq[j * n_stride]));
      for (int r = 0; r < R; ++r) acc[r][j] = _mm512_dpbf16_ps(acc[r][j], av[r], bv);
    }
  }
  for (int j = 0; j < C; ++j) {
    for (int r = 0; r < R; ++r) {
      const __mmask16 mask = first(rows - r * kPanel);
      Real* out = c + j * ldc + r * kPanel;
      const __m512 v = accumulate ? _mm512_add_ps(acc[r][j], _mm512_maskz_loadu_ps(mask, out)) : acc[r][j];
      _mm512_mask_storeu_ps(out, mask, v);
    }
  }
}

using Kernel = void (*)(const std::uint32_t*, long, const std::uint32_t*, long, long, int, Real*, long, int, bool);

template <int R, int... C>
constexpr std::array<Kernel, sizeof...(C)> kernels(std::integer_sequence<int, C...>) {
  return {&kernel<R, C + 1>...};
}

}  // namespace

bool gemm_bf16_available() { return true; }

void pack_a(const Real* a, int rows, int depth, long lda, PackedA& out) {
  out.rows = rows;
  out.depth = depth;
  const int kp = out.kpairs();
  out.pairs.resize(static_cast<std::size_t>(out.panels()) * kp * kPanel);
  for (int p = 0; p < out.panels(); ++p) {
    const int m0 = p * kPanel, count = std::min(kPanel, rows - m0);
    std::uint32_t* panel = out.pairs.data() + static_cast<std::size_t>(p) * kp * kPanel;
    for (int q = 0; q < kp; ++q) {
      const Real* k0 = a + 2 * q * lda + m0;
      _mm512_storeu_si512(panel + q * kPanel, column_pairs(k0, 2 * q + 1 < depth ? k0 + lda : nullptr, count));
    }
  }
}

void pairs_b(const Real* b, int depth, int cols, long ldb, PairsB& out) {
  out.depth = depth;
  out.cols = cols;
  const int kp = out.kpairs();
  out.q_stride = 1;
  out.n_stride = kp;
  out.pairs.resize(static_cast<std::size_t>(cols) * kp);
  for (int n = 0; n < cols; ++n) {
    const Real* col = b + n * ldb;
    std::uint32_t* dst = out.pairs.data() + static_cast<std::size_t>(n) * kp;
    int k = 0;
    for (; k + 32 <= depth; k += 32) {
      const __m512i v = (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(col + k + 16), _mm512_loadu_ps(col + k));
      _mm512_storeu_si512(dst + k / 2, v);
    }
    if (k < depth) {  // the last < 32 values by masked loads (zero past depth), as the loop above
      const int rest = depth - k;
      const __m512i v = (__m512i)_mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(first(std::max(0, rest - 16)), col + k + 16),
                                                     _mm512_maskz_loadu_ps(first(rest), col + k));
      _mm512_mask_storeu_epi32(dst + k / 2, first((rest + 1) / 2), v);
    }
  }
}

void pairs_b_transposed(const Real* a, int depth, int cols, long lda, PairsB& out) {
  out.depth = depth;
  out.cols = cols;
  const int kp = out.kpairs();
  out.q_stride = cols;
  out.n_stride = 1;
  out.pairs.resize(static_cast<std::size_t>(kp) * cols);
  for (int q = 0; q < kp; ++q) {
    const Real* k0 = a + 2 * q * lda;
    const Real* k1 = 2 * q + 1 < depth ? k0 + lda : nullptr;
    std::uint32_t* dst = out.pairs.data() + static_cast<std::size_t>(q) * cols;
    for (int n = 0; n < cols; n += kPanel) {
      const int count = std::min(kPanel, cols - n);
      _mm512_mask_storeu_epi32(dst + n, first(count), column_pairs(k0 + n, k1 ? k1 + n : nullptr, count));
    }
  }
}

void gemm_bf16(const PackedA& a, const PairsB& b, Real* c, long ldc, bool accumulate) {
  if (a.depth != b.depth) throw Error("gemm_bf16: operands of different depths");
  static constexpr auto two = kernels<2>(std::make_integer_sequence<int, kColumns>{});
  static constexpr auto one = kernels<1>(std::make_integer_sequence<int, kColumns>{});
  const int kp = a.kpairs(), panels = a.panels();
  const long panel_stride = static_cast<long>(kp) * kPanel;
  for (int n0 = 0; n0 < b.cols; n0 += kBlockCols) {
    const int n_end = std::min(b.cols, n0 + kBlockCols);
    for (int p = 0; p < panels; p += 2) {
      const int rows = a.rows - p * kPanel;
      const auto& ks = p + 1 < panels ? two : one;
      for (int n = n0; n < n_end; n += kColumns) {
        const int count = std::min(kColumns, n_end - n);
        ks[count - 1](a.pairs.data() + p * panel_stride, panel_stride, b.pairs.data() + n * b.n_stride, b.q_stride,
                      b.n_stride, kp, c + n * ldc + p * kPanel, ldc, rows, accumulate);
      }
    }
  }
}

#else

bool gemm_bf16_available() { return false; }
void pack_a(const Real*, int, int, long, PackedA&) { throw Error("bf16 products: not in this build"); }
void pairs_b(const Real*, int, int, long, PairsB&) { throw Error("bf16 products: not in this build"); }
void pairs_b_transposed(const Real*, int, int, long, PairsB&) { throw Error("bf16 products: not in this build"); }
void gemm_bf16(const PackedA&, const PairsB&, Real*, long, bool) { throw Error("bf16 products: not in this build"); }

#endif

}  // namespace nnc
