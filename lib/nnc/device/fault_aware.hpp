// Fault-aware programming and mapping (docs/design.md section 6, docs/algorithms.md "Fault-aware
// mapping"): with the chip's fault map known before programming, the healthy cell of a pair
// compensates a stuck partner, and the rows and columns of each layer are placed on the physical
// rows and columns (spares included) where what cannot be compensated costs least.
#pragma once
#include <cstdint>

#include "nnc/device/fault_map.hpp"

namespace nnc {

// The levels (0..top) the G+ and G- cells of a pair are written to for the signed target level.
struct PairLevels {
  int plus = 0, minus = 0;
};
// Without compensation: the sign's cell carries |level|, the other level 0, whatever the faults.
// With it: a stuck cell counts as level 0 (SF1) or top (SF0) and its healthy partner is written so
// that plus - minus comes as close to `level` as [0, top] allows (a cell stuck at LRS is cancelled
// by raising its partner). A stuck cell's own entry is its stuck level (it takes no write).
PairLevels pair_levels(int level, std::uint8_t fault_plus, std::uint8_t fault_minus, int top, bool compensate);

// Levels by which a compensated pair with these faults misses `level` at best: 0 if a healthy
// cell can make up for the stuck one, |level| if the stuck cell forces the pair to 0, up to
// top + |level| when both are stuck.
int pair_residual(int level, std::uint8_t fault_plus, std::uint8_t fault_minus, int top);

// Sum over the placed positions of chip (from map_to_tiles, its row_map and col_map set or empty)
// of pair_residual under `faults`: the mapping's cost, in levels.
std::int64_t placement_cost(const ChipState& chip, const FaultMap& faults);

// Sets row_map and col_map of every mapped layer to a placement of low placement_cost: starting
// from the natural placement, alternately the best column placement of each tile column given the
// rows (an exact assignment, spare columns included) and the best row placement of each tile row
// given the columns, until a round no longer lowers the cost (at most 4 rounds); ties keep a row or
// column where it was. Deterministic whatever the thread count.
void choose_fault_aware_placement(ChipState& chip, const FaultMap& faults);

}  // namespace nnc
