#include "nnc/cli/train_run.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "nnc/cli/report.hpp"
#include "nnc/nn/error.hpp"

namespace nnc::cli {

TrainState start_state(const std::string& checkpoint, bool resume, int epochs, ModelArtifact& out) {
  if (!resume || checkpoint.empty() || !std::filesystem::exists(checkpoint)) return {};
  ModelArtifact ck = load_model(checkpoint);
  if (!ck.checkpoint) throw bad_input(checkpoint, "is a model, not a checkpoint");
  if (ck.provenance.config != out.provenance.config) {
    throw bad_input(checkpoint, "was written by a run with different options; remove it or rerun with the same flags");
  }
  out.model = std::move(ck.model);
  TrainState state = *ck.checkpoint;
  if (state.epoch >= epochs) {
    info(checkpoint + " holds the finished run (" + std::to_string(state.epoch) + " of " + std::to_string(epochs) +
         " epochs); writing its model");
  } else {
    info("resuming from " + checkpoint + " at epoch " + std::to_string(state.epoch + 1) + ", step " +
         std::to_string(state.step));
  }
  return state;
}

TrainHooks train_hooks(const ModelArtifact& out, const std::string& checkpoint, const TrainOptions& options,
                       std::size_t train_images, Progress& progress) {
  TrainHooks hooks;
  hooks.should_stop = [] { return stop_requested(); };
  if (!checkpoint.empty()) {
    hooks.checkpoint = [artifact = &out, path = &checkpoint](const Model& m, const TrainState& st) {
      ModelArtifact ck = *artifact;
      ck.model = m;
      ck.history = st.history;
      ck.checkpoint = st;
      save_model(*path, ck);
    };
  }
  // The batch the stepper uses (never more than the training images), so that the bar's mean
  // is the epoch's train loss so far, exactly what the epoch line then reports.
  const double batch = static_cast<double>(std::min<std::size_t>(static_cast<std::size_t>(options.batch), train_images));
  const int epochs = options.epochs;
  auto shown_epoch = std::make_shared<int>(-1);
  hooks.progress = [bar = &progress, shown_epoch, batch, epochs](const TrainState& st, int steps, double) {
    if (st.epoch != *shown_epoch) {
      *bar = Progress("epoch " + std::to_string(st.epoch + 1) + "/" + std::to_string(epochs),
                          static_cast<std::size_t>(steps));
      *shown_epoch = st.epoch;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "loss %.4f", st.loss_sum / ((st.step + 1) * batch));
    bar->update(static_cast<std::size_t>(st.step + 1), buf);
  };
  const double images_per_epoch = static_cast<double>(steps_per_epoch(train_images, options.batch)) * batch;
  hooks.epoch_end = [images_per_epoch](const EpochRecord& r) { info(epoch_text(r, images_per_epoch / r.seconds)); };
  return hooks;
}

std::string epoch_text(const EpochRecord& r, double images_per_second) {
  char buf[200];
  char val[80] = "no validation";
  if (!std::isnan(r.val_loss)) std::snprintf(val, sizeof val, "val loss %.4f acc %.4f", r.val_loss, r.val_accuracy);
  std::snprintf(buf, sizeof buf, "epoch %d: lr %.4g, train loss %.4f acc %.4f, %s, %.1fs (%.0f img/s)", r.epoch, r.lr,
                r.train_loss, r.train_accuracy, val, r.seconds, images_per_second);
  return buf;
}

void check_interrupted(const TrainState& state, int epochs, const std::string& checkpoint) {
  if (!stop_requested()) return;
  if (state.epoch < epochs) {
    throw Error("interrupted" + (checkpoint.empty() ? std::string() : "; continue with --resume from " + checkpoint),
                ErrorKind::interrupted);
  }
  info("interrupted after the last epoch: writing the whole output first");
}

Json history_json(const std::vector<EpochRecord>& history) {
  Json hist = Json::array();
  for (const auto& e : history) {
    hist.push(Json::object().set("epoch", e.epoch).set("lr", e.lr).set("train_loss", e.train_loss)
                  .set("train_accuracy", e.train_accuracy).set("val_loss", e.val_loss)
                  .set("val_accuracy", e.val_accuracy));
  }
  return hist;
}

Json train_json(const std::string& output, const std::string& dataset, const std::string& data_dir,
                const ModelArtifact& out) {
  Json j = Json::object();
  j.set("file", output).set("dataset", dataset).set("data_dir", data_dir).set("arch", out.model.arch());
  j.set("spec", out.model.spec());
  set_param_counts(j, out.model.param_counts());
  j.set("epochs", static_cast<int>(out.history.size()));
  const EpochRecord last = out.history.empty() ? EpochRecord{} : out.history.back();
  const double none = std::nan("");
  j.set("train_loss", out.history.empty() ? none : last.train_loss);
  j.set("train_accuracy", out.history.empty() ? none : last.train_accuracy);
  j.set("val_loss", out.history.empty() ? none : last.val_loss);
  j.set("val_accuracy", out.history.empty() ? none : last.val_accuracy);
  j.set("history", history_json(out.history));
  return j;
}

}  // namespace nnc::cli
