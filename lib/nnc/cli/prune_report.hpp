// Records of nnc-swprune: one JSON line per evaluated model and a sweep summary, their log
// lines, and what the output model keeps of a sweep or baseline (the /history/swprune_sweep
// series and the swprune_* notes, docs/schema.md).
#pragma once
#include <string>
#include <vector>

#include "nnc/algo/sweep.hpp"
#include "nnc/cli/json.hpp"
#include "nnc/io/artifact.hpp"

namespace nnc::cli {

// The columns of the /history/swprune_sweep series, one row per evaluated model (theta -1:
// not pruned by theta; L, C, live, path_length, clustering and small_world_sigma NaN in a
// network with branches, which has no unit graph).
extern const char* const kSweepColumns;
Series sweep_series(const std::vector<PrunePoint>& points);

// {"record": kind, ["theta",] "val_accuracy", "test_accuracy", then metrics_json's keys (the
// unit graph's null in a network with branches)}.
Json prune_record_json(const PrunePoint& p);
// The record of iterative magnitude pruning: prune_record_json of the pruned model plus the
// given model's figures (keys "dense_*" for the baseline, "unpruned_*" for Small-World) and
// "prune_steps".
Json baseline_record_json(const MagnitudeBaselineResult& r);
// Small-World pruned to a parameter count: the summary record (as sweep_summary_json's, with
// "selected_theta" null and the rule in "selection") and that rule in words.
Json target_summary_json(const MagnitudeBaselineResult& r);
std::string target_selection_text(const MagnitudeBaselineResult& r);
// {"record": "summary", "selected_theta" (null: unpruned), "unpruned_val_accuracy", "tolerance", "params"}.
Json sweep_summary_json(const ThetaSweepResult& r, double tolerance);

// The log line of an evaluated model ("" for the dense model of a baseline, which has none).
std::string prune_point_text(const PrunePoint& p);
std::string baseline_text(const MagnitudeBaselineResult& r);
// "magnitude pruning (global) to 2990 parameters (target 3000)"
std::string magnitude_text(const std::string& scope, std::size_t reached, std::size_t target);
// The line after each training or fine-tuning epoch: "epoch 3: lr 0.05, train loss ..., val acc ..., 1.2s".
std::string prune_epoch_text(const EpochRecord& r);

// What the output keeps: the model, history (training, then the chosen fine-tuning), series
// and notes. `training` is the history of the run that trained the unpruned model.
void record_theta_sweep(ModelArtifact& out, ThetaSweepResult result, const std::vector<EpochRecord>& training);
// Iterative magnitude pruning's model is out.model, pruned in place; `mode` is the
// swprune_mode note ("baseline magnitude (global)", "smallworld"); `training` the history of
// the run that trained the given model (empty when it came with --init).
void record_magnitude_baseline(ModelArtifact& out, const MagnitudeBaselineResult& result, const std::string& mode,
                               const std::vector<EpochRecord>& training = {});

// A checkpoint of nnc-swprune: `model` and the phase's TrainState as nnc-train keeps them, and
// where the flow is (PruneProgress) in the swprune_resume_* series, every number as stored in
// memory, so that a resumed run prints and writes exactly what the uninterrupted one would.
ModelArtifact progress_checkpoint(const Model& model, const PruneProgress& progress);
// The PruneProgress of a checkpoint progress_checkpoint wrote (ck.model's layers name the
// points' layers); a checkpoint without the series is one of phase 0 (the training before pruning).
PruneProgress progress_of(const ModelArtifact& ck);

}  // namespace nnc::cli
