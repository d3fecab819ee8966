#include "nnc/device/fault_aware.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "nnc/nn/parallel.hpp"

namespace nnc {

namespace {

int stuck_level(std::uint8_t fault, int top) { return fault == kFaultSF0 ? top : 0; }

// pair_residual of every (level, fault_plus, fault_minus), so the cost sums are table look-ups.
class ResidualTable {
 public:
  explicit ResidualTable(int top) : top_(top), table_(static_cast<std::size_t>(2 * top + 1) * 9) {
    for (int level = -top; level <= top; ++level) {
      for (std::uint8_t fp = 0; fp < 3; ++fp) {
        for (std::uint8_t fm = 0; fm < 3; ++fm) table_[index(level, fp, fm)] = pair_residual(level, fp, fm, top);
      }
    }
  }
  std::int64_t operator()(int level, std::uint8_t fp, std::uint8_t fm) const { return table_[index(level, fp, fm)]; }

 private:
  std::size_t index(int level, std::uint8_t fp, std::uint8_t fm) const {
    return (static_cast<std::size_t>(level + top_) * 3 + fp) * 3 + fm;
  }
  int top_;
  std::vector<std::int64_t> table_;
};

// The minimum-cost assignment of n rows to distinct columns of an n x m cost matrix (n <= m,
// row-major): for each row its column. The Hungarian method with potentials, O(n^2 m), exact.
std::vector<int> assign(const std::vector<std::int64_t>& cost, int n, int m) {
  constexpr std::int64_t inf = std::numeric_limits<std::int64_t>::max() / 4;
  auto a = [&](int i, int j) { return cost[static_cast<std::size_t>(i - 1) * m + (j - 1)]; };  // 1-based
  std::vector<std::int64_t> u(n + 1, 0), v(m + 1, 0), minv(m + 1);
  std::vector<int> p(m + 1, 0), way(m + 1, 0);
  std::vector<char> used(m + 1);
  for (int i = 1; i <= n; ++i) {
    p[0] = i;
    int j0 = 0;
    std::fill(minv.begin(), minv.end(), inf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      const int i0 = p[j0];
      std::int64_t delta = inf;
      int j1 = 0;
      for (int j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const std::int64_t cur = a(i0, j) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int j = 0; j <= m; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const int j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> out(static_cast<std::size_t>(n), -1);
  for (int j = 1; j <= m; ++j) {
    if (p[j] != 0) out[static_cast<std::size_t>(p[j] - 1)] = j - 1;
  }
  return out;
}

// Cost matrices are scaled so that ties go to the natural position: cost * (n + 1) + (moved ? 1 : 0);
// n + 1 > the most the tie-breaks can add, so the assignment stays optimal in the cost itself.
void add_tie_break(std::vector<std::int64_t>& cost, int n, int m) {
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < m; ++j) {
      std::int64_t& x = cost[static_cast<std::size_t>(i) * m + j];
      x = x * (n + 1) + (i != j);
    }
  }
}

bool placed(const LayerChip& lc, int tile, int r, int c) {
  return lc.tile_used[static_cast<std::size_t>((r / tile) * lc.tile_cols + c / tile)] != 0;
}

// The best placement of the columns of tile column tc given the rows: col_map of its columns.
void place_columns(LayerChip& lc, const LayerFaults& lf, int tile, int spare, int tc, const ResidualTable& resid) {
  const int c0 = tc * tile, w = std::min(lc.cols, c0 + tile) - c0, m = w + spare, p0 = tc * (tile + spare);
  std::vector<std::int64_t> cost(static_cast<std::size_t>(w) * m, 0);
  for (int i = 0; i < w; ++i) {
    const int c = c0 + i;
    for (int r = 0; r < lc.rows; ++r) {
      if (!placed(lc, tile, r, c)) continue;
      const int level = lc.target_level[static_cast<std::size_t>(c) * lc.rows + r];
      const int pr = physical_row(lc, r);
      std::int64_t* row = &cost[static_cast<std::size_t>(i) * m];
      for (int j = 0; j < m; ++j) {
        const std::size_t k = static_cast<std::size_t>(p0 + j) * lf.rows + pr;
        row[j] += resid(level, lf.plus[k], lf.minus[k]);
      }
    }
  }
  add_tie_break(cost, w, m);
  const std::vector<int> to = assign(cost, w, m);
  for (int i = 0; i < w; ++i) lc.col_map[static_cast<std::size_t>(c0 + i)] = p0 + to[static_cast<std::size_t>(i)];
}

// The best placement of the rows of tile row tr given the columns: row_map of its rows.
void place_rows(LayerChip& lc, const LayerFaults& lf, int tile, int spare, int tr, const ResidualTable& resid) {
  const int r0 = tr * tile, n = std::min(lc.rows, r0 + tile) - r0;
  std::vector<std::int64_t> cost(static_cast<std::size_t>(n) * n, 0);
  for (int c = 0; c < lc.cols; ++c) {
    if (!placed(lc, tile, r0, c)) continue;
    const std::size_t pc = static_cast<std::size_t>(physical_col(lc, c, tile, spare)) * lf.rows + r0;
    const std::int32_t* levels = &lc.target_level[static_cast<std::size_t>(c) * lc.rows + r0];
    for (int i = 0; i < n; ++i) {
      std::int64_t* row = &cost[static_cast<std::size_t>(i) * n];
      for (int j = 0; j < n; ++j) row[j] += resid(levels[i], lf.plus[pc + j], lf.minus[pc + j]);
    }
  }
  add_tie_break(cost, n, n);
  const std::vector<int> to = assign(cost, n, n);
  for (int i = 0; i < n; ++i) lc.row_map[static_cast<std::size_t>(r0 + i)] = r0 + to[static_cast<std::size_t>(i)];
}

}  // namespace

PairLevels pair_levels(int level, std::uint8_t fault_plus, std::uint8_t fault_minus, int top, bool compensate) {
  PairLevels out{std::max(level, 0), std::max(-level, 0)};
  if (!compensate) return out;
  if (fault_plus != kFaultNone) out.plus = stuck_level(fault_plus, top);
  if (fault_minus != kFaultNone) out.minus = stuck_level(fault_minus, top);
  if (fault_plus != kFaultNone && fault_minus == kFaultNone) out.minus = std::clamp(out.plus - level, 0, top);
  if (fault_minus != kFaultNone && fault_plus == kFaultNone) out.plus = std::clamp(level + out.minus, 0, top);
  return out;
}

int pair_residual(int level, std::uint8_t fault_plus, std::uint8_t fault_minus, int top) {
  const int p_lo = fault_plus == kFaultNone ? 0 : stuck_level(fault_plus, top);
  const int p_hi = fault_plus == kFaultNone ? top : stuck_level(fault_plus, top);
  const int m_lo = fault_minus == kFaultNone ? 0 : stuck_level(fault_minus, top);
  const int m_hi = fault_minus == kFaultNone ? top : stuck_level(fault_minus, top);
  const int lo = p_lo - m_hi, hi = p_hi - m_lo;
  return level < lo ? lo - level : level > hi ? level - hi : 0;
}

std::int64_t placement_cost(const ChipState& chip, const FaultMap& faults) {
  const int T = chip.device.tile, S = chip.device.spare_cols, top = chip.device.levels - 1;
  std::int64_t sum = 0;
  for (std::size_t l = 0; l < chip.layers.size(); ++l) {
    const LayerChip& lc = chip.layers[l];
    const LayerFaults& lf = faults.layers.at(l);
    for (int c = 0; c < lc.cols; ++c) {
      const std::size_t pc = static_cast<std::size_t>(physical_col(lc, c, T, S)) * lf.rows;
      for (int r = 0; r < lc.rows; ++r) {
        if (!placed(lc, T, r, c)) continue;
        const std::size_t k = pc + static_cast<std::size_t>(physical_row(lc, r));
        sum += pair_residual(lc.target_level[static_cast<std::size_t>(c) * lc.rows + r], lf.plus[k], lf.minus[k], top);
      }
    }
  }
  return sum;
}

void choose_fault_aware_placement(ChipState& chip, const FaultMap& faults) {
  const int T = chip.device.tile, S = chip.device.spare_cols;
  check_fault_map(faults, chip, "choose_fault_aware_placement");
  const ResidualTable resid(chip.device.levels - 1);
  for (std::size_t l = 0; l < chip.layers.size(); ++l) {
    LayerChip& lc = chip.layers[l];
    lc.row_map.resize(static_cast<std::size_t>(lc.rows));
    lc.col_map.resize(static_cast<std::size_t>(lc.cols));
    for (int r = 0; r < lc.rows; ++r) lc.row_map[static_cast<std::size_t>(r)] = r;
    for (int c = 0; c < lc.cols; ++c) lc.col_map[static_cast<std::size_t>(c)] = natural_col(c, T, S);
  }
  // Each tile column (tile row) is one job writing only its own entries of col_map (row_map).
  struct Job {
    std::size_t layer;
    int index;
  };
  auto jobs = [&](bool columns) {
    std::vector<Job> out;
    for (std::size_t l = 0; l < chip.layers.size(); ++l) {
      const int count = columns ? chip.layers[l].tile_cols : chip.layers[l].tile_rows;
      for (int i = 0; i < count; ++i) out.push_back({l, i});
    }
    return out;
  };
  const std::vector<Job> column_jobs = jobs(true), row_jobs = jobs(false);
  std::int64_t cost = placement_cost(chip, faults);
  for (int round = 0; round < 4 && cost > 0; ++round) {
    parallel_for(static_cast<int>(column_jobs.size()), [&](int j) {
      const Job& job = column_jobs[static_cast<std::size_t>(j)];
      place_columns(chip.layers[job.layer], faults.layers[job.layer], T, S, job.index, resid);
    });
    parallel_for(static_cast<int>(row_jobs.size()), [&](int j) {
      const Job& job = row_jobs[static_cast<std::size_t>(j)];
      place_rows(chip.layers[job.layer], faults.layers[job.layer], T, S, job.index, resid);
    });
    const std::int64_t next = placement_cost(chip, faults);
    if (next >= cost) break;
    cost = next;
  }
}

}  // namespace nnc
