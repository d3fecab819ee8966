// Batches: bytes to normalized floats, with CIFAR's random crop, horizontal flip and cutout.
#include <algorithm>
#include <string>

#include "nnc/data/dataset.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/nn/rng.hpp"
#include "nnc/nn/streams.hpp"

namespace nnc {

void fill_batch(const Dataset& ds, const std::size_t* idx, int n, Tensor& x, int* labels,
                const Augment* augment) {
  // Checked up front: nothing may throw inside the parallel loop.
  for (int i = 0; i < n; ++i) {
    if (idx[i] >= ds.size()) {
      throw Error("fill_batch: image " + std::to_string(idx[i]) + " of " + ds.name + ", which has " +
                  std::to_string(ds.size()));
    }
  }
  if (ds.shape.c > 3) throw Error("fill_batch: " + ds.shape.str() + " images, expected 1 or 3 channels");
  if (augment && augment->pad < 0) throw Error("fill_batch: negative crop padding");
  if (augment && augment->cutout < 0) throw Error("fill_batch: negative cutout size");

  const int C = ds.shape.c, H = ds.shape.h, W = ds.shape.w;
  // x = (p/255 - mean) / std folded into x = p * scale + shift.
  float scale[3], shift[3];
  for (int c = 0; c < 3; ++c) {
    scale[c] = 1.0f / (255.0f * ds.std[c]);
    shift[c] = -ds.mean[c] / ds.std[c];
  }
  x.resize(n, ds.shape);
  for (int i = 0; i < n; ++i) labels[i] = ds.labels[idx[i]];

  parallel_for(n, [&](int i) {
    const std::uint8_t* src = ds.pixels.data() + idx[i] * ds.shape.size();
    Real* dst = x.sample(i);
    int oy = 0, ox = 0;
    bool flip = false;
    int cy0 = 0, cx0 = 0, side = 0;  // the cutout square [cy0, cy0 + side) x [cx0, cx0 + side)
    if (augment) {
      // Per-sample stream: the batch does not depend on batch composition or thread count.
      Rng rng(augment->seed, {stream::kAugment, augment->epoch, idx[i]});
      const int pad = augment->pad;
      oy = static_cast<int>(rng.below(2 * pad + 1)) - pad;
      ox = static_cast<int>(rng.below(2 * pad + 1)) - pad;
      flip = rng.bernoulli(0.5) && augment->flip;
      if (augment->cutout > 0) {
        side = augment->cutout;
        cy0 = static_cast<int>(rng.below(static_cast<std::uint64_t>(H))) - side / 2;
        cx0 = static_cast<int>(rng.below(static_cast<std::uint64_t>(W))) - side / 2;
      }
    }
    for (int c = 0; c < C; ++c) {
      for (int y = 0; y < H; ++y) {
        const int sy = y + oy;
        for (int xx = 0; xx < W; ++xx) {
          const int sx = (flip ? W - 1 - xx : xx) + ox;
          // Padding is black pixels before normalization, as in torchvision's RandomCrop.
          const int p = (sy >= 0 && sy < H && sx >= 0 && sx < W) ? src[(c * H + sy) * W + sx] : 0;
          dst[(c * H + y) * W + xx] = static_cast<Real>(p) * scale[c] + shift[c];
        }
      }
    }
    for (int c = 0; c < C; ++c) {
      for (int y = std::max(cy0, 0); y < std::min(cy0 + side, H); ++y) {
        for (int xx = std::max(cx0, 0); xx < std::min(cx0 + side, W); ++xx) dst[(c * H + y) * W + xx] = 0;
      }
    }
  });
}

}  // namespace nnc
