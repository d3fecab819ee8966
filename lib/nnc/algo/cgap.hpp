// Continuous Growth and Pruning (docs/design.md section 9): a seed network at a fraction of a
// template's widths grows filters and neurons next to its most salient units until it peaks,
// then loses its least salient units, with fine-tuning, while accuracy holds.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nnc/data/dataset.hpp"
#include "nnc/nn/model.hpp"
#include "nnc/train/train.hpp"

namespace nnc {

// A layer whose width CGaP changes (every conv and dense layer but the output layer), with
// the layers its width reaches: the batch norms after it, the point where its units'
// activations are read for saliency, and the next conv or dense layer, whose inputs it feeds.
struct UnitLayer {
  int layer = 0;       // index in Model::layers()
  int act = 0;         // saliency reads the output of this layer (see unit_layers)
  int next = 0;        // the next conv or dense layer
  std::vector<int> bns;  // batch norms between `layer` and `next`
  int template_width = 0;
  int cap = 0;         // width never exceeds this
};

// The growable layers of a model, in order. The activation point of a layer is the output of
// the last relu, batch norm or pooling layer in the unbroken run that follows it (so after its
// nonlinearity when it has one); a dropout, flatten or the next conv/dense ends the run.
// Template widths and caps are set from the model's current widths and `max_width_ratio`.
std::vector<UnitLayer> unit_layers(const Model& m, double max_width_ratio = 1.0);

void set_layer_width(Layer& l, int width);   // throws for other layers; run Model::setup() after
std::vector<int> widths(const Model& m, const std::vector<UnitLayer>& units);

// Rebuilds the units of `u`: new unit j is old unit src[j], or a zero unit for src[j] = -1
// (batch norm at gamma 1, beta 0, running mean 0, variance 1; mask 1). Every per-unit
// quantity moves with its unit: incoming weights, bias, velocity (the SGD state), mask, batch
// norm parameters and running statistics, and the next layer's input weights (h*w of them per
// unit when a flatten lies between). The next layer's own width does not change.
void remap_units(Model& m, const UnitLayer& u, const std::vector<int>& src);

enum class Newborn { split, random };
enum class PruneScope { global, layer };

// Adds `count` units to `u`, born next to the most salient ones (`saliency` has one value per
// current unit; ties go to the lower index): a parent with k children is followed by them.
// split: a child copies the parent's incoming weights, bias, batch norm and velocity, plus
//   N(0, (noise * std of the layer's weights)^2) on each incoming weight; the parent's
//   outgoing weights (and their velocity) are divided equally among it and its children, so
//   the function barely changes (exactly, with noise 0).
// random: a child's incoming weights are drawn as at initialization, its bias is 0 and its
//   outgoing weights are 0, so the function does not change at all.
void grow_units(Model& m, const UnitLayer& u, const std::vector<double>& saliency, int count, Newborn newborn,
                double noise, Rng& rng);

// Removes the units listed in `remove` (indices of current units).
void prune_units(Model& m, const UnitLayer& u, const std::vector<int>& remove);

// First-order Taylor saliency of each unit for the model's last forward and backward pass
// (Molchanov et al.): |mean over samples and positions of a * dL/da|, where a is the unit's
// activation at its activation point and L the per-sample loss (the backward pass works with
// the batch-mean loss, so its gradient is scaled back by the batch size).
std::vector<double> unit_saliency(const Model& m, const UnitLayer& u);

// Running average of unit_saliency over the batches since the last reset.
class SaliencyMeter {
 public:
  void reset(const Model& m, const std::vector<UnitLayer>& units);
  void add(const Model& m, const std::vector<UnitLayer>& units);  // after a training step
  int batches() const { return batches_; }
  // The sums as they stand, per layer, and a meter set back to them (a resumed run).
  const std::vector<std::vector<double>>& sums() const { return sum_; }
  void restore(std::vector<std::vector<double>> sums, int batches) {
    sum_ = std::move(sums);
    batches_ = batches;
  }
  std::vector<double> mean(std::size_t i) const;
  // mean(i) divided by its L2 norm (all zero if the norm is 0), comparable across layers.
  std::vector<double> normalized(std::size_t i) const;

 private:
  std::vector<std::vector<double>> sum_;
  int batches_ = 0;
};

struct CgapOptions {
  double start_width = 0.08;      // seed widths, a fraction of the template's (at least 2): 0.66%
                                  // of cnn9's parameters, 0.76% of LeNet-5's on MNIST
  double growth_rate = 0.25;      // units added per growth step, a fraction of the width
  double growth_every = 0.1;      // epochs of training between growth steps, shorter when the
                                  // growth budget needs more steps to reach the cap
  double max_width_ratio = 1.0;   // width cap, a fraction of the template's
  double plateau = 0.001;         // growth stops when val accuracy gains less than this (and
                                  // less than the noise margin) ...
  int plateau_steps = 4;          // ... over this many growth steps
  double noise_z = 1.0;           // noise margin: this many standard errors of the difference
                                  // of two validation accuracies (plateau test)
  double growth_budget = 0.15;    // growth uses at most this fraction of the epochs
  double prune_tolerance = 0.01;  // pruning stops at a step that costs more val accuracy than
                                  // this, measured before retraining (the step is undone) ...
  double prune_budget = 0.005;    // ... or that takes the sum of the steps' costs so far above
                                  // this (a step that raises accuracy at once counts negative)
  double prune_error_scale = 0.1;   // both limits rise with the peak's validation error e:
                                  // budget max(prune_budget, scale e^2), tolerance
                                  // max(prune_tolerance, scale e^2 / 2) (prune_limits; 0: fixed)
  std::size_t prune_bn_images = 2000;  // batch norm: a step is tested with the running statistics
                                  // re-estimated on this many training images, before and after
                                  // the removal (0: as training left them)
  double prune_rate = 0.1;        // units removed per pruning step, a fraction of all units
  PruneScope prune_scope = PruneScope::layer;  // ... of each layer, or ranked over all layers
  double prune_every = 0.5;       // epochs of training after each pruning step (0: growth_every)
  double final_epochs = 0.5;      // last fraction of the epochs: training of the end model
  Newborn newborn = Newborn::random;
  double split_noise = 0.01;
  TrainOptions train;             // epochs (the whole budget), batch, lr, schedule (over the
                                  // whole run, as nnc-train's), sgd, augment, seed
};

// The seed: the template `arch` at options.start_width of its widths (output layer kept),
// initialized from `seed`.
Model cgap_seed(const std::string& arch, Shape input, int classes, const CgapOptions& o, std::uint64_t seed);

// The limits of the pruning test (CgapOptions) for a network whose validation accuracy at the
// peak is `peak_accuracy`: a network far from fitting its data regains more of a step's
// immediate cost by the end of the run, so the limits grow with the square of its error.
struct PruneLimits {
  double tolerance = 0, budget = 0;
};
PruneLimits prune_limits(double peak_accuracy, const CgapOptions& o);

enum class CgapPhase { seed = 0, growth = 1, pruning = 2, reverted = 3, end = 4 };

// One evaluation of the network: the widths it was trained at, and how it did.
struct CgapRecord {
  double epoch = 0;  // epochs of training done
  CgapPhase phase = CgapPhase::seed;
  double val_accuracy = 0, val_loss = 0;
  std::size_t params = 0;        // Model::nonzero_param_count (docs/design.md section 8)
  std::size_t params_dense = 0;  // Model::param_count: every weight, zeros included
  double flops = 0;  // per sample, 2 per multiply-accumulate
  double train_flops = 0;  // of all training steps so far (see CgapResult)
  double removal_accuracy = -1;  // pruning: val accuracy just after the units went (the test) ...
  double before_accuracy = -1;   // ... against this, of the network just before (the same as the
                                 // previous record's but for re-estimated batch-norm statistics)
  double removal_loss = -1;      // ... its val loss (mean cross-entropy)
  double removal_z = 0;          // ... and the cost of the removal in McNemar's z (prune_cost_z)
  std::vector<int> widths;
};

struct CgapResult {
  std::vector<UnitLayer> units;
  std::vector<CgapRecord> records;
  std::size_t seed = 0, peak = 0, end = 0;  // indices into records
  std::string growth_stop;  // plateau | cap | budget
  std::string prune_stop;   // tolerance | cost (prune_budget) | window (no time left) | min-width
  PruneLimits prune_limits;  // the limits the pruning test used (prune_limits at the peak)
  // Training compute: every step's forward and backward pass at that step's widths, counted
  // as 3 x the dense forward FLOPs per image (backward: data and weight gradients, 2 x forward), and
  // the same count for the template trained over the same steps (nnc-train's baseline). The
  // validation passes that decide growth and pruning are counted apart (forward only).
  double train_flops = 0, baseline_train_flops = 0, validation_flops = 0;
};

// The noise margin of a difference of two validation accuracies near `accuracy`, each over
// `n` images: z * sqrt(2 p (1 - p) / n), the binomial standard error of the difference.
double noise_margin(double accuracy, std::size_t n, double z);
// The plateau test: is `gain` below max(plateau, noise margin)?
bool growth_plateaued(double gain, double accuracy, std::size_t n, const CgapOptions& o);
// The cost of a pruning step in standard errors, on the same images before and after (McNemar):
// (b - c) / sqrt(b + c), b the images it turned wrong, c those it turned right; 0 when none changed.
double prune_cost_z(const std::vector<std::uint8_t>& before, const std::vector<std::uint8_t>& after);

// Where a run is, at a point it can resume from: the top of a growth interval (stage growth),
// of a pruning step (stage pruning), or a step of the final training (stage end), with the
// model (velocity included) kept beside it. Every number as held in memory, so that a resumed
// run computes, records and writes exactly what the uninterrupted one would.
struct CgapProgress {
  CgapPhase stage = CgapPhase::growth;  // growth | pruning | end
  std::uint64_t position = 0;           // training steps done
  CgapResult result;                    // records, indices, stops, limits and FLOPs so far (units: not kept)
  std::vector<std::vector<double>> saliency;  // the saliency meter's sums per layer ...
  int saliency_batches = 0;                   // ... over this many batches
  std::vector<std::uint64_t> growth_rng;      // the growth stream's state (4 words)
  double current_accuracy = 0, current_loss = 0;  // the last evaluation of the model as it is
  std::vector<std::uint8_t> current_hits;        // (pruning tests a step against it)
  double spent = 0;                              // pruning: the summed cost of the kept steps
};

struct CgapHooks {
  std::function<void(const CgapRecord&)> record;  // after each evaluation
  std::function<bool()> should_stop;              // true: throw "interrupted" (after a checkpoint in the final training)
  // At the top of every growth interval and pruning step, every `checkpoint_every` steps of the
  // final training (0: each epoch) and at a stop during it.
  std::function<void(const Model&, const CgapProgress&)> checkpoint;
  int checkpoint_every = 0;
};

// Runs CGaP on `model` (a seed from cgap_seed, caps from `template_model`'s widths), or, with
// `from`, continues the run a checkpoint left (`model` then the checkpoint's model).
CgapResult run_cgap(Model& model, const Model& template_model, const Dataset& train_set, const Dataset& validation,
                    const CgapOptions& o, const CgapHooks& hooks = {}, const CgapProgress* from = nullptr);

double model_flops(const Model& m);  // per sample, nonzero weights (as nnc-eval)
double dense_flops(const Model& m);  // per sample, every weight (LayerStats::dense_flops)

}  // namespace nnc
