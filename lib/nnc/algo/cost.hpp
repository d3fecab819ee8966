// What a chip costs (issue 47; docs/design.md section 14, formulas in docs/algorithms.md "Cost
// model"): per mapped layer and in total, for one inference image, the energy of the crossbar
// reads, the ADC conversions, the input (word-line) drivers, shift-and-add, buffers, the
// inter-tile interconnect and the digital layers; RSA's SRAM cells; latency, throughput and
// area per component; and the energy and time of programming (one-shot and R-V-W pulses).
//
// Every constant is a member of CostParams and has one row in kCostParams (name, unit, source),
// as the device parameters have in device/params.hpp. The model is an estimate at the level of
// NeuroSim's first-order figures, not a circuit simulation.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nnc/device/chip.hpp"
#include "nnc/device/rsa_record.hpp"
#include "nnc/nn/model.hpp"

namespace nnc {

// The constants of the cost model; defaults are the member initializers, each with its row in
// kCostParams (unit and published source). Figures published at another node are scaled to
// node_nm: energies of switched capacitance by F V^2, areas by F^2.
struct CostParams {
  double node_nm = 22;                 // technology node F
  double vdd_v = 0.8;                  // digital supply
  double v_read_v = 0.2;               // read voltage on an active word line
  double t_read_pulse_s = 10e-9;       // read pulse per input bit (current integrated this long)
  double input_bits = 8;               // activations as B-bit codes fed bit-serially, one bit per read cycle
  double activity_assumed = 0.5;       // share of 1 bits per input when no dataset is given
  double adc_bits = 8;                 // ADC resolution when the chip's read-out is ideal (adc_bits 0)
  double adc_ref_node_nm = 32;         // node of the cited SAR ADC
  double adc_ref_vdd_v = 1.0;          // supply of the cited SAR ADC
  double adc_cycle_j = 3.1e-3 / 1.2e9 / 8;  // its energy per bit cycle (comparator, SAR logic, clocking), at its node
  double adc_unit_cap_f = 1e-15;       // capacitive DAC unit capacitor
  double adc_area_8b_um2 = 1200;       // area of the cited 8-bit SAR ADC, at its node
  double cap_density_f_per_um2 = 2e-15;  // metal-oxide-metal capacitor density of the DAC
  double adc_rate_hz = 1.2e9;          // conversions per second of one 8-bit ADC; SAR: t = B/8 / rate
  double adc_col_mux = 8;              // weight columns sharing one ADC
  double cell_area_f2 = 12;            // 1T1R cell area, F^2
  double wire_cap_f_per_um = 0.2e-15;  // wire capacitance per unit length
  double gate_cap_f_per_um = 1e-15;    // gate capacitance per unit of transistor width
  double sram_cell_area_um2 = 0.092;   // 6T SRAM bit cell
  double sram_array_efficiency = 0.7;  // share of an SRAM macro's area that is cells
  double sram_read_j_per_bit = 10e-12 / 64;    // 8 KB SRAM, 64-bit read, at 45 nm (scaled)
  double sram_write_j_per_bit = 10e-12 / 64;   // taken equal to a read
  double add_j_per_bit = 0.1e-12 / 32;         // integer add per bit of width, at 45 nm (scaled)
  double mult8_j = 0.2e-12;                    // 8-bit integer multiply, at 45 nm (scaled)
  double scale_from_45nm = 0.39;               // (22/45) * (0.8/0.9)^2: energy ~ C V^2
  double accumulator_bits = 16;                // width of shift-and-add and partial-sum adders
  double write_v = 2.0;                        // write pulse amplitude
  double write_pulse_width_s = 50e-9;          // write pulse width
  double t_digital_op_s = 1e-9;                // one digital op (clock period at 1 GHz)
  double digital_lanes = 128;                  // digital ops in parallel (one per tile column)
  double logic_transistor_um2 = 1 / 15.3;      // logic area per transistor (1 / 15.3 MTr per mm^2)
  double flipflop_transistors = 24;            // static master-slave D flip-flop
  double row_transistors = 16;                 // per word line besides its input flip-flop: decoder gate and driver
  double column_transistors = 4;               // per bit line: column-mux and sample-and-hold transmission gates
  double adder_transistors_per_bit = 32;       // shift-and-add per bit besides its register: full adder and shift mux
  double write_driver_um2 = 5.2;               // per word, bit and source line: level shifter and switch for write_v
  double tile_overhead = 0.2;                  // tile control and routing, share of the tile's area
};

struct CostParam {
  const char* name;                    // JSON key and --help name
  double CostParams::*member;
  const char* unit;
  const char* source;                  // the published figure it comes from, or "assumed: why"
};

inline constexpr auto kCostParams = std::to_array<CostParam>({
    {"node_nm", &CostParams::node_nm, "nm", "the technology node of NeuroSim's RRAM 22 nm setting (Peng et al., IEDM 2019)"},
    {"vdd_v", &CostParams::vdd_v, "V", "22 nm tri-gate nominal supply (Auth et al., VLSI Technology 2012)"},
    {"v_read_v", &CostParams::v_read_v, "V", "assumed: a low read voltage keeps the I-V linear and the read non-disturbing"},
    {"t_read_pulse_s", &CostParams::t_read_pulse_s, "s", "assumed: bit-line settling of a 128-row array, about 10x the ADC conversion"},
    {"input_bits", &CostParams::input_bits, "bits", "8-bit activations fed bit-serially, as ISAAC (Shafiee et al., ISCA 2016) and NeuroSim do"},
    {"activity_assumed", &CostParams::activity_assumed, "", "assumed: half the input bits are 1 when no dataset gives the real activity"},
    {"adc_bits", &CostParams::adc_bits, "bits", "ISAAC's 8-bit ADC (Shafiee et al., ISCA 2016), used when the chip's read-out is ideal"},
    {"adc_ref_node_nm", &CostParams::adc_ref_node_nm, "nm", "32 nm SOI: Kull et al., JSSC 2013 (8b 1.2 GS/s SAR, 3.1 mW), the ADC ISAAC uses"},
    {"adc_ref_vdd_v", &CostParams::adc_ref_vdd_v, "V", "1 V supply of Kull et al., JSSC 2013"},
    {"adc_cycle_j", &CostParams::adc_cycle_j, "J/cycle", "3.1 mW / 1.2 GS/s / 8 cycles = 0.32 pJ (Kull et al., JSSC 2013); a SAR decides one bit a cycle, so below ~10 bits its energy is ~B cycles (Murmann's ADC survey: a floor, then 4x per bit only where thermal noise rules)"},
    {"adc_unit_cap_f", &CostParams::adc_unit_cap_f, "F", "assumed: a 1 fF matching-limited unit; DAC switching 2^(B-2) C_u V^2 on average with monotonic switching (Liu et al., JSSC 2010)"},
    {"adc_area_8b_um2", &CostParams::adc_area_8b_um2, "um^2", "ISAAC: 8 ADCs (Kull's) in 0.0096 mm^2 at 32 nm (Shafiee et al., ISCA 2016, Table 1); scaled by F^2"},
    {"cap_density_f_per_um2", &CostParams::cap_density_f_per_um2, "F/um^2", "assumed: a finger (MOM) capacitor over several thin metals, ~2 fF/um^2"},
    {"adc_rate_hz", &CostParams::adc_rate_hz, "1/s", "1.2 GS/s (Kull et al., JSSC 2013)"},
    {"adc_col_mux", &CostParams::adc_col_mux, "", "8 columns per ADC, NeuroSim's default column multiplexing (Peng et al., IEDM 2019)"},
    {"cell_area_f2", &CostParams::cell_area_f2, "F^2", "assumed: a 1T1R cell, transistor-limited, 3x the 4F^2 of a crossbar without selector"},
    {"wire_cap_f_per_um", &CostParams::wire_cap_f_per_um, "F/um", "about 0.2 fF/um for on-chip wires (Weste & Harris, CMOS VLSI Design, 4th ed., ch. 6)"},
    {"gate_cap_f_per_um", &CostParams::gate_cap_f_per_um, "F/um", "about 1 fF per um of gate width (Weste & Harris, CMOS VLSI Design, 4th ed., ch. 2); a word line drives one access gate per cell, taken as wide as the cell pitch"},
    {"sram_cell_area_um2", &CostParams::sram_cell_area_um2, "um^2", "22 nm high-density 6T cell, 0.092 um^2 (Auth et al., VLSI Technology 2012)"},
    {"sram_array_efficiency", &CostParams::sram_array_efficiency, "", "assumed: 70% of an SRAM macro is cells, the rest decoders and sense amplifiers"},
    {"sram_read_j_per_bit", &CostParams::sram_read_j_per_bit, "J/bit", "10 pJ per 64-bit read of an 8 KB SRAM at 45 nm (Horowitz, ISSCC 2014), times scale_from_45nm"},
    {"sram_write_j_per_bit", &CostParams::sram_write_j_per_bit, "J/bit", "assumed equal to a read (Horowitz, ISSCC 2014 gives reads)"},
    {"add_j_per_bit", &CostParams::add_j_per_bit, "J/bit", "0.1 pJ per 32-bit integer add at 45 nm (Horowitz, ISSCC 2014), per bit, times scale_from_45nm"},
    {"mult8_j", &CostParams::mult8_j, "J", "0.2 pJ per 8-bit integer multiply at 45 nm (Horowitz, ISSCC 2014), times scale_from_45nm"},
    {"scale_from_45nm", &CostParams::scale_from_45nm, "", "assumed: switching energy ~ F V^2, (22/45) (0.8/0.9)^2"},
    {"accumulator_bits", &CostParams::accumulator_bits, "bits", "assumed: 16-bit partial sums (8-bit inputs, 8-bit ADC codes, up to 2^7 rows per tile)"},
    {"write_v", &CostParams::write_v, "V", "assumed: 2 V SET/RESET pulses, typical of HfOx RRAM (Wong et al., Proc. IEEE 2012)"},
    {"write_pulse_width_s", &CostParams::write_pulse_width_s, "s", "assumed: 50 ns pulses, within the 10-100 ns of HfOx RRAM (Wong et al., Proc. IEEE 2012)"},
    {"t_digital_op_s", &CostParams::t_digital_op_s, "s", "assumed: 1 GHz digital clock at 22 nm"},
    {"digital_lanes", &CostParams::digital_lanes, "", "assumed: one digital lane per tile column"},
    {"logic_transistor_um2", &CostParams::logic_transistor_um2, "um^2", "22 nm logic density 15.3 MTr/mm^2 (Bohr, Intel Technology and Manufacturing Day 2017)"},
    {"flipflop_transistors", &CostParams::flipflop_transistors, "", "static transmission-gate master-slave flip-flop, 24 transistors with reset (Weste & Harris, 4th ed., ch. 10)"},
    {"row_transistors", &CostParams::row_transistors, "", "assumed: a NAND3 and inverter of the predecoded row decoder (8) and a driver of 4x width (8)"},
    {"column_transistors", &CostParams::column_transistors, "", "two transmission gates per bit line: the 8:1 column mux and ISAAC's sample-and-hold (Shafiee et al., ISCA 2016)"},
    {"adder_transistors_per_bit", &CostParams::adder_transistors_per_bit, "", "28-transistor mirror full adder (Weste & Harris, 4th ed., ch. 11) and a 4-transistor 2:1 shift mux"},
    {"write_driver_um2", &CostParams::write_driver_um2, "um^2", "assumed: a level shifter (6) and a switch (2) of thick-oxide devices for write_v, each ~10 logic transistors' area: 8 x 10 x logic_transistor_um2"},
    {"tile_overhead", &CostParams::tile_overhead, "", "assumed: 20% of a tile's area for control and routing"},
});

// The real input activity of each mapped layer (from images, algo's measure_activity), or none.
struct LayerActivity {
  int layer = 0;                 // model layer index
  double vectors = 0;            // input vectors per image (output positions of a conv, 1 for dense)
  std::vector<double> row_ones;  // per crossbar row: 1 bits of its B-bit input codes per image (mean over images)
};

struct LayerCost {
  int layer = 0;                  // model layer index
  std::string type, spec;
  bool mapped = false;            // on the chip (conv/dense), else digital
  int tiles = 0, tiles_used = 0;  // arrays (a tile = a pair of 128x128 arrays for G+ and G-)
  double vectors = 0;             // input vectors per image
  double adc_conversions = 0;     // per image
  double ops = 0;                 // digital ops per image (digital layers)
  int tile_links = 0;             // links from this layer's tiles to those of the mapped layers that
                                  // read its outputs (through digital layers: an Add's inputs, shortcuts)
  double link_bits = 0;           // bits per image over those links
  double rsa_cells = 0;
  // Energy per image, J.
  double e_array = 0, e_adc = 0, e_driver = 0, e_shift_add = 0, e_buffer = 0, e_interconnect = 0,
         e_digital = 0, e_rsa = 0;
  double energy() const { return e_array + e_adc + e_driver + e_shift_add + e_buffer + e_interconnect + e_digital + e_rsa; }
  // Area, um^2, of the placed tiles: cells, ADCs, row periphery (input flip-flop, decoder and
  // driver per word line), column periphery (mux and sample-and-hold per bit line), write drivers
  // (every word, bit and source line), shift-and-add, the tile's input and output registers, the
  // registers at both ends of its links to the layers that read it, RSA's SRAM, and tile_overhead.
  double a_array = 0, a_adc = 0, a_driver = 0, a_column = 0, a_write = 0, a_shift_add = 0, a_tile_buffer = 0,
         a_link = 0, a_rsa = 0, a_overhead = 0;
  double area() const {
    return a_array + a_adc + a_driver + a_column + a_write + a_shift_add + a_tile_buffer + a_link + a_rsa + a_overhead;
  }
  double latency_s = 0;           // per image
};

struct ProgrammingCost {
  std::string method;              // "oneshot" or "rvw"
  std::uint64_t write_pulses = 0;  // first writes and R-V-W's further pulses
  std::uint64_t verify_reads = 0;  // R-V-W: one verify read per pulse of a verified cell
  double energy_j = 0, time_s = 0;
};

struct RsaCost {
  std::size_t cells = 0;
  int bits = 32;                   // bits per cell (32: float cells)
  long steps = 0;                  // training steps of the adaptation (from the chip's record)
  double area_um2 = 0;
  double read_j_per_image = 0;     // inference: every cell read and multiplied once per input vector
  double update_j = 0;             // adaptation: every cell read and written once per step
};

struct CostReport {
  CostParams params;
  int adc_bits = 0;                // the bits costed
  bool measured_activity = false;  // from images, else activity_assumed
  std::size_t images = 0;          // images the activity was measured on
  std::vector<LayerCost> layers;   // every conv/dense layer and every digital layer, in model order
  double buffer_area_um2 = 0;      // the activation buffer (the largest layer's input and output)
  double side_um = 0;              // side of the square the tiles and buffer fill
  double link_length_um = 0;       // mean length of a tile-to-tile link
  ProgrammingCost programming;
  std::optional<RsaCost> rsa;
  // Totals.
  double energy_j() const;         // per image
  double area_um2() const;         // tiles, periphery, links, RSA and buffer
  double latency_s() const;        // per image, layers one after another
  double pipelined_interval_s() const;  // the slowest layer: an image per interval with layers pipelined
  double adc_conversions() const;
  int tiles_used() const;
  int tile_links() const;
};

// A B-bit SAR ADC's energy per conversion and area at p.node_nm (docs/algorithms.md "Cost model"):
// B bit cycles of comparator and logic plus the capacitive DAC's switching, 2^(B-2) C_u V^2
// (monotonic switching); area: logic ~ B and a DAC of 2 x 2^B unit capacitors, so that 8 bits
// give the cited ADC's area scaled by F^2.
double adc_conversion_j(const CostParams& p, int bits);
double adc_area_um2(const CostParams& p, int bits);

// The cost of `chip` (programmed from `model`, whose digital layers it also costs) for one image.
// Conductances are the chip's programmed ones (stuck cells included); a chip from map_to_tiles
// alone (no cells written) is costed at its target levels. `activity` (one per mapped layer, from
// measure_activity) gives each row's real input bits, else activity_assumed of input_bits per row.
// adc_bits: 0 = the chip's, or params.adc_bits when the chip's read-out is ideal.
CostReport chip_cost(const ChipState& chip, const Model& model, const CostParams& params, int adc_bits = 0,
                     const std::vector<LayerActivity>* activity = nullptr, const RsaRecord* rsa = nullptr,
                     std::size_t activity_images = 0);

// Per mapped layer of `model`, the 1 bits of its input codes per crossbar row, averaged over the
// images (inference-mode forward passes of `images`): each layer's inputs are quantized to
// input_bits over [0, max] (two's complement over [-max, max] when some input is negative), max
// the largest |input| of that layer over the images; padding reads 0.
std::vector<LayerActivity> measure_activity(Model& model, const Tensor& images, int input_bits);

// The input of layer i as of m's last forward pass: the output of the layer it reads (a graph's
// layer_inputs), else, in a model without graphs, of the layer before it. (A template only so
// that it builds before and after nn/model.hpp has layer_inputs; once it has, one line.)
template <class M>
const Tensor& layer_input(const M& m, std::size_t i) {
  if constexpr (requires { m.layer_inputs(i); }) {
    return m.activation(static_cast<std::size_t>(m.layer_inputs(i).front() + 1));
  } else {
    return m.activation(i);
  }
}

}  // namespace nnc
