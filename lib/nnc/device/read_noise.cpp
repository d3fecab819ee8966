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

// Stores c and s interleaved, c[0] s[0] c[1] s[1] ..., at out (2 x a packet's values).
template <class Packet>
void store_interleaved(const Packet& c, const Packet& s, Real* out) {
  constexpr int kLanes = Eigen::internal::unpacket_traits<Packet>::size;
#if defined(__AVX512F__)
  if constexpr (kLanes == 16) {
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    _mm512_storeu_ps(out, _mm512_permutex2var_ps(c, lo, s));
    _mm512_storeu_ps(out + 16, _mm512_permutex2var_ps(c, hi, s));
    return;
  }
#endif
  alignas(64) Real cs[kLanes], ss[kLanes];
  Eigen::internal::pstore(cs, c);
  Eigen::internal::pstore(ss, s);
  for (int k = 0; k < kLanes; ++k) {
    out[2 * k] = cs[k];
    out[2 * k + 1] = ss[k];
  }
}

// Draws 2 j0 .. 2 (j0 + m) - 1, m <= kPairs, in order at z (which holds 2 m values with m
// rounded up to 16). Computed in whole vectors: Eigen's scalar log, sin and cos round otherwise
// than its packet ones, so a draw would depend on where a batch ends. Log, sqrt, cos and sin one
// register of pairs at a time: the packet functions Eigen's array expressions call (this
// computed through those before, to the same bits), without their passes over memory.
void pairs(const NoiseKey& key, std::uint64_t j0, Eigen::Index m, Real* z) {
  using namespace Eigen::internal;
  using Packet = packet_traits<Real>::type;
  constexpr Eigen::Index kLanes = packet_traits<Real>::size, kVector = 16;
  static_assert(kPairs % kVector == 0 && kVector % kLanes == 0);
  m = (m + kVector - 1) / kVector * kVector;
  alignas(64) Real u1[kPairs], u2[kPairs];
  uniforms(key, j0, m, u1, u2);
  const Packet minus2 = pset1<Packet>(Real(-2)), two_pi = pset1<Packet>(Real(6.283185307179586));
  for (Eigen::Index j = 0; j < m; j += kLanes) {
    const Packet r = psqrt(pmul(minus2, plog(pload<Packet>(u1 + j))));
    const Packet t = pmul(pload<Packet>(u2 + j), two_pi);
    store_interleaved(pmul(r, pcos(t)), pmul(r, psin(t)), z + 2 * j);
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

void fill_normals(const NoiseKey& key, std::uint64_t first, Eigen::Index n, Real* z) {
  alignas(64) Real batch[2 * kPairs];
  for (Eigen::Index i = 0; i < n; i += 2 * kPairs) {
    const Eigen::Index count = std::min<Eigen::Index>(2 * kPairs, n - i);
    const std::uint64_t j0 = first / 2 + static_cast<std::uint64_t>(i / 2);
    if (count == 2 * kPairs) {  // a whole batch, straight into z
      pairs(key, j0, kPairs, z + i);
    } else {
      pairs(key, j0, (count + 1) / 2, batch);
      std::copy_n(batch, count, z + i);
    }
  }
}

void add_normal_noise(const NoiseKey& key, const Real* variance, Eigen::Index n, Real* sums) {
  alignas(64) Real z[2 * kPairs];
  for (Eigen::Index i = 0; i < n; i += 2 * kPairs) {
    const Eigen::Index count = std::min<Eigen::Index>(2 * kPairs, n - i);
    fill_normals(key, static_cast<std::uint64_t>(i), count, z);
    // The product, then the sum, each rounded once: an expression a += b * c may be contracted
    // to a fused multiply-add in a vector body and not in a scalar tail, so a sum would depend
    // on where a batch ends. Whole packets in one pass, the product kept apart by a barrier; the
    // tail as Eigen's expressions.
    using namespace Eigen::internal;
    using Packet = packet_traits<Real>::type;
    constexpr Eigen::Index kLanes = packet_traits<Real>::size;
    const Packet zero = pzero(Packet{});
    Eigen::Index j = 0;
    for (; j + kLanes <= count; j += kLanes) {
      Packet noise = pmul(pload<Packet>(z + j), psqrt(pmax(ploadu<Packet>(variance + i + j), zero)));
      EIGEN_OPTIMIZATION_BARRIER(noise)
      pstoreu(sums + i + j, padd(ploadu<Packet>(sums + i + j), noise));
    }
    ArrayMap noise(z + j, count - j);
    noise *= Eigen::Map<const Eigen::Array<Real, Eigen::Dynamic, 1>>(variance + i + j, count - j).max(Real(0)).sqrt();
    Eigen::Map<Eigen::Array<Real, Eigen::Dynamic, 1>>(sums + i + j, count - j) += noise;
  }
}

}  // namespace nnc
