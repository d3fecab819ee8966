// nnc's artifacts (docs/schema.md): model files, their provenance and training history, and
// the checkpoints of long runs. Everything here reads and writes bytes; paths and `-` are
// handled by load_*/save_*.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nnc/io/bytes.hpp"
#include "nnc/nn/model.hpp"
#include "nnc/train/train.hpp"

namespace nnc {

// The schema version written (docs/schema.md has the history: 1.1.0 added /device@adc_bits,
// /rsa/layers/NNN@placed_positions and /rsa/bn_recalibration; 1.2.0 the descriptive attributes,
// units, columns and codes, on datasets; 1.3.0 issue 20's device attributes and chip-layer
// mapping; 1.4.0 CGaP's training FLOPs; 1.5.0 /rsa@schedule; 1.6.0 /rsa@augment and @cutout;
// 1.7.0 /layers/NNN@inputs, graphs). Readers read every 1.x.y file.
inline constexpr const char* kSchemaVersion = "1.8.0";
inline constexpr int kSchemaMajor = 1;

// Who made an artifact and from what: tool, version, command line (less the flags that cannot
// change results), resolved config, seed, and each input with its hash and its own provenance.
struct Provenance {
  std::string tool, version, command, config;
  std::uint64_t seed = 0;
  struct Input {
    std::string role;  // "model", "chip", "dataset", "init", ...
    std::string path;
    std::string sha256;
    std::shared_ptr<Provenance> provenance;  // null for inputs that are not nnc artifacts
  };
  std::vector<Input> inputs;
};

// A numeric array recorded alongside a model (CGaP's widths per step, a sweep's table...).
struct Series {
  std::vector<std::uint64_t> dims;
  std::vector<double> values;
};

struct ModelArtifact {
  Model model;
  std::string creator = "nnc";              // the tool that wrote it
  std::vector<EpochRecord> history;         // per-epoch training record
  std::map<std::string, Series> series;     // /history/<name>, anything else worth keeping
  std::map<std::string, std::string> notes; // /history attributes (strings)
  Provenance provenance;
  std::optional<TrainState> checkpoint;     // only in checkpoint files: where the run is
};

// "model", "chip", or throws a bad-input error (not HDF5, not nnc, newer major version).
std::string artifact_kind(const Bytes& bytes, const std::string& name);
// The file's own nnc_schema_version (checked as artifact_kind checks it).
std::string artifact_schema_version(const Bytes& bytes, const std::string& name);

Bytes encode_model(const ModelArtifact& a);
ModelArtifact decode_model(const Bytes& bytes, const std::string& name);

// Path or "-".
ModelArtifact load_model(const std::string& path);
void save_model(const std::string& path, const ModelArtifact& a);

}  // namespace nnc
