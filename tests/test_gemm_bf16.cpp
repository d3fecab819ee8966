// The bf16 products of nn/gemm_bf16.hpp against double-precision products of the same
// bf16-rounded operands (the kernel's own sums, within float rounding) and against the float
// product (the rounding of the operands, within its bound): shapes whose rows, depth and
// columns are not multiples of the kernels' blocks, both layouts of B, and accumulation.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "nnc/nn/gemm_bf16.hpp"
#include "nnc/nn/rng.hpp"

using namespace nnc;

namespace {

double to_bf16(Real v) {  // round to nearest even, as VCVTNE2PS2BF16 (no NaN here)
  std::uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  u += 0x7fffu + ((u >> 16) & 1u);
  u &= 0xffff0000u;
  Real r;
  std::memcpy(&r, &u, sizeof r);
  return r;
}

Matrix random_matrix(int rows, int cols, std::uint64_t seed) {
  Rng rng(seed);
  Matrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<Real>(rng.uniform() * 2 - 1);
  return m;
}

// c against a b in double, of the rounded operands (rounded = true) or of the float ones: the
// largest |error| over the magnitude sum of its element, sum over k of |a| |b|.
double worst_error(const Matrix& c, const Matrix& a, const Matrix& b, bool rounded) {
  double worst = 0;
  for (Eigen::Index i = 0; i < c.rows(); ++i)
    for (Eigen::Index j = 0; j < c.cols(); ++j) {
      double sum = 0, magnitude = 0;
      for (Eigen::Index k = 0; k < a.cols(); ++k) {
        const double x = rounded ? to_bf16(a(i, k)) : a(i, k), y = rounded ? to_bf16(b(k, j)) : b(k, j);
        sum += x * y;
        magnitude += std::fabs(x * y);
      }
      worst = std::max(worst, std::fabs(c(i, j) - sum) / magnitude);
    }
  return worst;
}

}  // namespace

TEST_CASE("bf16 products: float sums of the rounded operands, within the rounding of the float product") {
  if (!gemm_bf16_available()) {
    MESSAGE("this build has no AVX512_BF16: the convolutions multiply in float");
    return;
  }
  struct Shape {
    int m, k, n;
  };
  // Rows 1, 16, 17, 40 (panels of 16, pairs of panels), depth odd and even, columns around the
  // kernels' 12 and the block of 48.
  for (const Shape s : {Shape{1, 1, 1}, Shape{16, 2, 12}, Shape{17, 7, 13}, Shape{40, 64, 50}, Shape{33, 33, 100},
                        Shape{64, 130, 5}}) {
    CAPTURE(s.m);
    CAPTURE(s.k);
    CAPTURE(s.n);
    const Matrix a = random_matrix(s.m, s.k, 11), b = random_matrix(s.k, s.n, 12);
    PackedA pa;
    PairsB pb;
    pack_a(a.data(), s.m, s.k, s.m, pa);
    SUBCASE("B by columns") { pairs_b(b.data(), s.k, s.n, s.k, pb); }
    SUBCASE("B from its transpose") {
      const Matrix bt = b.transpose();
      pairs_b_transposed(bt.data(), s.k, s.n, s.n, pb);
    }
    Matrix c = Matrix::Constant(s.m, s.n, 7);
    gemm_bf16(pa, pb, c.data(), s.m, false);
    // Float sums of at most 130 exact products: within 130 x 2^-24 of the magnitude sum.
    CHECK(worst_error(c, a, b, true) < 1e-5);
    // Each operand within 2^-9 relative, so each product within about 2^-8.
    CHECK(worst_error(c, a, b, false) < std::ldexp(1.0, -8));
    // Accumulating adds the same product again.
    const Matrix once = c;
    gemm_bf16(pa, pb, c.data(), s.m, true);
    CHECK((c - 2 * once).cwiseAbs().maxCoeff() <= 1e-5 * once.cwiseAbs().maxCoeff());
  }
}

TEST_CASE("bf16 products: a leading dimension larger than the rows, and the switch") {
  if (!gemm_bf16_available()) return;
  const Matrix big = random_matrix(40, 9, 21), b = random_matrix(9, 14, 22);
  PackedA pa;
  PairsB pb;
  pack_a(big.data() + 3, 20, 9, 40, pa);  // rows 3..22 of big
  pairs_b(b.data(), 9, 14, 9, pb);
  Matrix c(30, 14);
  c.setConstant(-5);
  gemm_bf16(pa, pb, c.data(), 30, false);
  CHECK(worst_error(c.topRows(20), big.middleRows(3, 20), b, true) < 1e-5);
  CHECK((c.bottomRows(10).array() == -5).all());  // rows past M untouched
  const bool was = bf16_products();
  set_bf16_products(false);
  CHECK(!bf16_products());
  set_bf16_products(true);
  CHECK(bf16_products());
  set_bf16_products(was);
}
