// nnc-rsa-adapt's flags and its run (docs/design.md section 7): RSA cells selected per tile and
// trained with the RRAM read-only, optionally after re-estimating the batch-norm statistics on
// the chip (--recalibrate-bn), and compared with read-verify-write (--compare-rvw).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "nnc/algo/bn_recalibrate.hpp"
#include "nnc/algo/rsa_chip.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/registrar.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/device/params.hpp"

namespace nnc::cli {

struct RsaFlags {
  std::string input, output;  // registered by the tool, before these flags
  DataOptions data;
  ChipRsaOptions options;     // options.train: how the cells are trained
  AugmentFlags augment;       // as in training, but off by default (Register sets it)
  std::size_t limit_test = 0;
  std::vector<int> test_epochs;
  bool compare_rvw = false;
  bool recalibrate_bn = false;
  BnRecalibrationOptions bn;
  DeviceParams readout;  // read-out conditions to adapt at (--read-noise, --time, ...); the rest is the chip's
  // The dataset flags, then --density ... --bn-images and the read-out flags, in --help's order.
  void Register(Registrar r);
};

// Reads the chip, adapts it as the flags say, writes it with its /rsa group to f.output and
// prints the report (text, or one JSON object with tool.json) on stdout.
void run_rsa_adapt(Tool& tool, RsaFlags& f);

}  // namespace nnc::cli
