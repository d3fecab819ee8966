// load_cifar on arbitrary bytes, read as a CIFAR-10 batch and as a CIFAR-100 batch.
#include "common.hpp"
#include "nnc/data/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nnc::fuzz::TempFile batch("batch", data, size);
  for (const bool cifar100 : {false, true}) {
    nnc::fuzz::refuse_only_with_error([&] {
      const nnc::Dataset ds = nnc::load_cifar({batch.path()}, cifar100);
      if (ds.pixels.size() != ds.size() * ds.shape.size()) std::abort();
      for (auto l : ds.labels) if (l >= ds.classes) std::abort();
    });
  }
  return 0;
}
