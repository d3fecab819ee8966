// nnc-cgap: Continuous Growth and Pruning: grows a seed network by saliency, then prunes it.
#include <filesystem>
#include <iostream>

#include "nnc/algo/cgap.hpp"
#include "nnc/cli/cgap_report.hpp"
#include "nnc/cli/cgap_run.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/registrar.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/dist/dist.hpp"
#include "nnc/nn/error.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-cgap", "Grow a seed network by saliency to a peak, then prune filters and neurons.",
                 "nnc-cgap --arch <preset|spec> --dataset <name> [options] -o <model.h5|->",
                 "nnc-cgap --arch lenet5 --dataset mnist --epochs 10 -o exp/mnist/cgap.h5");
  tool.graceful_stop = true;
  std::string arch = "lenet5", output;
  cli::DataOptions data;
  data.needs_validation = true;  // selections are made on the validation images
  cli::CgapFlags cgap;
  cli::Registrar reg(tool.app());
  reg.add("--arch", arch, "template whose widths are grown: preset or spec");
  data.Register(reg);
  cgap.Register(reg);
  tool.add_output(output, "output model, - for stdout");
  tool.add_json_flag("print a summary (widths and accuracy, params, FLOPs at seed, peak and end) as JSON on stdout");

  return tool.run(argc, argv, [&] {
    check_writable(output);
    const std::string checkpoint = cgap.checkpoint.empty() && output != "-" ? output + ".ckpt" : cgap.checkpoint;
    const CgapOptions o = cgap.resolved(data.dataset, tool.seed);
    auto [train_set, val_set] = data.load_train();
    const Dataset test = data.load_test();

    Model templ(arch, train_set.shape, train_set.classes);
    templ.init(tool.seed);  // FLOPs count nonzero weights: the full-width template, initialized
    ModelArtifact out;
    out.model = cgap_seed(arch, train_set.shape, train_set.classes, o, tool.seed);
    out.creator = tool.name();
    out.provenance = tool.provenance();
    cli::info("template " + cli::model_summary(templ));
    cli::info("seed " + cli::model_summary(out.model) + "; " + std::to_string(train_set.size()) + " training, " +
              std::to_string(val_set.size()) + " validation images");

    const auto from = cli::cgap_start(checkpoint, cgap.resume, out);  // the checkpoint's model, if any
    const CgapResult res = run_cgap(out.model, templ, train_set, val_set, o,
                                    cli::cgap_hooks(out, checkpoint, o.train.checkpoint_every), from ? &*from : nullptr);
    if (const std::string never = cli::never_grew_text(res); !never.empty()) cli::warn(never);
    out.model.check_finite();
    out.model.set_arch(arch);
    cli::record_cgap(out, res, templ);  // widths per step, and what each step cost and scored
    save_model(output, out);
    if (!checkpoint.empty() && dist::root()) std::filesystem::remove(checkpoint);  // rank 0 wrote it

    // Test accuracy at the end, and of the peak as recorded (the seed untrained).
    const double test_end = evaluate(out.model, test).accuracy;
    cli::info(cli::cgap_end_text(res, templ, test_end));
    cli::info("wrote " + output);
    if (tool.json) std::cout << cli::cgap_json(res, templ, arch, data.dataset, o.train.epochs, test_end).dump(2) << std::endl;
  });
}
