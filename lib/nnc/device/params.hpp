// DeviceParams: every parameter of the RRAM device model (docs/design.md section 6), each physical
// quantity with its unit in its name, and the one Register() that every tool taking device
// flags calls, so the flags are the same everywhere.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "nnc/nn/model.hpp"

namespace nnc {

struct DeviceParams {
  double g_on_siemens = 100e-6;  // LRS conductance, the top level
  double g_off_siemens = 1e-6;   // HRS conductance, level 0
  int levels = 32;               // conductance levels per cell, L
  double sigma = 0.1;            // write variation: G_written = G_target * exp(N(0, sigma^2))
  double p_sf0 = 0.0175;         // probability a cell is stuck at LRS (G_on)
  double p_sf1 = 0.0904;         // probability a cell is stuck at HRS (G_off)
  int tile = 128;                // tile of tile x tile weight positions (a pair of cell arrays)
  std::string w_scale = "max";   // "max" (max |w| of the layer) or "pNN" (percentile of nonzero |w|)
  std::string digital_layers;    // comma list of "first", "last" or model layer indices kept off chip
  double read_noise_sigma = 0;   // relative read noise: G_read = G * (1 + N(0, s^2)) per read
  bool clip = false;             // clip written conductances to [g_off, g_on]
  int adc_bits = 0;              // ADC resolution of each tile's column sums, bits; 0 = ideal read-out
  std::string method = "oneshot";  // "oneshot" or "rvw" (read-verify-write)
  int max_pulses = 20;           // R-V-W write pulses per cell at most (the first write included)
  double rvw_fraction = 1.0;     // R-V-W verifies the cells of this fraction of largest-|w| weights
  // Time model.
  double t_write_s = 6.5e-6;     // one RRAM write pulse
  double t_read_s = 100e-9;      // one verify read of one cell
  double t_sram_s = 1e-9;        // one RSA (SRAM) cell update
  double t_mvm_s = 100e-9;       // one crossbar read of one input vector, all tiles in parallel

  // Adds the device flags (--g-on, --g-off, --levels, --sigma, --p-sf0, --p-sf1, --tile,
  // --w-scale, --digital-layers, --read-noise, --clip, --adc-bits, --method, --max-pulses, --rvw-fraction,
  // --t-write, --t-read, --t-sram, --t-mvm). with_method: also --method/--max-pulses/--rvw-fraction.
  void Register(CLI::App& app, bool with_method = true);
  // True if any flag added by Register() was given on the command line.
  bool given() const;

  // Throws nnc::Error naming the flag if a value is out of its range: levels in [2, 32768],
  // sigma >= 0, probabilities in [0, 1] summing to at most 1, 0 < g_off < g_on, tile >= 1,
  // w_scale "max" or "pNN" with 0 < NN <= 100, method oneshot|rvw, max_pulses in [1, 65535],
  // rvw_fraction in [0, 1], times >= 0, digital layer list well formed, adc_bits 0 or in
  // [2, 16].
  void validate() const;

  // The percentile asked for by w_scale, or 0 for "max". Requires a valid w_scale.
  double w_scale_percentile() const;
  // Model layer indices that stay digital (resolved against m; throws for an index that is
  // not a conv or dense layer of m).
  std::vector<int> digital_layer_indices(const Model& m) const;

  // Conductance step between adjacent levels, siemens.
  double level_step_siemens() const { return (g_on_siemens - g_off_siemens) / (levels - 1); }
  // Conductance of level k, siemens.
  double level_siemens(int k) const { return g_off_siemens + k * level_step_siemens(); }

 private:
  std::vector<const CLI::Option*> flags_;  // what Register() added, for given()
};

}  // namespace nnc
