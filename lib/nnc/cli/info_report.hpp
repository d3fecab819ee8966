// nnc-info's report of one artifact (model or chip): kind, schema version, layers, history,
// series and notes, device, chip, RSA cells, provenance chain; as text or one JSON object.
#pragma once
#include <string>

#include "nnc/cli/json.hpp"
#include "nnc/io/bytes.hpp"

namespace nnc::cli {

// `bytes` are the file's contents, `name` its path (or "-") for the report and for errors.
Json artifact_info_json(const Bytes& bytes, const std::string& name);
std::string artifact_info_text(const Bytes& bytes, const std::string& name);

}  // namespace nnc::cli
