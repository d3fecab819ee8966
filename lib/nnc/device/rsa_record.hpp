// What Random Sparse Adaptation leaves on a chip (docs/design.md section 7; the /rsa group of
// docs/schema.md): where the RSA cells are, their values, and the record of how they were
// trained. Plain data, so that io/ can store it without knowing the algorithm (algo/rsa.hpp).
//
// Cells are addressed on a mapped layer's crossbar matrix (nn/stats.hpp crossbar_matrix):
// column-major rows x cols, rows = inputs (row = cin*k*k + i*k + j for conv), cols = outputs.
// The flat index row + col * rows is also the index into the layer's weight Param.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nnc/nn/tensor.hpp"

namespace nnc {

enum class RsaMode { additive, replace };
enum class RsaSelectionKind { balanced, random };

std::string to_string(RsaMode m);               // "additive" | "replace"
std::string to_string(RsaSelectionKind k);      // "balanced" | "random"
RsaMode parse_rsa_mode(const std::string& s);   // throws Error for anything else
RsaSelectionKind parse_rsa_selection(const std::string& s);

struct RsaCell {
  int row = 0, col = 0;
  bool operator==(const RsaCell&) const = default;
};

struct RsaLayerCells {
  int layer = 0;                     // index in Model::layers()
  int rows = 0, cols = 0;            // the crossbar matrix
  std::vector<std::uint32_t> index;  // flat row + col*rows, sorted ascending, no duplicates
  std::size_t placed = 0;            // weight positions in the placed tiles (rows * cols if all are)
};

struct RsaSelection {
  RsaSelectionKind kind = RsaSelectionKind::balanced;
  double density = 0.05;
  int tile = 128;
  std::uint64_t seed = 1;
  std::vector<RsaLayerCells> layers;  // one per selected mapped layer, in model order
  std::size_t cells() const;
  std::size_t placed() const;  // weight positions in placed tiles, all layers
};

// RSA values of one layer and, when quantized, their step.
struct RsaLayerValues {
  std::vector<Real> value;  // one per cell of the matching RsaLayerCells
  double step = 0;          // quantization step (0: 32-bit float cells)
};

struct RsaState {
  RsaSelection selection;
  RsaMode mode = RsaMode::additive;
  int bits = 0;  // 0: float32 cells; else signed fixed point of this many bits
  std::vector<RsaLayerValues> values;  // parallel to selection.layers
  std::size_t cells() const { return selection.cells(); }
  // SRAM needed: 4 bytes per cell for float, else ceil(bits * cells / 8) per layer.
  std::size_t sram_bytes() const;
  std::size_t layer_sram_bytes(std::size_t i) const;
};

// The crossbar time model of an adaptation (docs/design.md section 10).
struct RsaTimeModel {
  double t_mvm_s = 100e-9;  // one crossbar read of one input vector, all tiles in parallel
  double t_sram_s = 1e-9;   // one RSA cell update
};

struct RsaTrainOptions {
  int epochs = 1;
  int batch = 64;
  double lr = 0.01;
  std::string schedule = "constant";  // constant, or cosine: from lr down to 0 over the run
  double momentum = 0.9;              // SGD's momentum; Adam's beta1
  std::string optimizer = "sgd";      // sgd, or adam (beta2 0.999, eps 1e-8; docs/algorithms.md)
  int eval_points = 5;        // validation accuracy at this many evenly spaced steps (plus step 0)
  std::size_t val_limit = 0;  // validate on the first N images (0: all)
  std::uint64_t seed = 1;     // batch order: Rng(seed, {stream::kRsaShuffle, epoch})
  bool augment = false;       // training images cropped (pad augment_pad) and flipped, as in training
  int augment_pad = 4;
  bool augment_flip = true;
  int cutout = 0;             // cutout square side with augmentation (0: none)
};

struct RsaPoint {
  long step = 0;
  double time_s = 0;        // modeled adaptation time up to this step
  double val_accuracy = 0;
  double val_loss = 0;
};

struct RsaEpoch {
  int epoch = 0;  // 1-based
  double train_loss = 0, train_accuracy = 0;
};

struct RsaReport {
  double reads_per_sample = 0;
  double step_seconds = 0;  // modeled, one step
  long steps = 0;
  double time_s = 0;        // modeled, whole adaptation
  std::vector<RsaPoint> points;
  std::vector<RsaEpoch> epochs;
};

struct BnRecalibrationReport {
  std::size_t images = 0;        // images used
  int layers = 0;                // batch-norm layers recalibrated
  double reads_per_image = 0;    // crossbar reads per image over all passes (see recalibrate_batch_norm)
  double time_s = 0;             // modeled: images * reads_per_image * t_mvm
};

// What a chip's /rsa group holds (docs/schema.md): the cells and values, how they were
// trained, and the adaptation's record.
struct RsaRecord {
  RsaState state;
  double init_std_fraction = 0.01;
  RsaTrainOptions options;
  RsaTimeModel time;
  RsaReport report;
  // Set when the batch-norm statistics of the chip's model part were recalibrated on the chip
  // (before RSA training, which then ran with them frozen).
  std::optional<BnRecalibrationReport> bn_recalibration;
};

}  // namespace nnc
