// FaultMap: the stuck-at faults of a chip's physical cells, known before programming (docs/design.md
// section 6; the file format in docs/schema.md "Fault maps and fault-aware mapping"): drawn from
// the chip's seed, or measured by a chip test and read from a file. Also the physical geometry of
// a layer with spare columns, and the placement of logical rows and columns on physical ones
// (LayerChip::row_map, col_map).
//
// Physical geometry of a layer of rows x cols weight positions, tile T, S spare columns per tile
// column: the rows are the crossbar matrix's; tile column tc holds its w_tc = min(cols, (tc+1) T)
// - tc T logical columns on the physical columns [tc (T+S), tc (T+S) + w_tc + S), the last S of
// them spares. Physical tile (tr, tc) is those columns by the rows of tile row tr; its number is
// tr * tile_cols + tc, as the logical tile's. A logical row stays in its tile row and a logical
// column in its tile column, so logical tile t and physical tile t hold the same weights (the
// same placement, the same ADC blocks: one per tile row).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "nnc/device/chip.hpp"

namespace nnc {

struct LayerFaults {
  int layer = 0;          // model layer index
  int rows = 0, cols = 0; // physical rows and columns (spares included)
  // Fault (device/chip.hpp) of the G+ and G- cell of each physical position, index = col * rows
  // + row, as the per-cell arrays of a chip.
  std::vector<std::uint8_t> plus, minus;
  std::size_t size() const { return static_cast<std::size_t>(rows) * cols; }
};

struct FaultMap {
  std::vector<LayerFaults> layers;  // one per mapped layer of the chip, in model order
};

// Physical columns of a layer: cols + spare * tile_cols.
int physical_cols(const LayerChip& lc, int spare);
// The physical column of logical column c in the natural placement: tc (T+S) + c - tc T.
int natural_col(int c, int tile, int spare);
// Physical row and column of logical (r, c) under the layer's maps (empty: natural placement).
int physical_row(const LayerChip& lc, int r);
int physical_col(const LayerChip& lc, int c, int tile, int spare);

// The fault map of a chip from map_to_tiles: every physical tile, placed or not, from
// Rng(chip seed, {stream::kChipFault, layer, tile}), its cells column by column (rows within a
// column), two draws per cell (G+, then G-): SF1 with p_sf1, SF0 with p_sf0. Without spare
// columns these are exactly the faults nnc drew before fault maps existed.
FaultMap draw_fault_map(const ChipState& chip);

// Throws bad_input(what, ...) if `faults` does not fit `chip` (from map_to_tiles): a layer per
// mapped layer, in order, each rows x physical_cols, codes 0..2.
void check_fault_map(const FaultMap& faults, const ChipState& chip, const std::string& what);

// What is wrong with lc's row_map and col_map (sizes, ranges, a row leaving its tile row, a column
// its tile column or two on one physical column), or "" if they are sound or empty.
std::string placement_problem(const LayerChip& lc, int tile, int spare);

// Sets fault_plus and fault_minus of every position of the placed tiles of `chip` to the fault of
// the physical cells that carry it (row_map, col_map); positions of unplaced tiles get none.
void place_faults(ChipState& chip, const FaultMap& faults);

}  // namespace nnc
