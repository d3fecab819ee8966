// Reports about a chip's RSA cells (its /rsa group), shared by nnc-info and nnc-rsa-adapt:
// settings, cells and SRAM bytes per layer, modeled adaptation time, accuracy-vs-time points.
#pragma once
#include <string>

#include "nnc/algo/rsa.hpp"
#include "nnc/algo/rsa_chip.hpp"
#include "nnc/algo/rvw_compare.hpp"
#include "nnc/cli/json.hpp"

namespace nnc::cli {

Json rsa_json(const RsaRecord& rsa);
std::string rsa_text(const RsaRecord& rsa);

// nnc-rsa-adapt's log lines: the cells selected (and accuracy before), the batch-norm
// recalibration, the result written to `output`, and the R-V-W comparison.
std::string chip_rsa_cells_text(const ChipRsa& a);
std::string chip_bn_text(const ChipRsa& a);
std::string chip_rsa_result_text(const ChipRsa& a, const std::string& output);
std::string rvw_text(const RvwComparison& c);
// nnc-rsa-adapt's report: one JSON object (--json), or its lines on stdout.
Json chip_rsa_json(const ChipRsa& a, const std::string& output, const std::string& dataset, std::size_t test_samples);
std::string chip_rsa_text(const ChipRsa& a, const std::string& output);
Json rvw_json(const RvwComparison& c);

}  // namespace nnc::cli
