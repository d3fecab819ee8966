#include "nnc/device/chip.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "nnc/device/adc.hpp"
#include "nnc/device/fault_aware.hpp"
#include "nnc/device/fault_map.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/nn/rng.hpp"
#include "nnc/nn/stats.hpp"
#include "nnc/nn/streams.hpp"

namespace nnc {

namespace {

int ceil_div(int a, int b) { return (a + b - 1) / b; }

template <class L>
auto& weight_of(L& l) {  // Param& or const Param&
  auto* w = l.weight_param();
  if (!w) throw Error("layer " + l.spec() + " has no weight");
  return *w;
}

// The rectangle of tile t of a layer: rows [r0, r1), cols [c0, c1).
struct TileBox {
  int r0, r1, c0, c1;
};
TileBox tile_box(const LayerChip& lc, int tile, int t) {
  const int tr = t / lc.tile_cols, tc = t % lc.tile_cols;
  return {tr * tile, std::min(lc.rows, (tr + 1) * tile), tc * tile, std::min(lc.cols, (tc + 1) * tile)};
}

// One (layer, tile) job of a chip, so parallel loops cover every tile of every layer.
struct TileJob {
  std::size_t layer;  // index into chip.layers
  int tile;
};
std::vector<TileJob> tile_jobs(const ChipState& chip) {
  std::vector<TileJob> jobs;
  for (std::size_t l = 0; l < chip.layers.size(); ++l) {
    for (int t = 0; t < chip.layers[l].tiles(); ++t) jobs.push_back({l, t});
  }
  return jobs;
}

double weight_scale(const ConstMatrixMap& w, double percentile) {
  std::vector<float> mag;
  mag.reserve(static_cast<std::size_t>(w.size()));
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    if (w.data()[i] != 0) mag.push_back(std::fabs(w.data()[i]));
  }
  if (mag.empty()) return 1;  // nothing to map: any scale puts every weight at level 0
  if (percentile <= 0) return *std::max_element(mag.begin(), mag.end());
  // Nearest rank: the smallest |w| with at least q% of the nonzero magnitudes at or below it.
  const auto n = mag.size();
  auto rank = static_cast<std::size_t>(std::ceil(percentile / 100.0 * static_cast<double>(n)));
  rank = std::clamp<std::size_t>(rank, 1, n) - 1;
  std::nth_element(mag.begin(), mag.begin() + static_cast<std::ptrdiff_t>(rank), mag.end());
  return mag[rank];
}

// A write of a cell: lognormal around its target, optionally clipped to the device range.
float write_cell(double target, double z, const DeviceParams& d) {
  double g = target * std::exp(d.sigma * z);
  if (d.clip) g = std::clamp(g, d.g_off_siemens, d.g_on_siemens);
  return static_cast<float>(g);
}

float stuck_value(std::uint8_t fault, float g, const DeviceParams& d) {
  if (fault == kFaultSF1) return static_cast<float>(d.g_off_siemens);
  if (fault == kFaultSF0) return static_cast<float>(d.g_on_siemens);
  return g;
}

// Levels by which a pair with these faults, written as program_oneshot writes it, misses `level`.
int pair_miss(int level, std::uint8_t fault_plus, std::uint8_t fault_minus, int top, bool compensate) {
  const PairLevels to = pair_levels(level, fault_plus, fault_minus, top, compensate);
  auto held = [top](std::uint8_t f, int written) { return f == kFaultSF1 ? 0 : f == kFaultSF0 ? top : written; };
  return std::abs(held(fault_plus, to.plus) - held(fault_minus, to.minus) - level);
}

}  // namespace

double ChipState::time_s() const {
  double t = 0;
  for (const auto& l : layers) t += l.time_s;
  return t;
}

std::uint64_t ChipState::write_pulses() const {
  std::uint64_t n = 0;
  for (const auto& l : layers) {
    n += l.writes;  // R-V-W's counts include the first write of a verified cell
    for (auto p : l.pulses_plus) n += p > 0 ? p - 1u : 0u;
    for (auto p : l.pulses_minus) n += p > 0 ? p - 1u : 0u;
  }
  return n;
}

std::uint64_t ChipState::pulses() const {
  std::uint64_t n = 0;
  for (const auto& l : layers) {
    for (auto p : l.pulses_plus) n += p;
    for (auto p : l.pulses_minus) n += p;
  }
  return n;
}

const LayerChip* ChipState::find(int layer_index) const {
  for (const auto& l : layers) {
    if (l.layer == layer_index) return &l;
  }
  return nullptr;
}

ChipState map_to_tiles(const Model& model, const DeviceParams& device, std::uint64_t seed) {
  device.validate();
  ChipState chip;
  chip.device = device;
  chip.seed = seed;
  const std::vector<int> digital = device.digital_layer_indices(model);
  const double q = device.w_scale_percentile();
  const int top = device.levels - 1;
  const int T = device.tile;
  for (std::size_t i = 0; i < model.layers().size(); ++i) {
    const Layer& layer = *model.layers()[i];
    if (!layer.is_mapped() || std::find(digital.begin(), digital.end(), int(i)) != digital.end()) continue;
    const ConstMatrixMap w = crossbar_matrix(layer);
    LayerChip lc;
    lc.layer = static_cast<int>(i);
    lc.weight_shape = weight_of(layer).shape;
    lc.rows = static_cast<int>(w.rows());
    lc.cols = static_cast<int>(w.cols());
    lc.tile_rows = ceil_div(lc.rows, T);
    lc.tile_cols = ceil_div(lc.cols, T);
    lc.w_max = weight_scale(w, q);
    const std::size_t n = lc.size();
    lc.target_level.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
      const double v = w.data()[k];
      const double mag = std::min(std::fabs(v) / lc.w_max, 1.0);  // larger weights clipped
      const auto level = static_cast<std::int32_t>(std::lround(mag * top));
      lc.target_level[k] = v < 0 ? -level : level;
    }
    lc.tile_used.assign(static_cast<std::size_t>(lc.tiles()), 0);
    for (int t = 0; t < lc.tiles(); ++t) {
      const TileBox b = tile_box(lc, T, t);
      bool any = false;
      for (int c = b.c0; c < b.c1 && !any; ++c) {
        for (int r = b.r0; r < b.r1 && !any; ++r) any = w(r, c) != 0;
      }
      lc.tile_used[static_cast<std::size_t>(t)] = any;
    }
    lc.g_plus.assign(n, 0.f);
    lc.g_minus.assign(n, 0.f);
    lc.fault_plus.assign(n, kFaultNone);
    lc.fault_minus.assign(n, kFaultNone);
    chip.layers.push_back(std::move(lc));
  }
  return chip;
}

void program_oneshot(ChipState& chip, const FaultMap* measured) {
  const DeviceParams& d = chip.device;
  const FaultMap drawn = measured ? FaultMap{} : draw_fault_map(chip);
  const FaultMap& faults = measured ? *measured : drawn;
  check_fault_map(faults, chip, "program_oneshot");
  const bool aware = d.map == "fault-aware";
  if (aware) choose_fault_aware_placement(chip, faults);
  place_faults(chip, faults);
  const int top = d.levels - 1, T = d.tile, S = d.spare_cols;
  const auto jobs = tile_jobs(chip);
  std::vector<std::uint64_t> tile_writes(jobs.size(), 0);
  parallel_for(static_cast<int>(jobs.size()), [&](int j) {
    LayerChip& lc = chip.layers[jobs[j].layer];
    const int t = jobs[j].tile;
    if (!lc.tile_used[static_cast<std::size_t>(t)]) return;
    Rng writes(chip.seed, {stream::kChipFirstWrite, static_cast<std::uint64_t>(lc.layer), static_cast<std::uint64_t>(t)});
    // The write variation belongs to the physical cell: draws go over the physical tile, column by
    // column (spares included), as over the logical tile before fault maps existed.
    const TileBox b = tile_box(lc, T, t);
    const int p0 = (t % lc.tile_cols) * (T + S), width = b.c1 - b.c0 + S;
    std::vector<int> row_at(static_cast<std::size_t>(b.r1 - b.r0)), col_at(static_cast<std::size_t>(width), -1);
    for (int r = b.r0; r < b.r1; ++r) row_at[static_cast<std::size_t>(physical_row(lc, r) - b.r0)] = r;
    for (int c = b.c0; c < b.c1; ++c) col_at[static_cast<std::size_t>(physical_col(lc, c, T, S) - p0)] = c;
    std::uint64_t written = 0;
    auto write = [&](std::uint8_t fault, int level, double z) {
      if (aware && fault != kFaultNone) return stuck_value(fault, 0.f, d);  // known stuck: not written
      ++written;
      return stuck_value(fault, write_cell(d.level_siemens(level), z, d), d);
    };
    for (int pc = 0; pc < width; ++pc) {
      for (int pr = 0; pr < b.r1 - b.r0; ++pr) {
        const double zp = writes.normal(), zm = writes.normal();
        const int c = col_at[static_cast<std::size_t>(pc)];
        if (c < 0) continue;  // a spare column left unused
        const std::size_t k = static_cast<std::size_t>(c) * lc.rows + row_at[static_cast<std::size_t>(pr)];
        const PairLevels to = pair_levels(lc.target_level[k], lc.fault_plus[k], lc.fault_minus[k], top, aware);
        lc.g_plus[k] = write(lc.fault_plus[k], to.plus, zp);
        lc.g_minus[k] = write(lc.fault_minus[k], to.minus, zm);
      }
    }
    tile_writes[static_cast<std::size_t>(j)] = written;
  });
  for (auto& lc : chip.layers) {
    lc.pulses_plus.clear();
    lc.pulses_minus.clear();
    lc.time_s = 0;
    lc.writes = 0;
  }
  for (std::size_t j = 0; j < jobs.size(); ++j) chip.layers[jobs[j].layer].writes += tile_writes[j];
}

void read_verify_write(const Model& model, ChipState& chip) {
  const DeviceParams& d = chip.device;
  check_chip_fits(chip, model, "read_verify_write");
  // Which weight positions are verified: the round(F * n) largest |w| of each layer's placed
  // positions (ties by position), so --rvw-fraction 1 verifies every placed cell.
  for (auto& lc : chip.layers) {
    const ConstMatrixMap w = crossbar_matrix(*model.layers()[static_cast<std::size_t>(lc.layer)]);
    std::vector<std::uint32_t> order;
    for (int t = 0; t < lc.tiles(); ++t) {
      if (!lc.tile_used[static_cast<std::size_t>(t)]) continue;
      const TileBox b = tile_box(lc, d.tile, t);
      for (int c = b.c0; c < b.c1; ++c) {
        for (int r = b.r0; r < b.r1; ++r) order.push_back(static_cast<std::uint32_t>(c * lc.rows + r));
      }
    }
    const auto keep = static_cast<std::size_t>(std::llround(d.rvw_fraction * static_cast<double>(order.size())));
    auto larger = [&](std::uint32_t a, std::uint32_t b) {
      const float fa = std::fabs(w.data()[a]), fb = std::fabs(w.data()[b]);
      return fa != fb ? fa > fb : a < b;
    };
    if (keep < order.size()) {
      std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(), larger);
    }
    lc.pulses_plus.assign(lc.size(), 0);
    lc.pulses_minus.assign(lc.size(), 0);
    // Mark verified positions with 1 pulse (the first write); the loop below adds the rest.
    for (std::size_t i = 0; i < std::min(keep, order.size()); ++i) {
      lc.pulses_plus[order[i]] = 1;
      lc.pulses_minus[order[i]] = 1;
    }
  }
  const double half_step = d.level_step_siemens() / 2;
  const bool aware = d.map == "fault-aware";  // targets compensate stuck partners, as the first write did
  const int top = d.levels - 1;
  const auto jobs = tile_jobs(chip);
  std::vector<double> tile_time(jobs.size(), 0.0);
  parallel_for(static_cast<int>(jobs.size()), [&](int j) {
    LayerChip& lc = chip.layers[jobs[j].layer];
    const int t = jobs[j].tile;
    if (!lc.tile_used[static_cast<std::size_t>(t)]) return;
    Rng rng(chip.seed, {stream::kChipVerify, static_cast<std::uint64_t>(lc.layer), static_cast<std::uint64_t>(t)});
    const TileBox b = tile_box(lc, d.tile, t);
    std::uint64_t pulses = 0;
    auto verify = [&](float& g, std::uint8_t fault, std::uint16_t& count, int level) {
      if (aware && fault != kFaultNone) count = 0;  // known stuck: neither written nor verified
      if (count == 0) return;  // not verified
      const double target = d.level_siemens(level);
      for (;;) {
        const double read = d.read_noise_sigma > 0 ? g * (1 + d.read_noise_sigma * rng.normal()) : double(g);
        if (std::fabs(read - target) <= half_step || count >= d.max_pulses) break;
        const double z = rng.normal();
        if (fault == kFaultNone) g = write_cell(target, z, d);  // a stuck cell ignores the pulse
        ++count;
      }
      pulses += count;
    };
    for (int c = b.c0; c < b.c1; ++c) {
      for (int r = b.r0; r < b.r1; ++r) {
        const std::size_t k = static_cast<std::size_t>(c) * lc.rows + r;
        const PairLevels to = pair_levels(lc.target_level[k], lc.fault_plus[k], lc.fault_minus[k], top, aware);
        verify(lc.g_plus[k], lc.fault_plus[k], lc.pulses_plus[k], to.plus);
        verify(lc.g_minus[k], lc.fault_minus[k], lc.pulses_minus[k], to.minus);
      }
    }
    tile_time[static_cast<std::size_t>(j)] = static_cast<double>(pulses) * (d.t_write_s + d.t_read_s);
  });
  for (auto& lc : chip.layers) lc.time_s = 0;
  for (std::size_t j = 0; j < jobs.size(); ++j) chip.layers[jobs[j].layer].time_s += tile_time[j];
}

ChipState program_chip(const Model& model, const DeviceParams& device, std::uint64_t seed, const FaultMap* faults) {
  ChipState chip = map_to_tiles(model, device, seed);
  program_oneshot(chip, faults);
  if (device.method == "rvw") read_verify_write(model, chip);
  return chip;
}

void check_chip_fits(const ChipState& chip, const Model& model, const std::string& what) {
  auto fail = [&](const LayerChip& lc, const std::string& problem) {
    return bad_input(what, "chip layer " + std::to_string(lc.layer) + " does not match the model: " + problem);
  };
  int previous = -1;
  for (const auto& lc : chip.layers) {
    if (lc.layer <= previous || lc.layer >= static_cast<int>(model.layers().size())) {
      throw fail(lc, "no such layer, or layers out of order");
    }
    previous = lc.layer;
    Layer& layer = *model.layers()[static_cast<std::size_t>(lc.layer)];
    if (!layer.is_mapped()) throw fail(lc, "the model's layer is a " + layer.type() + ", not conv or dense");
    const ConstMatrixMap w = crossbar_matrix(layer);
    if (weight_of(layer).shape != lc.weight_shape || w.rows() != lc.rows || w.cols() != lc.cols) {
      throw fail(lc, "the model's weight is " + std::to_string(w.rows()) + " x " + std::to_string(w.cols()) +
                         " (inputs x outputs), the chip's arrays " + std::to_string(lc.rows) + " x " +
                         std::to_string(lc.cols));
    }
    const int T = chip.device.tile;
    if (lc.tile_rows != ceil_div(lc.rows, T) || lc.tile_cols != ceil_div(lc.cols, T) ||
        lc.tile_used.size() != static_cast<std::size_t>(lc.tiles())) {
      throw fail(lc, "tile grid does not match the tile size " + std::to_string(T));
    }
    const std::size_t n = lc.size();
    if (lc.target_level.size() != n || lc.g_plus.size() != n || lc.g_minus.size() != n ||
        lc.fault_plus.size() != n || lc.fault_minus.size() != n ||
        (!lc.pulses_plus.empty() && lc.pulses_plus.size() != n) || lc.pulses_plus.size() != lc.pulses_minus.size()) {
      throw fail(lc, "array sizes differ from the weight's " + std::to_string(n));
    }
    if (!(lc.w_max > 0) || !std::isfinite(lc.w_max)) throw fail(lc, "weight scale is not a positive number");
    const std::string placement = placement_problem(lc, T, chip.device.spare_cols);
    if (!placement.empty()) throw bad_input(what, "chip " + placement);
  }
}

namespace {

constexpr double kDriftT0 = 1.0;  // seconds: drift is G(t0) (t/t0)^-nu from t0 on (docs/algorithms.md "Drift")

// Weight units per siemens of a layer: w = (G+ - G-) * scale.
double weight_per_siemens(const LayerChip& lc, const DeviceParams& d) { return lc.w_max / (d.g_on_siemens - d.g_off_siemens); }

// The conductances of every cell of a chip layer at time t (siemens): G(t0) (t/t0)^-nu with nu
// ~ max(0, N(drift_nu, drift_nu_std^2)) per cell from Rng(chip seed, {kChipDrift, layer,
// tile}), cells visited as when programmed (column by column, row by row, G+ then G-). Every
// cell of a placed tile draws, stuck or not, so one cell's draws do not depend on another's
// fault; stuck cells keep their value. At t0 the stored conductances.
void conductances_at(const ChipState& chip, std::size_t l, double time_s, std::vector<float>& gp,
                     std::vector<float>& gm) {
  const LayerChip& lc = chip.layers[l];
  const DeviceParams& d = chip.device;
  gp = lc.g_plus;
  gm = lc.g_minus;
  if (!(time_s > kDriftT0)) return;
  const double log_t = std::log(time_s / kDriftT0);
  parallel_for(lc.tiles(), [&](int t) {
    if (!lc.tile_used[static_cast<std::size_t>(t)]) return;
    Rng rng(chip.seed, {stream::kChipDrift, static_cast<std::uint64_t>(lc.layer), static_cast<std::uint64_t>(t)});
    const TileBox b = tile_box(lc, d.tile, t);
    auto drift = [&](float& g, std::uint8_t fault) {
      const double nu = std::max(0.0, d.drift_nu + d.drift_nu_std * rng.normal());
      if (fault == kFaultNone) g = static_cast<float>(g * std::exp(-nu * log_t));
    };
    for (int c = b.c0; c < b.c1; ++c) {
      for (int r = b.r0; r < b.r1; ++r) {
        const std::size_t k = static_cast<std::size_t>(c) * lc.rows + r;
        drift(gp[k], lc.fault_plus[k]);
        drift(gm[k], lc.fault_minus[k]);
      }
    }
  });
}

// The layer's read-back weights from conductances: 0 in tiles not placed.
void weights_from(const ChipState& chip, const LayerChip& lc, const std::vector<float>& gp,
                  const std::vector<float>& gm, double gain, Vector& w) {
  const DeviceParams& d = chip.device;
  const double scale = weight_per_siemens(lc, d) * gain;
  w.resize(static_cast<Eigen::Index>(lc.size()));
  parallel_for(lc.tiles(), [&](int t) {
    const TileBox b = tile_box(lc, d.tile, t);
    const bool used = lc.tile_used[static_cast<std::size_t>(t)];
    for (int c = b.c0; c < b.c1; ++c) {
      for (int r = b.r0; r < b.r1; ++r) {
        const std::size_t k = static_cast<std::size_t>(c) * lc.rows + r;
        w[static_cast<Eigen::Index>(k)] = used ? static_cast<Real>((double(gp[k]) - gm[k]) * scale) : Real(0);
      }
    }
  });
}

// S = sum over columns of |column output| for an all-ones input: sum_c |sum_r w(r, c)|.
double reference_read(const Vector& w, int rows, int cols) {
  double s = 0;
  for (int c = 0; c < cols; ++c) {
    double col = 0;
    for (int r = 0; r < rows; ++r) col += w[static_cast<Eigen::Index>(c) * rows + r];
    s += std::fabs(col);
  }
  return s;
}

}  // namespace

std::vector<double> drift_compensation_scales(const ChipState& chip, double time_s) {
  std::vector<double> out;
  std::vector<float> gp, gm;
  Vector w0, wt;
  for (std::size_t l = 0; l < chip.layers.size(); ++l) {
    const LayerChip& lc = chip.layers[l];
    weights_from(chip, lc, lc.g_plus, lc.g_minus, 1.0, w0);
    conductances_at(chip, l, time_s, gp, gm);
    weights_from(chip, lc, gp, gm, 1.0, wt);
    const double s0 = reference_read(w0, lc.rows, lc.cols), st = reference_read(wt, lc.rows, lc.cols);
    out.push_back(st > 0 ? s0 / st : 1.0);
  }
  return out;
}

Model read_back_weights_at(const ChipState& chip, const Model& model, double time_s, bool compensate) {
  check_chip_fits(chip, model, "read_back_weights");
  if (!(time_s >= kDriftT0)) throw Error("a chip is read at t >= t0 = 1 s after programming, not " + std::to_string(time_s));
  Model out = model;
  const std::vector<double> gain =
      compensate && time_s > kDriftT0 ? drift_compensation_scales(chip, time_s) : std::vector<double>{};
  std::vector<float> gp, gm;
  for (std::size_t l = 0; l < chip.layers.size(); ++l) {
    const LayerChip& lc = chip.layers[l];
    Param& p = weight_of(*out.layers()[static_cast<std::size_t>(lc.layer)]);
    p.mask.clear();
    conductances_at(chip, l, time_s, gp, gm);
    weights_from(chip, lc, gp, gm, gain.empty() ? 1.0 : gain[l], p.value);
  }
  return out;
}

Model read_back_weights(const ChipState& chip, const Model& model) {
  return read_back_weights_at(chip, model, chip.device.time_s, chip.device.drift_compensation);
}

namespace {

// The chip's ADC full scales by calibrate_adc's rule, per chip layer.
std::vector<std::vector<double>> adc_full_scales(const ChipState& chip, const Model& model, const Tensor& calibration) {
  if (calibration.n() == 0) throw Error("ADC calibration needs at least one image");
  Model at_t0 = read_back_weights_at(chip, model, kDriftT0, false);
  std::vector<AdcReadout*> adcs;
  for (const auto& lc : chip.layers) {
    Layer& l = *at_t0.layers()[static_cast<std::size_t>(lc.layer)];
    ReadoutPtr* slot = readout_slot(l);
    if (!slot) throw Error("calibrate_adc: layer " + std::to_string(lc.layer) + " is not conv or dense");
    auto a = std::make_unique<AdcReadout>();
    a->block_rows = chip.device.tile;
    a->calibrating = true;
    a->observed.assign(static_cast<std::size_t>(a->blocks(lc.rows)), 0.0);
    adcs.push_back(a.get());
    *slot = std::move(a);
  }
  // One pass with every ADC recording: each layer sees the outputs of the (unquantized) layers
  // before it, so the calibration does not depend on the order ranges are fixed in.
  at_t0.forward(calibration, ForwardContext{});
  std::vector<std::vector<double>> out;
  for (AdcReadout* a : adcs) out.push_back(a->observed);
  return out;
}

void attach_readout_with(Model& on_chip, const ChipState& chip, const std::vector<std::vector<double>>& full_scales) {
  const DeviceParams& d = chip.device;
  if (d.adc_bits == 0 && !(d.read_noise_sigma > 0)) return;
  check_chip_fits(chip, on_chip, "attach_readout");
  const bool drifts = d.time_s > kDriftT0;
  const std::vector<double> gain = d.drift_compensation && drifts ? drift_compensation_scales(chip, d.time_s)
                                                                  : std::vector<double>(chip.layers.size(), 1.0);
  std::vector<float> gp, gm;
  for (std::size_t l = 0; l < chip.layers.size(); ++l) {
    const LayerChip& lc = chip.layers[l];
    Layer& layer = *on_chip.layers()[static_cast<std::size_t>(lc.layer)];
    ReadoutPtr* slot = readout_slot(layer);
    if (!slot) throw Error("attach_readout: layer " + std::to_string(lc.layer) + " is not conv or dense");
    auto a = std::make_unique<AdcReadout>();
    a->block_rows = d.tile;
    a->bits = d.adc_bits;
    a->analog = weight_of(layer).value;
    a->layer = lc.layer;
    a->chip_seed = chip.seed;
    a->read_seed = static_cast<std::uint64_t>(d.read_seed);
    if (d.adc_bits > 0) {
      // Compensation is digital, after the ADC: quantizing the scaled sum with the scaled full
      // scale is the same as scaling the quantized sum.
      a->full_scale = full_scales.at(l);
      for (double& fs : a->full_scale) fs *= gain[l];
    }
    if (d.read_noise_sigma > 0) {
      conductances_at(chip, l, d.time_s, gp, gm);
      const double s = d.read_noise_sigma * weight_per_siemens(lc, d) * gain[l];
      a->noise_power.resize(static_cast<Eigen::Index>(lc.size()));
      for (std::size_t k = 0; k < lc.size(); ++k) {
        a->noise_power[static_cast<Eigen::Index>(k)] =
            static_cast<Real>(s * s * (double(gp[k]) * gp[k] + double(gm[k]) * gm[k]));
      }
    }
    *slot = std::move(a);
  }
}

}  // namespace

void calibrate_adc(ChipState& chip, const Model& model, const Tensor& calibration) {
  const auto fs = adc_full_scales(chip, model, calibration);
  for (std::size_t l = 0; l < chip.layers.size(); ++l) chip.layers[l].adc_full_scale = fs[l];
}

bool adc_calibrated(const ChipState& chip) {
  for (const auto& lc : chip.layers) {
    if (lc.adc_full_scale.size() != static_cast<std::size_t>(lc.tile_rows)) return false;
  }
  return true;
}

void attach_readout(Model& on_chip, const ChipState& chip) {
  std::vector<std::vector<double>> fs;
  if (chip.device.adc_bits > 0) {
    if (!adc_calibrated(chip)) throw Error("the chip's ADC is not calibrated (no full scales): calibrate_adc first");
    for (const auto& lc : chip.layers) fs.push_back(lc.adc_full_scale);
  }
  attach_readout_with(on_chip, chip, fs);
}

void attach_adc(Model& on_chip, const ChipState& chip, const Tensor& calibration) {
  if (chip.device.adc_bits == 0 || adc_calibrated(chip)) {
    attach_readout(on_chip, chip);
    return;
  }
  attach_readout_with(on_chip, chip, adc_full_scales(chip, on_chip, calibration));
}

Model read_chip(const ChipState& chip, const Model& model) {
  Model m = read_back_weights(chip, model);
  attach_readout(m, chip);
  return m;
}

void start_reads(Model& m, std::uint64_t stream) {
  for (auto& l : m.layers()) {
    if (ReadoutPtr* slot = readout_slot(*l); slot && *slot) (*slot)->start_reads(stream);
  }
}

std::vector<LayerChipStats> chip_stats(const ChipState& chip) {
  const bool aware = chip.device.map == "fault-aware";
  const int top = chip.device.levels - 1;
  std::vector<LayerChipStats> out;
  for (const auto& lc : chip.layers) {
    LayerChipStats s;
    s.layer = lc.layer;
    s.tiles = lc.tiles();
    std::set<int> levels;
    for (int t = 0; t < lc.tiles(); ++t) {
      if (!lc.tile_used[static_cast<std::size_t>(t)]) continue;
      ++s.tiles_used;
      const TileBox b = tile_box(lc, chip.device.tile, t);
      for (int c = b.c0; c < b.c1; ++c) {
        for (int r = b.r0; r < b.r1; ++r) {
          const std::size_t k = static_cast<std::size_t>(c) * lc.rows + r;
          s.cells += 2;
          for (auto f : {lc.fault_plus[k], lc.fault_minus[k]}) {
            s.sf1 += f == kFaultSF1;
            s.sf0 += f == kFaultSF0;
          }
          levels.insert(std::abs(lc.target_level[k]));
          if (!lc.pulses_plus.empty()) s.pulses += std::uint64_t(lc.pulses_plus[k]) + lc.pulses_minus[k];
          const int missed = pair_miss(lc.target_level[k], lc.fault_plus[k], lc.fault_minus[k], top, aware);
          s.off_target += missed > 0;
          s.off_target_levels += static_cast<std::uint64_t>(missed);
        }
      }
    }
    s.levels_used = static_cast<int>(levels.size());
    s.time_s = lc.time_s;
    s.writes = lc.writes;
    out.push_back(s);
  }
  return out;
}

}  // namespace nnc
