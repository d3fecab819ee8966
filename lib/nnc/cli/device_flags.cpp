#include "nnc/cli/device_flags.hpp"

#include <type_traits>
#include <variant>

#include "nnc/nn/error.hpp"

namespace nnc::cli {

namespace {

const char* group_of(const DeviceParam& p) {
  if (p.section == DeviceParam::Section::readout) return "Read-out";
  return p.section == DeviceParam::Section::time ? "Time model" : "Device";
}

// Row p's rule as a CLI11 validator: the text converted as CLI11 will convert it, set in a
// DeviceParams and checked by device_param_problem. Text that does not convert is left to
// CLI11's own conversion error.
CLI::Validator rule_validator(const DeviceParam& p) {
  return CLI::Validator(
      [&p](std::string& text) -> std::string {
        DeviceParams d;
        const bool converted = std::visit([&](auto m) { return CLI::detail::lexical_cast(text, d.*m); }, p.member);
        return converted ? device_param_problem(p, d) : std::string();
      },
      "", p.name);
}

}  // namespace

void register_device_flags(Registrar r, DeviceParams& d, bool with_method, bool readout_only) {
  CLI::App& app = r.app();
  for (const DeviceParam& p : kDeviceParams) {
    if (!with_method && p.section == DeviceParam::Section::programming) continue;
    if (readout_only && !p.at_readout) continue;
    std::visit(
        [&](auto m) {
          auto& value = d.*m;
          if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, bool>) {
            // Every switch has its negation (--clip, --no-clip), so a default of on can be turned off.
            const std::string name = p.flag;
            app.add_flag(name + ",!--no-" + name.substr(2), value, p.help)->group(group_of(p));
          } else {
            app.add_option(p.flag, value, p.help)->capture_default_str()->group(group_of(p))->check(rule_validator(p));
          }
        },
        p.member);
  }
  app.parse_complete_callback([&d] {
    const std::string problem = device_params_relation_problem(d, &DeviceParam::flag);
    if (!problem.empty()) throw CLI::ValidationError(problem);
  });
}

bool device_flags_given(const CLI::App& app) {
  for (const DeviceParam& p : kDeviceParams) {
    const CLI::Option* o = app.get_option_no_throw(p.flag);
    if (o && o->count() > 0) return true;
  }
  return false;
}

std::string programming_flag_given(const CLI::App& app) {
  for (const DeviceParam& p : kDeviceParams) {
    const CLI::Option* o = app.get_option_no_throw(p.flag);
    if (o && o->count() > 0 && !p.at_readout) return p.flag;
  }
  return "";
}

void apply_readout_flags(const CLI::App& app, const DeviceParams& given, DeviceParams& chip) {
  for (const DeviceParam& p : kDeviceParams) {
    const CLI::Option* o = app.get_option_no_throw(p.flag);
    if (!p.at_readout || !o || o->count() == 0) continue;
    std::visit([&](auto m) { chip.*m = given.*m; }, p.member);
  }
}

void check_device_flags(const DeviceParams& d, const Model& model) {
  try {
    d.digital_layer_indices(model);
  } catch (const Error& e) {
    throw CLI::ValidationError(std::string("--digital-layers: ") + e.what());
  }
}

}  // namespace nnc::cli
