// nnc-cgap's flags (docs/design.md section 9): nnc-train's training flags, with --epochs the
// whole budget, then the growth and pruning options of CgapOptions, registered in one place.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "nnc/algo/cgap.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/registrar.hpp"
#include "nnc/io/artifact.hpp"

namespace nnc::cli {

struct CgapFlags {
  TrainFlags train;
  CgapOptions options;  // options.train comes from `train`, in resolved()
  std::string checkpoint;  // empty: <output>.ckpt (none for -o -)
  bool resume = false;
  // The training flags as nnc-train's (--checkpoint-every: steps between checkpoints of the
  // final training), --checkpoint and --resume, then --start-width ... --final-epochs;
  // --growth-budget plus --final-epochs above 1 is a bad flag value (this sets the app's final
  // callback).
  void Register(Registrar r);
  // `options` with the training options resolved for `dataset` and `seed` (TrainFlags::resolved).
  CgapOptions resolved(const std::string& dataset, std::uint64_t seed) const;
};

// Where nnc-cgap's run starts: the checkpoint's model (into out.model) and progress when
// `resume` and the file exists (its recorded options must be out's, else bad input), else none.
std::optional<CgapProgress> cgap_start(const std::string& checkpoint, bool resume, ModelArtifact& out);
// Hooks of nnc-cgap's run: each record logged, a stop on SIGINT or SIGTERM, checkpoints of
// `out` to `checkpoint` (none if empty; rank 0 writes) every `every` steps of the final
// training. `out` and `checkpoint` must outlive the run.
CgapHooks cgap_hooks(const ModelArtifact& out, const std::string& checkpoint, int every);

// "the network never grew: growth stopped by ... (raise --epochs ...)" when the peak has the
// seed's widths, else "".
std::string never_grew_text(const CgapResult& res);

}  // namespace nnc::cli
