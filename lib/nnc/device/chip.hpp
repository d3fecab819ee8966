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
  // The ADC's full scale of each tile row (calibrate_adc: the one calibration rule), in partial-sum
  // units (weight units times input) at t0; empty until calibrated. Independent of adc_bits.
  std::vector<double> adc_full_scale;
  // Where the weights sit (device/fault_map.hpp): logical row r (column c) of the crossbar matrix
  // is carried by physical row row_map[r] (column col_map[c]) of the layer's physical array,
  // within its own tile row (tile column). Empty: the natural placement. Per-cell arrays stay in
  // logical order, so they read back without the maps.
  std::vector<std::int32_t> row_map, col_map;
  std::uint64_t writes = 0;          // write pulses of the first (one-shot) write: cells written

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
  // Every write pulse programming cost: the first writes plus R-V-W's further pulses.
  std::uint64_t write_pulses() const;
  const LayerChip* find(int layer_index) const;  // null if the layer is not mapped
};

// Mapping (docs/design.md section 6): w_max per layer, the tile grid and the target levels; no
// cell written yet. Requires device.validate() to pass.
ChipState map_to_tiles(const Model& model, const DeviceParams& device, std::uint64_t seed);

// Takes the fault map (`faults`, measured, or else drawn from the chip's seed: device/fault_map.hpp),
// places the weights (with device.map "fault-aware", the row and column maps of
// device/fault_aware.hpp), records each cell's fault and writes every cell once (lognormal
// variation around its target; fault-aware: stuck cells are not written and the partner of a
// stuck cell compensates it). Requires a chip from map_to_tiles and faults that fit it.
struct FaultMap;
void program_oneshot(ChipState& chip, const FaultMap* faults = nullptr);

// Read-verify-write on a one-shot programmed chip: rewrites each cell of the verified weights
// until its read is within half a level step of its target or max_pulses is reached; records
// pulses and modeled time. `model` is the one mapped (it picks the largest-|w| fraction).
void read_verify_write(const Model& model, ChipState& chip);

// map_to_tiles, program_oneshot (with `faults`, else drawn), and read_verify_write if
// device.method is "rvw".
ChipState program_chip(const Model& model, const DeviceParams& device, std::uint64_t seed,
                       const FaultMap* faults = nullptr);

// The model the chip computes: mapped conv and dense weights read back from the conductances
// at chip.device.time_s seconds after programming, w = (G+(t) - G-(t)) * w_max / (G_on - G_off),
// each cell drifted as G(t) = G(t0) (t/t0)^-nu (t0 = 1 s, nu per cell from the chip's drift
// stream, stuck cells do not drift), times the layer's drift compensation scale when
// chip.device.drift_compensation (docs/algorithms.md "Drift"); biases, batch norm and digital
// layers as in `model`. No read noise: that is drawn per read by the read-out (attach_readout).
// Weight masks are dropped: every placed cell conducts. Throws if the chip does not fit the model.
Model read_back_weights(const ChipState& chip, const Model& model);
// The same at time_s (>= 1 s), compensated or not, whatever chip.device says.
Model read_back_weights_at(const ChipState& chip, const Model& model, double time_s, bool compensate);

// Global drift compensation (aihwkit's GlobalDriftCompensation): per chip layer, the scale
// S(t0) / S(t), S(t) = sum over columns of |column output| for an all-ones input through the
// layer's read-back weights at t (no noise, no ADC); 1 where S(t) is 0.
std::vector<double> drift_compensation_scales(const ChipState& chip, double time_s);

// The one ADC calibration rule (docs/algorithms.md "ADC resolution"): per mapped layer and tile
// row, the largest |partial sum| over a forward pass (inference mode) of `calibration`
// (adc_calibration_batch: the first 256 images of the training split) through `model` with
// the chip's read-back weights at t0 (no drift, no read noise, no compensation, no RSA) and
// every ADC passing its sums through. `model` gives everything else, batch-norm statistics
// included, so a chip whose batch norm was recalibrated is calibrated with the new statistics.
// Stores them in each chip layer's adc_full_scale. Deterministic whatever the thread count.
void calibrate_adc(ChipState& chip, const Model& model, const Tensor& calibration);
// True if every mapped layer of the chip holds its ADC full scales.
bool adc_calibrated(const ChipState& chip);

// Gives each mapped layer of on_chip (read_back_weights(chip, model), before RSA is applied) the
// chip's read-out (device/adc.hpp AdcReadout, set as the layer's nn/readout.hpp
// PartialSumReadout), one block per tile row, analog weights = the read-back weights: fresh
// read noise on every read when read_noise_sigma > 0 (seeded by the chip's seed and read_seed),
// then the ADC when adc_bits > 0, with the chip's full scales (throws Error if it has none:
// calibrate_adc first) times the layer's drift compensation scale. A no-op when both are off:
// the exact product, bit for bit as before.
void attach_readout(Model& on_chip, const ChipState& chip);
// attach_readout, with the ADC calibrated first by calibrate_adc(on `calibration`, with on_chip's
// batch norm) if the chip holds no full scales (`chip` is not changed).
void attach_adc(Model& on_chip, const ChipState& chip, const Tensor& calibration);
// read_back_weights, then attach_readout: the model a chip computes at its read-out conditions.
Model read_chip(const ChipState& chip, const Model& model);
// Starts read stream `stream` (nn/streams.hpp stream::read) on every read-out of m.
void start_reads(Model& m, std::uint64_t stream);

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
  std::uint64_t writes = 0;       // first-write pulses (LayerChip::writes)
  // Weight positions whose stuck cells keep the pair off its target level, as programmed (with
  // the compensation of --map fault-aware), and the levels missed in all (device/fault_aware.hpp).
  std::size_t off_target = 0;
  std::uint64_t off_target_levels = 0;
};
std::vector<LayerChipStats> chip_stats(const ChipState& chip);

}  // namespace nnc
