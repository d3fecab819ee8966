// nnc-swprune's flags and its modes (docs/design.md section 8): Small-World sparse training,
// then iterative magnitude pruning inside the lattice to a parameter count (the default) or
// pruning by theta (--theta, --theta-sweep), fine-tuning, L and C; or, with --baseline
// magnitude, a dense model (--init, or trained here) pruned the same iterative way.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "nnc/algo/smallworld.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/registrar.hpp"
#include "nnc/cli/tool.hpp"

namespace nnc::cli {

struct SwpruneFlags {
  std::string arch = "lenet5";
  DataOptions data;
  TrainFlags train;  // the training before pruning: lr 0.02, augmentation on for every dataset
  double p = 0.0001;
  std::vector<double> density;  // empty: default_density(arch)
  double theta = 1.0;
  std::vector<double> thetas;
  double tolerance = 0.002;
  PruneGranularity granularity = PruneGranularity::weight;
  std::size_t target_params = 0;  // 0: default_target_params of the dense count
  int prune_steps = 5, retrain_epochs = 2, finetune_epochs = 6;
  double finetune_lr = 0.01;
  std::size_t limit_test = 0;
  bool magnitude_baseline = false;  // --baseline magnitude
  std::string init;
  MagnitudeScope scope = MagnitudeScope::global;
  std::vector<double> probe_thetas;  // --theta-probes: Figure 7's points of the trained model
  std::string checkpoint;            // empty: <output>.ckpt (none for -o -)
  bool resume = false;
  std::string output;  // registered by the tool (Tool::add_output), after these flags

  // --arch, the dataset and training flags, then Small-World's, pruning's and the baseline's,
  // with the flags of one mode excluding the other's.
  void Register(Registrar r);
};

// Trains, prunes and fine-tunes as the flags say, logs each evaluated model (JSON lines on
// stdout with tool.json) and writes the model to f.output. Every training phase checkpoints
// (as nnc-train does: epoch ends, --checkpoint-every, a stop); with --resume a run continues
// from its checkpoint, prints the records it had printed, and writes what the uninterrupted run
// would. A theta sweep resumes from its trained model (the fine-tunings of the thetas rerun).
void run_swprune(Tool& tool, SwpruneFlags& f);

}  // namespace nnc::cli
