// nnc-export: an nnc model file to an ONNX model (opset 13), pruned weights as exact zeros.
#include "nnc/cli/options.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/io/onnx.hpp"
#include "nnc/version.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-export", "Export an nnc model to ONNX (opset " + std::to_string(kOnnxOpset) + ").",
                 "nnc-export <model.h5|-> -o <MODEL.onnx|->",
                 "nnc-export exp/mnist/lenet5.h5 -o exp/mnist/lenet5.onnx");
  std::string input, output;
  tool.app().add_option("input", input, "nnc model file, - for stdin")->required();
  tool.app().add_option("-o,--output", output, "ONNX file to write, - for stdout")->required();

  return tool.run(argc, argv, [&] {
    check_writable(output);
    const ModelArtifact a = cli::load_model_input(tool, input);
    const Bytes bytes = export_onnx(a.model, a.model.arch(), kVersion);
    write_bytes_atomic(output, bytes);
    cli::info("exported " + input + " (" + cli::model_summary(a.model) + ") -> " + output + ", ONNX opset " +
              std::to_string(kOnnxOpset));
  });
}
