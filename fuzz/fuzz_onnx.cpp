// The ONNX importer on arbitrary bytes: summarize_onnx, import_onnx and read_onnx_tensor. A
// model that imports (a chain or a graph) must run a forward pass on its own input shape.
#include "common.hpp"
#include "nnc/io/onnx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nnc::Bytes bytes(data, data + size);
  nnc::fuzz::refuse_only_with_error([&] { nnc::summarize_onnx(bytes, "fuzz.onnx"); });
  nnc::fuzz::refuse_only_with_error([&] {
    nnc::OnnxImport im = nnc::import_onnx(bytes, "fuzz.onnx");
    if (im.model.macs() < 2e6) {
      nnc::Tensor x(1, im.model.input_shape());
      x.set_zero();
      const nnc::Tensor& y = im.model.forward(x, nnc::ForwardContext{});
      if (y.sample_size() != static_cast<std::size_t>(im.model.classes())) std::abort();
    }
  });
  nnc::fuzz::refuse_only_with_error([&] { nnc::read_onnx_tensor(bytes, "fuzz.pb"); });
  return 0;
}
