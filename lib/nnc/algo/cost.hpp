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
// kCostParams (unit and published source).
struct CostParams {
  double node_nm = 22;                 // technology node F
  double vdd_v = 0.8;                  // digital supply
  double v_read_v = 0.2;               // read voltage on an active word line
  double t_read_pulse_s = 10e-9;       // read pulse per input bit (current integrated this long)
  double input_bits = 8;               // activations as B-bit codes fed bit-serially, one bit per read cycle
  double activity_assumed = 0.5;       // share of 1 bits per input when no dataset is given
  double adc_bits = 8;                 // ADC resolution when the chip's read-out is ideal (adc_bits 0)
  double adc_walden_fom_j = 10.1e-15;  // J per conversion step over the nominal bits: E = FoM * 2^B
  double adc_area_8b_um2 = 1200;       // area of one 8-bit ADC; scaled by 2^(B-8)
  double adc_rate_hz = 1.2e9;          // conversions per second of one 8-bit ADC; SAR: t = B/8 / rate
  double adc_col_mux = 8;              // weight columns sharing one ADC
  double cell_area_f2 = 12;            // 1T1R cell area, F^2
  double wire_cap_f_per_um = 0.2e-15;  // wire capacitance per unit length
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
  double driver_area_um2 = 2;                  // one word-line driver (level shifter and switch)
  double adder_area_um2_per_bit = 6;           // adder area per bit of width
  double tile_overhead = 0.2;                  // tile periphery routing and control, share of the tile's area
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
    {"adc_walden_fom_j", &CostParams::adc_walden_fom_j, "J/step", "3.1 mW / 1.2 GS/s / 2^8 = 10.1 fJ, so that E = FoM 2^B gives the cited 8b ADC's own 2.58 pJ per conversion: Kull et al., JSSC 2013 (8b SAR, 32 nm), in Murmann's ADC survey"},
    {"adc_area_8b_um2", &CostParams::adc_area_8b_um2, "um^2", "ISAAC: 8 ADCs in 0.0096 mm^2 (Shafiee et al., ISCA 2016, Table 1); capacitive DAC area ~ 2^B"},
    {"adc_rate_hz", &CostParams::adc_rate_hz, "1/s", "1.2 GS/s (Kull et al., JSSC 2013)"},
    {"adc_col_mux", &CostParams::adc_col_mux, "", "8 columns per ADC, NeuroSim's default column multiplexing (Peng et al., IEDM 2019)"},
    {"cell_area_f2", &CostParams::cell_area_f2, "F^2", "assumed: a 1T1R cell, transistor-limited, 3x the 4F^2 of a crossbar without selector"},
    {"wire_cap_f_per_um", &CostParams::wire_cap_f_per_um, "F/um", "about 0.2 fF/um for on-chip wires (Weste & Harris, CMOS VLSI Design, 4th ed., ch. 6)"},
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
    {"driver_area_um2", &CostParams::driver_area_um2, "um^2", "assumed: a word-line switch and level shifter, about 40 transistors of 0.05 um^2"},
    {"adder_area_um2_per_bit", &CostParams::adder_area_um2_per_bit, "um^2/bit", "assumed: a full adder plus register, about 30 transistors of 0.2 um^2 with wiring"},
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
  int tile_links = 0;             // links from this layer's tiles to the next mapped layer's
  double link_bits = 0;           // bits per image over those links
  double rsa_cells = 0;
  // Energy per image, J.
  double e_array = 0, e_adc = 0, e_driver = 0, e_shift_add = 0, e_buffer = 0, e_interconnect = 0,
         e_digital = 0, e_rsa = 0;
  double energy() const { return e_array + e_adc + e_driver + e_shift_add + e_buffer + e_interconnect + e_digital + e_rsa; }
  // Area, um^2.
  double a_array = 0, a_adc = 0, a_driver = 0, a_shift_add = 0, a_rsa = 0, a_overhead = 0;
  double area() const { return a_array + a_adc + a_driver + a_shift_add + a_rsa + a_overhead; }
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
  double area_um2() const;         // tiles, periphery, RSA and buffer
  double latency_s() const;        // per image, layers one after another
  double pipelined_interval_s() const;  // the slowest layer: an image per interval with layers pipelined
  double adc_conversions() const;
  int tiles_used() const;
  int tile_links() const;
};

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
