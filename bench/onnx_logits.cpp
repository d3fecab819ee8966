// onnx-logits (issue 44): the logits an nnc model or chip file computes for a batch of inputs
// given as raw float32 [N][C][H][W] (little-endian, row-major), written as raw float32 [N][K];
// bench/resnet20_onnx_check.py sets them beside PyTorch's. Model::infer, as nnc-eval runs it;
// float products in the Winograd convolutions unless --bf16 (PyTorch's are float).
#include <cstdio>
#include <cstring>
#include <string>

#include "nnc/io/artifact.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/gemm_bf16.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: onnx-logits <model.h5> <input.f32> <logits.f32> [--bf16]\n"
                         "e.g.: onnx-logits exp/r20.h5 x.f32 y.f32\n");
    return 2;
  }
  try {
    set_bf16_products(argc > 4 && std::string(argv[4]) == "--bf16");
    ModelArtifact a = load_model(argv[1]);
    const Bytes raw = read_bytes(argv[2]);
    const Shape s = a.model.input_shape();
    const std::size_t per = s.size() * sizeof(float);
    if (raw.empty() || raw.size() % per) {
      throw bad_input(argv[2], "holds " + std::to_string(raw.size()) + " bytes, not a whole number of " + s.str() +
                                   " float32 samples");
    }
    const int n = static_cast<int>(raw.size() / per);
    Tensor x(n, s);
    std::memcpy(x.data(), raw.data(), raw.size());
    Tensor y;
    a.model.infer(x, y);
    std::FILE* f = std::fopen(argv[3], "wb");
    if (!f || std::fwrite(y.data(), sizeof(float), y.size(), f) != y.size() || std::fclose(f) != 0) {
      throw Error(std::string(argv[3]) + ": cannot write");
    }
    std::fprintf(stderr, "onnx-logits: %d samples of %s -> %d logits each\n", n, s.str().c_str(), a.model.classes());
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "onnx-logits: %s\n", e.what());
    return e.exit_code();
  }
}
