// decode_fault_map on arbitrary bytes (CSV text or an HDF5 file image) for one fixed small chip
// (fault_map_chip below, also the corpus's: fuzz/make_corpus.cpp). A map that decodes must fit
// the chip and program it.
#include "common.hpp"
#include "nnc/device/chip.hpp"
#include "nnc/device/fault_map.hpp"
#include "nnc/io/fault_map_io.hpp"

namespace {

// Two mapped layers of several 4 x 4 tiles with a spare column per tile column.
const nnc::Model& fault_map_model() {
  static const nnc::Model m = [] {
    nnc::Model model("c2k3,flat,fc5", nnc::Shape{1, 5, 5}, 5);
    model.init(1);
    return model;
  }();
  return m;
}

nnc::DeviceParams fault_map_device() {
  nnc::DeviceParams d;
  d.tile = 4;
  d.spare_cols = 1;
  d.map = "fault-aware";
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const nnc::ChipState chip = nnc::map_to_tiles(fault_map_model(), fault_map_device(), 1);
  const nnc::Bytes bytes(data, data + size);
  nnc::fuzz::refuse_only_with_error([&] {
    const nnc::FaultMap faults = nnc::decode_fault_map(bytes, "fuzz.csv", chip);
    nnc::program_chip(fault_map_model(), fault_map_device(), 1, &faults);
  });
  return 0;
}
