// nnc-eval: accuracy, loss, confusion and per-layer size of a model on a dataset's test split.
#include <cstdio>
#include <iostream>

#include "nnc/cli/options.hpp"
#include "nnc/cli/report.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/error.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-eval", "Evaluate a model on a dataset's test split.",
                 "nnc-eval <model.h5|-> --dataset <name> [--limit N] [--json]",
                 "nnc-eval exp/mnist/lenet5.h5 --dataset mnist --json");
  auto& app = tool.app();
  std::string input;
  std::size_t limit = 0;
  int batch = 1000;
  cli::DataOptions data;
  app.add_option("input", input, "model file, - for stdin")->required();
  data.Register(app, false);
  app.add_option("--limit", limit, "evaluate only the first N test images (0 = all)");
  app.add_option("--batch", batch, "inference batch size")->check(CLI::Range(1, 1 << 20));
  tool.add_json_flag();

  return tool.run(argc, argv, [&] {
    ModelArtifact a = cli::load_model_input(tool, input);
    Dataset test = data.load_test(limit);
    if (a.model.input_shape() != test.shape || a.model.classes() != test.classes) {
      throw bad_input(input, "model takes " + a.model.input_shape().str() + " inputs and " +
                                 std::to_string(a.model.classes()) + " classes; " + data.dataset + " has " +
                                 test.shape.str() + " and " + std::to_string(test.classes));
    }
    const EvalResult r = evaluate(a.model, test, 0, batch);
    const auto stats = layer_stats(a.model);
    if (tool.json) {
      Json j = cli::eval_json(r);
      j.set("dataset", data.dataset).set("kind", "model");
      j.set("params", a.model.param_count()).set("nonzero_params", a.model.nonzero_param_count());
      j.set("layers", cli::layers_json(stats));
      std::cout << j.dump() << std::endl;
      return;
    }
    std::printf("%s on %s test (%zu images): accuracy %.4f, loss %.4f\n", input.c_str(), data.dataset.c_str(),
                r.samples, r.accuracy, r.loss);
    std::printf("%s", cli::layers_text(stats).c_str());
  });
}
