#include "nnc/device/fault_map.hpp"

#include <algorithm>

#include "nnc/nn/error.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/nn/rng.hpp"
#include "nnc/nn/streams.hpp"

namespace nnc {

int physical_cols(const LayerChip& lc, int spare) { return lc.cols + spare * lc.tile_cols; }

int natural_col(int c, int tile, int spare) {
  const int tc = c / tile;
  return tc * (tile + spare) + c - tc * tile;
}

int physical_row(const LayerChip& lc, int r) {
  return lc.row_map.empty() ? r : lc.row_map[static_cast<std::size_t>(r)];
}

int physical_col(const LayerChip& lc, int c, int tile, int spare) {
  return lc.col_map.empty() ? natural_col(c, tile, spare) : lc.col_map[static_cast<std::size_t>(c)];
}

FaultMap draw_fault_map(const ChipState& chip) {
  const DeviceParams& d = chip.device;
  const int T = d.tile, S = d.spare_cols;
  FaultMap map;
  for (const LayerChip& lc : chip.layers) {
    LayerFaults lf;
    lf.layer = lc.layer;
    lf.rows = lc.rows;
    lf.cols = physical_cols(lc, S);
    lf.plus.assign(lf.size(), kFaultNone);
    lf.minus.assign(lf.size(), kFaultNone);
    map.layers.push_back(std::move(lf));
  }
  struct Job {
    std::size_t layer;
    int tile;
  };
  std::vector<Job> jobs;
  for (std::size_t l = 0; l < chip.layers.size(); ++l) {
    for (int t = 0; t < chip.layers[l].tiles(); ++t) jobs.push_back({l, t});
  }
  parallel_for(static_cast<int>(jobs.size()), [&](int j) {
    const LayerChip& lc = chip.layers[jobs[j].layer];
    LayerFaults& lf = map.layers[jobs[j].layer];
    const int t = jobs[j].tile, tr = t / lc.tile_cols, tc = t % lc.tile_cols;
    const int r0 = tr * T, r1 = std::min(lc.rows, r0 + T);
    const int c0 = tc * (T + S), c1 = c0 + std::min(lc.cols, (tc + 1) * T) - tc * T + S;
    Rng rng(chip.seed, {stream::kChipFault, static_cast<std::uint64_t>(lc.layer), static_cast<std::uint64_t>(t)});
    auto draw = [&] {
      const double u = rng.uniform();
      return u < d.p_sf1 ? kFaultSF1 : u < d.p_sf1 + d.p_sf0 ? kFaultSF0 : kFaultNone;
    };
    for (int c = c0; c < c1; ++c) {
      for (int r = r0; r < r1; ++r) {
        const std::size_t k = static_cast<std::size_t>(c) * lf.rows + r;
        lf.plus[k] = draw();
        lf.minus[k] = draw();
      }
    }
  });
  return map;
}

void check_fault_map(const FaultMap& faults, const ChipState& chip, const std::string& what) {
  const int S = chip.device.spare_cols;
  if (faults.layers.size() != chip.layers.size()) {
    throw bad_input(what, "fault map has " + std::to_string(faults.layers.size()) + " layers, the chip maps " +
                              std::to_string(chip.layers.size()));
  }
  for (std::size_t l = 0; l < chip.layers.size(); ++l) {
    const LayerChip& lc = chip.layers[l];
    const LayerFaults& lf = faults.layers[l];
    const std::string layer = "fault map layer " + std::to_string(lf.layer);
    if (lf.layer != lc.layer) {
      throw bad_input(what, layer + " is not the chip's mapped layer " + std::to_string(lc.layer));
    }
    if (lf.rows != lc.rows || lf.cols != physical_cols(lc, S) || lf.plus.size() != lf.size() ||
        lf.minus.size() != lf.size()) {
      throw bad_input(what, layer + " is " + std::to_string(lf.rows) + " x " + std::to_string(lf.cols) +
                                " (rows x physical columns), the chip's is " + std::to_string(lc.rows) + " x " +
                                std::to_string(physical_cols(lc, S)));
    }
    for (std::size_t k = 0; k < lf.size(); ++k) {
      if (lf.plus[k] > kFaultSF0 || lf.minus[k] > kFaultSF0) {
        throw bad_input(what, layer + " has a fault code other than 0, 1, 2");
      }
    }
  }
}

std::string placement_problem(const LayerChip& lc, int tile, int spare) {
  const std::string layer = "layer " + std::to_string(lc.layer) + ": ";
  if (!lc.row_map.empty()) {
    if (lc.row_map.size() != static_cast<std::size_t>(lc.rows)) return layer + "row_map does not have one entry per row";
    std::vector<char> seen(static_cast<std::size_t>(lc.rows), 0);
    for (int r = 0; r < lc.rows; ++r) {
      const int p = lc.row_map[static_cast<std::size_t>(r)];
      if (p < 0 || p >= lc.rows || p / tile != r / tile || seen[static_cast<std::size_t>(p)]++) {
        return layer + "row_map is not a permutation of the rows within each tile row";
      }
    }
  }
  if (!lc.col_map.empty()) {
    if (lc.col_map.size() != static_cast<std::size_t>(lc.cols)) return layer + "col_map does not have one entry per column";
    const int pc = physical_cols(lc, spare);
    std::vector<char> seen(static_cast<std::size_t>(pc), 0);
    for (int c = 0; c < lc.cols; ++c) {
      const int p = lc.col_map[static_cast<std::size_t>(c)];
      if (p < 0 || p >= pc || p / (tile + spare) != c / tile || seen[static_cast<std::size_t>(p)]++) {
        return layer + "col_map does not place the columns on distinct physical columns of their tile column";
      }
    }
  }
  return "";
}

void place_faults(ChipState& chip, const FaultMap& faults) {
  const int T = chip.device.tile, S = chip.device.spare_cols;
  check_fault_map(faults, chip, "place_faults");
  for (std::size_t l = 0; l < chip.layers.size(); ++l) {
    LayerChip& lc = chip.layers[l];
    const LayerFaults& lf = faults.layers[l];
    for (int c = 0; c < lc.cols; ++c) {
      const int pc = physical_col(lc, c, T, S);
      for (int r = 0; r < lc.rows; ++r) {
        const std::size_t k = static_cast<std::size_t>(c) * lc.rows + r;
        const bool placed = lc.tile_used[static_cast<std::size_t>((r / T) * lc.tile_cols + c / T)];
        const std::size_t p = static_cast<std::size_t>(pc) * lf.rows + physical_row(lc, r);
        lc.fault_plus[k] = placed ? lf.plus[p] : std::uint8_t(kFaultNone);
        lc.fault_minus[k] = placed ? lf.minus[p] : std::uint8_t(kFaultNone);
      }
    }
  }
}

}  // namespace nnc
