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
// A model's parameter counts (ParamCounts, docs/design.md section 8) into j: `params` (the
// convention: nonzero weights + biases + batch norm), `weights_nonzero`, `biases`,
// `batch_norm_params` and `params_dense` (every weight, zeros included).
void set_param_counts(Json& j, const ParamCounts& c);
// The same in words: "10700 parameters (10120 nonzero weights, 580 biases; 431080 dense)".
std::string param_counts_text(const ParamCounts& c);

}  // namespace nnc::cli
