// IDX files (MNIST, Fashion-MNIST), plain or gzip. Headers are checked against the data that
// is actually there before anything of the claimed size is allocated.
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "nnc/data/dataset.hpp"
#include "nnc/nn/error.hpp"

namespace nnc {
namespace {

// No IDX file nnc reads comes near this; a header claiming more is corrupt or hostile.
constexpr std::uint64_t kMaxPayloadBytes = 1'000'000'000;
constexpr int kMaxSide = 4096;

// A plain or gzip file read front to back. For gzip the decompressed size is unknown until
// the stream ends, so payloads are read in chunks and grow only as data arrives.
class IdxReader {
 public:
  explicit IdxReader(const std::string& path) : path_(path) {
    require_file(path);
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!f) throw bad_input(path, "cannot open for reading");
    unsigned char magic[2] = {0, 0};
    const bool gzip = std::fread(magic, 1, 2, f.get()) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (gzip) {
      f.reset();
      gz_ = gzopen(path.c_str(), "rb");
      if (!gz_) throw bad_input(path, "cannot open gzip stream");
      gzbuffer(gz_, 1 << 17);
    } else {
      std::rewind(f.get());
      file_ = std::move(f);
      file_size_ = std::filesystem::file_size(path);
    }
  }
  ~IdxReader() {
    if (gz_) gzclose(gz_);
  }
  IdxReader(const IdxReader&) = delete;
  IdxReader& operator=(const IdxReader&) = delete;

  const std::string& path() const { return path_; }
  bool gzip() const { return gz_ != nullptr; }
  std::uint64_t consumed() const { return consumed_; }

  // Reads up to n bytes; fewer only at the end of the data.
  std::size_t read(void* out, std::size_t n) {
    std::size_t got = 0;
    if (gz_) {
      const int r = gzread(gz_, out, static_cast<unsigned>(n));
      if (r < 0) {
        int code = 0;
        throw bad_input(path_, std::string("corrupt gzip stream: ") + gzerror(gz_, &code));
      }
      got = static_cast<std::size_t>(r);
    } else {
      got = std::fread(out, 1, n, file_.get());
      if (got < n && std::ferror(file_.get())) throw bad_input(path_, "read error");
    }
    consumed_ += got;
    return got;
  }

  // The header: big-endian magic then one 32-bit count per dimension.
  std::vector<std::uint32_t> header(std::uint32_t expected_magic, const char* what) {
    const int dims = static_cast<int>(expected_magic & 0xff);
    unsigned char buf[4 * 4];
    const std::size_t want = 4 * static_cast<std::size_t>(dims + 1);
    const std::size_t got = read(buf, want);
    if (got < 4 || be32(buf) != expected_magic) {
      char found[48];
      if (got >= 4) std::snprintf(found, sizeof found, "0x%08x", be32(buf));
      else std::snprintf(found, sizeof found, "only %zu bytes", got);
      char msg[160];
      std::snprintf(msg, sizeof msg, "expected IDX magic 0x%08x (%s), found %s", expected_magic,
                    what, found);
      throw bad_input(path_, msg);
    }
    if (got < want) {
      throw bad_input(path_, "truncated: expected a " + std::to_string(want) +
                                 "-byte IDX header, " + data_has(got));
    }
    std::vector<std::uint32_t> counts;
    for (int d = 1; d <= dims; ++d) counts.push_back(be32(buf + 4 * d));
    return counts;
  }

  // The payload of `bytes` bytes, described as `claim` in messages; nothing may follow it.
  std::vector<std::uint8_t> payload(std::uint64_t bytes, const std::string& claim) {
    if (bytes > kMaxPayloadBytes) {
      throw bad_input(path_, "header says " + claim + " (" + std::to_string(bytes) +
                                 " bytes), more than the 1e9-byte limit");
    }
    const std::uint64_t expected = consumed_ + bytes;
    if (file_ && file_size_ < expected) {
      throw bad_input(path_, "truncated: header says " + claim + " (" + std::to_string(bytes) +
                                 " bytes), " + data_has(file_size_));
    }
    std::vector<std::uint8_t> data;
    if (file_) data.reserve(bytes);
    constexpr std::size_t kChunk = std::size_t{1} << 20;
    while (data.size() < bytes) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, bytes - data.size()));
      const std::size_t at = data.size();
      data.resize(at + n);
      if (read(data.data() + at, n) < n) {
        throw bad_input(path_, "truncated: header says " + claim + " (" +
                                   std::to_string(bytes) + " bytes), " + data_has(consumed_));
      }
    }
    unsigned char extra;
    if (read(&extra, 1) != 0) {
      const std::string more = file_ ? data_has(file_size_) : "the decompressed stream is longer";
      throw bad_input(path_, "header says " + claim + " (" + std::to_string(bytes) +
                                 " bytes after the header), but " + more);
    }
    return data;
  }

 private:
  static std::uint32_t be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
  }
  std::string data_has(std::uint64_t n) const {
    return (gz_ ? "decompressed stream has " : "file has ") + std::to_string(n) + " bytes";
  }

  std::string path_;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_{nullptr, std::fclose};
  gzFile gz_ = nullptr;
  std::uint64_t file_size_ = 0;
  std::uint64_t consumed_ = 0;
};

}  // namespace

Dataset load_idx(const std::string& images_path, const std::string& labels_path) {
  // Both headers first, so a count mismatch is refused before either payload is read.
  IdxReader images(images_path);
  const auto dims = images.header(0x00000803, "unsigned-byte images, 3 dimensions");
  IdxReader labels(labels_path);
  const auto count = labels.header(0x00000801, "unsigned-byte labels, 1 dimension");

  const std::uint32_t n = dims[0], rows = dims[1], cols = dims[2];
  const std::string claim = std::to_string(n) + " images of " + std::to_string(rows) + "x" +
                            std::to_string(cols);
  if (n == 0) throw bad_input(images_path, "header says 0 images");
  if (rows == 0 || cols == 0 || rows > kMaxSide || cols > kMaxSide) {
    throw bad_input(images_path, "header says " + claim + ", expected sides of 1 to " +
                                     std::to_string(kMaxSide) + " pixels");
  }
  if (count[0] != n) {
    throw bad_input(labels_path, "header says " + std::to_string(count[0]) +
                                     " labels, expected one per image of " + images_path +
                                     " (" + std::to_string(n) + ")");
  }

  Dataset ds;
  ds.shape = Shape{1, static_cast<int>(rows), static_cast<int>(cols)};
  ds.classes = 10;
  ds.pixels = images.payload(std::uint64_t{n} * rows * cols, claim);
  ds.labels = labels.payload(n, std::to_string(n) + " labels");
  for (std::size_t i = 0; i < ds.labels.size(); ++i) {
    if (ds.labels[i] >= ds.classes) {
      throw bad_input(labels_path, "label " + std::to_string(ds.labels[i]) + " at index " +
                                       std::to_string(i) + ", expected 0 to " +
                                       std::to_string(ds.classes - 1));
    }
  }
  return ds;
}

}  // namespace nnc
