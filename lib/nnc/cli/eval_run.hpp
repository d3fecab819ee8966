// nnc-eval's flags and its modes (docs/design.md section 3): a model on the test split; a chip
// file, at the read-out conditions it was programmed for or others (--read-noise, --time,
// --adc-bits, ...), read --repeats times; or --chips N chips programmed from a model.
#pragma once
#include <cstddef>
#include <string>

#include "nnc/cli/options.hpp"
#include "nnc/cli/registrar.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/device/params.hpp"

namespace nnc::cli {

struct EvalFlags {
  std::string input;      // a model or a chip file, - for stdin
  DataOptions data;       // the test split; on a chip with an ADC and no full scales, training images
  std::size_t limit = 0;  // the first N test images (0: all)
  int batch = 1000;
  int chips = 0;          // program N chips from the model (seeds seed..seed+N-1)
  int repeats = 1;        // a chip file: read it K times with read seeds read_seed..+K-1
  DeviceParams device;    // the device flags: programming with --chips, read-out on a chip file
  // The positional input, the dataset flags (no training-split ones), --limit-test ...
  // --repeats and the device flags, in the order of --help.
  void Register(Registrar r);
};

// Checks the flags against the input, reads it and evaluates it in the mode they ask for, and
// prints the report (text, or one JSON object with tool.json) on stdout.
void run_eval(Tool& tool, EvalFlags& f);

}  // namespace nnc::cli
