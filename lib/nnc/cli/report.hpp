// Reports that several tools print: layer tables and provenance chains, as text or JSON.
#pragma once
#include <string>

#include "nnc/cli/json.hpp"
#include "nnc/io/artifact.hpp"
#include "nnc/nn/stats.hpp"
#include "nnc/train/train.hpp"

namespace nnc::cli {

Json layers_json(const std::vector<LayerStats>& stats);
std::string layers_text(const std::vector<LayerStats>& stats);
Json provenance_json(const Provenance& p);
std::string provenance_text(const Provenance& p, int depth = 0);
Json eval_json(const EvalResult& r);

}  // namespace nnc::cli
