#include "nnc/device/params.hpp"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "nnc/nn/error.hpp"
#include "nnc/nn/stats.hpp"

namespace nnc {

namespace {

Error invalid(const std::string& flag, const std::string& rule, const std::string& got) {
  return Error("invalid device parameter: " + flag + " " + rule + " (got " + got + ")");
}

std::string str(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Parses "pNN" into NN; false if it is not a number in (0, 100].
bool parse_percentile(const std::string& s, double& q) {
  if (s.size() < 2 || s[0] != 'p') return false;
  char* end = nullptr;
  q = std::strtod(s.c_str() + 1, &end);
  return end && *end == '\0' && std::isfinite(q) && q > 0 && q <= 100;
}

}  // namespace

void DeviceParams::Register(CLI::App& app, bool with_method) {
  const std::string g = "Device";
  app.add_option("--g-on", g_on_siemens, "LRS conductance G_on, siemens")->capture_default_str()->group(g);
  app.add_option("--g-off", g_off_siemens, "HRS conductance G_off, siemens")->capture_default_str()->group(g);
  app.add_option("--levels", levels, "conductance levels per cell (>= 2)")->capture_default_str()->group(g);
  app.add_option("--sigma", sigma, "lognormal write variation: G = G_target * exp(N(0, sigma^2))")
      ->capture_default_str()->group(g);
  app.add_option("--p-sf0", p_sf0, "probability of a cell stuck at LRS (SF0, G_on)")->capture_default_str()->group(g);
  app.add_option("--p-sf1", p_sf1, "probability of a cell stuck at HRS (SF1, G_off)")->capture_default_str()->group(g);
  app.add_option("--tile", tile, "crossbar tile size, weight positions per side")->capture_default_str()->group(g);
  app.add_option("--w-scale", w_scale, "layer weight scale: max (max |w|) or pNN (percentile of |w|, larger clipped)")
      ->capture_default_str()->group(g);
  app.add_option("--digital-layers", digital_layers, "layers kept off the chip: comma list of first, last, layer index")
      ->group(g);
  app.add_option("--read-noise", read_noise_sigma, "relative read noise per read: G * (1 + N(0, s^2)); 0 = off")
      ->capture_default_str()->group(g);
  app.add_flag("--clip", clip, "clip written conductances to [G_off, G_on]")->group(g);
  app.add_option("--adc-bits", adc_bits, "ADC bits per tile column sum (0 = ideal read-out, else 2..16)")
      ->capture_default_str()->group(g);
  if (with_method) {
    app.add_option("--method", method, "programming: oneshot or rvw (read-verify-write)")->capture_default_str()->group(g);
    app.add_option("--max-pulses", max_pulses, "R-V-W write pulses per cell at most")->capture_default_str()->group(g);
    app.add_option("--rvw-fraction", rvw_fraction, "R-V-W verifies only the largest-|w| fraction of weights")
        ->capture_default_str()->group(g);
  }
  const std::string t = "Time model";
  app.add_option("--t-write", t_write_s, "seconds per RRAM write pulse")->capture_default_str()->group(t);
  app.add_option("--t-read", t_read_s, "seconds per verify read of one cell")->capture_default_str()->group(t);
  app.add_option("--t-sram", t_sram_s, "seconds per RSA (SRAM) cell update")->capture_default_str()->group(t);
  app.add_option("--t-mvm", t_mvm_s, "seconds per crossbar read of one input vector")->capture_default_str()->group(t);
  flags_.clear();
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_group() == g || o->get_group() == t) flags_.push_back(o);
  }
}

bool DeviceParams::given() const {
  for (const CLI::Option* o : flags_) {
    if (o->count() > 0) return true;
  }
  return false;
}

void DeviceParams::validate() const {
  if (levels < 2 || levels > 32768) throw invalid("--levels", "must be in [2, 32768]", std::to_string(levels));
  if (!(sigma >= 0) || !std::isfinite(sigma)) throw invalid("--sigma", "must be >= 0", str(sigma));
  if (!(p_sf0 >= 0 && p_sf0 <= 1)) throw invalid("--p-sf0", "must be in [0, 1]", str(p_sf0));
  if (!(p_sf1 >= 0 && p_sf1 <= 1)) throw invalid("--p-sf1", "must be in [0, 1]", str(p_sf1));
  if (p_sf0 + p_sf1 > 1) throw invalid("--p-sf0 + --p-sf1", "must be <= 1", str(p_sf0 + p_sf1));
  if (!(g_off_siemens > 0) || !std::isfinite(g_off_siemens)) throw invalid("--g-off", "must be > 0", str(g_off_siemens));
  if (!(g_on_siemens > g_off_siemens) || !std::isfinite(g_on_siemens)) {
    throw invalid("--g-on", "must be greater than --g-off", str(g_on_siemens) + " <= " + str(g_off_siemens));
  }
  if (tile < 1) throw invalid("--tile", "must be >= 1", std::to_string(tile));
  double q = 0;
  if (w_scale != "max" && !parse_percentile(w_scale, q)) {
    throw invalid("--w-scale", "must be max or pNN with 0 < NN <= 100", "'" + w_scale + "'");
  }
  if (!(read_noise_sigma >= 0) || !std::isfinite(read_noise_sigma)) {
    throw invalid("--read-noise", "must be >= 0", str(read_noise_sigma));
  }
  if (adc_bits != 0 && (adc_bits < 2 || adc_bits > 16)) {
    throw invalid("--adc-bits", "must be 0 (off) or in [2, 16]", std::to_string(adc_bits));
  }
  if (method != "oneshot" && method != "rvw") throw invalid("--method", "must be oneshot or rvw", "'" + method + "'");
  if (max_pulses < 1 || max_pulses > 65535) throw invalid("--max-pulses", "must be in [1, 65535]", std::to_string(max_pulses));
  if (!(rvw_fraction >= 0 && rvw_fraction <= 1)) throw invalid("--rvw-fraction", "must be in [0, 1]", str(rvw_fraction));
  for (auto [flag, v] : {std::pair{"--t-write", t_write_s}, {"--t-read", t_read_s}, {"--t-sram", t_sram_s},
                         {"--t-mvm", t_mvm_s}}) {
    if (!(v >= 0) || !std::isfinite(v)) throw invalid(flag, "must be >= 0", str(v));
  }
  std::stringstream list(digital_layers);
  for (std::string item; std::getline(list, item, ',');) {
    if (item == "first" || item == "last") continue;
    char* end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || !end || *end != '\0' || v < 0) {
      throw invalid("--digital-layers", "must be a comma list of first, last or layer indices", "'" + item + "'");
    }
  }
}

double DeviceParams::w_scale_percentile() const {
  double q = 0;
  if (w_scale == "max" || !parse_percentile(w_scale, q)) return 0;
  return q;
}

std::vector<int> DeviceParams::digital_layer_indices(const Model& m) const {
  std::vector<int> mapped;
  for (std::size_t i = 0; i < m.layers().size(); ++i) {
    if (is_mapped(*m.layers()[i])) mapped.push_back(static_cast<int>(i));
  }
  std::vector<int> out;
  std::stringstream list(digital_layers);
  for (std::string item; std::getline(list, item, ',');) {
    int idx = -1;
    if (item == "first") {
      if (!mapped.empty()) idx = mapped.front();
    } else if (item == "last") {
      if (!mapped.empty()) idx = mapped.back();
    } else {
      idx = std::atoi(item.c_str());
      if (idx < 0 || idx >= static_cast<int>(m.layers().size()) || !is_mapped(*m.layers()[idx])) {
        throw Error("invalid device parameter: --digital-layers " + item +
                    " is not a conv or dense layer of the model (see nnc-info for layer indices)");
      }
    }
    if (idx >= 0 && std::find(out.begin(), out.end(), idx) == out.end()) out.push_back(idx);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace nnc
