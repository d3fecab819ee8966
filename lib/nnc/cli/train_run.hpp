// nnc-train's run around train() (docs/design.md section 3): resuming from a checkpoint, the
// progress bar and epoch lines, what an interrupt means, and the --json summary.
#pragma once
#include <string>
#include <vector>

#include "nnc/cli/json.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/io/artifact.hpp"
#include "nnc/train/train.hpp"

namespace nnc::cli {

// Where a run starts: the checkpoint's state and model when `resume` and the file exists (its
// recorded options must be out's, else bad input), else a fresh state. A checkpoint of a
// finished run (all `epochs` done) is not resumed: its model is the result, written as is.
TrainState start_state(const std::string& checkpoint, bool resume, int epochs, ModelArtifact& out);

// The hooks nnc-train runs with: a progress bar per epoch showing the running mean loss of the
// epoch, one line per epoch (epoch_text), checkpoints of `out` to `checkpoint` (none if empty),
// and a stop on SIGINT or SIGTERM. `progress`, `out` and `checkpoint` must outlive the run.
TrainHooks train_hooks(const ModelArtifact& out, const std::string& checkpoint, const TrainOptions& options,
                       std::size_t train_images, Progress& progress);

// "epoch 3: lr 0.01, train loss 0.1234 acc 0.9650, val loss ... acc ..., 2.1s (2900 img/s)";
// "no validation" in place of the val numbers when the run had none (they are NaN).
std::string epoch_text(const EpochRecord& r, double images_per_second);

// After train() returned: an interrupt before the last epoch ended throws (exit 130) naming the
// checkpoint to resume from; an interrupt after it is only logged, since the output is still
// written whole.
void check_interrupted(const TrainState& state, int epochs, const std::string& checkpoint);

// nnc-train --json: {"file", "dataset", "data_dir", "epochs", "train_loss", "train_accuracy",
// "val_loss", "val_accuracy" (null without validation), "params", "history": [...]}.
Json train_json(const std::string& output, const std::string& dataset, const std::string& data_dir,
                const ModelArtifact& out);

// The per-epoch records as JSON (nnc-info and nnc-train): absent validation is null.
Json history_json(const std::vector<EpochRecord>& history);

}  // namespace nnc::cli
