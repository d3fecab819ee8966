#include "nnc/train/train.hpp"

#include <chrono>
#include <cmath>
#include <numeric>

#include "nnc/nn/error.hpp"
#include "nnc/nn/loss.hpp"
#include "nnc/nn/rng.hpp"
#include "nnc/nn/streams.hpp"
#include "nnc/train/stepper.hpp"

namespace nnc {

void train(Model& model, const Dataset& train_set, const Dataset& validation,
           const TrainOptions& o, TrainState& state, const TrainHooks& hooks) {
  if (o.epochs < 1 || o.batch < 1) throw Error("epochs and batch must be at least 1", ErrorKind::bad_input);
  Stepper stepper(model, train_set,
                  StepperOptions{o.batch, o.seed, stream::kShuffle, o.augment, o.augment_pad, o.augment_flip, o.cutout,
                                 o.label_smoothing});
  const int steps = stepper.steps_per_epoch();
  const int batch = stepper.batch();
  const std::uint64_t total_steps = static_cast<std::uint64_t>(steps) * o.epochs;
  const auto params = model.params();

  while (state.epoch < o.epochs) {
    const auto t0 = std::chrono::steady_clock::now();
    double lr = 0;
    stepper.seek(static_cast<std::uint64_t>(state.epoch) * steps + state.step);
    for (; state.step < steps; ++state.step) {
      if (hooks.should_stop && hooks.should_stop()) {
        if (hooks.checkpoint) hooks.checkpoint(model, state);
        return;
      }
      const StepResult r = stepper.step([&] {
        lr = o.schedule.at(state.epoch, o.epochs, static_cast<double>(stepper.position()) / total_steps);
        sgd_step(params, lr, o.sgd);
      });
      state.loss_sum += r.loss;
      state.correct_sum += r.correct;
      if (hooks.progress) hooks.progress(state, steps, r.loss / batch);
      if (o.checkpoint_every > 0 && (state.step + 1) % o.checkpoint_every == 0 && state.step + 1 < steps &&
          hooks.checkpoint) {
        TrainState next = state;
        next.step += 1;
        hooks.checkpoint(model, next);
      }
    }
    const double seen = static_cast<double>(steps) * batch;
    EpochRecord rec;
    rec.epoch = state.epoch + 1;
    rec.lr = lr;
    rec.train_loss = state.loss_sum / seen;
    rec.train_accuracy = state.correct_sum / seen;
    rec.val_loss = rec.val_accuracy = std::nan("");  // no validation: absent, not a measured 0
    if (validation.size() > 0) {
      const EvalResult v = evaluate(model, validation);
      rec.val_loss = v.loss;
      rec.val_accuracy = v.accuracy;
    }
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.history.push_back(rec);
    state.epoch += 1;
    state.step = 0;
    state.loss_sum = state.correct_sum = 0;
    if (hooks.epoch_end) hooks.epoch_end(rec);
    if (hooks.checkpoint) hooks.checkpoint(model, state);
  }
}

EvalResult evaluate(Model& model, const Dataset& data, std::size_t limit, int batch) {
  const std::size_t n = limit > 0 ? std::min(limit, data.size()) : data.size();
  EvalResult r;
  const int K = model.classes();
  r.confusion.assign(static_cast<std::size_t>(K) * K, 0);
  r.hits.assign(n, 0);
  std::vector<std::size_t> idx(static_cast<std::size_t>(batch));
  std::vector<int> labels(static_cast<std::size_t>(batch));
  Tensor x, logits;
  for (std::size_t start = 0; start < n; start += static_cast<std::size_t>(batch)) {
    const int b = static_cast<int>(std::min<std::size_t>(batch, n - start));
    std::iota(idx.begin(), idx.begin() + b, start);
    fill_batch(data, idx.data(), b, x, labels.data());
    model.infer(x, logits);
    const LossResult lr = softmax_cross_entropy(logits, labels.data(), nullptr);
    r.loss += lr.loss;
    for (int i = 0; i < b; ++i) {
      const int label = labels[static_cast<std::size_t>(i)], predicted = argmax(logits, i);
      r.confusion[static_cast<std::size_t>(label) * K + predicted] += 1;
      r.hits[start + static_cast<std::size_t>(i)] = label == predicted;
    }
    r.correct += static_cast<std::size_t>(lr.correct);
  }
  r.samples = n;
  r.loss = n ? r.loss / static_cast<double>(n) : 0;
  r.accuracy = n ? static_cast<double>(r.correct) / static_cast<double>(n) : 0;
  return r;
}

}  // namespace nnc
