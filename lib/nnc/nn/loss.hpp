// Softmax cross-entropy over a batch of logits.
#pragma once
#include "nnc/nn/tensor.hpp"

namespace nnc {

struct LossResult {
  double loss = 0;  // sum over the batch of -log softmax(logits)[label]
  int correct = 0;  // samples whose arg max is the label
};

// Mean-loss gradient into dlogits (when given): (softmax - onehot) / n.
LossResult softmax_cross_entropy(const Tensor& logits, const int* labels, Tensor* dlogits);

// Index of the largest logit of sample i (the first one on ties).
int argmax(const Tensor& logits, int i);

}  // namespace nnc
