// nnc-export: an nnc model file (a chain or a graph), or the model a chip computes, to an ONNX
// model (opset 13), pruned weights as exact zeros.
#include "nnc/algo/rsa.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/io/chip.hpp"
#include "nnc/io/onnx.hpp"
#include "nnc/version.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-export", "Export an nnc model, or a chip as programmed, to ONNX (opset " +
                                   std::to_string(kOnnxOpset) + ").",
                 "nnc-export <model.h5|chip.h5|-> -o <MODEL.onnx|-> [--as-programmed]",
                 "nnc-export exp/mnist/lenet5.h5 -o exp/mnist/lenet5.onnx");
  std::string input, output;
  bool as_programmed = false;
  tool.app().add_option("input", input, "nnc model or chip file, - for stdin")->required();
  tool.add_output(output, "ONNX file to write, - for stdout");
  tool.app().add_flag("--as-programmed", as_programmed,
                      "of a chip: export the weights its conductances compute (read back), RSA included, "
                      "instead of the model it was programmed from");

  return tool.run(argc, argv, [&] {
    check_writable(output);
    const Bytes bytes = read_bytes(input);
    const std::string kind = artifact_kind(bytes, input);
    Model model;
    if (kind == "chip") {
      const ChipArtifact chip = decode_chip(bytes, input);
      tool.add_input("chip", input, bytes, &chip.provenance);
      model = chip.model.model;
      if (as_programmed) {
        model = read_back_weights(chip.chip, chip.model.model);
        if (chip.rsa) apply_rsa(model, chip.rsa->state);
        cli::info("exporting the weights read back from the chip" +
                  std::string(chip.rsa ? ", with its RSA cells" : " (not RSA-adapted)"));
      } else {
        cli::info("exporting the model the chip was programmed from (--as-programmed for the chip's weights)");
      }
    } else {
      if (as_programmed) throw bad_input(input, "is an nnc model; --as-programmed needs a chip file");
      const ModelArtifact a = decode_model(bytes, input);
      tool.add_input("model", input, bytes, &a.provenance);
      model = a.model;
    }
    write_bytes_atomic(output, export_onnx(model, model.arch(), kVersion));
    cli::info("exported " + input + " (" + cli::model_summary(model) + ") -> " + output + ", ONNX opset " +
              std::to_string(kOnnxOpset));
  });
}
