// SGD with momentum and weight decay (PyTorch's form), and learning-rate schedules.
#pragma once
#include <string>
#include <vector>

#include "nnc/nn/layer.hpp"

namespace nnc {

struct SgdOptions {
  double momentum = 0.9;
  double weight_decay = 5e-4;
};

// One step: g = grad + wd * w; v = momentum * v + g; w -= lr * v. Masked weights get no
// gradient and stay exactly zero. Non-trainable params are left alone.
void sgd_step(const std::vector<Param*>& params, double lr, const SgdOptions& opt);

// lr at a point of training: constant, step (x gamma every `step_epochs` epochs) or cosine
// (from lr down to 0 over the whole run), times a linear ramp from 0 over the first
// `warmup_epochs` (0: none).
struct Schedule {
  std::string kind = "cosine";  // constant | step | cosine
  double lr = 0.01;
  int step_epochs = 0;        // 0: a third of the epochs (at least 1)
  double gamma = 0.1;
  double warmup_epochs = 0;

  // `epoch` counts from 0; `progress` in [0, 1) is the fraction of the run done.
  double at(int epoch, int total_epochs, double progress) const;
};

}  // namespace nnc
