// Random Sparse Adaptation (docs/design.md section 7): a few hard-wired high-precision (SRAM) cells
// beside the RRAM crossbars, selected at random per tile and trained by backprop while the
// RRAM stays read-only.
//
// Cells are addressed on a mapped layer's crossbar matrix (nn/stats.hpp crossbar_matrix):
// column-major rows x cols, rows = inputs (row = cin*k*k + i*k + j for conv), cols = outputs.
// The flat index row + col * rows is also the index into the layer's weight Param.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nnc/algo/bn_recalibrate.hpp"
#include "nnc/device/rsa_record.hpp"
#include "nnc/data/dataset.hpp"
#include "nnc/nn/model.hpp"
#include "nnc/nn/rng.hpp"

namespace nnc {

struct ChipState;

// n distinct cells of an r x c tile such that every row holds floor(n/r) or ceil(n/r) of
// them and every column floor(n/c) or ceil(n/c). Requires 0 <= n <= r*c. Construction:
// cell k (k < n) goes to row k mod r and to column b, where the column blocks are consecutive
// runs of k of lengths floor(n/c) or ceil(n/c) <= r (so the rows inside a block are distinct);
// rows and columns are then relabeled by random permutations (which picks the rows and columns
// that get the extra cell) and the pattern is randomized by degree-preserving switches
// ((i1,j1),(i2,j2) -> (i1,j2),(i2,j1) when both targets are empty), which keep every row and
// column count. Result sorted column-major (by col, then row).
std::vector<RsaCell> balanced_tile_cells(int r, int c, std::size_t n, Rng& rng);
// n distinct cells of an r x c tile uniformly at random (Floyd's sampling), no balance.
std::vector<RsaCell> random_tile_cells(int r, int c, std::size_t n, Rng& rng);

// Cells per tile: round(density * r * c), half away from zero.
std::size_t rsa_cells_for(int r, int c, double density);

// Selects cells in each listed layer (conv or dense; throws Error otherwise), tile by tile
// (tiles of `tile` x `tile` weight positions, edge tiles smaller), each tile from
// Rng(seed, {stream::kRsaSelection, layer, tile_index}) with tile_index = tile_row * tile_cols + tile_col.
// density in [0, 1].
// tile_used (empty, or parallel to `layers`; an empty entry means every tile of that layer):
// per tile of the `tile` grid, 0 if the chip did not place it. An unplaced tile has no
// crossbar, so it gets no RSA cell and no random draw; the other tiles' cells are the same
// as with every tile placed. Throws Error if an entry does not have one flag per tile.
RsaSelection select_rsa(const Model& m, const std::vector<int>& layers, double density,
                        RsaSelectionKind kind, std::uint64_t seed, int tile = 128,
                        const std::vector<std::vector<std::uint8_t>>& tile_used = {});

// The chip's placed tiles of each listed layer, for select_rsa: an empty entry where every
// tile of the layer is placed (so any selection tile works there), else the chip's tile_used
// (row-major over its tile grid). Throws Error if a layer is not mapped on the chip.
std::vector<std::vector<std::uint8_t>> placed_tiles(const ChipState& chip, const std::vector<int>& layers);

// The mapped (conv and dense) layer indices of m.
std::vector<int> mapped_layers(const Model& m);

// Initial values. Additive: N(0, s^2) with s = init_std_fraction * std of the layer's
// `pretrained` weights, from Rng(seed, {stream::kRsaInit, layer}). Replace: the pretrained weight at each
// cell. Quantized (bits > 0): step = max|w| of the pretrained layer / (2^(bits-1) - 1), values
// rounded to it and clamped to +-(2^(bits-1) - 1) steps.
RsaState init_rsa(const Model& pretrained, RsaSelection selection, RsaMode mode,
                  double init_std_fraction, int bits, std::uint64_t seed);

// Effective weights of the chip with RSA: m holds the chip's read-back weights (RRAM alone);
// additive adds each value to its weight, replace overwrites the weight (the RRAM cell is
// wired out). Throws Error if the state does not fit m's layers.
void apply_rsa(Model& m, const RsaState& state);

// Crossbar reads of one sample through the listed mapped layers: output positions (h*w of a
// conv's output, 1 for dense), summed over layers. Forward and backward each take this many.
double crossbar_reads_per_sample(const Model& m, const std::vector<int>& layers);
// Modeled seconds of one training step: 2 * batch * reads_per_sample * t_mvm + cells * t_sram.
double rsa_step_seconds(double reads_per_sample, int batch, std::size_t cells, const RsaTimeModel& t);

// Loss gradient with respect to every RSA value (parallel to state.values) for one batch, the
// chip's weights (chip_model's conv and dense weights) held fixed. Batch norm runs on its
// running statistics. chip_model is used as scratch and restored.
std::vector<std::vector<double>> rsa_gradient(Model& chip_model, const RsaState& state,
                                              const Tensor& x, const int* labels);

// Trains the RSA values only, with SGD and momentum (no weight decay): each step the weights
// become chip weights (+) RSA values, a training-mode forward (batch norm frozen) and backward
// run, and the weight gradients at the RSA cells update the values; quantized cells round after
// every update. chip_model is not changed. `progress` (may be empty) gets (step, steps, loss);
// `after_epoch` (may be empty) gets each finished epoch (1-based) and the state after it.
RsaReport adapt_rsa(const Model& chip_model, RsaState& state, const Dataset& train_set,
                    const Dataset& validation, const RsaTrainOptions& options, const RsaTimeModel& time,
                    const std::function<void(long, long, double)>& progress = {},
                    const std::function<void(int, const RsaState&)>& after_epoch = {});

}  // namespace nnc
