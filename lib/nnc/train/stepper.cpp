#include "nnc/train/stepper.hpp"

#include <algorithm>
#include <numeric>

#include "nnc/dist/dist.hpp"
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
  if (batch_ < dist::size()) {
    throw Error("a batch of " + std::to_string(batch_) + " samples cannot be shared by " +
                    std::to_string(dist::size()) + " ranks",
                ErrorKind::bad_input);
  }
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
  const Augment aug{options_.seed, static_cast<std::uint64_t>(r.epoch), options_.augment_pad, options_.augment_flip,
                    options_.cutout};
  const dist::Share mine = dist::share(static_cast<std::size_t>(batch_));  // all of it on one rank
  fill_batch(data_, order_.data() + static_cast<std::size_t>(r.step) * batch_ + mine.begin,
             static_cast<int>(mine.size()), x_, labels_.data(), options_.augment ? &aug : nullptr);
  const Tensor& logits = model_.forward(x_, ForwardContext{true, options_.seed, global_, 0, mine.begin});
  const LossResult loss = softmax_cross_entropy(logits, labels_.data(), &dlogits_, options_.label_smoothing);
  r.loss = loss.loss;
  r.correct = loss.correct;
  if (dist::size() > 1) {  // the gradient of the whole batch's mean loss, not of this share's
    const double scale = static_cast<double>(mine.size()) / batch_;
    for (std::size_t i = 0; i < dlogits_.size(); ++i) {
      dlogits_.data()[i] = static_cast<Real>(dlogits_.data()[i] * scale);
    }
  }
  model_.backward(dlogits_);
  if (dist::size() > 1) reduce_over_ranks(r);
  if (update) update();
  ++global_;
  return r;
}

void Stepper::reduce_over_ranks(StepResult& r) {
  grads_.clear();
  statistics_.clear();
  const auto params = model_.params();
  for (const Param* p : params) {
    if (p->trainable) {
      grads_.insert(grads_.end(), p->grad.data(), p->grad.data() + p->size());
    } else {
      statistics_.insert(statistics_.end(), p->value.data(), p->value.data() + p->size());
    }
  }
  statistics_.push_back(r.loss);
  statistics_.push_back(r.correct);
  dist::sum(grads_);
  dist::sum(statistics_);
  // Summed in double, the mean of R equal floats is that float again (frozen batch norm).
  const double ranks = dist::size();
  std::size_t g = 0, s = 0;
  for (Param* p : params) {
    if (p->trainable) {
      std::copy(grads_.begin() + static_cast<std::ptrdiff_t>(g), grads_.begin() + static_cast<std::ptrdiff_t>(g + p->size()),
                p->grad.data());
      g += p->size();
    } else {
      for (std::size_t i = 0; i < p->size(); ++i) p->value.data()[i] = static_cast<Real>(statistics_[s + i] / ranks);
      s += p->size();
    }
  }
  r.loss = statistics_[s];
  r.correct = statistics_[s + 1];
}

}  // namespace nnc
