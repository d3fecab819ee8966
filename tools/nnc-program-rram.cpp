// nnc-program-rram: maps a model's conv and dense weights to RRAM crossbar tiles and programs
// them (one-shot write or read-verify-write), writing a self-contained chip file.
#include <iostream>

#include "nnc/cli/chip_report.hpp"
#include "nnc/cli/device_flags.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/registrar.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/io/chip.hpp"
#include "nnc/io/fault_map_io.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-program-rram", "Program a model onto simulated multi-level RRAM crossbars.",
                 "nnc-program-rram <model.h5|-> -o <chip.h5|-> [device flags] [--method oneshot|rvw] [--map fault-aware] "
                 "[--fault-map FILE]",
                 "nnc-program-rram exp/mnist/lenet5.h5 --sigma 0.1 --w-scale p99 -o exp/mnist/lenet5-chip.h5");
  std::string input, output, fault_map_in, fault_map_out;
  DeviceParams device;
  cli::Registrar reg(tool.app());
  reg.add("input", input, "model file, - for stdin")->required();
  tool.add_output(output, "output chip file, - for stdout");
  cli::register_device_flags(reg, device);
  reg.add("--fault-map", fault_map_in,
          "measured fault map (CSV or HDF5, docs/schema.md \"Fault maps and fault-aware mapping\"), used instead of drawn faults");
  reg.add("--write-fault-map", fault_map_out,
          "also write the chip's fault map (drawn or read) to FILE: CSV if it ends in .csv, else HDF5");
  tool.add_json_flag("print a summary of the chip as JSON on stdout (needs -o to a file)");

  return tool.run(argc, argv, [&] {
    device.validate();
    if (fault_map_out == "-" || (!fault_map_out.empty() && fault_map_out == output)) {
      throw CLI::ValidationError("--write-fault-map: needs a file of its own (not -, not the -o file)");
    }
    check_writable(output);
    if (!fault_map_out.empty()) check_writable(fault_map_out);
    ChipArtifact chip;
    chip.model = cli::load_model_input(tool, input);
    cli::check_device_flags(device, chip.model.model);
    // The fault map is known before programming: measured (--fault-map), or drawn from the seed.
    const ChipState unwritten = map_to_tiles(chip.model.model, device, tool.seed);
    FaultMap faults;
    if (!fault_map_in.empty()) {
      if (!fault_map_out.empty()) cli::check_not_input(fault_map_out, fault_map_in);
      const Bytes bytes = read_bytes(fault_map_in);
      tool.add_input("fault_map", fault_map_in, bytes, nullptr);
      faults = decode_fault_map(bytes, fault_map_in, unwritten);
    } else {
      faults = draw_fault_map(unwritten);
    }
    if (!fault_map_out.empty()) cli::check_not_input(fault_map_out, input);
    chip.chip = program_chip(chip.model.model, device, tool.seed, &faults);
    chip.creator = tool.name();
    chip.provenance = tool.provenance();
    save_chip(output, chip);
    if (!fault_map_out.empty()) save_fault_map(fault_map_out, faults, tool.name());
    cli::info(cli::programmed_text(output, chip.chip, device.map));
    if (tool.json) {
      Json summary = cli::chip_json(chip.chip);
      summary.set("file", output).set("device", cli::device_json(device)).set("layers", cli::chip_layers_json(chip.chip));
      summary.set("fault_map", fault_map_in.empty() ? Json() : Json(fault_map_in));
      std::cout << summary.dump() << std::endl;
    }
  });
}
