// The one mini-batch loop of nnc (docs/design.md section 2): training (nnc-train,
// nnc-swprune), CGaP's growth and pruning, and RSA's adaptation all step through it, so batch
// order, augmentation and the dropout stream are the same mechanism everywhere.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "nnc/data/dataset.hpp"
#include "nnc/nn/model.hpp"
#include "nnc/nn/streams.hpp"

namespace nnc {

// Batches per epoch: floor(n / batch), the incomplete last batch dropped (at least one batch).
int steps_per_epoch(std::size_t n, int batch);

struct StepperOptions {
  int batch = 64;
  std::uint64_t seed = 1;                          // shuffle, augmentation and dropout
  std::uint64_t shuffle_stream = stream::kShuffle;  // epoch e's order: Rng(seed, {this, e})
  bool augment = false;                            // random crop, and flip (data/dataset.hpp Augment)
  int augment_pad = 4;                             // crop padding: 4 for CIFAR, 2 for digits
  bool augment_flip = true;                        // horizontal flips (not for digits)
  int cutout = 0;                                  // cutout square side (0 = none; only with augment)
  double label_smoothing = 0;                      // the loss's target (nn/loss.hpp; 0 = one-hot)
};

// What one step did.
struct StepResult {
  int epoch = 0, step = 0;  // position of the step (0-based)
  std::uint64_t global = 0; // steps before this one since the start
  double loss = 0;          // summed over the batch
  double correct = 0;       // samples of the batch classified right
};

// Mini-batch steps over a dataset, epoch after epoch: epoch e visits the samples in the order
// of a Fisher-Yates shuffle from Rng(seed, {shuffle_stream, e}); step s of an epoch takes the
// batch at positions [s * batch, (s + 1) * batch) of that order. Each step runs a
// training-mode forward pass (dropout from Rng(seed, {kDropout, global step, ...})), softmax
// cross-entropy, the backward pass (every param's gradient overwritten), then `update`: the
// caller's optimizer step (SGD on all params, RSA values only, a saliency meter first...).
// The position is the random state: a stepper moved to step k continues exactly as one that
// ran k steps.
//
// On R ranks (docs/design.md section 13) every rank draws the same order and rank r takes its
// contiguous share of each batch (dist::share); its dlogits are scaled to the global batch's
// mean loss, the gradients of trainable params are summed over ranks in rank order and
// batch-norm running statistics averaged, all before `update`, so every rank updates the same
// params with the gradient of the whole batch. Batch-norm batch statistics are per rank. The
// returned loss and correct count are the whole batch's.
class Stepper {
 public:
  Stepper(Model& model, const Dataset& data, const StepperOptions& options);

  int steps_per_epoch() const { return steps_per_epoch_; }
  int batch() const { return batch_; }
  std::uint64_t position() const { return global_; }  // steps taken (or skipped by seek)
  void seek(std::uint64_t global) { global_ = global; }

  StepResult step(const std::function<void()>& update);

 private:
  Model& model_;
  const Dataset& data_;
  StepperOptions options_;
  int batch_, steps_per_epoch_;
  std::vector<std::size_t> order_;
  std::vector<int> labels_;
  int shuffled_ = -1;  // the epoch order_ holds
  std::uint64_t global_ = 0;
  Tensor x_, dlogits_;
  std::vector<float> grads_;         // trainable params' gradients, summed over ranks
  std::vector<double> statistics_;   // batch-norm running statistics, loss and correct count

  void reduce_over_ranks(StepResult& r);
};

}  // namespace nnc
