// The cost model (algo/cost.hpp, issue 47): a SAR ADC's energy and area over its bits, ADC
// energy linear in the conversions, a tile's periphery counted per line, conversions from
// placed tiles, pruning that frees tiles costs less area and interconnect, tile links as the
// structure metrics count them, faults that change only what the arrays
// draw, RSA's SRAM, array energy from the measured activity, programming from the pulses, and
// the constants table documented in docs/design.md.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "fixtures.hpp"
#include "nnc/algo/cost.hpp"
#include "nnc/algo/metrics.hpp"
#include "nnc/algo/rsa.hpp"
#include "nnc/device/chip.hpp"
#include "nnc/nn/stats.hpp"

using namespace nnc;

namespace {

DeviceParams small_device(double p_fault = 0) {
  DeviceParams d;
  d.sigma = 0.1;
  d.p_sf0 = d.p_sf1 = p_fault;
  d.tile = 4;
  return d;
}

// A conv layer then two dense layers on 1x6x6 inputs: every layer spans several 4x4 tiles.
Model tiny_model() { return test::make_model("c3k3,relu,flat,fc9,relu,fc5", {1, 6, 6}, 5, 7); }

}  // namespace

TEST_CASE("cost: a SAR conversion costs B bit cycles plus its DAC switching, scaled from the cited node") {
  const CostParams p;
  const double scale = p.node_nm / p.adc_ref_node_nm * (p.vdd_v / p.adc_ref_vdd_v) * (p.vdd_v / p.adc_ref_vdd_v);
  for (int b = 2; b <= 16; ++b) {
    CAPTURE(b);
    CHECK(adc_conversion_j(p, b) ==
          doctest::Approx(b * p.adc_cycle_j * scale + std::ldexp(1.0, b - 2) * p.adc_unit_cap_f * p.vdd_v * p.vdd_v));
    CHECK(adc_conversion_j(p, b + 1) > adc_conversion_j(p, b));
  }
  // At low resolution the bit cycles rule: less than doubling per bit, near linear (3 -> 6 bits
  // about x2, where a constant Walden figure of merit gives x8) ...
  for (int b = 3; b <= 8; ++b) CHECK(adc_conversion_j(p, b + 1) < 1.4 * adc_conversion_j(p, b));
  CHECK(adc_conversion_j(p, 6) / adc_conversion_j(p, 3) == doctest::Approx(2.0).epsilon(0.05));
  // ... at high resolution the capacitive DAC takes over and each bit costs relatively more.
  CHECK(adc_conversion_j(p, 16) / adc_conversion_j(p, 15) > adc_conversion_j(p, 4) / adc_conversion_j(p, 3));
  // The cited ADC at its own node and supply costs its own 3.1 mW / 1.2 GS/s (DAC aside).
  CostParams at_ref = p;
  at_ref.node_nm = p.adc_ref_node_nm;
  at_ref.vdd_v = p.adc_ref_vdd_v;
  at_ref.adc_unit_cap_f = 0;
  CHECK(adc_conversion_j(at_ref, 8) == doctest::Approx(3.1e-3 / 1.2e9));
}

TEST_CASE("cost: ADC area grows with the bits and is the cited ADC's, scaled by F^2, at 8 bits") {
  const CostParams p;
  const double f2 = (p.node_nm / p.adc_ref_node_nm) * (p.node_nm / p.adc_ref_node_nm);
  CHECK(adc_area_um2(p, 8) == doctest::Approx(p.adc_area_8b_um2 * f2));
  for (int b = 2; b < 16; ++b) CHECK(adc_area_um2(p, b + 1) > adc_area_um2(p, b));
  // The DAC's 2 x 2^B unit capacitors: the step from 15 to 16 bits is mostly capacitor.
  CHECK(adc_area_um2(p, 16) - adc_area_um2(p, 15) > 2 * std::ldexp(1.0, 15) * p.adc_unit_cap_f / p.cap_density_f_per_um2);
  // A chip's area grows with the ADC bits through its ADCs alone.
  const Model m = tiny_model();
  const ChipState chip = program_chip(m, small_device(), 3);
  double last = 0;
  for (int b = 3; b <= 8; ++b) {
    const CostReport r = chip_cost(chip, m, p, b);
    CAPTURE(b);
    CHECK(r.area_um2() > last);
    last = r.area_um2();
  }
}

TEST_CASE("cost: ADC energy is the conversions times the energy per conversion, the conversions the same at any bits") {
  const Model m = tiny_model();
  const ChipState chip = program_chip(m, small_device(), 3);
  CostParams p;
  const CostReport r6 = chip_cost(chip, m, p, 6), r7 = chip_cost(chip, m, p, 7);
  REQUIRE(r6.adc_conversions() > 0);
  CHECK(r6.adc_conversions() == r7.adc_conversions());
  for (std::size_t i = 0; i < r6.layers.size(); ++i) {
    CHECK(r6.layers[i].e_adc == doctest::Approx(r6.layers[i].adc_conversions * adc_conversion_j(p, 6)));
    CHECK(r7.layers[i].e_adc == doctest::Approx(r7.layers[i].adc_conversions * adc_conversion_j(p, 7)));
    CHECK(r7.layers[i].e_array == r6.layers[i].e_array);
  }
  // Twice the input bits: twice the conversions, twice the ADC energy (linear in conversions).
  CostParams p16 = p;
  p16.input_bits = 16;
  const CostReport r16 = chip_cost(chip, m, p16, 6);
  CHECK(r16.adc_conversions() == doctest::Approx(2 * r6.adc_conversions()));
  double e6 = 0, e16 = 0;
  for (std::size_t i = 0; i < r6.layers.size(); ++i) {
    e6 += r6.layers[i].e_adc;
    e16 += r16.layers[i].e_adc;
  }
  CHECK(e16 == doctest::Approx(2 * e6));
  // The chip's own ADC bits when it has an ADC, else the table's.
  CHECK(chip_cost(chip, m, p).adc_bits == 8);
  ChipState with_adc = chip;
  with_adc.device.adc_bits = 5;
  CHECK(chip_cost(with_adc, m, p).adc_bits == 5);
}

TEST_CASE("cost: a placed tile's area is its cells and periphery, counted per line, and the components sum to the total") {
  // flat,fc5 on 1x3x3: 9 rows x 5 columns on 4x4 tiles, 3 tile rows x 2 tile columns, all placed.
  const Model m = test::make_model("flat,fc5", {1, 3, 3}, 5, 4);
  const ChipState chip = program_chip(m, small_device(), 3);
  const CostParams p;
  const CostReport r = chip_cost(chip, m, p, 5);
  REQUIRE(r.layers.size() == 1);
  const LayerCost& c = r.layers[0];
  REQUIRE(c.tiles_used == 6);
  const double T = 4, tiles = 6, adcs = tiles * std::ceil(T / p.adc_col_mux), t = p.logic_transistor_um2;
  const double f_um = p.node_nm * 1e-3;
  CHECK(c.a_array == doctest::Approx(tiles * 2 * T * T * p.cell_area_f2 * f_um * f_um));
  CHECK(c.a_adc == doctest::Approx(adcs * adc_area_um2(p, 5)));
  CHECK(c.a_driver == doctest::Approx(tiles * T * (p.flipflop_transistors + p.row_transistors) * t));
  CHECK(c.a_column == doctest::Approx(tiles * 2 * T * p.column_transistors * t));
  CHECK(c.a_write == doctest::Approx(tiles * 5 * T * p.write_driver_um2));  // T word lines, 2T bit and 2T source lines
  CHECK(c.a_shift_add == doctest::Approx(adcs * p.accumulator_bits * (p.adder_transistors_per_bit + p.flipflop_transistors) * t));
  CHECK(c.a_tile_buffer ==
        doctest::Approx(tiles * T * (p.input_bits + p.accumulator_bits) * p.sram_cell_area_um2 / p.sram_array_efficiency));
  CHECK(c.a_link == 0);  // the last mapped layer has no links
  const double tile_parts = c.a_array + c.a_adc + c.a_driver + c.a_column + c.a_write + c.a_shift_add + c.a_tile_buffer;
  CHECK(c.a_overhead == doctest::Approx(p.tile_overhead * tile_parts));
  CHECK(c.area() == doctest::Approx(tile_parts + c.a_overhead + c.a_link + c.a_rsa));
  CHECK(r.area_um2() == doctest::Approx(c.area() + r.buffer_area_um2));
  // The periphery, not the cells, is most of a tile (as in ISAAC and NeuroSim).
  CHECK(c.a_array < 0.1 * c.area());
  // The word line spans the tile's whole width, used columns or not, wire and access gates: the
  // second tile column holds one weight column and its rows cost what the first's do.
  const double c_row = (p.wire_cap_f_per_um + p.gate_cap_f_per_um) * 2 * T * std::sqrt(p.cell_area_f2) * f_um;
  CHECK(c.e_driver == doctest::Approx(2 * 9 * p.input_bits * p.activity_assumed * c_row * p.vdd_v * p.vdd_v));
}

TEST_CASE("cost: links carry registers at both ends, so a chip with links has more area than its tiles") {
  const Model m = tiny_model();
  const ChipState chip = program_chip(m, small_device(), 3);
  const CostParams p;
  const CostReport r = chip_cost(chip, m, p, 8);
  double a_link = 0, sum = r.buffer_area_um2;
  for (const auto& c : r.layers) {
    a_link += c.a_link;
    if (c.mapped) CHECK(c.a_link == doctest::Approx(c.tile_links * 2 * p.input_bits * p.flipflop_transistors * p.logic_transistor_um2));
    sum += c.area();
  }
  CHECK(r.tile_links() > 0);
  CHECK(a_link > 0);
  CHECK(r.area_um2() == doctest::Approx(sum));
}

TEST_CASE("cost: conversions are vectors x input bits x the columns of each placed tile") {
  const Model m = tiny_model();
  const ChipState chip = program_chip(m, small_device(), 3);
  CostParams p;
  const CostReport r = chip_cost(chip, m, p, 8);
  REQUIRE(r.layers.front().mapped);
  // conv c3k3 on 1x6x6: 4x4 = 16 positions, 9 rows x 3 columns: one 4-wide tile column of 3
  // columns, 3 tile rows (4 + 4 + 1 rows), all placed.
  const LayerCost& conv = r.layers.front();
  CHECK(conv.vectors == 16);
  CHECK(conv.tiles_used == 3);
  CHECK(conv.adc_conversions == doctest::Approx(16 * 8 * 3 * 3));
  // The dense layer fc9 reads 48 inputs: 12 x 3 tiles, 1 vector.
  const LayerCost* fc9 = nullptr;
  for (const auto& c : r.layers)
    if (c.mapped && c.spec == "fc9") fc9 = &c;
  REQUIRE(fc9);
  CHECK(fc9->tiles_used == 36);
  CHECK(fc9->adc_conversions == doctest::Approx(12 * 8 * 9));
  CHECK(r.tiles_used() == 3 + 36 + 6);  // fc5: 9 x 5, 3 tile rows x 2 tile columns
  // Digital layers are costed per op: the ReLUs are there, flatten is not.
  int relus = 0;
  for (const auto& c : r.layers) {
    if (c.type == "relu") {
      ++relus;
      CHECK(c.e_digital > 0);
    }
    CHECK(c.type != "flatten");
  }
  CHECK(relus == 2);
}

TEST_CASE("cost: a pruned model with fewer tiles has less area, fewer conversions and less interconnect") {
  const Model m = tiny_model();
  Model pruned = m;
  // Zero fc9's first 24 inputs (rows 0..23: 6 of its 12 tile rows) for every unit.
  for (auto& l : pruned.layers()) {
    if (l->spec() != "fc9") continue;
    Param* w = l->weight_param();
    for (int o = 0; o < 9; ++o)
      for (int i = 0; i < 24; ++i) w->value[o * 48 + i] = 0;
  }
  // And the conv's first unit entirely, so the links from it to fc9 go too.
  for (auto& l : pruned.layers()) {
    if (l->type() != "conv") continue;
    Param* w = l->weight_param();
    for (int k = 0; k < 9; ++k) w->value[k] = 0;
  }
  const CostParams p;
  const CostReport full = chip_cost(program_chip(m, small_device(), 3), m, p, 8);
  const CostReport less = chip_cost(program_chip(pruned, small_device(), 3), pruned, p, 8);
  CHECK(less.tiles_used() < full.tiles_used());
  CHECK(less.area_um2() < full.area_um2());
  CHECK(less.adc_conversions() < full.adc_conversions());
  CHECK(less.tile_links() < full.tile_links());
  double e_full = 0, e_less = 0;
  for (const auto& c : full.layers) e_full += c.e_interconnect;
  for (const auto& c : less.layers) e_less += c.e_interconnect;
  CHECK(e_full > 0);
  CHECK(e_less < e_full);
  // The links are the ones the structure metrics count.
  CHECK(full.tile_links() == structure_metrics(m, 1, 4).tile_links);
  CHECK(less.tile_links() == structure_metrics(pruned, 1, 4).tile_links);
}

TEST_CASE("cost: links follow the graph's edges: a projection shortcut's and the block input's, through adds and padding shortcuts") {
  // 1x1 convs on 4x4 tiles, every weight nonzero: a tile of W1 (columns = units) links to a tile
  // of W2 (rows = input channels, 1 per channel) when its units and the tile's channels overlap,
  // and carries the overlap.
  const auto layer_cost = [](const CostReport& r, int layer) {
    for (const auto& c : r.layers)
      if (c.layer == layer) return c;
    FAIL("no layer " << layer);
    return LayerCost{};
  };
  const CostParams p;
  const double b = p.input_bits;
  const auto check_nonzero = [](const Model& m) {
    for (const auto& l : m.layers())
      if (l->is_mapped()) REQUIRE((crossbar_matrix(*l).array() != 0).all());
  };
  SUBCASE("option B: a 1x1 projection (conv and batch norm) on the shortcut") {
    // Layers: 0 c4k1 (W 1x4: 1 tile, units 0-3), 1 relu (b0), 2 projection c8k1s2 (W 4x8: 2 tiles,
    // units 0-3 and 4-7), 3 bn (s), 4 c8k1s2 (W 4x8: 2 tiles), 5 bn, 6 relu, 7 c8k1 (W 8x8: 2 x 2
    // tiles), 8 bn, 9 add (bn 8 + s), 10 relu, 11 gap, 12 fc3 (W 8x3: 2 tile rows, channels 0-3, 4-7).
    const Model m = test::make_model("c4k1,b0=relu,c8k1s2@b0,s=bn,c8k1s2@b0,bn,relu,c8k1,bn,add@s,relu,gap,fc3",
                                     {1, 4, 4}, 3, 5);
    check_nonzero(m);
    const CostReport r = chip_cost(program_chip(m, small_device(), 3), m, p, 8);
    // The edges and their links:
    //   layer 0 -> projection 2:  its 1 tile x the projection's 2 tiles (each reads channels 0-3): 2 links, 4 + 4 units;
    //   layer 0 -> conv 4:        the same, 2 links, 8 units (in layer order never counted);
    //   conv 4 -> conv 7:         tile of units 0-3 x the 2 tiles of rows 0-3, units 4-7 x rows 4-7: 4 links, 16 units;
    //   conv 7 -> fc3 (bn, add):  each of its 4 tiles (units 0-3 or 4-7) x the one fc tile of those channels: 4 links, 16 units;
    //   projection 2 -> fc3 (bn, add): 2 tiles x 1 fc tile each: 2 links, 8 units (in layer order the projection went
    //   to conv 4, which does not read it: 4 input rows for 8 units, 0 links).
    // 14 links; in layer order 2 + 0 + 4 + 4 = 10.
    CHECK(layer_cost(r, 0).tile_links == 4);
    CHECK(layer_cost(r, 2).tile_links == 2);
    CHECK(layer_cost(r, 4).tile_links == 4);
    CHECK(layer_cost(r, 7).tile_links == 4);
    CHECK(layer_cost(r, 12).tile_links == 0);
    CHECK(r.tile_links() == 14);
    // Bits: a unit carries the reader's input values per channel, b bits each: 4x4 = 16 into the
    // stride-2 convs, 2x2 = 4 into conv 7, 1 into fc3 after the pooling.
    CHECK(layer_cost(r, 0).link_bits == doctest::Approx((8 + 8) * 16 * b));
    CHECK(layer_cost(r, 2).link_bits == doctest::Approx(8 * 1 * b));
    CHECK(layer_cost(r, 4).link_bits == doctest::Approx(16 * 4 * b));
    CHECK(layer_cost(r, 7).link_bits == doctest::Approx(16 * 1 * b));
    for (const auto& c : r.layers) {
      if (!c.mapped) continue;
      CHECK(c.a_link == doctest::Approx(c.tile_links * 2 * b * p.flipflop_transistors * p.logic_transistor_um2));
      CHECK(c.e_interconnect == doctest::Approx(c.link_bits * 0.5 * p.wire_cap_f_per_um * r.link_length_um * p.vdd_v * p.vdd_v));
    }
  }
  SUBCASE("option A: a padding shortcut moves the block input's units to the middle channels") {
    // Layers: 0 c4k1 (1 tile, units 0-3), 1 relu (b0), 2 id8s2 (s: channel c to c + 2 of 8),
    // 3 c8k1s2@b0 (2 tiles), 4 bn, 5 relu, 6 c8k1 (2 x 2 tiles), 7 bn, 8 add, 9 relu, 10 gap, 11 fc3.
    const Model m = test::make_model("c4k1,b0=relu,s=id8s2,c8k1s2@b0,bn,relu,c8k1,bn,add@s,relu,gap,fc3", {1, 4, 4}, 3, 5);
    check_nonzero(m);
    const CostReport r = chip_cost(program_chip(m, small_device(), 3), m, p, 8);
    //   layer 0 -> conv 3: 2 links, 8 units;
    //   layer 0 -> fc3 through the shortcut: units 0-3 arrive at channels 2-5, 2 in each fc tile: 2 links, 4 units;
    //   conv 3 -> conv 6: 4 links, 16 units;  conv 6 -> fc3: 4 links, 16 units.
    // 12 links; in layer order 2 + 4 + 4 = 10.
    CHECK(layer_cost(r, 0).tile_links == 4);
    CHECK(layer_cost(r, 0).link_bits == doctest::Approx(8 * 16 * b + 4 * 1 * b));
    CHECK(layer_cost(r, 3).tile_links == 4);
    CHECK(layer_cost(r, 6).tile_links == 4);
    CHECK(r.tile_links() == 12);
  }
}

TEST_CASE("cost: faults change what the arrays draw, nothing else") {
  const Model m = tiny_model();
  const ChipState clean = program_chip(m, small_device(0), 3);
  const ChipState faulty = program_chip(m, small_device(0.1), 3);
  const CostParams p;
  const CostReport a = chip_cost(clean, m, p, 8), b = chip_cost(faulty, m, p, 8);
  REQUIRE(a.layers.size() == b.layers.size());
  bool array_differs = false;
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    const LayerCost &x = a.layers[i], &y = b.layers[i];
    CHECK(x.tiles_used == y.tiles_used);
    CHECK(x.adc_conversions == y.adc_conversions);
    CHECK(x.e_adc == y.e_adc);
    CHECK(x.e_driver == doctest::Approx(y.e_driver));
    CHECK(x.e_shift_add == y.e_shift_add);
    CHECK(x.e_buffer == y.e_buffer);
    CHECK(x.e_interconnect == doctest::Approx(y.e_interconnect));
    CHECK(x.e_digital == y.e_digital);
    CHECK(x.area() == y.area());
    CHECK(x.latency_s == y.latency_s);
    if (x.e_array != y.e_array) array_differs = true;
  }
  CHECK(array_differs);  // stuck cells conduct G_on or G_off whatever their level
  CHECK(a.area_um2() == b.area_um2());
}

TEST_CASE("cost: RSA cells add SRAM area and energy") {
  const Model m = tiny_model();
  const ChipState chip = program_chip(m, small_device(), 3);
  RsaRecord rec;
  rec.state = init_rsa(m, select_rsa(m, mapped_layers(m), 0.1, RsaSelectionKind::balanced, 3, 4), RsaMode::additive,
                       0.01, 0, 3);
  rec.report.steps = 10;
  const CostParams p;
  const CostReport without = chip_cost(chip, m, p, 8);
  const CostReport with = chip_cost(chip, m, p, 8, nullptr, &rec);
  REQUIRE(with.rsa);
  CHECK(!without.rsa);
  const double cells = static_cast<double>(rec.state.cells());
  REQUIRE(cells > 0);
  CHECK(with.rsa->bits == 32);
  CHECK(with.rsa->area_um2 == doctest::Approx(cells * 32 * p.sram_cell_area_um2 / p.sram_array_efficiency));
  CHECK(with.area_um2() == doctest::Approx(without.area_um2() + with.rsa->area_um2));
  CHECK(with.energy_j() > without.energy_j());
  CHECK(with.rsa->read_j_per_image == doctest::Approx(with.energy_j() - without.energy_j()));
  CHECK(with.rsa->update_j ==
        doctest::Approx(10 * cells * 32 * (p.sram_read_j_per_bit + p.sram_write_j_per_bit) * p.scale_from_45nm));
  // Quantized cells take their bits.
  rec.state.bits = 4;
  CHECK(chip_cost(chip, m, p, 8, nullptr, &rec).rsa->area_um2 == doctest::Approx(with.rsa->area_um2 / 8));
}

TEST_CASE("cost: array energy follows the measured input activity") {
  Model m = test::make_model("flat,fc5", {1, 3, 3}, 5, 4);
  const ChipState chip = program_chip(m, small_device(), 3);
  const CostParams p;
  // Equal positive inputs: every code is the top one, input_bits 1 bits per row.
  Tensor ones(2, {1, 3, 3});
  for (std::size_t i = 0; i < ones.size(); ++i) ones.data()[i] = 0.5f;
  const auto act = measure_activity(m, ones, 8);
  REQUIRE(act.size() == 1);
  for (double r : act[0].row_ones) CHECK(r == 8);
  const LayerChip& lc = chip.layers[0];
  double g = 0;
  for (std::size_t k = 0; k < lc.size(); ++k) g += lc.g_plus[k] + lc.g_minus[k];
  const CostReport r = chip_cost(chip, m, p, 8, &act, nullptr, 2);
  CHECK(r.measured_activity);
  CHECK(r.layers[0].e_array == doctest::Approx(8 * p.v_read_v * p.v_read_v * g * p.t_read_pulse_s));
  // Zero inputs draw nothing; the assumed activity is half of the full one here.
  Tensor zeros(2, {1, 3, 3});
  zeros.set_zero();
  const auto none = measure_activity(m, zeros, 8);
  CHECK(chip_cost(chip, m, p, 8, &none).layers[0].e_array == 0);
  CHECK(chip_cost(chip, m, p, 8).layers[0].e_array == doctest::Approx(r.layers[0].e_array * p.activity_assumed));
  // A conv layer's rows count the padded positions as 0: the centre tap sees every position.
  Model c = test::make_model("c2k3p1,flat,fc5", {1, 4, 4}, 5, 4);
  Tensor cones(1, {1, 4, 4});
  for (std::size_t i = 0; i < cones.size(); ++i) cones.data()[i] = 1.0f;
  const auto cact = measure_activity(c, cones, 4);
  REQUIRE(cact.size() == 2);
  CHECK(cact[0].vectors == 16);
  CHECK(cact[0].row_ones[4] == 16 * 4);  // centre tap (1,1): 16 positions
  CHECK(cact[0].row_ones[0] == 9 * 4);   // corner tap (0,0): 3 x 3 positions inside
}

TEST_CASE("cost: programming counts the chip's write pulses and verify reads") {
  const Model m = tiny_model();
  DeviceParams d = small_device(0.05);
  d.method = "rvw";
  const ChipState rvw = program_chip(m, d, 3);
  const CostParams p;
  const CostReport r = chip_cost(rvw, m, p, 8);
  CHECK(r.programming.write_pulses == rvw.write_pulses());
  CHECK(r.programming.verify_reads == rvw.pulses());
  CHECK(r.programming.time_s == doctest::Approx(static_cast<double>(rvw.write_pulses()) * d.t_write_s +
                                                static_cast<double>(rvw.pulses()) * d.t_read_s));
  const ChipState oneshot = program_chip(m, small_device(0.05), 3);
  const CostReport o = chip_cost(oneshot, m, p, 8);
  CHECK(o.programming.verify_reads == 0);
  CHECK(o.programming.energy_j < r.programming.energy_j);
  CHECK(o.programming.time_s < r.programming.time_s);
  // A model only mapped (no cell written) is costed at its target levels, programmed once.
  const ChipState mapped = map_to_tiles(m, small_device(), 3);
  const CostReport u = chip_cost(mapped, m, p, 8);
  CHECK(u.programming.write_pulses == program_chip(m, small_device(), 3).write_pulses());
  CHECK(u.layers[0].e_array > 0);
}

TEST_CASE("cost: every constant has a unit, a source and a row in docs/design.md") {
  std::ifstream in(std::string(NNC_SOURCE_DIR) + "/docs/design.md");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const CostParams p;
  for (const auto& row : kCostParams) {
    const std::string name = row.name;
    CAPTURE(name);
    CHECK(std::string(row.source).size() > 10);
    CHECK(std::isfinite(p.*row.member));
    CHECK(doc.find("`" + std::string(row.name) + "`") != std::string::npos);
  }
  CHECK(kCostParams.size() == sizeof(CostParams) / sizeof(double));
}
