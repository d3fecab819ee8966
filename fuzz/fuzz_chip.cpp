// decode_chip on arbitrary bytes (an HDF5 file image in memory). A chip that decodes must
// read back into a model of its model part's shapes.
#include "common.hpp"
#include "nnc/device/chip.hpp"
#include "nnc/io/chip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nnc::Bytes bytes(data, data + size);
  nnc::fuzz::refuse_only_with_error([&] {
    const nnc::ChipArtifact a = nnc::decode_chip(bytes, "fuzz.h5");
    nnc::read_back_weights(a.chip, a.model.model);
  });
  return 0;
}
