// ChipState: a model written onto RRAM crossbars (docs/design.md section 6): per mapped layer the
// weight scale, the tile grid, the target level of each weight position, the programmed
// conductance and fault state of both cells of each differential pair, and R-V-W's pulses.
// Programming (program_oneshot, read_verify_write) and read_back_weights, the weights the chip
// computes with.
//
// Layout of every per-cell array of a layer: the weight's own row-major storage ([out][in] or
// [out][in][kh][kw]), i.e. column-major rows x cols of the crossbar matrix, index = col * rows
// + row (nn/stats.hpp crossbar_matrix). Tile (tr, tc) holds rows [tr*T, (tr+1)*T) and columns
// [tc*T, (tc+1)*T); its number is tr * tile_cols + tc.
#pragma once
#include <cstdint>
#include <vector>

#include "nnc/device/params.hpp"
#include "nnc/nn/model.hpp"

namespace nnc {

// Fault state of one cell.
enum Fault : std::uint8_t { kFaultNone = 0, kFaultSF1 = 1 /* stuck at HRS */, kFaultSF0 = 2 /* stuck at LRS */ };

// Random streams: Rng(chip seed, {stream::kChip..., layer index, tile number}) (nn/streams.hpp).

struct LayerChip {
  int layer = 0;                     // index of the layer in the model
  std::vector<int> weight_shape;     // the weight's logical shape
  int rows = 0, cols = 0;            // crossbar matrix: inputs x outputs
  int tile_rows = 0, tile_cols = 0;  // tile grid
  double w_max = 0;                  // weight scale: |w| = w_max is the top level
  std::vector<std::uint8_t> tile_used;  // per tile: 0 if the tile holds no nonzero weight (not placed)
  std::vector<std::int32_t> target_level;  // signed: +k on G+, -k on G-, 0 both at level 0
  std::vector<float> g_plus, g_minus;      // programmed conductance, siemens (0 in tiles not placed)
  std::vector<std::uint8_t> fault_plus, fault_minus;  // Fault per cell
  std::vector<std::uint16_t> pulses_plus, pulses_minus;  // R-V-W write pulses (empty after one-shot;
                                                         // 0 = cell not verified, written once)
  double time_s = 0;                 // modeled R-V-W time of this layer (0 after one-shot)

  std::size_t size() const { return static_cast<std::size_t>(rows) * cols; }
  int tiles() const { return tile_rows * tile_cols; }
};

struct ChipState {
  DeviceParams device;
  std::uint64_t seed = 0;            // the chip's seed (fault, write, verify and read streams)
  std::vector<LayerChip> layers;     // mapped layers, in model order
  bool verified() const { return !layers.empty() && !layers.front().pulses_plus.empty(); }
  double time_s() const;             // total modeled R-V-W time
  std::uint64_t pulses() const;      // total R-V-W write pulses
  const LayerChip* find(int layer_index) const;  // null if the layer is not mapped
};

// Mapping (docs/design.md section 6): w_max per layer, the tile grid and the target levels; no
// cell written yet. Requires device.validate() to pass.
ChipState map_to_tiles(const Model& model, const DeviceParams& device, std::uint64_t seed);

// Draws the fault map and writes every cell once (lognormal variation around its target).
void program_oneshot(ChipState& chip);

// Read-verify-write on a one-shot programmed chip: rewrites each cell of the verified weights
// until its read is within half a level step of its target or max_pulses is reached; records
// pulses and modeled time. `model` is the one mapped (it picks the largest-|w| fraction).
void read_verify_write(const Model& model, ChipState& chip);

// map_to_tiles, program_oneshot, and read_verify_write if device.method is "rvw".
ChipState program_chip(const Model& model, const DeviceParams& device, std::uint64_t seed);

// The model the chip computes: mapped conv and dense weights read back from the conductances,
// w = (G+ - G-) * w_max / (G_on - G_off) (each read with read noise if the device has any);
// biases, batch norm and digital layers as in `model`. Weight masks are dropped: every
// placed cell conducts. Throws if the chip does not fit the model.
Model read_back_weights(const ChipState& chip, const Model& model);

// With chip.device.adc_bits > 0, gives each mapped layer of on_chip (read_back_weights(chip,
// model), before RSA is applied) an ADC read-out (device/adc.hpp AdcReadout, set as the layer's
// nn/readout.hpp PartialSumReadout): one block per tile row, analog weights = the read-back
// weights, and one full scale per tile row, the largest |column sum| of that tile row over a
// forward pass of `calibration` (inference mode) through on_chip itself (docs/design.md section
// 6, docs/algorithms.md "ADC resolution"). A no-op when adc_bits is 0. Deterministic whatever
// the thread count.
void attach_adc(Model& on_chip, const ChipState& chip, const Tensor& calibration);

// Checks that the chip's layers fit the model (mapped layers, shapes, array sizes); throws
// Error with `what` (e.g. the file name) naming the mismatch.
void check_chip_fits(const ChipState& chip, const Model& model, const std::string& what);

// Per-layer figures for reports.
struct LayerChipStats {
  int layer = 0;
  std::size_t cells = 0;          // cells of placed tiles (two per weight position)
  std::size_t sf1 = 0, sf0 = 0;   // stuck cells
  int levels_used = 0;            // distinct |target level| values
  int tiles = 0, tiles_used = 0;
  std::uint64_t pulses = 0;
  double time_s = 0;
};
std::vector<LayerChipStats> chip_stats(const ChipState& chip);

}  // namespace nnc
