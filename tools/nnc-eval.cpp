// nnc-eval: accuracy, loss, confusion and per-layer size of a model or a chip on a dataset's
// test split; on a model with device flags and --chips N, a Monte Carlo over N chips; on a chip,
// at other read-out conditions (--time, --read-noise, --adc-bits, ...) and --repeats K reads.
#include "nnc/cli/eval_run.hpp"
#include "nnc/cli/registrar.hpp"
#include "nnc/cli/tool.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-eval", "Evaluate a model, a chip, or N chips programmed from a model, on a test split.",
                 "nnc-eval <model.h5|chip.h5|-> --dataset <name> [--limit-test N] [--chips N device flags] "
                 "[chip: read-out flags, --repeats K] [--json]",
                 "nnc-eval exp/mnist/lenet5.h5 --dataset mnist --chips 5 --sigma 0.1 --json");
  cli::EvalFlags flags;
  flags.Register(tool.app());
  tool.add_json_flag();
  return tool.run(argc, argv, [&] { cli::run_eval(tool, flags); });
}
