// load_idx on arbitrary bytes: the input is split into an image file and a label file (the
// first 4 bytes, little-endian, give the image file's length), each plain or gzip by content.
// Each half is also tried alone against itself, so a lone header reaches both readers.
#include <algorithm>
#include <cstring>

#include "common.hpp"
#include "nnc/data/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  std::uint32_t split = 0;
  std::memcpy(&split, data, 4);
  data += 4;
  size -= 4;
  const std::size_t n = std::min<std::size_t>(split, size);
  nnc::fuzz::TempFile images("images", data, n), labels("labels", data + n, size - n);
  nnc::fuzz::refuse_only_with_error([&] {
    const nnc::Dataset ds = nnc::load_idx(images.path(), labels.path());
    // A dataset that loads must be consistent: one label per image, each < classes.
    if (ds.pixels.size() != ds.size() * ds.shape.size()) std::abort();
    for (auto l : ds.labels) if (l >= ds.classes) std::abort();
  });
  nnc::fuzz::refuse_only_with_error([&] { nnc::load_idx(images.path(), images.path()); });
  nnc::fuzz::refuse_only_with_error([&] { nnc::load_idx(labels.path(), labels.path()); });
  return 0;
}
