// nnc-train: trains an architecture (preset or spec) on a dataset, or continues a model.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "nnc/cli/arch_report.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/registrar.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/cli/train_run.hpp"
#include "nnc/dist/dist.hpp"
#include "nnc/nn/error.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-train", "Train a network on a dataset and write the model.",
                 "nnc-train --arch <preset|spec> --dataset <name> [options] -o <model.h5|-> [--json]",
                 "nnc-train --arch lenet5 --dataset mnist --epochs 8 -o exp/mnist/lenet5.h5");
  tool.graceful_stop = true;
  std::string arch = "lenet5", init, output, checkpoint;
  bool resume = false;
  cli::DataOptions data;
  cli::TrainFlags flags;
  cli::Registrar reg(tool.app());
  reg.add("--arch", arch, "preset (lenet5, lenet300, cnn9, vgg16) or spec, e.g. c20k5,mp2,flat,fc10");
  data.Register(reg);
  flags.Register(reg, 1);
  reg.add("--init", init, "continue training this model instead of a fresh one");
  tool.add_output(output, "output model, - for stdout");
  reg.add("--checkpoint", checkpoint, "checkpoint file (default: <output>.ckpt)");
  reg.add_flag("--resume", resume, "continue from the checkpoint if there is one");
  tool.add_json_flag("print a summary (file, epochs, final train and validation numbers) as one JSON object");

  return tool.run(argc, argv, [&] {
    check_writable(output);
    if (checkpoint.empty() && output != "-") checkpoint = output + ".ckpt";
    const TrainOptions opt = flags.resolved(data.dataset, tool.seed);
    auto [train_set, val_set] = data.load_train();

    ModelArtifact out;
    if (!init.empty()) {
      out = cli::load_model_input(tool, init, "init");
      cli::check_model_fits(out.model, train_set, init, data.dataset);
      out.history.clear();
      out.series.clear();
    } else {
      out.model = cli::build_model(arch, train_set.shape, train_set.classes, data.dataset);
      out.model.init(tool.seed);
    }
    out.creator = tool.name();
    out.provenance = tool.provenance();
    TrainState state = cli::start_state(checkpoint, resume, opt.epochs, out);
    cli::info(cli::model_summary(out.model) + "; " + std::to_string(train_set.size()) + " training, " +
              (val_set.size() ? std::to_string(val_set.size()) : std::string("no")) + " validation images");
    cli::Progress progress("epoch", 0);
    train(out.model, train_set, val_set, opt, state, cli::train_hooks(out, checkpoint, opt, train_set.size(), progress));
    cli::check_interrupted(state, opt.epochs, checkpoint);
    out.model.check_finite();
    out.history = state.history;
    save_model(output, out);
    if (!checkpoint.empty() && dist::root()) std::filesystem::remove(checkpoint);  // rank 0 wrote it
    cli::info("wrote " + output);
    if (tool.json) std::cout << cli::train_json(output, data.dataset, data.dir(), out).dump() << std::endl;
  });
}
