// nnc-swprune: Small-World pruning (docs/design.md section 8): builds a Watts-Strogatz sparse
// structure, trains it with the mask fixed, then prunes it inside the lattice by magnitude to a
// parameter count in retrained steps (default) or by theta x the std of each layer's surviving
// weights (--theta, --theta-sweep), fine-tunes, and reports L and C; or, with --baseline
// magnitude, prunes a dense model (--init, or trained here) the same iterative way.
#include "nnc/cli/registrar.hpp"
#include "nnc/cli/swprune_run.hpp"
#include "nnc/cli/tool.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-swprune", "Small-World pruning: build a sparse Watts-Strogatz network, train, prune it inside the lattice, fine-tune.",
                 "nnc-swprune --arch <preset|spec> --dataset <name> [--density D|D1,D2,..] [--p P] "
                 "[--target-params N|--theta T|--theta-sweep a,b,c] -o <model.h5|->\n"
                 "       nnc-swprune --baseline magnitude [--init <dense.h5>] --target-params N --dataset <name> -o <model.h5|->",
                 "nnc-swprune --arch lenet5 --dataset mnist --seed 1 -o exp/mnist/sw.h5");
  tool.graceful_stop = true;
  cli::SwpruneFlags flags;
  flags.Register(tool.app());
  tool.add_output(flags.output, "output model, - for stdout");
  tool.add_json_flag("print one JSON record per theta (and a summary) on stdout");
  return tool.run(argc, argv, [&] { cli::run_swprune(tool, flags); });
}
