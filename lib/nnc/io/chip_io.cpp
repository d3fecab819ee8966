#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <type_traits>
#include <variant>

#include "nnc/io/chip.hpp"
#include "nnc/io/h5.hpp"
#include "nnc/io/model_io.hpp"
#include "nnc/io/rsa_io.hpp"
#include "nnc/nn/stats.hpp"

namespace nnc {

namespace {

std::vector<std::uint64_t> dims(const std::vector<int>& shape) { return {shape.begin(), shape.end()}; }

// What the per-cell arrays hold, written beside them (docs/schema.md, "Descriptive attributes").
static_assert(kFaultNone == 0 && kFaultSF1 == 1 && kFaultSF0 == 2, "the fault codes below are the enum's");
constexpr const char* kFaultCodes = "0 none, 1 SF1 stuck at HRS (G_off), 2 SF0 stuck at LRS (G_on)";

void describe_cells(hid_t lg) {
  h5::describe(lg, "target_level", {{"description", "signed level: +k on the G+ cell, -k on the G- cell, |k| <= levels-1"}});
  h5::describe(lg, "g_plus", {{"units", "siemens"}, {"description", "programmed conductance of the G+ cell"}});
  h5::describe(lg, "g_minus", {{"units", "siemens"}, {"description", "programmed conductance of the G- cell"}});
  h5::describe(lg, "fault_plus", {{"codes", kFaultCodes}, {"description", "fault state of the G+ cell"}});
  h5::describe(lg, "fault_minus", {{"codes", kFaultCodes}, {"description", "fault state of the G- cell"}});
  h5::describe(lg, "tile_used", {{"codes", "0 not placed (the tile held no nonzero weight), 1 placed"}});
}

void describe_pulses(hid_t lg) {
  for (const char* name : {"pulses_plus", "pulses_minus"}) {
    h5::describe(lg, name, {{"units", "pulses"},
                            {"description", "write pulses of the cell, first write included; 0 = not verified"}});
  }
}

// Where the weights sit (docs/schema.md, "Fault maps and fault-aware mapping"): row_map and col_map
// when not the natural placement.
void write_placement(hid_t lg, const LayerChip& lc) {
  if (!lc.row_map.empty()) {
    h5::write_dataset(lg, "row_map", {std::uint64_t(lc.rows)}, lc.row_map.data());
    h5::describe(lg, "row_map", {{"description", "physical row of each logical row (crossbar matrix input)"}});
  }
  if (!lc.col_map.empty()) {
    h5::write_dataset(lg, "col_map", {std::uint64_t(lc.cols)}, lc.col_map.data());
    h5::describe(lg, "col_map", {{"description", "physical column of each logical column (output), spares counted"}});
  }
}

// The placement and first-write count, added in 1.3.0: absent, the natural placement and two
// writes per weight position of the placed tiles (what every chip before got). check_chip_fits
// checks the maps.
void read_placement(const h5::Reader& r, hid_t lg, const std::string& where, int tile, LayerChip& lc) {
  if (h5::exists(lg, "row_map")) lc.row_map = h5::read_dataset<std::int32_t>(r, lg, "row_map", {std::uint64_t(lc.rows)});
  if (h5::exists(lg, "col_map")) lc.col_map = h5::read_dataset<std::int32_t>(r, lg, "col_map", {std::uint64_t(lc.cols)});
  if (h5::has_attr(lg, "writes")) {
    const std::int64_t writes = h5::read_attr_int(r, lg, "writes");
    if (writes < 0 || writes > 2 * static_cast<std::int64_t>(lc.size())) {
      throw r.error(where, "writes is not in [0, 2 x weight positions], found " + std::to_string(writes));
    }
    lc.writes = static_cast<std::uint64_t>(writes);
    return;
  }
  lc.writes = 0;
  for (int t = 0; t < lc.tiles(); ++t) {
    if (!lc.tile_used[static_cast<std::size_t>(t)]) continue;
    const int tr = t / lc.tile_cols, tc = t % lc.tile_cols;
    const int h = std::min(lc.rows, (tr + 1) * tile) - tr * tile, w = std::min(lc.cols, (tc + 1) * tile) - tc * tile;
    lc.writes += 2 * static_cast<std::uint64_t>(h) * static_cast<std::uint64_t>(w);
  }
}

// /device: one attribute per row of kDeviceParams, in the table's order, named as the row;
// float64 for reals, int64 for integers and booleans (0 or 1), strings as they are.
void write_device(hid_t root, const DeviceParams& d) {
  h5::Id g = h5::create_group(root, "device");
  for (const DeviceParam& p : kDeviceParams) {
    std::visit(
        [&](auto m) {
          const auto& v = d.*m;
          using T = std::remove_cvref_t<decltype(v)>;
          if constexpr (std::is_same_v<T, double> || std::is_same_v<T, std::string>) {
            h5::write_attr(g, p.name, v);
          } else {
            h5::write_attr(g, p.name, static_cast<std::int64_t>(v));
          }
        },
        p.member);
  }
}

// A row added after the file's schema version may be missing and then keeps its default (which
// means what files without it meant, e.g. adc_bits 0, an ideal read-out, for 1.0.0 chips).
DeviceParams read_device(const h5::Reader& r) {
  h5::Id g = h5::open_group(r, r.root(), "device");
  DeviceParams d;
  for (const DeviceParam& p : kDeviceParams) {
    if (!h5::has_attr(g, p.name) && io::schema_before(r, p.since)) continue;
    std::visit(
        [&](auto m) {
          auto& v = d.*m;
          using T = std::remove_cvref_t<decltype(v)>;
          if constexpr (std::is_same_v<T, double>) {
            v = h5::read_attr_double(r, g, p.name);
          } else if constexpr (std::is_same_v<T, std::string>) {
            v = h5::read_attr_string(r, g, p.name);
          } else if constexpr (std::is_same_v<T, bool>) {
            v = h5::read_attr_int(r, g, p.name) != 0;
          } else {
            const std::int64_t x = h5::read_attr_int(r, g, p.name);
            if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max()) {
              throw r.error("/device", std::string(p.name) + " " + device_param_rule(p) + ", found " + std::to_string(x));
            }
            v = static_cast<int>(x);
          }
        },
        p.member);
  }
  try {
    d.validate();
  } catch (const Error& e) {
    throw r.error("/device", e.what());
  }
  return d;
}

}  // namespace

Bytes encode_chip(const ChipArtifact& a) {
  h5::Writer w;
  io::write_root_attrs(w.root(), "chip", a.creator);
  {
    h5::Id mg = h5::create_group(w.root(), "model");
    io::write_model_group(mg, a.model);
  }
  const ChipState& chip = a.chip;
  write_device(w.root(), chip.device);
  {
    h5::Id cg = h5::create_group(w.root(), "chip");
    h5::write_attr(cg, "seed", static_cast<std::int64_t>(chip.seed));
    h5::Id layers = h5::create_group(cg, "layers");
    for (const LayerChip& lc : chip.layers) {
      h5::Id lg = h5::create_group(layers, h5::layer_name(lc.layer));
      h5::write_attr(lg, "w_scale", lc.w_max);
      h5::write_attr(lg, "matrix", std::vector<std::int64_t>{lc.rows, lc.cols});
      h5::write_attr(lg, "tile_grid", std::vector<std::int64_t>{lc.tile_rows, lc.tile_cols});
      h5::write_attr(lg, "writes", static_cast<std::int64_t>(lc.writes));
      write_placement(lg, lc);
      const auto shape = dims(lc.weight_shape);
      h5::write_dataset(lg, "target_level", shape, lc.target_level.data());
      h5::write_dataset(lg, "g_plus", shape, lc.g_plus.data());
      h5::write_dataset(lg, "g_minus", shape, lc.g_minus.data());
      h5::write_dataset(lg, "fault_plus", shape, lc.fault_plus.data());
      h5::write_dataset(lg, "fault_minus", shape, lc.fault_minus.data());
      h5::write_dataset(lg, "tile_used", {std::uint64_t(lc.tile_rows), std::uint64_t(lc.tile_cols)}, lc.tile_used.data());
      describe_cells(lg);
      if (!lc.adc_full_scale.empty()) {
        h5::write_dataset(lg, "adc_full_scale", {std::uint64_t(lc.tile_rows)}, lc.adc_full_scale.data());
        h5::describe(lg, "adc_full_scale", {{"units", "weight units x input"},
                                            {"description", "ADC full scale of each tile row, calibrated at t0"}});
      }
    }
  }
  if (chip.verified()) {
    h5::Id pg = h5::create_group(w.root(), "programming");
    h5::write_attr(pg, "method", std::string("rvw"));
    h5::write_attr(pg, "time_s", chip.time_s());
    h5::write_attr(pg, "pulses", static_cast<std::int64_t>(chip.pulses()));
    h5::Id layers = h5::create_group(pg, "layers");
    for (const LayerChip& lc : chip.layers) {
      h5::Id lg = h5::create_group(layers, h5::layer_name(lc.layer));
      h5::write_attr(lg, "time_s", lc.time_s);
      h5::write_dataset(lg, "pulses_plus", dims(lc.weight_shape), lc.pulses_plus.data());
      h5::write_dataset(lg, "pulses_minus", dims(lc.weight_shape), lc.pulses_minus.data());
      describe_pulses(lg);
    }
  }
  if (a.rsa) io::write_rsa_group(w.root(), *a.rsa);
  io::write_provenance(w.root(), a.provenance);
  return w.image();
}

ChipArtifact decode_chip(const Bytes& bytes, const std::string& name) {
  h5::Reader r(bytes, name);
  const std::string kind = io::check_root(r);
  if (kind != "chip") {
    throw bad_input(name, "is an nnc " + kind + ", expected a chip (program one with nnc-program-rram)");
  }
  ChipArtifact a;
  {
    h5::Id mg = h5::open_group(r, r.root(), "model");
    a.model = io::read_model_group(r, mg);
  }
  a.provenance = io::read_provenance(r, r.root());
  a.creator = a.provenance.tool;
  ChipState& chip = a.chip;
  chip.device = read_device(r);
  const Model& model = a.model.model;
  h5::Id cg = h5::open_group(r, r.root(), "chip");
  chip.seed = static_cast<std::uint64_t>(h5::read_attr_int(r, cg, "seed"));
  h5::Id layers = h5::open_group(r, cg, "layers");
  const bool verified = h5::exists(r.root(), "programming");
  h5::Id play;
  if (verified) {
    h5::Id pg = h5::open_group(r, r.root(), "programming");
    play = h5::open_group(r, pg, "layers");
  }
  const int top = chip.device.levels - 1;
  for (const std::string& ln : h5::children(layers)) {
    char* end = nullptr;
    const long index = std::strtol(ln.c_str(), &end, 10);
    const std::string where = "/chip/layers/" + ln;
    if (ln.empty() || *end != '\0' || index < 0 || index >= static_cast<long>(model.layers().size()) ||
        !model.layers()[static_cast<std::size_t>(index)]->is_mapped()) {
      throw r.error(where, "names no conv or dense layer of the model part /model");
    }
    h5::Id lg = h5::open_group(r, layers, ln);
    LayerChip lc;
    lc.layer = static_cast<int>(index);
    const Layer& layer = *model.layers()[static_cast<std::size_t>(index)];
    if (const Param* w = layer.weight_param()) lc.weight_shape = w->shape;
    const ConstMatrixMap wm = crossbar_matrix(layer);
    lc.rows = static_cast<int>(wm.rows());
    lc.cols = static_cast<int>(wm.cols());
    lc.w_max = h5::read_attr_double(r, lg, "w_scale");
    const auto matrix = h5::read_attr_ints(r, lg, "matrix");
    const auto grid = h5::read_attr_ints(r, lg, "tile_grid");
    const int T = chip.device.tile;
    if (matrix != std::vector<std::int64_t>{lc.rows, lc.cols}) {
      throw r.error(where, "matrix attribute does not match the model's layer " + std::to_string(lc.rows) + " x " +
                               std::to_string(lc.cols));
    }
    lc.tile_rows = (lc.rows + T - 1) / T;
    lc.tile_cols = (lc.cols + T - 1) / T;
    if (grid != std::vector<std::int64_t>{lc.tile_rows, lc.tile_cols}) {
      throw r.error(where, "tile_grid does not match the matrix and the tile size " + std::to_string(T));
    }
    if (!(lc.w_max > 0) || !std::isfinite(lc.w_max)) throw r.error(where, "w_scale is not a positive number");
    const auto shape = dims(lc.weight_shape);
    lc.target_level = h5::read_dataset<std::int32_t>(r, lg, "target_level", shape);
    lc.g_plus = h5::read_dataset<float>(r, lg, "g_plus", shape);
    lc.g_minus = h5::read_dataset<float>(r, lg, "g_minus", shape);
    lc.fault_plus = h5::read_dataset<std::uint8_t>(r, lg, "fault_plus", shape);
    lc.fault_minus = h5::read_dataset<std::uint8_t>(r, lg, "fault_minus", shape);
    lc.tile_used = h5::read_dataset<std::uint8_t>(r, lg, "tile_used",
                                                  {std::uint64_t(lc.tile_rows), std::uint64_t(lc.tile_cols)});
    for (std::size_t k = 0; k < lc.size(); ++k) {
      if (lc.target_level[k] < -top || lc.target_level[k] > top) {
        throw r.error(where + "/target_level", "a level outside [-(levels-1), levels-1]");
      }
      if (lc.fault_plus[k] > kFaultSF0 || lc.fault_minus[k] > kFaultSF0) {
        throw r.error(where, "a fault code other than 0, 1, 2");
      }
      if (!(lc.g_plus[k] >= 0) || !(lc.g_minus[k] >= 0) || !std::isfinite(lc.g_plus[k]) || !std::isfinite(lc.g_minus[k])) {
        throw r.error(where, "a conductance that is negative or not finite");
      }
    }
    for (auto& u : lc.tile_used) u = u != 0;
    read_placement(r, lg, where, T, lc);
    if (h5::exists(lg, "adc_full_scale")) {  // added in 1.3.0: absent, the ADC is calibrated when read
      lc.adc_full_scale = h5::read_dataset<double>(r, lg, "adc_full_scale", {std::uint64_t(lc.tile_rows)});
      for (double fs : lc.adc_full_scale) {
        if (!(fs >= 0) || !std::isfinite(fs)) throw r.error(where + "/adc_full_scale", "a full scale that is negative or not finite");
      }
    }
    if (verified) {
      if (!h5::exists(play, ln)) throw r.error("/programming/layers", "no record for chip layer " + ln);
      h5::Id pl = h5::open_group(r, play, ln);
      lc.time_s = h5::read_attr_double(r, pl, "time_s");
      lc.pulses_plus = h5::read_dataset<std::uint16_t>(r, pl, "pulses_plus", shape);
      lc.pulses_minus = h5::read_dataset<std::uint16_t>(r, pl, "pulses_minus", shape);
    }
    chip.layers.push_back(std::move(lc));
  }
  check_chip_fits(chip, model, name);
  if (h5::exists(r.root(), "rsa")) a.rsa = io::read_rsa_group(r, model);
  return a;
}

ChipArtifact load_chip(const std::string& path) { return decode_chip(read_bytes(path), path); }

void save_chip(const std::string& path, const ChipArtifact& a) { write_bytes_atomic(path, encode_chip(a)); }

}  // namespace nnc
