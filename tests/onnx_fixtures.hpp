// The ONNX files of the tests (tests/data/onnx, written by the scripts there) and what nnc
// says when it refuses one.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "nnc/io/bytes.hpp"
#include "nnc/io/onnx.hpp"
#include "nnc/nn/error.hpp"

namespace nnc::test {

inline std::filesystem::path onnx_dir() { return std::filesystem::path(__FILE__).parent_path() / "data" / "onnx"; }

// The message of the bad-input error that importing tests/data/onnx/FILE raises; fails the
// test if FILE imports.
inline std::string onnx_refusal(const std::string& file) {
  const std::filesystem::path p = onnx_dir() / file;
  try {
    import_onnx(read_bytes(p.string()), p.string());
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::bad_input);
    return e.what();
  }
  FAIL("imported " << file << ", which nnc must refuse");
  return "";
}

}  // namespace nnc::test
