// nnc-program-rram: maps a model's conv and dense weights to RRAM crossbar tiles and programs
// them (one-shot write or read-verify-write), writing a self-contained chip file.
#include <cstdio>
#include <iostream>

#include "nnc/cli/chip_report.hpp"
#include "nnc/cli/device_flags.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/io/chip.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-program-rram", "Program a model onto simulated multi-level RRAM crossbars.",
                 "nnc-program-rram <model.h5|-> -o <chip.h5|-> [device flags] [--method oneshot|rvw]",
                 "nnc-program-rram exp/mnist/lenet5.h5 --sigma 0.1 --w-scale p99 -o exp/mnist/lenet5-chip.h5");
  auto& app = tool.app();
  std::string input, output;
  DeviceParams device;
  app.add_option("input", input, "model file, - for stdin")->required();
  tool.add_output(output, "output chip file, - for stdout");
  cli::register_device_flags(app, device);
  tool.add_json_flag("print a summary of the chip as JSON on stdout (needs -o to a file)");

  return tool.run(argc, argv, [&] {
    device.validate();
    check_writable(output);
    ChipArtifact chip;
    chip.model = cli::load_model_input(tool, input);
    cli::check_device_flags(device, chip.model.model);
    chip.chip = program_chip(chip.model.model, device, tool.seed);
    chip.creator = tool.name();
    chip.provenance = tool.provenance();
    save_chip(output, chip);
    Json summary = cli::chip_json(chip.chip);
    cli::info(output + ": " + std::to_string(chip.chip.layers.size()) + " layers on chip, " +
              summary.find("tiles")->dump() + " tiles, " + summary.find("sf1")->dump() + " SF1 and " +
              summary.find("sf0")->dump() + " SF0 cells" +
              (chip.chip.verified() ? ", R-V-W " + std::to_string(chip.chip.pulses()) + " pulses, " +
                                          summary.find("time_s")->dump() + " s modeled"
                                    : ""));
    if (tool.json) {
      summary.set("file", output).set("device", cli::device_json(device)).set("layers", cli::chip_layers_json(chip.chip));
      std::cout << summary.dump() << std::endl;
    }
  });
}
