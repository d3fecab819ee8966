// The pruning flows of Small-World (docs/design.md section 8) after the network is built: the
// theta sweep over one trained model with the rule that picks the model to keep, and the
// magnitude-pruning baseline. Each evaluates its models on the validation and test splits and
// hands every evaluated model to a callback as it goes, so a tool can print records live.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nnc/algo/metrics.hpp"
#include "nnc/algo/smallworld.hpp"
#include "nnc/data/dataset.hpp"
#include "nnc/train/train.hpp"

namespace nnc {

// Trains `model` with `options` from `state` (a fresh run, or where a checkpoint left it) when
// options.epochs > 0 (masks stay fixed, as in train()), then throws Error("interrupted") if
// hooks.should_stop says so. Returns the run's records, those before `state` included.
std::vector<EpochRecord> train_or_interrupt(Model& model, const Dataset& train_set, const Dataset& validation,
                                            const TrainOptions& options, const TrainHooks& hooks = {},
                                            TrainState state = {});

// `first` followed by `then`, then's epochs renumbered to continue after first's.
std::vector<EpochRecord> continue_history(std::vector<EpochRecord> first, const std::vector<EpochRecord>& then);

// The splits a pruning flow fine-tunes, validates and tests on. Choices use the validation
// split only; test accuracy is for the records.
struct PruneData {
  const Dataset& train;
  const Dataset& validation;
  const Dataset& test;
};

enum class PrunePointKind { unpruned, theta, dense, baseline, step, target, theta_probe };
// "unpruned" | "theta" | "dense" | "baseline" | "step" | "target" | "theta_probe"
std::string to_string(PrunePointKind k);

// One evaluated model of a pruning flow.
struct PrunePoint {
  PrunePointKind kind = PrunePointKind::unpruned;
  double theta = -1;  // the theta it was pruned at (kinds theta, theta_probe); -1 otherwise
  int step = 0;       // the prune step it ends (kinds step, baseline, target); 0 otherwise
  double val_accuracy = 0, test_accuracy = 0;
  NetworkMetrics metrics;
};

// Evaluates `model` on both splits and measures its structure (structure_metrics with
// metrics_seed).
PrunePoint evaluate_point(Model& model, const PruneData& data, PrunePointKind kind, double theta,
                          std::uint64_t metrics_seed);

// ---- Theta selection.

struct ThetaResult {
  double theta = 0;
  double val_accuracy = 0;  // after fine-tuning
};

struct ThetaChoice {
  std::optional<std::size_t> index;  // into the results; none: keep the unpruned model
  double threshold = 0;              // the least validation accuracy that qualifies
  std::string reason;                // one line, for logs
};

// The rule of docs/design.md section 8: the largest theta whose validation accuracy is at
// least unpruned_val_accuracy - tolerance (absolute; exactly at the threshold qualifies);
// among results with the same theta, the first. None when no result qualifies (or there is
// none); reason then starts "no theta kept validation accuracy within the tolerance".
ThetaChoice select_theta(const std::vector<ThetaResult>& results, double unpruned_val_accuracy, double tolerance);

// ---- The theta sweep.

struct ThetaSweepOptions {
  std::vector<double> thetas;  // tried in this order, each >= 0
  PruneGranularity granularity = PruneGranularity::weight;
  double tolerance = 0.002;    // select_theta's
  TrainOptions finetune;       // epochs 0: no fine-tuning
  std::uint64_t metrics_seed = 1;
};

struct ThetaSweepResult {
  PrunePoint unpruned;
  std::vector<PrunePoint> points;  // one per theta, in the order tried
  ThetaChoice choice;              // select_theta over points
  Model model;                     // the chosen theta's model, or the unpruned model
  std::vector<EpochRecord> finetune_history;  // the chosen model's fine-tuning (none if unpruned)
  const PrunePoint& chosen() const { return choice.index ? points[*choice.index] : unpruned; }
};

// Checks `trained` is finite and evaluates it (the unpruned point), then for each theta: a copy
// pruned by prune_by_theta, fine-tuned with its masks fixed (train_or_interrupt), checked finite
// and evaluated. Every theta starts from `trained`. `each` (may be empty) gets every point as
// soon as it is evaluated, the unpruned one first. Only the model chosen so far is kept, so
// memory does not grow with the number of thetas.
ThetaSweepResult theta_sweep(const Model& trained, const PruneData& data, const ThetaSweepOptions& options,
                             const TrainHooks& hooks = {}, const std::function<void(const PrunePoint&)>& each = {});

// ---- Iterative magnitude pruning: the baseline, and Small-World pruned to a parameter count.

// The parameter counts an iterative schedule prunes to, from `from` down to `to` in `steps`
// prunes: geometric (each step keeps the same fraction of what the step before kept), the last
// exactly `to`. Requires steps >= 1; from <= to gives `to` at every step.
std::vector<std::size_t> prune_targets(std::size_t from, std::size_t to, int steps);

// Table I's size: the paper's Small-World LeNet-5 keeps 2.3% of the dense network's
// parameters (9.9K of 431K). floor(kTableOneKeep x dense_params): nnc-swprune's default target.
inline constexpr double kTableOneKeep = 0.023;
std::size_t default_target_params(std::size_t dense_params);

// Options of a training that does not happen (epochs 0): a model that is trained already.
inline TrainOptions no_training() {
  TrainOptions o;
  o.epochs = 0;
  return o;
}

struct MagnitudeBaselineOptions {
  TrainOptions train = no_training();  // phase 0: trains the given model first (epochs 0: it is trained)
  std::size_t target_params = 0;  // magnitude_prune_to's target of the last step
  MagnitudeScope scope = MagnitudeScope::global;
  int steps = 1;                  // prunes (prune_targets); 1: one-shot
  TrainOptions retrain;           // after each prune but the last, masks fixed (epochs 0: none)
  TrainOptions finetune;          // after the last prune, masks fixed (epochs 0: none)
  std::uint64_t metrics_seed = 1;
  // What the given model is: a dense model (the baseline; its point is kind dense, the result
  // kind baseline) or a trained Small-World lattice (kinds unpruned and target).
  bool smallworld = false;
  // Figure 7's points: after phase 0, copies of the trained model pruned at each theta
  // (prune_by_theta at probe_granularity), evaluated without fine-tuning (kind theta_probe);
  // the model the schedule prunes is not touched.
  std::vector<double> probe_thetas;
  PruneGranularity probe_granularity = PruneGranularity::weight;
};

struct MagnitudeBaselineResult {
  std::vector<EpochRecord> training;        // phase 0's epochs (none when options.train.epochs is 0)
  PrunePoint start;                         // the model as given (after phase 0)
  std::vector<PrunePoint> probes;           // one per probe theta, in order
  std::vector<PrunePoint> steps;            // after each prune but the last and its retraining
  PrunePoint pruned;                        // after the last prune and the fine-tuning
  std::vector<std::size_t> targets;         // of every step (prune_targets)
  std::size_t reached = 0;                  // parameters right after the last prune
  double val_accuracy_before_finetune = 0;
  std::vector<EpochRecord> finetune_history;  // every retraining epoch, then the fine-tuning's
};

// Where a run of magnitude_baseline is, besides its model, so that a run stopped by a signal
// resumes where it stopped and ends exactly as the uninterrupted run (docs/design.md section 3,
// "Checkpoints"). Its training phases: 0 trains the given model (options.train), k = 1..S-1
// retrains after prune step k, S fine-tunes after the last prune. The model of a checkpoint
// taken in phase k >= 1 is pruned already.
struct PruneProgress {
  int phase = 0;
  TrainState train;                    // the phase's training so far (fresh: not started)
  std::vector<EpochRecord> training;   // phase 0's epochs, once it has ended
  std::vector<EpochRecord> retraining; // the epochs of phases 1.. that ended, numbered on
  std::vector<PrunePoint> points;      // every point `each` got so far, in order
  std::size_t reached = 0;             // phase S: parameters right after the last prune
  double val_accuracy_before_finetune = 0;  // phase S
};
// Gets the model and where the run is whenever train() would checkpoint (an epoch's end,
// every options.checkpoint_every steps, a stop).
using PruneCheckpoint = std::function<void(const Model&, const PruneProgress&)>;

// The prune-and-retrain schedule of Han et al. (2015) (docs/algorithms.md "Iterative magnitude
// pruning"): trains the given model first when options.train.epochs > 0 (phase 0), evaluates
// it (`each` gets that point, then each probe's), then for each target of
// prune_targets(its parameter count, target_params, steps) prunes it in place by magnitude
// (magnitude_prune_to, which keeps what earlier masks removed) and retrains it with the masks
// fixed (`each` gets every step's point); the last step is fine-tuned instead (`pruned` gets
// the count it reached). Throws as magnitude_prune_to does when the target is below what pruning
// can reach, and Error("interrupted") when hooks.should_stop stops a training phase.
// `checkpoint` (may be empty) gets every checkpoint of every phase; `from` is where a run
// resumes: `model` must then be the checkpoint's model, and the points `from` holds are not
// given to `each` again.
MagnitudeBaselineResult magnitude_baseline(Model& model, const PruneData& data, const MagnitudeBaselineOptions& options,
                                           const TrainHooks& hooks = {},
                                           const std::function<void(const PrunePoint&)>& each = {},
                                           const std::function<void(std::size_t)>& pruned = {},
                                           const PruneCheckpoint& checkpoint = {}, const PruneProgress& from = {});

}  // namespace nnc
