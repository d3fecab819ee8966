// The architecture spec grammar: parse_spec, then a Model built on a few input shapes (a spec
// that parses may still not fit an input; that must be an nnc::Error too). Inputs longer than
// a spec could reasonably be are skipped so that the fuzzer explores the grammar, not memory.
// A spec may also ask for more parameters than memory holds (fc7190,fc101626): the tools then
// say "out of memory" (exit 1, tests/cli/crash.sh), and here it is a bad_alloc, which run.sh
// brings about early by capping one allocation at 64 MB with malloc returning NULL.
#include <new>
#include <string>

#include "common.hpp"
#include "nnc/nn/model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 512) return 0;
  const std::string spec(reinterpret_cast<const char*>(data), size);
  nnc::fuzz::refuse_only_with_error([&] { nnc::parse_spec(spec); });
  for (const nnc::Shape input : {nnc::Shape{1, 28, 28}, nnc::Shape{3, 32, 32}, nnc::Shape{2, 5, 7}}) {
    nnc::fuzz::refuse_only_with_error([&] {
      nnc::Model m;
      try {
        m = nnc::Model(spec, input, 10);
      } catch (const std::bad_alloc&) {
        return;
      }
      // Keep the forward pass within what a fuzzer iteration can afford.
      if (m.macs() < 2e6) {
        nnc::Tensor x(2, input);
        x.set_zero();
        const nnc::Tensor& y = m.forward(x, nnc::ForwardContext{});
        if (y.sample_size() != 10 || y.n() != 2) std::abort();
      }
    });
  }
  return 0;
}
