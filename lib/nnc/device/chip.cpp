#include "nnc/device/chip.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "nnc/device/adc.hpp"
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

}  // namespace

double ChipState::time_s() const {
  double t = 0;
  for (const auto& l : layers) t += l.time_s;
  return t;
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

void program_oneshot(ChipState& chip) {
  const DeviceParams& d = chip.device;
  const auto jobs = tile_jobs(chip);
  parallel_for(static_cast<int>(jobs.size()), [&](int j) {
    LayerChip& lc = chip.layers[jobs[j].layer];
    const int t = jobs[j].tile;
    if (!lc.tile_used[static_cast<std::size_t>(t)]) return;
    const auto layer = static_cast<std::uint64_t>(lc.layer);
    Rng faults(chip.seed, {stream::kChipFault, layer, static_cast<std::uint64_t>(t)});
    Rng writes(chip.seed, {stream::kChipFirstWrite, layer, static_cast<std::uint64_t>(t)});
    const TileBox b = tile_box(lc, d.tile, t);
    auto draw_fault = [&] {
      const double u = faults.uniform();
      return u < d.p_sf1 ? kFaultSF1 : u < d.p_sf1 + d.p_sf0 ? kFaultSF0 : kFaultNone;
    };
    for (int c = b.c0; c < b.c1; ++c) {
      for (int r = b.r0; r < b.r1; ++r) {
        const std::size_t k = static_cast<std::size_t>(c) * lc.rows + r;
        const int level = lc.target_level[k];
        lc.fault_plus[k] = draw_fault();
        lc.fault_minus[k] = draw_fault();
        const double zp = writes.normal(), zm = writes.normal();
        lc.g_plus[k] = stuck_value(lc.fault_plus[k], write_cell(d.level_siemens(std::max(level, 0)), zp, d), d);
        lc.g_minus[k] = stuck_value(lc.fault_minus[k], write_cell(d.level_siemens(std::max(-level, 0)), zm, d), d);
      }
    }
  });
  for (auto& lc : chip.layers) {
    lc.pulses_plus.clear();
    lc.pulses_minus.clear();
    lc.time_s = 0;
  }
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
        const int level = lc.target_level[k];
        verify(lc.g_plus[k], lc.fault_plus[k], lc.pulses_plus[k], std::max(level, 0));
        verify(lc.g_minus[k], lc.fault_minus[k], lc.pulses_minus[k], std::max(-level, 0));
      }
    }
    tile_time[static_cast<std::size_t>(j)] = static_cast<double>(pulses) * (d.t_write_s + d.t_read_s);
  });
  for (auto& lc : chip.layers) lc.time_s = 0;
  for (std::size_t j = 0; j < jobs.size(); ++j) chip.layers[jobs[j].layer].time_s += tile_time[j];
}

ChipState program_chip(const Model& model, const DeviceParams& device, std::uint64_t seed) {
  ChipState chip = map_to_tiles(model, device, seed);
  program_oneshot(chip);
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
  }
}

Model read_back_weights(const ChipState& chip, const Model& model) {
  check_chip_fits(chip, model, "read_back_weights");
  Model out = model;
  const DeviceParams& d = chip.device;
  const auto jobs = tile_jobs(chip);
  std::vector<Param*> weights;
  for (const auto& lc : chip.layers) {
    Param& p = weight_of(*out.layers()[static_cast<std::size_t>(lc.layer)]);
    p.mask.clear();
    weights.push_back(&p);
  }
  parallel_for(static_cast<int>(jobs.size()), [&](int j) {
    const LayerChip& lc = chip.layers[jobs[j].layer];
    Param& p = *weights[jobs[j].layer];
    const int t = jobs[j].tile;
    const TileBox b = tile_box(lc, d.tile, t);
    const bool used = lc.tile_used[static_cast<std::size_t>(t)];
    const double scale = lc.w_max / (d.g_on_siemens - d.g_off_siemens);
    Rng rng(chip.seed, {stream::kChipRead, static_cast<std::uint64_t>(lc.layer), static_cast<std::uint64_t>(t)});
    for (int c = b.c0; c < b.c1; ++c) {
      for (int r = b.r0; r < b.r1; ++r) {
        const std::size_t k = static_cast<std::size_t>(c) * lc.rows + r;
        double gp = lc.g_plus[k], gm = lc.g_minus[k];
        if (used && d.read_noise_sigma > 0) {
          gp *= 1 + d.read_noise_sigma * rng.normal();
          gm *= 1 + d.read_noise_sigma * rng.normal();
        }
        p.value[static_cast<Eigen::Index>(k)] = used ? static_cast<Real>((gp - gm) * scale) : Real(0);
      }
    }
  });
  return out;
}

void attach_adc(Model& on_chip, const ChipState& chip, const Tensor& calibration) {
  if (chip.device.adc_bits == 0) return;
  check_chip_fits(chip, on_chip, "attach_adc");
  if (calibration.n() == 0) throw Error("ADC calibration needs at least one image");
  std::vector<AdcReadout*> adcs;
  for (const auto& lc : chip.layers) {
    Layer& l = *on_chip.layers()[static_cast<std::size_t>(lc.layer)];
    ReadoutPtr* slot = readout_slot(l);
    if (!slot) throw Error("attach_adc: layer " + std::to_string(lc.layer) + " is not conv or dense");
    auto a = std::make_unique<AdcReadout>();
    a->block_rows = chip.device.tile;
    a->bits = chip.device.adc_bits;
    a->analog = weight_of(l).value;
    a->calibrating = true;
    a->observed.assign(static_cast<std::size_t>(a->blocks(lc.rows)), 0.0);
    adcs.push_back(a.get());
    *slot = std::move(a);
  }
  // One pass with every ADC recording: each layer sees the outputs of the (unquantized) layers
  // before it, so the calibration does not depend on the order ranges are fixed in.
  on_chip.forward(calibration, ForwardContext{});
  for (AdcReadout* a : adcs) {
    a->full_scale = a->observed;
    a->observed.clear();
    a->calibrating = false;
  }
}

std::vector<LayerChipStats> chip_stats(const ChipState& chip) {
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
        }
      }
    }
    s.levels_used = static_cast<int>(levels.size());
    s.time_s = lc.time_s;
    out.push_back(s);
  }
  return out;
}

}  // namespace nnc
