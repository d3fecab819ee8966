// Softmax cross-entropy over a batch of logits.
#pragma once
#include "nnc/nn/tensor.hpp"

namespace nnc {

struct LossResult {
  double loss = 0;  // sum over the batch of the cross-entropy against the (smoothed) target
  int correct = 0;  // samples whose arg max is the label
};

// Cross-entropy of softmax(logits) against the target (1 - smoothing) onehot + smoothing / K
// (label smoothing, Szegedy et al. 2016; smoothing 0: -log softmax(logits)[label]). Mean-loss
// gradient into dlogits (when given): (softmax - target) / n.
LossResult softmax_cross_entropy(const Tensor& logits, const int* labels, Tensor* dlogits, double smoothing = 0);

// Index of the largest logit of sample i (the first one on ties).
int argmax(const Tensor& logits, int i);

}  // namespace nnc
