// Reports about a chip's RSA cells (its /rsa group), shared by nnc-info and nnc-rsa-adapt:
// settings, cells and SRAM bytes per layer, modeled adaptation time, accuracy-vs-time points.
#pragma once
#include <string>

#include "nnc/algo/rsa.hpp"
#include "nnc/cli/json.hpp"

namespace nnc::cli {

Json rsa_json(const RsaRecord& rsa);
std::string rsa_text(const RsaRecord& rsa);

}  // namespace nnc::cli
