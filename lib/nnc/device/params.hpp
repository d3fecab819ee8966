// DeviceParams: every parameter of the RRAM device model (docs/design.md section 6), each physical
// quantity with its unit in its name, and kDeviceParams, the one table that lists them: name
// (the /device attribute of a chip file and the report key), flag, unit, section, valid range,
// the schema version that added it, help. The flags (cli/device_flags.hpp), the /device group
// of chip files (io/chip_io.cpp), the reports (cli/chip_report.hpp), validate() and, through a
// test, docs/schema.md all follow the table, so a new parameter is a member here and one row.
#pragma once
#include <array>
#include <limits>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "nnc/nn/model.hpp"

namespace nnc {

// The defaults are the member initializers; every member has a row in kDeviceParams below
// (params.cpp fails to compile when the two differ in number).
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
  bool clip = true;              // clip written conductances to [g_off, g_on] (--no-clip: off)
  int adc_bits = 0;              // ADC resolution of each tile's column sums, bits; 0 = ideal read-out
  // Read-out conditions (docs/design.md section 6): may differ at every evaluation of a chip.
  int read_seed = 0;             // seeds the per-read noise with the chip's seed (read streams)
  double time_s = 1;             // seconds after programming at which the chip is read; t0 = 1 s: no drift
  double drift_nu = 0.005;       // drift exponent nu of G(t) = G(t0) (t/t0)^-nu: mean over cells
  double drift_nu_std = 0.002;   // its standard deviation over cells (nu drawn per cell, clipped at 0)
  bool drift_compensation = false;  // one digital scale per layer from a reference read (all-ones input)
  std::string method = "oneshot";  // "oneshot" or "rvw" (read-verify-write)
  int max_pulses = 20;           // R-V-W write pulses per cell at most (the first write included)
  double rvw_fraction = 1.0;     // R-V-W verifies the cells of this fraction of largest-|w| weights
  std::string map = "default";   // "default" or "fault-aware" (device/fault_aware.hpp)
  int spare_cols = 0;            // spare physical columns per tile column (device/fault_map.hpp)
  // Time model.
  double t_write_s = 6.5e-6;     // one RRAM write pulse
  double t_read_s = 100e-9;      // one verify read of one cell
  double t_sram_s = 1e-9;        // one RSA (SRAM) cell update
  double t_mvm_s = 100e-9;       // one crossbar read of one input vector, all tiles in parallel

  // Throws nnc::Error naming the parameter ("invalid device parameter: sigma must be >= 0,
  // found -0.1") if a value breaks its row's rule in kDeviceParams or a rule across rows
  // (g_off_siemens < g_on_siemens, p_sf0 + p_sf1 <= 1): device_params_problem() below.
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
};

// Further rules of rows whose range alone does not say it (kDeviceParams' `accepts`).
namespace device_rules {
bool w_scale_ok(const DeviceParams& d);         // "max" or "pNN", 0 < NN <= 100
bool digital_layers_ok(const DeviceParams& d);  // comma list of first, last, layer indices >= 0
bool adc_bits_ok(const DeviceParams& d);        // 0 (off) or 2..16: not 1
bool method_ok(const DeviceParams& d);          // "oneshot" or "rvw"
bool map_ok(const DeviceParams& d);             // "default" or "fault-aware"
}  // namespace device_rules

// One row of the device parameter table.
struct DeviceParam {
  enum class Kind { real, integer, boolean, text };  // the order of Member's alternatives
  enum class Section { device, readout, programming, time };  // flag groups and report lines
  using Member = std::variant<double DeviceParams::*, int DeviceParams::*, bool DeviceParams::*,
                              std::string DeviceParams::*>;
  static constexpr double kNone = std::numeric_limits<double>::infinity();

  const char* name;   // the /device attribute of a chip file, the report key, the name in lib/'s
                      // messages; units in the name (g_on_siemens, t_write_s)
  const char* flag;   // the command-line flag (cli/device_flags.hpp)
  const char* label;  // what the text report calls it
  const char* unit;   // "S", "s", "bits", or "" (dimensionless, a count, a word)
  Section section;
  Member member;
  double min = -kNone, max = kNone;  // numbers: the valid range [min, max], finite
  bool min_open = false;             // (min, max] instead
  const char* rule = nullptr;        // the rule in words, when the range does not say it all
  bool (*accepts)(const DeviceParams&) = nullptr;  // a further rule (strings, a gap in a range)
  bool zero_is_off = false;          // 0 switches the feature off (reports say "off")
  bool at_readout = false;           // a read-out condition: may be changed on an existing chip
                                     // (nnc-eval chip.h5 --time T); the rest needs reprogramming
  const char* since = "1.0.0";       // schema version that added it (docs/schema.md); a reader
                                     // takes the default for a file older than that, so the
                                     // default MUST mean what files without it meant
  const char* help = "";             // the flag's help

  constexpr Kind kind() const { return static_cast<Kind>(member.index()); }
};

// The table: one row per member of DeviceParams, in the order of the flags' help, the /device
// attributes and the reports (changing it changes the bytes of chip files).
inline constexpr auto kDeviceParams = std::to_array<DeviceParam>({
    {.name = "g_on_siemens", .flag = "--g-on", .label = "G_on", .unit = "S", .section = DeviceParam::Section::device,
     .member = &DeviceParams::g_on_siemens, .min = 0, .min_open = true, .help = "LRS conductance G_on, siemens"},
    {.name = "g_off_siemens", .flag = "--g-off", .label = "G_off", .unit = "S", .section = DeviceParam::Section::device,
     .member = &DeviceParams::g_off_siemens, .min = 0, .min_open = true, .help = "HRS conductance G_off, siemens"},
    {.name = "levels", .flag = "--levels", .label = "levels", .unit = "", .section = DeviceParam::Section::device,
     .member = &DeviceParams::levels, .min = 2, .max = 32768, .help = "conductance levels per cell (>= 2)"},
    {.name = "sigma", .flag = "--sigma", .label = "sigma", .unit = "", .section = DeviceParam::Section::device,
     .member = &DeviceParams::sigma, .min = 0,
     .help = "lognormal write variation: G = G_target * exp(N(0, sigma^2))"},
    {.name = "p_sf0", .flag = "--p-sf0", .label = "P(SF0, stuck LRS)", .unit = "", .section = DeviceParam::Section::device,
     .member = &DeviceParams::p_sf0, .min = 0, .max = 1, .help = "probability of a cell stuck at LRS (SF0, G_on)"},
    {.name = "p_sf1", .flag = "--p-sf1", .label = "P(SF1, stuck HRS)", .unit = "", .section = DeviceParam::Section::device,
     .member = &DeviceParams::p_sf1, .min = 0, .max = 1, .help = "probability of a cell stuck at HRS (SF1, G_off)"},
    {.name = "tile", .flag = "--tile", .label = "tile", .unit = "", .section = DeviceParam::Section::device,
     .member = &DeviceParams::tile, .min = 1, .help = "crossbar tile size, weight positions per side"},
    {.name = "w_scale", .flag = "--w-scale", .label = "w-scale", .unit = "", .section = DeviceParam::Section::device,
     .member = &DeviceParams::w_scale, .rule = "must be max or pNN with 0 < NN <= 100",
     .accepts = device_rules::w_scale_ok,
     .help = "layer weight scale: max (max |w|) or pNN (percentile of |w|, larger clipped)"},
    {.name = "digital_layers", .flag = "--digital-layers", .label = "digital layers", .unit = "",
     .section = DeviceParam::Section::device, .member = &DeviceParams::digital_layers,
     .rule = "must be a comma list of first, last or layer indices", .accepts = device_rules::digital_layers_ok,
     .help = "layers kept off the chip: comma list of first, last, layer index"},
    {.name = "read_noise_sigma", .flag = "--read-noise", .label = "read noise", .unit = "",
     .section = DeviceParam::Section::device, .member = &DeviceParams::read_noise_sigma, .min = 0,
     .zero_is_off = true, .at_readout = true,
     .help = "relative read noise, fresh on every crossbar read: G * (1 + N(0, s^2)); 0 = off"},
    {.name = "clip", .flag = "--clip", .label = "clip", .unit = "", .section = DeviceParam::Section::device,
     .member = &DeviceParams::clip,
     .help = "clip written conductances to [G_off, G_on] (on by default; --no-clip turns it off)"},
    {.name = "adc_bits", .flag = "--adc-bits", .label = "ADC", .unit = "bits", .section = DeviceParam::Section::device,
     .member = &DeviceParams::adc_bits, .min = 0, .max = 16, .rule = "must be 0 (off) or in [2, 16]",
     .accepts = device_rules::adc_bits_ok, .zero_is_off = true, .at_readout = true, .since = "1.1.0",
     .help = "ADC bits per tile column sum (0 = ideal read-out, else 2..16)"},
    {.name = "read_seed", .flag = "--read-seed", .label = "read seed", .unit = "", .section = DeviceParam::Section::readout,
     .member = &DeviceParams::read_seed, .min = 0, .max = 2147483647, .at_readout = true, .since = "1.3.0",
     .help = "seed of the per-read noise (with the chip's seed): another value, other reads"},
    {.name = "time_s", .flag = "--time", .label = "read at", .unit = "s", .section = DeviceParam::Section::readout,
     .member = &DeviceParams::time_s, .min = 1, .max = 1e12, .at_readout = true, .since = "1.3.0",
     .help = "seconds after programming at which the chip is read (>= t0 = 1 s; 1 = no drift)"},
    {.name = "drift_nu", .flag = "--drift-nu", .label = "drift nu", .unit = "", .section = DeviceParam::Section::readout,
     .member = &DeviceParams::drift_nu, .min = 0, .max = 1, .at_readout = true, .since = "1.3.0",
     .help = "conductance drift G(t) = G(t0) (t/t0)^-nu: mean of nu over cells (PCM-like: 0.05)"},
    {.name = "drift_nu_std", .flag = "--drift-nu-std", .label = "drift nu std", .unit = "",
     .section = DeviceParam::Section::readout, .member = &DeviceParams::drift_nu_std, .min = 0, .max = 1,
     .at_readout = true, .since = "1.3.0", .help = "standard deviation of nu over cells (clipped at 0; PCM-like: 0.01)"},
    {.name = "drift_compensation", .flag = "--drift-compensation", .label = "drift compensation", .unit = "",
     .section = DeviceParam::Section::readout, .member = &DeviceParams::drift_compensation, .at_readout = true,
     .since = "1.3.0", .help = "global drift compensation: one digital scale per layer from an all-ones reference read"},
    {.name = "method", .flag = "--method", .label = "method", .unit = "", .section = DeviceParam::Section::programming,
     .member = &DeviceParams::method, .rule = "must be oneshot or rvw", .accepts = device_rules::method_ok,
     .help = "programming: oneshot or rvw (read-verify-write)"},
    {.name = "max_pulses", .flag = "--max-pulses", .label = "max pulses", .unit = "",
     .section = DeviceParam::Section::programming, .member = &DeviceParams::max_pulses, .min = 1, .max = 65535,
     .help = "R-V-W write pulses per cell at most"},
    {.name = "rvw_fraction", .flag = "--rvw-fraction", .label = "R-V-W fraction", .unit = "",
     .section = DeviceParam::Section::programming, .member = &DeviceParams::rvw_fraction, .min = 0, .max = 1,
     .help = "R-V-W verifies only the largest-|w| fraction of weights"},
    {.name = "map", .flag = "--map", .label = "map", .unit = "", .section = DeviceParam::Section::programming,
     .member = &DeviceParams::map, .rule = "must be default or fault-aware", .accepts = device_rules::map_ok,
     .since = "1.3.0",
     .help = "mapping: default, or fault-aware (compensate stuck cells, permute rows and columns around faults)"},
    {.name = "spare_cols", .flag = "--spare-cols", .label = "spare columns", .unit = "",
     .section = DeviceParam::Section::programming, .member = &DeviceParams::spare_cols, .min = 0, .max = 4096,
     .since = "1.3.0", .help = "spare physical columns per tile column, for --map fault-aware to leave the worst unused"},
    {.name = "t_write_s", .flag = "--t-write", .label = "write pulse", .unit = "s", .section = DeviceParam::Section::time,
     .member = &DeviceParams::t_write_s, .min = 0, .help = "seconds per RRAM write pulse"},
    {.name = "t_read_s", .flag = "--t-read", .label = "verify read", .unit = "s", .section = DeviceParam::Section::time,
     .member = &DeviceParams::t_read_s, .min = 0, .help = "seconds per verify read of one cell"},
    {.name = "t_sram_s", .flag = "--t-sram", .label = "SRAM update", .unit = "s", .section = DeviceParam::Section::time,
     .member = &DeviceParams::t_sram_s, .min = 0, .help = "seconds per RSA (SRAM) cell update"},
    {.name = "t_mvm_s", .flag = "--t-mvm", .label = "MVM", .unit = "s", .section = DeviceParam::Section::time,
     .member = &DeviceParams::t_mvm_s, .min = 0, .help = "seconds per crossbar read of one input vector"},
});

// The row named `name` (its attribute name), or nullptr.
const DeviceParam* find_device_param(std::string_view name);

// What is wrong with d's value of p: "must be in [2, 32768], found 1", or "" if it keeps the
// row's rule (finite and in range for numbers, `accepts` where there is one).
std::string device_param_problem(const DeviceParam& p, const DeviceParams& d);
// The rules across rows, g_off_siemens < g_on_siemens and p_sf0 + p_sf1 <= 1: the first one d
// breaks, with each parameter called by `naming` (&DeviceParam::name in lib/, &DeviceParam::flag
// where a flag set it), e.g. "p_sf0 + p_sf1 must be <= 1, found 1.2"; or "".
std::string device_params_relation_problem(const DeviceParams& d,
                                           const char* DeviceParam::*naming = &DeviceParam::name);
// The first problem of any row ("sigma must be >= 0, found -0.1"), then of the rules across
// rows; "" if d is valid. validate() throws it.
std::string device_params_problem(const DeviceParams& d, const char* DeviceParam::*naming = &DeviceParam::name);
// The rule of a row in words: its `rule`, else said from its range ("must be >= 0").
std::string device_param_rule(const DeviceParam& p);

// d's value of p as reports and messages show it: numbers as %g, booleans true/false, text as is.
std::string device_param_text(const DeviceParam& p, const DeviceParams& d);

}  // namespace nnc
