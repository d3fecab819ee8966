// Shared by the fuzz targets: inputs as files (the loaders take paths), and the rule that
// nnc::Error is the only acceptable way for a reader to refuse bytes. Anything else (another
// exception, a crash, a sanitizer report, a hang) is a finding.
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "nnc/nn/error.hpp"

namespace nnc::fuzz {

// A file under /dev/shm named for this process and `role`, holding `size` bytes of `data`;
// removed when it goes out of scope.
class TempFile {
 public:
  TempFile(const std::string& role, const std::uint8_t* data, std::size_t size)
      : path_("/dev/shm/nnc-fuzz-" + std::to_string(::getpid()) + "-" + role) {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
      std::perror(path_.c_str());
      std::abort();
    }
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs f; nnc::Error is an accepted refusal, every other exception escapes to libFuzzer,
// which reports it as a crash (uncaught exception -> abort).
template <class F>
void refuse_only_with_error(F&& f) {
  try {
    f();
  } catch (const nnc::Error&) {
  }
}

}  // namespace nnc::fuzz
