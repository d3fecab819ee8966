// nnc-cost's flags and its report (issue 47; docs/design.md section 14): the energy, latency and
// area of a chip file (or of a model mapped onto the default device) for one inference image,
// per layer and in total, and of its programming; the input activity from a dataset's test
// images when --dataset is given, else assumed.
#pragma once
#include <cstddef>
#include <string>

#include "nnc/algo/cost.hpp"
#include "nnc/cli/json.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/registrar.hpp"
#include "nnc/cli/tool.hpp"

namespace nnc::cli {

struct CostFlags {
  std::string input;        // a model or a chip file, - for stdin
  DataOptions data;         // optional here: --dataset gives the real input activity
  std::size_t limit = 100;  // test images the activity is measured on
  int adc_bits = 0;         // 0: the chip's, or the table's adc_bits when the chip's read-out is ideal
  std::string neurosim_traces;  // a directory: write DNN+NeuroSim's network CSV and traces (first test image)
  // The positional input, --dataset (optional), --data-dir, --limit-test (alias --limit), --adc-bits,
  // --neurosim-traces.
  void Register(Registrar r);
};

// The report as one JSON object: input, settings, the constants, per layer, totals, programming, RSA.
Json cost_json(const CostReport& r);
// The per-layer table and the totals, for stdout.
std::string cost_text(const CostReport& r);

// Reads the input, measures the activity if a dataset is given, costs it and prints the report.
void run_cost(Tool& tool, CostFlags& f);

}  // namespace nnc::cli
