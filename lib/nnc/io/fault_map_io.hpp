// Fault-map files (docs/schema.md, "Fault maps and fault-aware mapping"): the stuck cells of a chip
// as a chip test measures them, read by nnc-program-rram --fault-map and written by
// --write-fault-map. Two forms, told apart by content: HDF5 (a dense uint8 array per layer and
// cell) or CSV (one line per stuck cell).
#pragma once
#include <string>

#include "nnc/device/fault_map.hpp"
#include "nnc/io/bytes.hpp"

namespace nnc {

// Reads a fault map for `chip` (from map_to_tiles: its mapped layers and their physical shape,
// spare columns included). Refuses (nnc::Error, exit 2, one line naming the file and, for CSV,
// the line) a layer that is not a mapped layer of the chip, a position outside the layer's
// physical array, a cell other than plus or minus, a code other than 0, 1, 2, a cell listed
// twice, an HDF5 array of the wrong shape or a mapped layer missing from an HDF5 map.
FaultMap decode_fault_map(const Bytes& bytes, const std::string& name, const ChipState& chip);

// The HDF5 form (root @nnc_kind "fault_map", /layers/NNN/fault_plus and fault_minus) and the CSV
// form (header `layer,row,col,cell,fault`, one line per stuck cell, layer by layer, column by
// column, row by row, plus before minus).
Bytes encode_fault_map_h5(const FaultMap& faults, const std::string& creator);
std::string encode_fault_map_csv(const FaultMap& faults);

// Writes the CSV form if `path` ends in .csv, else the HDF5 form (by rename, like every output).
void save_fault_map(const std::string& path, const FaultMap& faults, const std::string& creator);

}  // namespace nnc
