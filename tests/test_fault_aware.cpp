// Fault maps and fault-aware mapping (issue 20): compensation of stuck cells computed by hand, the
// default mapping bit-identical to the programming before fault maps existed, placements stored
// in chip files and checked when read, measured maps used instead of drawn faults, fault-map files
// (CSV and HDF5) round-tripped and bad ones refused, R-V-W leaving known-stuck cells alone, the
// same chip whatever the thread count, and 1.2.0 chips read with the defaults.
#include <doctest/doctest.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "nnc/device/chip.hpp"
#include "nnc/device/fault_aware.hpp"
#include "nnc/device/fault_map.hpp"
#include "nnc/io/chip.hpp"
#include "nnc/io/fault_map_io.hpp"
#include "nnc/io/h5.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/nn/rng.hpp"
#include "nnc/nn/stats.hpp"
#include "nnc/nn/streams.hpp"
#include "fixtures.hpp"

using namespace nnc;

namespace {

using test::make_model;

// Several tiles per layer, partial edge tiles, high fault rates so every case occurs.
DeviceParams faulty_device() {
  DeviceParams d;
  d.tile = 16;
  d.p_sf0 = 0.05;
  d.p_sf1 = 0.15;
  return d;
}

const Model& test_model() {
  static const Model m = make_model("c6k3,relu,mp2,flat,fc20,relu,fc10", {1, 12, 12}, 10);
  return m;
}

ChipArtifact artifact(const Model& m, const ChipState& chip) { return test::chip_artifact(m, chip); }

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

// The stored error of a throwing call, or "".
template <class F>
std::string bad_input_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::bad_input);
    return e.what();
  }
  return "";
}

int held(std::uint8_t fault, int written, int top) {
  return fault == kFaultSF1 ? 0 : fault == kFaultSF0 ? top : written;
}

}  // namespace

TEST_CASE("fault-aware: the healthy cell compensates a stuck partner exactly where the sign allows") {
  const int top = 31;
  for (int level = -top; level <= top; ++level) {
    for (std::uint8_t fp = 0; fp < 3; ++fp) {
      for (std::uint8_t fm = 0; fm < 3; ++fm) {
        INFO(level, " ", int(fp), " ", int(fm));
        const PairLevels plain = pair_levels(level, fp, fm, top, false);
        CHECK(plain.plus == std::max(level, 0));
        CHECK(plain.minus == std::max(-level, 0));
        const PairLevels to = pair_levels(level, fp, fm, top, true);
        CHECK((to.plus >= 0 && to.plus <= top && to.minus >= 0 && to.minus <= top));
        const int miss = std::abs(held(fp, to.plus, top) - held(fm, to.minus, top) - level);
        CHECK(miss == pair_residual(level, fp, fm, top));
        // By hand: one stuck cell costs nothing when the sign allows, else forces the pair to 0.
        int expected = 0;
        if (fp == kFaultSF1 && fm == kFaultNone) expected = std::max(level, 0);
        if (fp == kFaultSF0 && fm == kFaultNone) expected = std::max(-level, 0);
        if (fm == kFaultSF1 && fp == kFaultNone) expected = std::max(-level, 0);
        if (fm == kFaultSF0 && fp == kFaultNone) expected = std::max(level, 0);
        if (fp != kFaultNone && fm != kFaultNone) expected = std::abs(held(fp, 0, top) - held(fm, 0, top) - level);
        CHECK(miss == expected);
      }
    }
  }
  // A cell stuck at LRS is cancelled by raising its partner: +5 with G+ stuck at the top.
  CHECK(pair_levels(5, kFaultSF0, kFaultNone, top, true).minus == top - 5);
  CHECK(pair_levels(-5, kFaultNone, kFaultSF0, top, true).plus == top - 5);
}

TEST_CASE("fault-aware: the default mapping programs exactly what nnc programmed before fault maps") {
  Model m = test_model();
  DeviceParams d = faulty_device();
  d.sigma = 0.3;
  d.digital_layers = "last";
  // Leave one tile of fc20 empty: not placed, no faults, no draws.
  Param* w = m.layers()[4]->params()[0];  // 150 x 20
  for (int c = 0; c < 16; ++c)
    for (int r = 0; r < 16; ++r) w->value[c * 150 + r] = 0;
  const ChipState chip = program_chip(m, d, 17);
  // The programming before issue 20, written out: per placed tile, faults and first writes drawn
  // cell by cell, column by column.
  ChipState ref = map_to_tiles(m, d, 17);
  for (LayerChip& lc : ref.layers) {
    for (int t = 0; t < lc.tiles(); ++t) {
      if (!lc.tile_used[static_cast<std::size_t>(t)]) continue;
      Rng faults(17, {stream::kChipFault, std::uint64_t(lc.layer), std::uint64_t(t)});
      Rng writes(17, {stream::kChipFirstWrite, std::uint64_t(lc.layer), std::uint64_t(t)});
      auto draw = [&] {
        const double u = faults.uniform();
        return std::uint8_t(u < d.p_sf1 ? kFaultSF1 : u < d.p_sf1 + d.p_sf0 ? kFaultSF0 : kFaultNone);
      };
      auto write = [&](std::uint8_t f, int level, double z) {
        if (f == kFaultSF1) return float(d.g_off_siemens);
        if (f == kFaultSF0) return float(d.g_on_siemens);
        return float(std::clamp(d.level_siemens(level) * std::exp(d.sigma * z), d.g_off_siemens, d.g_on_siemens));
      };
      const int tr = t / lc.tile_cols, tc = t % lc.tile_cols;
      for (int c = tc * d.tile; c < std::min(lc.cols, (tc + 1) * d.tile); ++c) {
        for (int r = tr * d.tile; r < std::min(lc.rows, (tr + 1) * d.tile); ++r) {
          const std::size_t k = std::size_t(c) * lc.rows + r;
          lc.fault_plus[k] = draw();
          lc.fault_minus[k] = draw();
          const double zp = writes.normal(), zm = writes.normal();
          lc.g_plus[k] = write(lc.fault_plus[k], std::max(lc.target_level[k], 0), zp);
          lc.g_minus[k] = write(lc.fault_minus[k], std::max(-lc.target_level[k], 0), zm);
        }
      }
    }
  }
  REQUIRE(chip.layers.size() == 2);
  CHECK(chip.layers[1].tile_used[0] == 0);
  for (std::size_t l = 0; l < chip.layers.size(); ++l) {
    CHECK(chip.layers[l].fault_plus == ref.layers[l].fault_plus);
    CHECK(chip.layers[l].fault_minus == ref.layers[l].fault_minus);
    CHECK(chip.layers[l].g_plus == ref.layers[l].g_plus);
    CHECK(chip.layers[l].g_minus == ref.layers[l].g_minus);
    CHECK(chip.layers[l].row_map.empty());
    CHECK(chip.layers[l].col_map.empty());
  }
  // Spare columns left unused by the default mapping change nothing: a tile's spares come after
  // its own columns, in the fault and write streams too.
  DeviceParams spare = d;
  spare.spare_cols = 3;
  const ChipState with_spares = program_chip(m, spare, 17);
  for (std::size_t l = 0; l < chip.layers.size(); ++l) {
    CHECK(with_spares.layers[l].fault_plus == chip.layers[l].fault_plus);
    CHECK(with_spares.layers[l].g_minus == chip.layers[l].g_minus);
  }
  // Two first writes per weight position of the placed tiles.
  std::uint64_t positions = 0;
  for (const auto& s : chip_stats(chip)) positions += s.cells;
  CHECK(chip.write_pulses() == positions);
}

TEST_CASE("fault-aware: compensation and placement lower what the faults cost, and the chip reads it back") {
  const Model& m = test_model();
  DeviceParams d = faulty_device();
  d.sigma = 0;  // exact writes: what is left is the faults'
  d.spare_cols = 2;
  const ChipState plain = program_chip(m, d, 5);
  d.map = "fault-aware";
  const ChipState aware = program_chip(m, d, 5);
  const FaultMap faults = draw_fault_map(map_to_tiles(m, d, 5));
  CHECK(placement_cost(aware, faults) < placement_cost(plain, faults));
  const auto ps = chip_stats(plain), as = chip_stats(aware);
  std::uint64_t stuck = 0;
  for (std::size_t l = 0; l < ps.size(); ++l) {
    CHECK(as[l].off_target_levels < ps[l].off_target_levels);
    CHECK(as[l].sf0 + as[l].sf1 > 0);
    stuck += as[l].sf0 + as[l].sf1;
  }
  CHECK(aware.write_pulses() + stuck == plain.write_pulses());  // stuck cells are not written
  const int top = d.levels - 1;
  const Model back = read_back_weights(aware, m);
  for (const LayerChip& lc : aware.layers) {
    CHECK(placement_problem(lc, d.tile, d.spare_cols).empty());
    const LayerFaults& lf = faults.layers[static_cast<std::size_t>(&lc - aware.layers.data())];
    const ConstMatrixMap wb = crossbar_matrix(*back.layers()[static_cast<std::size_t>(lc.layer)]);
    const double step = lc.w_max / top;
    for (int c = 0; c < lc.cols; ++c) {
      for (int r = 0; r < lc.rows; ++r) {
        const std::size_t k = std::size_t(c) * lc.rows + r;
        // The cell's fault is the physical cell's the maps name.
        const std::size_t p = std::size_t(physical_col(lc, c, d.tile, d.spare_cols)) * lf.rows + physical_row(lc, r);
        CHECK(lc.fault_plus[k] == lf.plus[p]);
        CHECK(lc.fault_minus[k] == lf.minus[p]);
        // Read back: the target where compensation reaches it, off by the residual where not.
        const int level = lc.target_level[k];
        const int miss = pair_residual(level, lc.fault_plus[k], lc.fault_minus[k], top);
        CHECK(std::fabs(std::fabs(wb(r, c) - level * step) - miss * step) <= 1e-4 * lc.w_max);
      }
    }
  }
}

TEST_CASE("fault-aware: the placement is stored in the chip file, checked when read, the same on 1 and 2 threads") {
  const Model& m = test_model();
  DeviceParams d = faulty_device();
  d.map = "fault-aware";
  d.spare_cols = 2;
  d.method = "rvw";
  set_threads(1);
  const ChipState chip = program_chip(m, d, 9);
  const Bytes one = encode_chip(artifact(m, chip));
  set_threads(2);
  const Bytes two = encode_chip(artifact(m, program_chip(m, d, 9)));
  set_threads(0);
  CHECK(one == two);
  const ChipArtifact back = decode_chip(one, "c.h5");
  bool moved = false;
  for (std::size_t l = 0; l < chip.layers.size(); ++l) {
    const LayerChip& a = chip.layers[l];
    const LayerChip& b = back.chip.layers[l];
    CHECK(b.row_map == a.row_map);
    CHECK(b.col_map == a.col_map);
    CHECK(b.writes == a.writes);
    CHECK(b.g_plus == a.g_plus);
    for (int c = 0; c < a.cols; ++c) moved |= a.col_map[std::size_t(c)] != natural_col(c, d.tile, d.spare_cols);
    for (int r = 0; r < a.rows; ++r) moved |= a.row_map[std::size_t(r)] != r;
    // R-V-W leaves known-stuck cells alone: no pulse, not verified.
    for (std::size_t k = 0; k < a.size(); ++k) {
      if (a.fault_plus[k] != kFaultNone) CHECK(a.pulses_plus[k] == 0);
      if (a.fault_minus[k] != kFaultNone) CHECK(a.pulses_minus[k] == 0);
    }
  }
  CHECK(moved);
  CHECK(back.chip.device.map == "fault-aware");
  CHECK(back.chip.device.spare_cols == 2);
  CHECK(back.chip.write_pulses() == chip.write_pulses());
  const Model w1 = read_back_weights(chip, m), w2 = read_back_weights(back.chip, m);
  CHECK(crossbar_matrix(*w1.layers()[0]) == crossbar_matrix(*w2.layers()[0]));

  // A placement that puts two columns on one physical column, or a row in another tile row, is refused.
  ChipArtifact bad = back;
  bad.chip.layers[1].col_map[1] = bad.chip.layers[1].col_map[0];
  CHECK(bad_input_of([&] { decode_chip(encode_chip(bad), "bad.h5"); }).find("col_map") != std::string::npos);
  bad = back;
  std::swap(bad.chip.layers[1].row_map[0], bad.chip.layers[1].row_map[20]);  // tile 16: rows 0 and 20 differ in tile row
  CHECK(bad_input_of([&] { decode_chip(encode_chip(bad), "bad.h5"); }).find("row_map") != std::string::npos);
  // A chip written without maps (the default mapping) reads as the natural placement.
  d.map = "default";
  const ChipArtifact plain = decode_chip(encode_chip(artifact(m, program_chip(m, d, 9))), "p.h5");
  CHECK(plain.chip.layers[0].row_map.empty());
  CHECK(plain.chip.layers[0].col_map.empty());
}

TEST_CASE("fault maps: measured maps replace drawn faults, CSV and HDF5 round-trip, bad maps are refused") {
  const Model& m = test_model();
  DeviceParams d = faulty_device();
  d.spare_cols = 1;
  const ChipState unwritten = map_to_tiles(m, d, 3);
  const FaultMap drawn = draw_fault_map(unwritten);
  for (const Bytes& file : {bytes_of(encode_fault_map_csv(drawn)), encode_fault_map_h5(drawn, "test")}) {
    const FaultMap back = decode_fault_map(file, "f", unwritten);
    REQUIRE(back.layers.size() == drawn.layers.size());
    for (std::size_t l = 0; l < drawn.layers.size(); ++l) {
      CHECK(back.layers[l].plus == drawn.layers[l].plus);
      CHECK(back.layers[l].minus == drawn.layers[l].minus);
    }
  }
  // A measured map: two stuck cells, nothing else, whatever the seed would draw.
  const std::string csv = "layer,row,col,cell,fault\n# measured\n0,2,1,plus,2\n4,17,3,minus,1\n";
  const FaultMap measured = decode_fault_map(bytes_of(csv), "m.csv", unwritten);
  const ChipState chip = program_chip(m, d, 3, &measured);
  CHECK(chip.layers[0].fault_plus[1 * 9 + 2] == kFaultSF0);
  CHECK(chip.layers[1].fault_minus[3 * 150 + 17] == kFaultSF1);
  std::size_t stuck = 0;
  for (const auto& s : chip_stats(chip)) stuck += s.sf0 + s.sf1;
  CHECK(stuck == 2);
  CHECK(chip.layers[0].g_plus[1 * 9 + 2] == float(d.g_on_siemens));

  auto refused = [&](const std::string& text, const std::string& expected) {
    INFO(text);
    const std::string e = bad_input_of([&] { decode_fault_map(bytes_of(text), "bad.csv", unwritten); });
    CHECK(e.find(expected) != std::string::npos);
  };
  const std::string h = "layer,row,col,cell,fault\n";
  refused("", "header");
  refused("row,col\n", "header");
  refused(h + "1,0,0,plus,1\n", "not a mapped layer");  // a relu
  refused(h + "0,9,0,plus,1\n", "outside");            // conv1: 9 rows
  refused(h + "0,0,7,plus,1\n", "outside");            // 6 columns + 1 spare
  refused(h + "0,0,0,both,1\n", "plus or minus");
  refused(h + "0,0,0,plus,3\n", "fault must be");
  refused(h + "0,0,0,plus\n", "5 fields");
  refused(h + "0,x,0,plus,1\n", "integers");
  refused(h + "0,0,0,plus,1\n0,0,0,plus,2\n", "listed twice");
  CHECK(bad_input_of([&] { decode_fault_map(bytes_of(h + "0,0,0,plus,1\n"), "ok.csv", unwritten); }).empty());
  // HDF5 of the wrong shape: a map drawn without the spare column.
  DeviceParams no_spare = d;
  no_spare.spare_cols = 0;
  const Bytes narrow = encode_fault_map_h5(draw_fault_map(map_to_tiles(m, no_spare, 3)), "test");
  CHECK(!bad_input_of([&] { decode_fault_map(narrow, "narrow.h5", unwritten); }).empty());
  // A chip file is not a fault map.
  const std::string chip_file = bad_input_of([&] { decode_fault_map(encode_chip(artifact(m, chip)), "c.h5", unwritten); });
  CHECK(chip_file.find("expected a fault map") != std::string::npos);
}

TEST_CASE("fault-aware: a 1.2.0 chip, without what 1.3.0 added, reads as the default mapping with its writes") {
  const Model& m = test_model();
  DeviceParams d = faulty_device();
  const ChipState chip = program_chip(m, d, 4);
  const auto path = std::filesystem::temp_directory_path() / ("nnc-test-fault-aware-" + std::to_string(::getpid()) + ".h5");
  save_chip(path.string(), artifact(m, chip));
  {
    const hid_t f = H5Fopen(path.string().c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    REQUIRE(H5Adelete(f, "nnc_schema_version") >= 0);
    h5::write_attr(f, "nnc_schema_version", std::string("1.2.0"));
    REQUIRE(H5Adelete_by_name(f, "/device", "map", H5P_DEFAULT) >= 0);
    REQUIRE(H5Adelete_by_name(f, "/device", "spare_cols", H5P_DEFAULT) >= 0);
    for (const char* layer : {"/chip/layers/000", "/chip/layers/004", "/chip/layers/006"}) {
      REQUIRE(H5Adelete_by_name(f, layer, "writes", H5P_DEFAULT) >= 0);
    }
    H5Fclose(f);
  }
  const ChipArtifact old = load_chip(path.string());
  std::filesystem::remove(path);
  CHECK(old.chip.device.map == "default");
  CHECK(old.chip.device.spare_cols == 0);
  CHECK(old.chip.layers[0].row_map.empty());
  CHECK(old.chip.write_pulses() == chip.write_pulses());  // two per position of the placed tiles
  CHECK(old.chip.layers[1].g_plus == chip.layers[1].g_plus);
}
