#include "nnc/device/params.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <type_traits>

#include "nnc/nn/error.hpp"
#include "nnc/nn/stats.hpp"

namespace nnc {

// Every member of DeviceParams has a row: this binding names all 26 members, so adding a
// member without a row (or a row without a member) stops the build here.
static_assert(kDeviceParams.size() == 26, "a row of kDeviceParams per member of DeviceParams");
[[maybe_unused]] static void every_member_has_a_row(const DeviceParams& d) {
  [[maybe_unused]] const auto& [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25] = d;
}

namespace {

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

namespace device_rules {
bool w_scale_ok(const DeviceParams& d) {
  double q = 0;
  return d.w_scale == "max" || parse_percentile(d.w_scale, q);
}
bool digital_layers_ok(const DeviceParams& d) {
  std::stringstream list(d.digital_layers);
  for (std::string item; std::getline(list, item, ',');) {
    if (item == "first" || item == "last") continue;
    char* end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || !end || *end != '\0' || v < 0) return false;
  }
  return true;
}
bool adc_bits_ok(const DeviceParams& d) { return d.adc_bits != 1; }
bool method_ok(const DeviceParams& d) { return d.method == "oneshot" || d.method == "rvw"; }
bool map_ok(const DeviceParams& d) { return d.map == "default" || d.map == "fault-aware"; }
}  // namespace device_rules

const DeviceParam* find_device_param(std::string_view name) {
  for (const DeviceParam& p : kDeviceParams) {
    if (name == p.name) return &p;
  }
  return nullptr;
}

std::string device_param_text(const DeviceParam& p, const DeviceParams& d) {
  return std::visit(
      [&](auto m) -> std::string {
        const auto& v = d.*m;
        using T = std::remove_cvref_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else {
          return str(static_cast<double>(v));
        }
      },
      p.member);
}

std::string device_param_rule(const DeviceParam& p) {
  if (p.rule) return p.rule;
  const bool low = std::isfinite(p.min), high = std::isfinite(p.max);
  if (low && high) return std::string("must be in ") + (p.min_open ? "(" : "[") + str(p.min) + ", " + str(p.max) + "]";
  if (low) return std::string("must be ") + (p.min_open ? "> " : ">= ") + str(p.min);
  if (high) return "must be <= " + str(p.max);
  return "must be finite";
}

std::string device_param_problem(const DeviceParam& p, const DeviceParams& d) {
  bool ok = true;
  std::visit(
      [&](auto m) {
        const auto& v = d.*m;
        using T = std::remove_cvref_t<decltype(v)>;
        if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
          const double x = static_cast<double>(v);
          ok = std::isfinite(x) && (p.min_open ? x > p.min : x >= p.min) && x <= p.max;
        }
      },
      p.member);
  if (ok && p.accepts) ok = p.accepts(d);
  if (ok) return "";
  const std::string found = device_param_text(p, d);
  return device_param_rule(p) + ", found " + (p.kind() == DeviceParam::Kind::text ? "'" + found + "'" : found);
}

std::string device_params_relation_problem(const DeviceParams& d, const char* DeviceParam::*naming) {
  auto called = [&](const char* name) -> std::string { return find_device_param(name)->*naming; };
  if (!(d.g_off_siemens < d.g_on_siemens)) {
    return called("g_on_siemens") + " must be greater than " + called("g_off_siemens") + ", found " +
           str(d.g_on_siemens) + " <= " + str(d.g_off_siemens);
  }
  if (!(d.p_sf0 + d.p_sf1 <= 1)) {
    return called("p_sf0") + " + " + called("p_sf1") + " must be <= 1, found " + str(d.p_sf0 + d.p_sf1);
  }
  return "";
}

std::string device_params_problem(const DeviceParams& d, const char* DeviceParam::*naming) {
  for (const DeviceParam& p : kDeviceParams) {
    const std::string problem = device_param_problem(p, d);
    if (!problem.empty()) return std::string(p.*naming) + " " + problem;
  }
  return device_params_relation_problem(d, naming);
}

void DeviceParams::validate() const {
  const std::string problem = device_params_problem(*this);
  if (!problem.empty()) throw Error("invalid device parameter: " + problem);
}

double DeviceParams::w_scale_percentile() const {
  double q = 0;
  if (w_scale == "max" || !parse_percentile(w_scale, q)) return 0;
  return q;
}

std::vector<int> DeviceParams::digital_layer_indices(const Model& m) const {
  std::vector<int> mapped;
  for (std::size_t i = 0; i < m.layers().size(); ++i) {
    if (m.layers()[i]->is_mapped()) mapped.push_back(static_cast<int>(i));
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
      if (idx < 0 || idx >= static_cast<int>(m.layers().size()) || !m.layers()[idx]->is_mapped()) {
        std::string listed;
        for (int i : mapped) listed += (listed.empty() ? "" : ", ") + std::to_string(i);
        throw Error("invalid device parameter: digital_layers names layer " + item +
                    ", which is not a conv or dense layer of the model (" +
                    (listed.empty() ? std::string("it has none") : "those are layers " + listed) + ")");
      }
    }
    if (idx >= 0 && std::find(out.begin(), out.end(), idx) == out.end()) out.push_back(idx);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace nnc
