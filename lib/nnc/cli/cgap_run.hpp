// nnc-cgap's flags (docs/design.md section 9): nnc-train's training flags, with --epochs the
// whole budget, then the growth and pruning options of CgapOptions, registered in one place.
#pragma once
#include <cstdint>
#include <string>

#include "nnc/algo/cgap.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/registrar.hpp"

namespace nnc::cli {

struct CgapFlags {
  TrainFlags train;
  CgapOptions options;  // options.train comes from `train`, in resolved()
  // The training flags as nnc-train's less --checkpoint-every (a CGaP run restarts), then
  // --start-width ... --final-epochs; --growth-budget plus --final-epochs above 1 is a bad flag
  // value (this sets the app's final callback).
  void Register(Registrar r);
  // `options` with the training options resolved for `dataset` and `seed` (TrainFlags::resolved).
  CgapOptions resolved(const std::string& dataset, std::uint64_t seed) const;
};

// "the network never grew: growth stopped by ... (raise --epochs ...)" when the peak has the
// seed's widths, else "".
std::string never_grew_text(const CgapResult& res);

}  // namespace nnc::cli
