// nnc-rsa-adapt: Random Sparse Adaptation of a programmed chip (docs/design.md section 7): selects
// RSA cells per tile, trains their values by backprop with the RRAM read-only, and writes the
// chip with an /rsa group (the RRAM state is copied unchanged). With --recalibrate-bn it first
// re-estimates the batch-norm statistics on the chip (the baseline beside RSA) and writes them
// into the chip's model part.
#include "nnc/cli/registrar.hpp"
#include "nnc/cli/rsa_run.hpp"
#include "nnc/cli/tool.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-rsa-adapt", "Repair a programmed RRAM chip with Random Sparse Adaptation (RSA cells trained, RRAM read-only).",
                 "nnc-rsa-adapt <chip.h5|-> --dataset <name> -o <chip.h5|-> [--density F] [--mode additive|replace] "
                 "[--selection balanced|random] [--epochs N] [--lr X] [--batch N] [--no-augment] [--limit-train N] [--recalibrate-bn]",
                 "nnc-rsa-adapt exp/mnist/lenet5-chip.h5 --dataset mnist --density 0.05 --limit-train 10000 -o exp/mnist/lenet5-rsa.h5");
  tool.graceful_stop = true;
  cli::RsaFlags flags;
  cli::Registrar reg(tool.app());
  reg.add("input", flags.input, "chip file, - for stdin")->required();
  tool.add_output(flags.output, "output chip file, - for stdout");
  flags.Register(reg);
  tool.add_json_flag("print the report as one JSON object on stdout (needs -o to a file)");
  return tool.run(argc, argv, [&] { cli::run_rsa_adapt(tool, flags); });
}
