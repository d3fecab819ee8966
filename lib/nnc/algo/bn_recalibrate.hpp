// Batch-norm recalibration on the chip (docs/design.md section 7, the honest baseline beside RSA):
// the running mean and variance of every batch-norm layer re-estimated from images passed
// through what the chip computes (its read-back weights, faults included), nothing trained.
#pragma once
#include <cstddef>
#include <vector>

#include "nnc/data/dataset.hpp"
#include "nnc/device/rsa_record.hpp"
#include "nnc/nn/model.hpp"

namespace nnc {

// Indices in Model::layers() of the batch-norm layers of m, in model order.
std::vector<int> batch_norm_layers(const Model& m);

struct BnRecalibrationOptions {
  std::size_t limit = 0;  // use the first N images (0: all)
  int chunk = 256;        // images per forward pass; fixed, so the sums never depend on threads
};

// Re-estimates the running statistics of every batch-norm layer of m, in model order, each
// from the population of its inputs over the first `limit` images of `images` (unbiased
// variance, as BatchNorm's running variance is), with the batch-norm layers before it already
// recalibrated and all passes in inference mode: layer b's pass runs the images through layers
// [0, b) only, so the statistics are exactly those inference on m will see. Per chunk of
// `chunk` images each channel's count, mean and centered sum of squares are computed in double
// and merged in chunk order (Chan et al.), so the result is the same whatever the thread count.
// Gamma, beta and every other parameter are unchanged.
// Time model: pass b reads each image through the crossbars of the `mapped` layers before b
// (crossbar_reads_per_sample, forward only); time_s = images * reads_per_image * t_mvm_s.
// Throws Error if m has no batch-norm layer or fewer than 2 values per channel are seen.
BnRecalibrationReport recalibrate_batch_norm(Model& m, const Dataset& images, const std::vector<int>& mapped,
                                             double t_mvm_s, const BnRecalibrationOptions& options = {});

// Copies the running mean and variance of every batch-norm layer of `from` into `to` (same
// spec); throws Error if the layers do not match.
void copy_batch_norm_statistics(const Model& from, Model& to);

}  // namespace nnc
