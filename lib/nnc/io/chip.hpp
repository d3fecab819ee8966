// The chip artifact (docs/schema.md, "Chip files"): the model it was programmed from, the
// device parameters with their units, the programmed state of every mapped layer, R-V-W's
// record and the chip's provenance. Groups a reader does not know (e.g. /rsa) are ignored.
#pragma once
#include <optional>
#include <string>

#include "nnc/device/rsa_record.hpp"
#include "nnc/device/chip.hpp"
#include "nnc/io/artifact.hpp"

namespace nnc {

struct ChipArtifact {
  ModelArtifact model;   // /model: the model as programmed (with its own provenance)
  ChipState chip;        // /device, /chip, /programming
  std::string creator = "nnc";
  Provenance provenance; // /provenance: how the chip was made (the model file is its input)
  std::optional<RsaRecord> rsa;  // /rsa, once adapted by nnc-rsa-adapt
};

Bytes encode_chip(const ChipArtifact& a);
// Refuses a model file (exit 2, saying it is a model), device parameters out of range, and a
// chip whose arrays do not match its model part's layer shapes.
ChipArtifact decode_chip(const Bytes& bytes, const std::string& name);

// Path or "-".
ChipArtifact load_chip(const std::string& path);
void save_chip(const std::string& path, const ChipArtifact& a);

}  // namespace nnc
