// Hardening (issue 9): each case is a finding of the fuzzers or of tests/cli/crash.sh, kept as
// a regression test (docs/results.md, issue 9).
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "fixtures.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/io/artifact.hpp"
#include "nnc/io/bytes.hpp"
#include "nnc/nn/model.hpp"

using namespace nnc;
namespace fs = std::filesystem;

using test::error_of;

TEST_CASE("hardening: a spec whose activations overflow int is refused, not a segfault") {
  // c99999k1p999 on 28x28 makes 99999 x 2026 x 2026 values per sample (4.1e11): Flatten and
  // Dense used to wrap that to an int and nnc-train crashed with SIGSEGV.
  const std::string msg = error_of([] { Model("c99999k1p999,flat,fc10", {1, 28, 28}, 10); });
  CHECK(msg.find("the output of layer 0 (c99999k1p999) has shape 99999x2026x2026") != std::string::npos);
  CHECK(msg.find("2^30 values per sample") != std::string::npos);
  // A wide but legal layer still builds.
  CHECK(error_of([] { Model("c64k1p40,flat,fc10", {1, 8, 8}, 10); }).empty());
}

TEST_CASE("hardening: input shapes out of range are refused before any layer sees them") {
  CHECK(error_of([] { Model("flat,fc10", {1, 0, 28}, 10); }).find("the input has shape 1x0x28") != std::string::npos);
  CHECK(error_of([] { Model("c4,flat,fc10", {1, 1 << 21, 4}, 10); }).find("the input has shape") != std::string::npos);
  try {
    Model("flat,fc10", {-3, 28, 28}, 10);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::bad_input);
  }
}

TEST_CASE("hardening: check_writable names a file used as a directory") {
  const fs::path dir = fs::temp_directory_path() / ("nnc-hard-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string file = (dir / "afile").string();
  std::fclose(std::fopen(file.c_str(), "w"));
  CHECK(error_of([&] { check_writable(file + "/m.h5"); }) == file + "/m.h5: cannot write: " + file + " is not a directory");
  CHECK(error_of([&] { check_writable((dir / "nodir/m.h5").string()); }).find("nodir does not exist") != std::string::npos);
  // A writable place passes and leaves nothing behind.
  CHECK(error_of([&] { check_writable((dir / "m.h5").string()); }).empty());
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
  CHECK(entries == 1);  // only afile: the probe's temporary file is gone
  fs::remove_all(dir);
}

TEST_CASE("hardening: check_writable probes the directory, so root is refused under /proc") {
  // access(W_OK) says yes to root for /proc; nnc-train then trained a whole epoch before its
  // first write failed. The probe creates the temporary file and fails at once.
  const std::string msg = error_of([] { check_writable("/proc/nnc-hardening-test.h5"); });
  CHECK(msg.rfind("/proc/nnc-hardening-test.h5: cannot write", 0) == 0);
  CHECK_FALSE(fs::exists("/proc/nnc-hardening-test.h5"));
}

TEST_CASE("hardening: a model whose /arch storage lies outside the file is refused, not a SIGSEGV") {
  // Found by fuzz_model: libhdf5 1.10's H5Dread copied from a null pointer for this file;
  // read_string_dataset now checks the string's storage against the file image first.
  const fs::path file = fs::path(__FILE__).parent_path().parent_path() / "fuzz/findings/hdf5-segv-arch.h5";
  REQUIRE(fs::exists(file));
  const std::string msg = error_of([&] { decode_model(read_bytes(file.string()), "segv.h5"); });
  CHECK(msg == "segv.h5: /arch: string storage missing or outside the file (corrupt file?)");
}
