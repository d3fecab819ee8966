// The ONNX importer on arbitrary bytes: summarize_onnx, import_onnx and read_onnx_tensor.
#include "common.hpp"
#include "nnc/io/onnx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nnc::Bytes bytes(data, data + size);
  nnc::fuzz::refuse_only_with_error([&] { nnc::summarize_onnx(bytes, "fuzz.onnx"); });
  nnc::fuzz::refuse_only_with_error([&] { nnc::import_onnx(bytes, "fuzz.onnx"); });
  nnc::fuzz::refuse_only_with_error([&] { nnc::read_onnx_tensor(bytes, "fuzz.pb"); });
  return 0;
}
