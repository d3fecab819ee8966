// CIFAR-10 and CIFAR-100 binary batches. A record's pixels are already [C][H][W]
// (1024 R, 1024 G, 1024 B, each row-major), so they are copied as they are.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "nnc/data/dataset.hpp"
#include "nnc/nn/error.hpp"

namespace nnc {

Dataset load_cifar(const std::vector<std::string>& files, bool cifar100) {
  constexpr std::size_t kPixels = 3 * 32 * 32;
  const std::size_t label_bytes = cifar100 ? 2 : 1;  // CIFAR-100: coarse, then fine
  const std::size_t record = label_bytes + kPixels;

  if (files.empty()) throw Error("load_cifar: no files given", ErrorKind::bad_input);
  Dataset ds;
  ds.name = cifar100 ? "cifar100" : "cifar10";
  ds.shape = Shape{3, 32, 32};
  ds.classes = cifar100 ? 100 : 10;
  ds.mean = {0.4914f, 0.4822f, 0.4465f};
  ds.std = {0.2470f, 0.2435f, 0.2616f};

  // Sizes are checked first so the buffers are allocated once, at the size really on disk.
  std::size_t total = 0;
  std::vector<std::size_t> records;
  for (const auto& path : files) {
    require_file(path);
    const std::uintmax_t bytes = std::filesystem::file_size(path);
    if (bytes == 0 || bytes % record != 0) {
      throw bad_input(path, "truncated: expected whole " + std::to_string(record) +
                                "-byte records, file has " + std::to_string(bytes) + " bytes (" +
                                std::to_string(bytes / record) + " records and " +
                                std::to_string(bytes % record) + " bytes over)");
    }
    records.push_back(bytes / record);
    total += bytes / record;
  }
  ds.pixels.resize(total * kPixels);
  ds.labels.resize(total);

  std::vector<char> buf(record);
  std::size_t at = 0;
  for (std::size_t f = 0; f < files.size(); ++f) {
    std::ifstream in(files[f], std::ios::binary);
    if (!in) throw bad_input(files[f], "cannot open for reading");
    for (std::size_t r = 0; r < records[f]; ++r, ++at) {
      if (!in.read(buf.data(), static_cast<std::streamsize>(record))) {
        throw bad_input(files[f], "read error in record " + std::to_string(r));
      }
      const auto coarse = static_cast<std::uint8_t>(buf[0]);
      const auto label = static_cast<std::uint8_t>(buf[label_bytes - 1]);
      if ((cifar100 && coarse >= 20) || label >= ds.classes) {
        throw bad_input(files[f], "record " + std::to_string(r) + " has label " +
                                      (cifar100 ? std::to_string(coarse) + "/" : std::string()) +
                                      std::to_string(label) + ", expected " +
                                      (cifar100 ? "coarse < 20 and fine < 100" : "0 to 9"));
      }
      ds.labels[at] = label;
      std::copy(buf.begin() + static_cast<std::ptrdiff_t>(label_bytes), buf.end(),
                ds.pixels.begin() + static_cast<std::ptrdiff_t>(at * kPixels));
    }
  }
  return ds;
}

}  // namespace nnc
