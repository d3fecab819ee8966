// GCC 12 takes the _mm512_undefined_* values inside Eigen's packet sin and cos, inlined into
// pairs() below, for uninitialized ones; the warning is issued at the intrinsics' header, so it
// is turned off before the first include.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "nnc/device/read_noise.hpp"

#include <algorithm>

#include "nnc/nn/rng.hpp"

namespace nnc {

namespace {

constexpr std::uint64_t kGamma = 0x9E3779B97F4A7C15ull;  // splitmix64's increment
constexpr Eigen::Index kPairs = 256;                     // pairs of draws per vector batch

inline std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

using ArrayMap = Eigen::Map<Eigen::Array<Real, Eigen::Dynamic, 1>, Eigen::Aligned64>;

// u1[j] in (0, 1] and u2[j] in [0, 1) of pairs j0 + j, j in [0, m): in 512-bit vectors where
// the processor has them (the hashes' 64-bit multiplies are most of a draw's cost; integer
// arithmetic and exact conversions, the same bits at any vector width).
[[gnu::target("prefer-vector-width=512")]] void uniforms(const NoiseKey& key, std::uint64_t j0, Eigen::Index m, Real* u1,
                                                         Real* u2) {
  for (Eigen::Index j = 0; j < m; ++j) {
    const std::uint64_t h = mix(mix(key.k0 + (j0 + static_cast<std::uint64_t>(j) + 1) * kGamma) ^ key.k1);
    u1[j] = static_cast<Real>(static_cast<std::int32_t>(h >> 40) + 1) * 0x1.0p-24f;               // (0, 1]
    u2[j] = static_cast<Real>(static_cast<std::int32_t>((h >> 16) & 0xFFFFFFu)) * 0x1.0p-24f;  // [0, 1)
  }
}

// c = cos(t) and s = sin(t) as Eigen 3.4's packet pcos and psin compute them (psincos_float),
// to the bit, with its range reduction and its two polynomials computed once for both (each of
// pcos and psin computes both polynomials and keeps one); t past the reduction's range (never
// here: t < 2 pi) takes pcos and psin themselves. tests/test_readout.cpp checks every t a draw
// can take against them.
static_assert(EIGEN_WORLD_VERSION == 3 && EIGEN_MAJOR_VERSION == 4, "sincos() follows Eigen 3.4's psincos_float");
template <class Packet>
void sincos(const Packet& t, Packet& c, Packet& s) {
  using namespace Eigen::internal;
  using PacketI = typename unpacket_traits<Packet>::integer_packet;
  const PacketI one = pset1<PacketI>(1);
  const Packet sign_mask = pset1frombits<Packet>(0x80000000u), magic = pset1<Packet>(12582912);  // 2^23
  Packet x = pabs(t);
  Packet y = pmul(x, pset1<Packet>(0.636619746685028076171875f));  // 2 / pi: the octant
  Packet y_round = padd(y, magic);
  EIGEN_OPTIMIZATION_BARRIER(y_round)
  const PacketI y_int = preinterpret<PacketI>(y_round);
  y = psub(y_round, magic);
#if defined(EIGEN_HAS_SINGLE_INSTRUCTION_MADD)
  const float huge = 71476.0625f;  // the smaller of sin's and cos's
  x = pmadd(y, pset1<Packet>(-1.57079601287841796875f), x);
  x = pmadd(y, pset1<Packet>(-3.1391647326017846353352069854736328125e-07f), x);
  x = pmadd(y, pset1<Packet>(-5.390302529957764765544681040410068817436695098876953125e-15f), x);
#else
  const float huge = 18838.f;
  x = pmadd(y, pset1<Packet>(-1.5703125f), x);
  EIGEN_OPTIMIZATION_BARRIER(x)
  x = pmadd(y, pset1<Packet>(-0.000483989715576171875f), x);
  EIGEN_OPTIMIZATION_BARRIER(x)
  x = pmadd(y, pset1<Packet>(1.62865035235881805419921875e-07f), x);
  x = pmadd(y, pset1<Packet>(5.5644315544167710640977020375430583953857421875e-11f), x);
#endif
  if (predux_any(pcmp_le(pset1<Packet>(huge), pabs(t)))) {
    c = pcos(t);
    s = psin(t);
    return;
  }
  const Packet sign_s = pand(pxor(t, preinterpret<Packet>(plogical_shift_left<30>(y_int))), sign_mask);
  const Packet sign_c = pand(preinterpret<Packet>(plogical_shift_left<30>(padd(y_int, one))), sign_mask);
  const Packet even = preinterpret<Packet>(pcmp_eq(pand(y_int, one), pzero(y_int)));
  const Packet x2 = pmul(x, x);
  Packet y1 = pset1<Packet>(2.4372266125283204019069671630859375e-05f);  // cos on [-pi/4, pi/4]
  y1 = pmadd(y1, x2, pset1<Packet>(-0.00138865201734006404876708984375f));
  y1 = pmadd(y1, x2, pset1<Packet>(0.041666619479656219482421875f));
  y1 = pmadd(y1, x2, pset1<Packet>(-0.5f));
  y1 = pmadd(y1, x2, pset1<Packet>(1.f));
  Packet y2 = pset1<Packet>(-0.0001959234114083702898469196984621021329076029360294342041015625f);  // sin
  y2 = pmadd(y2, x2, pset1<Packet>(0.0083326873655616851693794799871284340042620897293090820312500000f));
  y2 = pmadd(y2, x2, pset1<Packet>(-0.1666666203982298255503735617821803316473960876464843750000000000f));
  y2 = pmul(y2, x2);
  y2 = pmadd(y2, x, x);
  s = pxor(pselect(even, y2, y1), sign_s);
  c = pxor(pselect(even, y1, y2), sign_c);
}

// Draws 2j and 2j + 1, j in [j0, j0 + m), m <= kPairs, as c[j - j0] and s[j - j0] (c and s
// hold kPairs values, 64-byte aligned). Computed in whole vectors: Eigen's scalar log, sin and
// cos round otherwise than its packet ones, so a draw would depend on where a batch ends. Log,
// sqrt, cos and sin one register of pairs at a time: the packet functions Eigen's array
// expressions call (this computed through those before, to the same bits; cos and sin as one,
// cos_sin_turns), without their passes over memory.
void pairs(const NoiseKey& key, std::uint64_t j0, Eigen::Index m, Real* c, Real* s) {
  using namespace Eigen::internal;
  using Packet = packet_traits<Real>::type;
  constexpr Eigen::Index kLanes = packet_traits<Real>::size, kVector = 16;
  static_assert(kPairs % kVector == 0 && kVector % kLanes == 0);
  m = (m + kVector - 1) / kVector * kVector;
  alignas(64) Real u1[kPairs], u2[kPairs];
  uniforms(key, j0, m, u1, u2);
  cos_sin_turns(u2, m, c, s);
  const Packet minus2 = pset1<Packet>(Real(-2));
  for (Eigen::Index j = 0; j < m; j += kLanes) {
    const Packet r = psqrt(pmul(minus2, plog(pload<Packet>(u1 + j))));
    pstore(c + j, pmul(r, pload<Packet>(c + j)));
    pstore(s + j, pmul(r, pload<Packet>(s + j)));
  }
}

}  // namespace

NoiseKey noise_key(std::uint64_t seed, std::initializer_list<std::uint64_t> ids) {
  // Rng's constructor, which seeds xoshiro256** with the next four words of this chain.
  std::uint64_t x = seed;
  for (std::uint64_t id : ids) x = splitmix64(x) ^ (id * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull);
  NoiseKey k;
  k.k0 = splitmix64(x);
  k.k1 = splitmix64(x);
  return k;
}

void cos_sin_turns(const Real* u, Eigen::Index n, Real* c, Real* s) {
  using Packet = Eigen::internal::packet_traits<Real>::type;
  constexpr Eigen::Index kLanes = Eigen::internal::packet_traits<Real>::size;
  const Packet two_pi = Eigen::internal::pset1<Packet>(Real(6.283185307179586));
  for (Eigen::Index j = 0; j < n; j += kLanes) {
    Packet cos_t, sin_t;
    sincos(Eigen::internal::pmul(Eigen::internal::ploadu<Packet>(u + j), two_pi), cos_t, sin_t);
    Eigen::internal::pstoreu(c + j, cos_t);
    Eigen::internal::pstoreu(s + j, sin_t);
  }
}

void fill_normals(const NoiseKey& key, std::uint64_t first, Eigen::Index n, Real* z) {
  alignas(64) Real c[kPairs], s[kPairs];
  for (Eigen::Index i = 0; i < n; i += 2 * kPairs) {
    const Eigen::Index count = std::min<Eigen::Index>(2 * kPairs, n - i), m = (count + 1) / 2;
    pairs(key, first / 2 + static_cast<std::uint64_t>(i / 2), m, c, s);
    Real* out = z + i;
    for (Eigen::Index j = 0; j < count / 2; ++j) {
      out[2 * j] = c[j];
      out[2 * j + 1] = s[j];
    }
    if (count % 2) out[count - 1] = c[m - 1];
  }
}

void add_normal_noise(const NoiseKey& key, const Real* variance, Eigen::Index n, Real* sums) {
  alignas(64) Real z[2 * kPairs];
  for (Eigen::Index i = 0; i < n; i += 2 * kPairs) {
    const Eigen::Index count = std::min<Eigen::Index>(2 * kPairs, n - i);
    fill_normals(key, static_cast<std::uint64_t>(i), count, z);
    // The product, then the sum, each rounded once: an expression a += b * c may be contracted
    // to a fused multiply-add in the vector body and not in a scalar head or tail, so a sum
    // would depend on the alignment of `sums`.
    ArrayMap noise(z, count);
    noise *= Eigen::Map<const Eigen::Array<Real, Eigen::Dynamic, 1>>(variance + i, count).max(Real(0)).sqrt();
    Eigen::Map<Eigen::Array<Real, Eigen::Dynamic, 1>>(sums + i, count) += noise;
  }
}

}  // namespace nnc
