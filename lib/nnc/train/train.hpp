// The training loop (shuffled mini-batch SGD with held-out validation, checkpoints that
// resume exactly) and evaluation.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "nnc/data/dataset.hpp"
#include "nnc/nn/model.hpp"
#include "nnc/nn/optimizer.hpp"
#include "nnc/train/stepper.hpp"

namespace nnc {

struct TrainOptions {
  int epochs = 1;
  int batch = 64;
  Schedule schedule;
  SgdOptions sgd;
  bool augment = false;      // random crop (pad augment_pad), and flip if augment_flip
  int augment_pad = 4;
  bool augment_flip = true;
  int cutout = 0;            // cutout square side with augmentation (0: none; data/dataset.hpp Augment)
  double label_smoothing = 0;  // training loss against a smoothed target (nn/loss.hpp; 0: one-hot)
  std::uint64_t seed = 1;    // shuffle, dropout and augmentation streams
  int checkpoint_every = 0;  // steps between checkpoints (0: only at epoch ends)
};

struct EpochRecord {
  int epoch = 0;  // 1-based
  double lr = 0, train_loss = 0, train_accuracy = 0;
  double val_loss = 0, val_accuracy = 0;  // NaN when the run had no validation images
  double seconds = 0;  // wall time of the epoch (not part of any result)
};

// Where a run is: everything besides the model that a resumed run needs. Random state is
// derived from (seed, epoch, step), so the position is the random state.
struct TrainState {
  int epoch = 0;        // epochs completed
  int step = 0;         // batches completed in the current epoch
  double loss_sum = 0;  // of the current epoch so far
  double correct_sum = 0;
  std::vector<EpochRecord> history;
};

struct TrainHooks {
  std::function<void(const Model&, const TrainState&)> checkpoint;
  // Called after every step: state, steps per epoch, loss of the step.
  std::function<void(const TrainState&, int, double)> progress;
  std::function<void(const EpochRecord&)> epoch_end;
  // Called between steps; returning true stops the run cleanly after a checkpoint.
  std::function<bool()> should_stop;
};


// Trains from `state` to options.epochs. `validation` may be empty.
void train(Model& model, const Dataset& train_set, const Dataset& validation,
           const TrainOptions& options, TrainState& state, const TrainHooks& hooks = {});

struct EvalResult {
  std::size_t samples = 0, correct = 0;
  double loss = 0;                      // mean cross-entropy
  double accuracy = 0;                  // correct / samples
  std::vector<std::size_t> confusion;  // classes x classes, [true][predicted]
  std::vector<std::uint8_t> hits;       // per sample: 1 if predicted right (paired tests)
};

// Inference over the first `limit` images (0: all) in batches of `batch`.
EvalResult evaluate(Model& model, const Dataset& data, std::size_t limit = 0, int batch = 1000);

}  // namespace nnc
