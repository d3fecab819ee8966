// nnc-train: trains an architecture (preset or spec) on a dataset, or continues a model.
#include <cstdio>
#include <filesystem>

#include "nnc/cli/options.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/nn/error.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-train", "Train a network on a dataset and write the model.",
                 "nnc-train --arch <preset|spec> --dataset <name> [options] -o <model.h5|->",
                 "nnc-train --arch lenet5 --dataset mnist --epochs 8 -o exp/mnist/lenet5.h5");
  auto& app = tool.app();
  std::string arch = "lenet5", init, output, checkpoint;
  bool resume = false;
  cli::DataOptions data;
  cli::TrainFlags flags;
  app.add_option("--arch", arch, "preset (lenet5, lenet300, cnn9, vgg16) or spec, e.g. c20k5,mp2,flat,fc10");
  data.Register(app);
  flags.Register(app, 1);
  app.add_option("--init", init, "continue training this model instead of a fresh one");
  tool.add_output(output, "output model, - for stdout");
  app.add_option("--checkpoint", checkpoint, "checkpoint file (default: <output>.ckpt)");
  app.add_flag("--resume", resume, "continue from the checkpoint if there is one");

  return tool.run(argc, argv, [&] {
    check_writable(output);
    if (checkpoint.empty() && output != "-") checkpoint = output + ".ckpt";
    auto [train_set, val_set] = data.load_train();
    const TrainOptions opt = flags.resolved(data.dataset, tool.seed);

    ModelArtifact out;
    if (!init.empty()) {
      out = cli::load_model_input(tool, init, "init");
      cli::check_model_fits(out.model, train_set, init, data.dataset);
      out.history.clear();
      out.series.clear();
    } else {
      out.model = Model(arch, train_set.shape, train_set.classes);
      out.model.init(tool.seed);
    }
    out.creator = tool.name();
    out.provenance = tool.provenance();
    TrainState state;
    if (resume && !checkpoint.empty() && std::filesystem::exists(checkpoint)) {
      ModelArtifact ck = load_model(checkpoint);
      if (!ck.checkpoint) throw bad_input(checkpoint, "is a model, not a checkpoint");
      if (ck.provenance.config != out.provenance.config) {
        throw bad_input(checkpoint, "was written by a run with different options; remove it or rerun with the same flags");
      }
      out.model = std::move(ck.model);
      state = *ck.checkpoint;
      cli::info("resuming from " + checkpoint + " at epoch " + std::to_string(state.epoch + 1) + ", step " +
                std::to_string(state.step));
    }
    cli::info(cli::model_summary(out.model) + "; " + std::to_string(train_set.size()) + " training, " +
              std::to_string(val_set.size()) + " validation images");

    cli::Progress progress("epoch", 0);
    TrainHooks hooks;
    hooks.should_stop = [] { return cli::stop_requested(); };
    if (!checkpoint.empty()) {
      hooks.checkpoint = [&](const Model& m, const TrainState& st) {
        ModelArtifact ck = out;
        ck.model = m;
        ck.history = st.history;
        ck.checkpoint = st;
        save_model(checkpoint, ck);
      };
    }
    int shown_epoch = -1;
    double running = 0;
    hooks.progress = [&](const TrainState& st, int steps, double loss) {
      if (st.epoch != shown_epoch) {
        progress = cli::Progress("epoch " + std::to_string(st.epoch + 1) + "/" + std::to_string(opt.epochs),
                                 static_cast<std::size_t>(steps));
        shown_epoch = st.epoch;
        running = loss;
      }
      running = 0.98 * running + 0.02 * loss;
      char buf[64];
      std::snprintf(buf, sizeof buf, "loss %.4f", running);
      progress.update(static_cast<std::size_t>(st.step + 1), buf);
    };
    hooks.epoch_end = [&](const EpochRecord& r) {
      char buf[200];
      std::snprintf(buf, sizeof buf, "epoch %d: lr %.4g, train loss %.4f acc %.4f, val loss %.4f acc %.4f, %.1fs (%.0f img/s)",
                    r.epoch, r.lr, r.train_loss, r.train_accuracy, r.val_loss, r.val_accuracy, r.seconds,
                    static_cast<double>(steps_per_epoch(train_set.size(), opt.batch)) * opt.batch / r.seconds);
      cli::info(buf);
    };
    train(out.model, train_set, val_set, opt, state, hooks);
    if (cli::stop_requested()) {
      throw Error("interrupted" + (checkpoint.empty() ? std::string() : "; continue with --resume from " + checkpoint));
    }
    out.model.check_finite();
    out.history = state.history;
    save_model(output, out);
    if (!checkpoint.empty()) std::filesystem::remove(checkpoint);
    cli::info("wrote " + output);
  });
}
