// decode_model on arbitrary bytes (an HDF5 file image in memory). A model that decodes must
// run a forward pass on its own input shape.
#include "common.hpp"
#include "nnc/io/artifact.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nnc::Bytes bytes(data, data + size);
  nnc::fuzz::refuse_only_with_error([&] {
    nnc::ModelArtifact a = nnc::decode_model(bytes, "fuzz.h5");
    if (a.model.macs() < 2e6) {
      nnc::Tensor x(1, a.model.input_shape());
      x.set_zero();
      const nnc::Tensor& y = a.model.forward(x, nnc::ForwardContext{});
      if (y.sample_size() != static_cast<std::size_t>(a.model.classes())) std::abort();
    }
  });
  nnc::fuzz::refuse_only_with_error([&] { nnc::artifact_kind(bytes, "fuzz.h5"); });
  return 0;
}
