// Datasets: IDX and CIFAR readers on tiny hand-made files, the validation split, batch
// normalization and augmentation, and refusal of bad files with a message naming them.
#include <doctest/doctest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "nnc/data/dataset.hpp"
#include "nnc/nn/error.hpp"

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("nnc_test_data_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

void write_file(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

void write_gz(const std::string& path, const Bytes& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb");
  REQUIRE(gz != nullptr);
  if (!bytes.empty()) REQUIRE(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())) > 0);
  REQUIRE(gzclose(gz) == Z_OK);
}

void put32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

Bytes idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols, const Bytes& pixels) {
  Bytes b;
  put32(b, 0x00000803);
  put32(b, n);
  put32(b, rows);
  put32(b, cols);
  b.insert(b.end(), pixels.begin(), pixels.end());
  return b;
}

Bytes idx_labels(std::uint32_t n, const Bytes& labels) {
  Bytes b;
  put32(b, 0x00000801);
  put32(b, n);
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

Bytes ramp(std::size_t n, int step = 1) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * step);
  return b;
}

// CIFAR records: label byte(s), then 3072 pixels that depend on the record number.
Bytes cifar_records(const std::vector<Bytes>& labels) {
  Bytes b;
  for (std::size_t r = 0; r < labels.size(); ++r) {
    b.insert(b.end(), labels[r].begin(), labels[r].end());
    for (int p = 0; p < 3072; ++p) b.push_back(static_cast<std::uint8_t>(p * 7 + r * 13));
  }
  return b;
}

// Runs f, which must throw nnc::Error of kind bad_input; returns its message.
template <class F>
std::string bad_input_message(F&& f) {
  try {
    f();
  } catch (const nnc::Error& e) {
    CHECK(e.kind() == nnc::ErrorKind::bad_input);
    return e.what();
  }
  FAIL("expected nnc::Error");
  return {};
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("IDX files round trip, plain and gzip") {
  TempDir dir;
  const Bytes pixels = ramp(3 * 2 * 4, 5);
  const Bytes labels = {3, 1, 9};
  write_file(dir / "img", idx_images(3, 2, 4, pixels));
  write_file(dir / "lab", idx_labels(3, labels));
  write_gz(dir / "img.gz", idx_images(3, 2, 4, pixels));
  write_gz(dir / "lab.gz", idx_labels(3, labels));

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"img", "lab"}, {"img.gz", "lab.gz"}, {"img.gz", "lab"}};
  for (const auto& files : cases) {
    INFO(files.first);
    const nnc::Dataset ds = nnc::load_idx(dir / files.first, dir / files.second);
    CHECK(ds.shape == nnc::Shape{1, 2, 4});
    CHECK(ds.size() == 3);
    CHECK(ds.classes == 10);
    CHECK(ds.pixels == pixels);
    CHECK(ds.labels == labels);
    CHECK(ds.mean[0] == 0.0f);
    CHECK(ds.std[0] == 1.0f);
  }
}

TEST_CASE("load_dataset finds official IDX names, plain or .gz") {
  TempDir root;
  const std::string dir = root / "fashion-mnist";
  fs::create_directories(dir);
  write_gz(dir + "/train-images-idx3-ubyte.gz", idx_images(4, 3, 3, ramp(36)));
  write_gz(dir + "/train-labels-idx1-ubyte.gz", idx_labels(4, {0, 1, 2, 3}));
  write_file(dir + "/t10k-images-idx3-ubyte", idx_images(2, 3, 3, ramp(18)));
  write_file(dir + "/t10k-labels-idx1-ubyte", idx_labels(2, {5, 6}));

  const nnc::Dataset train = nnc::load_dataset("fashion-mnist", nnc::Split::train, dir);
  const nnc::Dataset test = nnc::load_dataset("fashion-mnist", nnc::Split::test, dir);
  CHECK(train.name == "fashion-mnist");
  CHECK(train.size() == 4);
  CHECK(test.size() == 2);
  CHECK(test.labels == Bytes{5, 6});

  fs::remove(dir + "/t10k-labels-idx1-ubyte");
  const std::string msg = bad_input_message([&] { nnc::load_dataset("mnist", nnc::Split::test, dir); });
  CHECK(has(msg, "t10k-labels-idx1-ubyte: no such file"));
}

TEST_CASE("resolve_data_dir: --data-dir, then $NNC_DATASETS/<dir>") {
  TempDir root;
  fs::create_directories(root.path / "cifar-10-batches-bin");
  CHECK(nnc::is_dataset_name("cifar100"));
  CHECK_FALSE(nnc::is_dataset_name("imagenet"));
  CHECK(nnc::resolve_data_dir("mnist", root / "") == root / "");
  bad_input_message([&] { nnc::resolve_data_dir("mnist", root / "absent"); });
  bad_input_message([&] { nnc::resolve_data_dir("imagenet", ""); });

  const char* old = std::getenv("NNC_DATASETS");
  const std::string saved = old ? old : "";
  ::setenv("NNC_DATASETS", root.path.c_str(), 1);
  CHECK(nnc::resolve_data_dir("cifar10", "") == root / "cifar-10-batches-bin");
  if (!fs::exists("data/cifar-100-binary")) {
    const std::string msg = bad_input_message([&] { nnc::resolve_data_dir("cifar100", ""); });
    CHECK(has(msg, root / "cifar-100-binary"));
    CHECK(has(msg, "data/cifar-100-binary"));
  }
  if (old) ::setenv("NNC_DATASETS", saved.c_str(), 1);
  else ::unsetenv("NNC_DATASETS");
}

TEST_CASE("CIFAR-10 and CIFAR-100 records") {
  TempDir dir;
  write_file(dir / "a.bin", cifar_records({{7}, {0}}));
  write_file(dir / "b.bin", cifar_records({{9}}));
  const nnc::Dataset c10 = nnc::load_cifar({dir / "a.bin", dir / "b.bin"}, false);
  CHECK(c10.name == "cifar10");
  CHECK(c10.shape == nnc::Shape{3, 32, 32});
  CHECK(c10.classes == 10);
  CHECK(c10.labels == Bytes{7, 0, 9});
  REQUIRE(c10.pixels.size() == 3 * 3072);
  CHECK(c10.pixels[3072 + 5] == static_cast<std::uint8_t>(5 * 7 + 13));  // record 1 of a.bin
  CHECK(c10.pixels[2 * 3072 + 1024] == static_cast<std::uint8_t>(1024 * 7));  // G of b.bin
  CHECK(c10.mean[2] == doctest::Approx(0.4465));
  CHECK(c10.std[0] == doctest::Approx(0.2470));

  write_file(dir / "c.bin", cifar_records({{3, 42}, {19, 99}}));  // coarse, fine
  const nnc::Dataset c100 = nnc::load_cifar({dir / "c.bin"}, true);
  CHECK(c100.name == "cifar100");
  CHECK(c100.classes == 100);
  CHECK(c100.labels == Bytes{42, 99});
  CHECK(c100.pixels[3072] == 13);  // pixels start after both label bytes

  // Through load_dataset with the official names.
  const std::string d10 = dir / "cifar-10-batches-bin";
  fs::create_directories(d10);
  for (int b = 1; b <= 5; ++b) {
    write_file(d10 + "/data_batch_" + std::to_string(b) + ".bin", cifar_records({{std::uint8_t(b)}}));
  }
  write_file(d10 + "/test_batch.bin", cifar_records({{1}, {2}}));
  const nnc::Dataset train = nnc::load_dataset("cifar10", nnc::Split::train, d10);
  CHECK(train.labels == Bytes{1, 2, 3, 4, 5});
  CHECK(nnc::load_dataset("cifar10", nnc::Split::test, d10).size() == 2);
  const std::string d100 = dir / "cifar-100-binary";
  fs::create_directories(d100);
  write_file(d100 + "/train.bin", cifar_records({{0, 50}}));
  write_file(d100 + "/test.bin", cifar_records({{1, 60}, {2, 70}}));
  CHECK(nnc::load_dataset("cifar100", nnc::Split::test, d100).labels == Bytes{60, 70});
}

TEST_CASE("split_validation holds out the last images") {
  TempDir dir;
  write_file(dir / "img", idx_images(10, 2, 2, ramp(40)));
  write_file(dir / "lab", idx_labels(10, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  nnc::Dataset ds = nnc::load_idx(dir / "img", dir / "lab");
  ds.name = "mnist";
  const auto [train, val] = nnc::split_validation(ds, 3);
  CHECK(train.size() == 7);
  CHECK(val.size() == 3);
  CHECK(val.labels == Bytes{7, 8, 9});
  CHECK(val.pixels == Bytes(ds.pixels.begin() + 28, ds.pixels.end()));
  CHECK(train.pixels == Bytes(ds.pixels.begin(), ds.pixels.begin() + 28));
  CHECK(val.name == "mnist");
  CHECK(val.shape == ds.shape);
  CHECK(nnc::split_validation(ds, 0).second.size() == 0);
  CHECK_THROWS_AS(nnc::split_validation(ds, 10), nnc::Error);
}

namespace {

nnc::Dataset synthetic(nnc::Shape shape, std::size_t n, int seed) {
  nnc::Dataset ds;
  ds.name = "cifar10";
  ds.shape = shape;
  ds.pixels.resize(n * shape.size());
  std::uint32_t s = static_cast<std::uint32_t>(seed) * 2654435761u + 1;
  for (auto& p : ds.pixels) p = static_cast<std::uint8_t>((s = s * 1664525u + 1013904223u) >> 24);
  for (std::size_t i = 0; i < n; ++i) ds.labels.push_back(static_cast<std::uint8_t>(i % 10));
  return ds;
}

// The normalized image `i` of ds shifted by (oy, ox) with zero padding, then maybe mirrored.
std::vector<float> transformed(const nnc::Dataset& ds, std::size_t i, int oy, int ox, bool flip) {
  const int C = ds.shape.c, H = ds.shape.h, W = ds.shape.w;
  std::vector<float> out;
  for (int c = 0; c < C; ++c) {
    for (int y = 0; y < H; ++y) {
      for (int x = 0; x < W; ++x) {
        const int sy = y + oy, sx = (flip ? W - 1 - x : x) + ox;
        const bool in = sy >= 0 && sy < H && sx >= 0 && sx < W;
        const double p = in ? ds.pixels[i * ds.shape.size() + (c * H + sy) * W + sx] : 0;
        out.push_back(static_cast<float>((p / 255.0 - ds.mean[c]) / ds.std[c]));
      }
    }
  }
  return out;
}

bool close(const float* a, const std::vector<float>& b) {
  for (std::size_t k = 0; k < b.size(); ++k) {
    if (std::abs(a[k] - b[k]) > 1e-5f) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("fill_batch normalizes and copies labels") {
  nnc::Dataset mnist;
  mnist.shape = {1, 1, 3};
  mnist.pixels = {0, 255, 51, 10, 20, 30};
  mnist.labels = {4, 8};
  nnc::Tensor x;
  int labels[2] = {-1, -1};
  const std::size_t idx[2] = {1, 0};
  nnc::fill_batch(mnist, idx, 2, x, labels);
  CHECK(x.n() == 2);
  CHECK(x.shape() == mnist.shape);
  CHECK(labels[0] == 8);
  CHECK(labels[1] == 4);
  CHECK(x.sample(1)[1] == doctest::Approx(1.0));
  CHECK(x.sample(1)[2] == doctest::Approx(0.2));
  CHECK(x.sample(0)[0] == doctest::Approx(10 / 255.0));

  nnc::Dataset cifar = synthetic({3, 4, 4}, 3, 1);
  cifar.mean = {0.4914f, 0.4822f, 0.4465f};
  cifar.std = {0.2470f, 0.2435f, 0.2616f};
  const std::size_t all[3] = {0, 1, 2};
  int l3[3];
  nnc::fill_batch(cifar, all, 3, x, l3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(close(x.sample(int(i)), transformed(cifar, i, 0, 0, false)));

  const std::size_t bad[1] = {3};
  CHECK_THROWS_AS(nnc::fill_batch(cifar, bad, 1, x, l3), nnc::Error);
}

TEST_CASE("augmentation is a seeded crop and flip, the same on every run") {
  const nnc::Dataset ds = synthetic({3, 8, 8}, 40, 2);
  std::vector<std::size_t> idx(40);
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::vector<int> labels(40);
  const int n = static_cast<int>(idx.size());
  const std::size_t s = ds.shape.size();

  nnc::Augment aug{.seed = 7, .epoch = 3, .pad = 2, .flip = true};
  nnc::Tensor a, b, c;
  nnc::fill_batch(ds, idx.data(), n, a, labels.data(), &aug);
  nnc::fill_batch(ds, idx.data(), n, b, labels.data(), &aug);
  CHECK(std::equal(a.data(), a.data() + a.size(), b.data()));
  aug.epoch = 4;
  nnc::fill_batch(ds, idx.data(), n, c, labels.data(), &aug);
  CHECK_FALSE(std::equal(a.data(), a.data() + a.size(), c.data()));

  // A sample's augmentation depends on its image index, not on its place in the batch.
  const std::size_t one[1] = {idx[5]};
  nnc::fill_batch(ds, one, 1, b, labels.data(), &aug);
  CHECK(std::equal(b.data(), b.data() + s, c.sample(5)));

  // Every sample is one of the (2*pad+1)^2 crops, mirrored or not, and both kinds occur.
  int flipped = 0, shifted = 0;
  for (int i = 0; i < n; ++i) {
    int matches = 0;
    for (int oy = -2; oy <= 2; ++oy) {
      for (int ox = -2; ox <= 2; ++ox) {
        for (bool flip : {false, true}) {
          if (close(c.sample(i), transformed(ds, idx[i], oy, ox, flip))) {
            ++matches;
            flipped += flip;
            shifted += oy != 0 || ox != 0;
          }
        }
      }
    }
    CHECK(matches == 1);
  }
  CHECK(flipped > 0);
  CHECK(flipped < n);
  CHECK(shifted > 0);

  // With no padding and no flip, augmentation is the identity.
  aug.pad = 0;
  aug.flip = false;
  nnc::fill_batch(ds, idx.data(), n, b, labels.data(), &aug);
  nnc::fill_batch(ds, idx.data(), n, c, labels.data());
  CHECK(std::equal(b.data(), b.data() + b.size(), c.data()));
}

TEST_CASE("cutout zeroes one clipped square per image, the same on every channel") {
  nnc::Dataset ds = synthetic({3, 8, 8}, 40, 3);
  ds.mean = {0.5f, 0.4f, 0.3f};  // so that a black crop border is not 0 after normalization
  std::vector<std::size_t> idx(40);
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::vector<int> labels(40);
  const int n = static_cast<int>(idx.size()), H = 8, W = 8;

  nnc::Augment plain{.seed = 5, .epoch = 1, .pad = 2, .flip = true};
  nnc::Augment cut = plain;
  cut.cutout = 3;
  nnc::Tensor a, b;
  nnc::fill_batch(ds, idx.data(), n, a, labels.data(), &plain);
  nnc::fill_batch(ds, idx.data(), n, b, labels.data(), &cut);

  // Against the same crop and flip without cutout, each image differs in a rectangle of 2 or
  // 3 rows and columns (a 3x3 square centred in the image, clipped), set to 0 on every channel.
  std::set<std::pair<int, int>> corners;
  for (int i = 0; i < n; ++i) {
    int y0 = H, y1 = -1, x0 = W, x1 = -1, changed = 0;
    for (int y = 0; y < H; ++y) {
      for (int x = 0; x < W; ++x) {
        if (a.sample(i)[y * W + x] == b.sample(i)[y * W + x]) continue;
        ++changed;
        y0 = std::min(y0, y), y1 = std::max(y1, y), x0 = std::min(x0, x), x1 = std::max(x1, x);
      }
    }
    const int rows = y1 - y0 + 1, cols = x1 - x0 + 1;
    CHECK(rows >= 2);
    CHECK(rows <= 3);
    CHECK(cols >= 2);
    CHECK(cols <= 3);
    CHECK(changed == rows * cols);
    for (int c = 0; c < 3; ++c) {
      for (int y = 0; y < H; ++y) {
        for (int x = 0; x < W; ++x) {
          const float* pa = a.sample(i) + c * H * W;
          const float* pb = b.sample(i) + c * H * W;
          const bool inside = y >= y0 && y <= y1 && x >= x0 && x <= x1;
          CHECK(pb[y * W + x] == (inside ? 0.0f : pa[y * W + x]));
        }
      }
    }
    corners.insert({y0, x0});
  }
  CHECK(corners.size() > 5);  // the square moves from image to image

  // Seeded: the same batch again; a square as large as twice the image blanks all of it.
  nnc::Tensor again;
  nnc::fill_batch(ds, idx.data(), n, again, labels.data(), &cut);
  CHECK(std::equal(b.data(), b.data() + b.size(), again.data()));
  cut.cutout = 16;
  nnc::fill_batch(ds, idx.data(), n, b, labels.data(), &cut);
  CHECK(std::all_of(b.data(), b.data() + b.size(), [](float v) { return v == 0.0f; }));
  cut.cutout = -1;
  CHECK_THROWS_AS(nnc::fill_batch(ds, idx.data(), n, b, labels.data(), &cut), nnc::Error);
}

TEST_CASE("IDX readers refuse bad files, naming them") {
  TempDir dir;
  const std::string img = dir / "img", lab = dir / "lab";
  write_file(img, idx_images(3, 2, 4, ramp(24)));
  write_file(lab, idx_labels(3, {1, 2, 3}));
  std::string msg;

  msg = bad_input_message([&] { nnc::load_idx(dir / "absent", lab); });
  CHECK(has(msg, dir / "absent"));
  CHECK(has(msg, "no such file"));
  msg = bad_input_message([&] { nnc::load_idx(dir / "", lab); });
  CHECK(has(msg, "is a directory"));

  SUBCASE("truncated payload, plain and gzip") {
    Bytes cut = idx_images(3, 2, 4, ramp(24));
    cut.resize(cut.size() - 5);
    write_file(dir / "cut", cut);
    msg = bad_input_message([&] { nnc::load_idx(dir / "cut", lab); });
    CHECK(has(msg, dir / "cut: truncated: header says 3 images of 2x4 (24 bytes), file has 35 bytes"));
    write_gz(dir / "cut.gz", cut);
    msg = bad_input_message([&] { nnc::load_idx(dir / "cut.gz", lab); });
    CHECK(has(msg, "decompressed stream has 35 bytes"));
  }
  SUBCASE("truncated header and empty file") {
    write_file(dir / "short", Bytes{0, 0, 8, 3, 0, 0});
    msg = bad_input_message([&] { nnc::load_idx(dir / "short", lab); });
    CHECK(has(msg, "truncated: expected a 16-byte IDX header, file has 6 bytes"));
    write_file(dir / "empty", Bytes{});
    msg = bad_input_message([&] { nnc::load_idx(dir / "empty", lab); });
    CHECK(has(msg, "expected IDX magic"));
  }
  SUBCASE("wrong magic: labels given as images") {
    msg = bad_input_message([&] { nnc::load_idx(lab, lab); });
    CHECK(has(msg, "expected IDX magic 0x00000803"));
    CHECK(has(msg, "found 0x00000801"));
  }
  SUBCASE("label and image counts differ") {
    write_file(dir / "lab2", idx_labels(2, {1, 2}));
    msg = bad_input_message([&] { nnc::load_idx(img, dir / "lab2"); });
    CHECK(has(msg, dir / "lab2: header says 2 labels"));
  }
  SUBCASE("label out of range") {
    write_file(dir / "lab10", idx_labels(3, {1, 10, 3}));
    msg = bad_input_message([&] { nnc::load_idx(img, dir / "lab10"); });
    CHECK(has(msg, "label 10 at index 1"));
  }
  SUBCASE("data after the payload") {
    write_file(dir / "long", idx_images(3, 2, 4, ramp(25)));
    msg = bad_input_message([&] { nnc::load_idx(dir / "long", lab); });
    CHECK(has(msg, "file has 41 bytes"));
  }
  SUBCASE("corrupt gzip") {
    write_file(dir / "bad.gz", Bytes{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    bad_input_message([&] { nnc::load_idx(dir / "bad.gz", lab); });
  }
  SUBCASE("absurd sizes are refused without allocating them") {
    // 2^31 images: over the 1e9-byte limit however the file looks.
    write_file(dir / "huge", idx_images(0x80000000u, 28, 28, ramp(100)));
    write_file(dir / "hugelab", idx_labels(0x80000000u, {}));
    msg = bad_input_message([&] { nnc::load_idx(dir / "huge", dir / "hugelab"); });
    CHECK(has(msg, "more than the 1e9-byte limit"));
    write_gz(dir / "huge.gz", idx_images(0x80000000u, 28, 28, ramp(100)));
    bad_input_message([&] { nnc::load_idx(dir / "huge.gz", dir / "hugelab"); });
    // Under the limit but far beyond the data: refused by size (plain) or when data runs out (gzip).
    write_file(dir / "big", idx_images(1'000'000, 28, 28, ramp(100)));
    write_file(dir / "biglab", idx_labels(1'000'000, {}));
    msg = bad_input_message([&] { nnc::load_idx(dir / "big", dir / "biglab"); });
    CHECK(has(msg, "(784000000 bytes), file has 116 bytes"));
    write_gz(dir / "big.gz", idx_images(1'000'000, 28, 28, ramp(100)));
    msg = bad_input_message([&] { nnc::load_idx(dir / "big.gz", dir / "biglab"); });
    CHECK(has(msg, "decompressed stream has 116 bytes"));
    write_file(dir / "wide", idx_images(1, 1u << 30, 1u << 30, {}));
    write_file(dir / "onelab", idx_labels(1, {0}));
    msg = bad_input_message([&] { nnc::load_idx(dir / "wide", dir / "onelab"); });
    CHECK(has(msg, "expected sides of 1 to"));
  }
}

TEST_CASE("CIFAR reader refuses bad files, naming them") {
  TempDir dir;
  std::string msg;
  Bytes cut = cifar_records({{1}, {2}});
  cut.resize(cut.size() - 5);
  write_file(dir / "cut.bin", cut);
  msg = bad_input_message([&] { nnc::load_cifar({dir / "cut.bin"}, false); });
  CHECK(has(msg, dir / "cut.bin: truncated: expected whole 3073-byte records, file has 6141 bytes"));
  // The same bytes are not whole CIFAR-100 records either.
  bad_input_message([&] { nnc::load_cifar({dir / "cut.bin"}, true); });

  write_file(dir / "empty.bin", Bytes{});
  bad_input_message([&] { nnc::load_cifar({dir / "empty.bin"}, false); });

  write_file(dir / "label.bin", cifar_records({{1}, {10}}));
  msg = bad_input_message([&] { nnc::load_cifar({dir / "label.bin"}, false); });
  CHECK(has(msg, "record 1 has label 10, expected 0 to 9"));

  write_file(dir / "fine.bin", cifar_records({{1, 100}}));
  msg = bad_input_message([&] { nnc::load_cifar({dir / "fine.bin"}, true); });
  CHECK(has(msg, "record 0 has label 1/100"));
  write_file(dir / "coarse.bin", cifar_records({{20, 5}}));
  bad_input_message([&] { nnc::load_cifar({dir / "coarse.bin"}, true); });

  write_file(dir / "ok.bin", cifar_records({{1}}));
  msg = bad_input_message([&] { nnc::load_cifar({dir / "ok.bin", dir / "absent.bin"}, false); });
  CHECK(has(msg, dir / "absent.bin: no such file"));
  msg = bad_input_message([&] { nnc::load_cifar({dir / ""}, false); });
  CHECK(has(msg, "is a directory"));
}
