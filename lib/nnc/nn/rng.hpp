// Rng: a small counter-seeded generator whose draws are the same on every platform.
// Randomness is passed in, never global: seed it from --seed plus stream ids (layer, tile,
// chip, sample) so that each independent piece of work draws from its own stream.
#pragma once
#include <cmath>
#include <cstdint>
#include <initializer_list>

namespace nnc {

inline std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// xoshiro256** seeded through splitmix64 from a seed and any number of stream ids.
class Rng {
 public:
  explicit Rng(std::uint64_t seed, std::initializer_list<std::uint64_t> streams = {}) {
    std::uint64_t x = seed;
    for (std::uint64_t id : streams) {
      x = splitmix64(x) ^ (id * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull);
    }
    for (auto& s : s_) s = splitmix64(x);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, n), n > 0 (Lemire's method without the rejection bias).
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = (0 - n) % n;  // 2^64 mod n
    for (;;) {
      const std::uint64_t r = next();
      if (r >= limit) return r % n;
    }
  }

  // Standard normal by Box-Muller (no cached second value, so draws stay aligned).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  bool bernoulli(double p) { return uniform() < p; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// Fisher-Yates shuffle of any random-access range with an Rng (std::shuffle varies by library).
template <class It>
void shuffle(It first, It last, Rng& rng) {
  const auto n = last - first;
  for (auto i = n - 1; i > 0; --i) {
    const auto j = static_cast<decltype(i)>(rng.below(static_cast<std::uint64_t>(i) + 1));
    std::swap(first[i], first[j]);
  }
}

}  // namespace nnc
