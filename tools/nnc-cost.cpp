// nnc-cost: what a chip costs for one inference image (energy by component, ADC conversions,
// latency, area, per layer and in total) and to program it (docs/design.md section 14).
#include "nnc/cli/cost_run.hpp"
#include "nnc/cli/registrar.hpp"
#include "nnc/cli/tool.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-cost", "Estimate the energy, latency and area of a chip (or a model on the default device) per image.",
                 "nnc-cost <chip.h5|model.h5|-> [--dataset <name> --limit-test N] [--adc-bits B] [--json]",
                 "nnc-cost exp/mnist/chips/s0.1-1.h5 --dataset mnist --json");
  cli::CostFlags flags;
  flags.Register(tool.app());
  tool.add_json_flag();
  return tool.run(argc, argv, [&] { cli::run_cost(tool, flags); });
}
