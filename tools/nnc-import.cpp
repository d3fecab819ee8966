// nnc-import: an ONNX model (a chain or a residual network of the layers nnc has) to an nnc model file.
#include "nnc/cli/options.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/io/onnx.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-import", "Import an ONNX model into an nnc model file.",
                 "nnc-import <MODEL.onnx|-> -o <model.h5|-> [--arch-name NAME]",
                 "nnc-import exp/torch/lenet5.onnx -o exp/torch/lenet5.h5 --arch-name lenet5");
  std::string input, output, arch_name;
  tool.app().add_option("input", input, "ONNX model file, - for stdin")->required();
  tool.add_output(output, "nnc model file to write, - for stdout");
  tool.app().add_option("--arch-name", arch_name, "name recorded as the model's architecture [default: its spec]");

  return tool.run(argc, argv, [&] {
    check_writable(output);
    const Bytes bytes = read_bytes(input);
    tool.add_input("onnx", input, bytes, nullptr);
    OnnxImport im = import_onnx(bytes, input, arch_name);
    for (const auto& note : im.notes) cli::info(note);

    ModelArtifact out;
    out.model = std::move(im.model);
    out.creator = tool.name();
    out.provenance = tool.provenance();
    out.notes["onnx_producer"] = im.producer;
    out.notes["onnx_opset"] = std::to_string(im.opset);
    out.notes["onnx_input"] = im.input_name;
    out.notes["onnx_output"] = im.output_name;
    std::string notes;
    for (const auto& n : im.notes) notes += (notes.empty() ? "" : "; ") + n;
    if (!notes.empty()) out.notes["onnx_import_notes"] = notes;
    save_model(output, out);
    cli::info("imported " + input + " (" + im.producer + ", opset " + std::to_string(im.opset) + "): " +
              cli::model_summary(out.model) + " -> " + output);
  });
}
