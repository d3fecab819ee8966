// nnc-info: what nnc artifacts are (kind, schema version, layers, history, provenance chain), and
// what an architecture expands to before any training (--arch, --presets).
#include <cstdio>
#include <iostream>

#include "nnc/cli/arch_report.hpp"
#include "nnc/cli/info_report.hpp"
#include "nnc/cli/tool.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-info", "Describe nnc artifacts (models, chips), or an architecture before training.",
                 "nnc-info <file|->... [--json] | nnc-info --arch <preset|spec> [--input CxHxW] [--json] | nnc-info --presets",
                 "nnc-info exp/mnist/lenet5.h5 exp/mnist/lenet5-chip.h5");
  auto& app = tool.app();
  tool.drop_run_flags();
  std::vector<std::string> inputs;
  std::string arch, input_shape;
  bool list_presets = false;
  app.add_option("inputs", inputs, "artifact files, - for stdin; one report each (JSON: one object per line)");
  auto* arch_opt = app.add_option("--arch", arch, "describe a preset or spec: layers, output shapes, parameters, input");
  app.add_option("--input", input_shape, "--arch: the input shape CxHxW (default: the preset's, else 1x28x28)")
      ->needs(arch_opt);
  app.add_flag("--presets", list_presets, "list the presets with their specs, inputs and parameters");
  tool.add_json_flag("print each report as one JSON object on one line of stdout");

  return tool.run(argc, argv, [&] {
    if (inputs.empty() && arch.empty() && !list_presets) throw CLI::RequiredError("a file, --arch or --presets");
    if (list_presets) {
      if (tool.json) std::cout << cli::presets_json().dump() << std::endl;
      else std::printf("%s", cli::presets_text().c_str());
    }
    if (!arch.empty()) {
      const Model m = cli::describe_arch(arch, input_shape);
      if (tool.json) std::cout << cli::arch_json(m).dump() << std::endl;
      else std::printf("%s", cli::arch_text(m).c_str());
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Bytes bytes = read_bytes(inputs[i]);
      if (tool.json) {
        std::cout << cli::artifact_info_json(bytes, inputs[i]).dump() << std::endl;
      } else {
        std::printf("%s%s", i ? "\n" : "", cli::artifact_info_text(bytes, inputs[i]).c_str());
      }
    }
  });
}
