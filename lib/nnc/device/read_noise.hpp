// Per-read noise draws (docs/algorithms.md "Read noise"): standard normals from a counter-based
// generator, so that draw i of a read is a function of (key, i) alone and a batch of them is
// computed in vector registers, whatever the thread count, batch size or the order reads are
// made in.
//
// A read's key is derived from the chip's seed and the read's stream ids through the splitmix64
// chain of nn/rng.hpp's Rng (two 64-bit words); pair j of draws is h = mix(mix(k0 + (j + 1) g)
// ^ k1), mix the splitmix64 finaliser and g its increment: the high 24 bits of h give u1 in
// (0, 1], the next 24 bits u2 in [0, 1), and Box-Muller in float gives draws 2j = r cos(2 pi
// u2) and 2j + 1 = r sin(2 pi u2), r = sqrt(-2 ln u1) (|z| <= 5.77). Float log, sin and cos
// are Eigen's vectorized ones, the same on every run of one build.
#pragma once
#include <cstdint>
#include <initializer_list>

#include "nnc/nn/tensor.hpp"

namespace nnc {

struct NoiseKey {
  std::uint64_t k0 = 0, k1 = 0;
};

// The key of the stream Rng(seed, ids) would be, as two words.
NoiseKey noise_key(std::uint64_t seed, std::initializer_list<std::uint64_t> ids);

// z[i] = draw (first + i) of `key`, i in [0, n); first must be even.
void fill_normals(const NoiseKey& key, std::uint64_t first, Eigen::Index n, Real* z);

// sums[i] += sqrt(max(variance[i], 0)) * draw i of `key`, i in [0, n).
void add_normal_noise(const NoiseKey& key, const Real* variance, Eigen::Index n, Real* sums);

}  // namespace nnc
