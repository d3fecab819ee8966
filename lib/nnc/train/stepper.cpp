#include "nnc/train/stepper.hpp"

#include <algorithm>
#include <numeric>

#include "nnc/nn/error.hpp"
#include "nnc/nn/loss.hpp"
#include "nnc/nn/rng.hpp"

namespace nnc {

int steps_per_epoch(std::size_t n, int batch) {
  return std::max(1, static_cast<int>(n / static_cast<std::size_t>(batch)));
}

Stepper::Stepper(Model& model, const Dataset& data, const StepperOptions& options)
    : model_(model), data_(data), options_(options) {
  if (data.size() == 0) throw Error("training set is empty", ErrorKind::bad_input);
  if (options.batch < 1) throw Error("batch must be at least 1", ErrorKind::bad_input);
  batch_ = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(options.batch), data.size()));
  steps_per_epoch_ = nnc::steps_per_epoch(data.size(), options.batch);
  order_.resize(data.size());
  labels_.resize(static_cast<std::size_t>(batch_));
}

StepResult Stepper::step(const std::function<void()>& update) {
  StepResult r;
  r.global = global_;
  r.epoch = static_cast<int>(global_ / static_cast<std::uint64_t>(steps_per_epoch_));
  r.step = static_cast<int>(global_ % static_cast<std::uint64_t>(steps_per_epoch_));
  if (r.epoch != shuffled_) {
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    Rng rng(options_.seed, {options_.shuffle_stream, static_cast<std::uint64_t>(r.epoch)});
    shuffle(order_.begin(), order_.end(), rng);
    shuffled_ = r.epoch;
  }
  const Augment aug{options_.seed, static_cast<std::uint64_t>(r.epoch)};
  fill_batch(data_, order_.data() + static_cast<std::size_t>(r.step) * batch_, batch_, x_, labels_.data(),
             options_.augment ? &aug : nullptr);
  const Tensor& logits = model_.forward(x_, ForwardContext{true, options_.seed, global_, 0});
  const LossResult loss = softmax_cross_entropy(logits, labels_.data(), &dlogits_);
  model_.backward(dlogits_);
  if (update) update();
  r.loss = loss.loss;
  r.correct = loss.correct;
  ++global_;
  return r;
}

}  // namespace nnc
