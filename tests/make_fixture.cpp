// nnc-make-fixture: writes tiny synthetic datasets in the official file layouts, learnable in
// seconds, for the CLI tests: <dir>/mnist (IDX), <dir>/fashion-mnist (IDX, gzip) and
// <dir>/cifar-10-batches-bin (binary). Each class is a bright bar at its own place plus noise.
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "nnc/nn/rng.hpp"

namespace {

std::vector<std::uint8_t> image(int label, int c, int side, nnc::Rng& rng) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(c) * side * side);
  for (auto& p : px) p = static_cast<std::uint8_t>(rng.below(60));
  const int band = side / 10, pos = label * side / 10;
  const bool vertical = label % 2;
  for (int ch = 0; ch < c; ++ch)
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x) {
        const int coord = vertical ? x : y;
        if (coord >= pos && coord < pos + band + 1) px[(static_cast<std::size_t>(ch) * side + y) * side + x] = 200;
      }
  return px;
}

void be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void write(const std::string& path, const std::vector<std::uint8_t>& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen((path + ".gz").c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
    return;
  }
  FILE* f = std::fopen(path.c_str(), "wb");
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

void idx_split(const std::string& dir, const std::string& prefix, int n, bool gzip, std::uint64_t seed) {
  nnc::Rng rng(seed);
  std::vector<std::uint8_t> images, labels;
  be32(images, 0x803);
  be32(images, static_cast<std::uint32_t>(n));
  be32(images, 28);
  be32(images, 28);
  be32(labels, 0x801);
  be32(labels, static_cast<std::uint32_t>(n));
  for (int i = 0; i < n; ++i) {
    const int label = static_cast<int>(rng.below(10));
    auto px = image(label, 1, 28, rng);
    images.insert(images.end(), px.begin(), px.end());
    labels.push_back(static_cast<std::uint8_t>(label));
  }
  write(dir + "/" + prefix + "-images-idx3-ubyte", images, gzip);
  write(dir + "/" + prefix + "-labels-idx1-ubyte", labels, gzip);
}

void cifar_file(const std::string& path, int n, std::uint64_t seed) {
  nnc::Rng rng(seed);
  std::vector<std::uint8_t> out;
  for (int i = 0; i < n; ++i) {
    const int label = static_cast<int>(rng.below(10));
    out.push_back(static_cast<std::uint8_t>(label));
    auto px = image(label, 3, 32, rng);
    out.insert(out.end(), px.begin(), px.end());
  }
  write(path, out, false);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: nnc-make-fixture <dir> [train images per split] [test images]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int train = argc > 2 ? std::atoi(argv[2]) : 600;
  const int test = argc > 3 ? std::atoi(argv[3]) : 200;
  namespace fs = std::filesystem;
  for (const char* sub : {"mnist", "fashion-mnist", "cifar-10-batches-bin"}) fs::create_directories(dir + "/" + sub);
  idx_split(dir + "/mnist", "train", train, false, 1);
  idx_split(dir + "/mnist", "t10k", test, false, 2);
  idx_split(dir + "/fashion-mnist", "train", train, true, 3);
  idx_split(dir + "/fashion-mnist", "t10k", test, true, 4);
  for (int b = 1; b <= 5; ++b) {
    cifar_file(dir + "/cifar-10-batches-bin/data_batch_" + std::to_string(b) + ".bin", train / 5, 10 + b);
  }
  cifar_file(dir + "/cifar-10-batches-bin/test_batch.bin", test, 20);
  return 0;
}
