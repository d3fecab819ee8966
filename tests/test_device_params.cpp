// The device parameter table (device/params.hpp kDeviceParams) and what it drives: validate()'s
// messages in the library's terms, the device flags (cli/device_flags.hpp), the /device group
// of chip files, the reports, and docs/schema.md.
#include <doctest/doctest.h>

#include <hdf5.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "fixtures.hpp"
#include "nnc/cli/chip_report.hpp"
#include "nnc/cli/device_flags.hpp"
#include "nnc/device/chip.hpp"
#include "nnc/device/params.hpp"
#include "nnc/io/chip.hpp"
#include "nnc/io/h5.hpp"
#include "nnc/nn/error.hpp"

using namespace nnc;
using test::error_of;

namespace {

// d with p set to a valid value other than its default (the first of a few candidates that
// keeps p's rule); fails the test for a row none of them suits.
void set_other_valid(const DeviceParam& p, DeviceParams& d) {
  const DeviceParams defaults;
  bool done = false;
  std::visit(
      [&](auto m) {
        using T = std::remove_cvref_t<decltype(d.*m)>;
        std::vector<T> candidates;
        if constexpr (std::is_same_v<T, bool>) {
          candidates = {!(defaults.*m)};
        } else if constexpr (std::is_same_v<T, std::string>) {
          candidates = {"p99", "rvw", "first", "fault-aware", "x"};
        } else {
          const T v = defaults.*m;
          candidates = {static_cast<T>(v / 2), static_cast<T>(v + 1), static_cast<T>(v + 2), static_cast<T>(0.25)};
        }
        for (const T& c : candidates) {
          DeviceParams t = d;
          t.*m = c;
          if (c != defaults.*m && device_param_problem(p, t).empty() && device_params_problem(t).empty()) {
            d.*m = c;
            done = true;
            return;
          }
        }
      },
      p.member);
  INFO(p.name);
  REQUIRE_MESSAGE(done, "no test value for this row: add a candidate to set_other_valid");
}

bool same_value(const DeviceParam& p, const DeviceParams& a, const DeviceParams& b) {
  return std::visit([&](auto m) { return a.*m == b.*m; }, p.member);
}

// The HDF5 type class a row is stored as.
H5T_class_t stored_class(const DeviceParam& p) {
  switch (p.kind()) {
    case DeviceParam::Kind::real: return H5T_FLOAT;
    case DeviceParam::Kind::text: return H5T_STRING;
    default: return H5T_INTEGER;
  }
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh CLI app with the device flags bound to d, parsed from `args`; the CLI11 error's exit
// code and message, or 0 and "".
struct Parsed {
  int code = 0;
  std::string message;
  bool given = false;
};
Parsed parse_flags(DeviceParams& d, const std::string& args, bool with_method = true) {
  CLI::App app("test");
  cli::register_device_flags(app, d, with_method);
  Parsed r;
  try {
    app.parse(args, false);
  } catch (const CLI::ParseError& e) {
    r.code = e.get_exit_code();
    r.message = e.what();
  }
  r.given = cli::device_flags_given(app);
  return r;
}

}  // namespace

TEST_CASE("device params: one row per member, distinct names, flags and members, defaults valid") {
  std::set<std::string> names, flags;
  const DeviceParams defaults;
  CHECK(device_params_problem(defaults).empty());
  CHECK_NOTHROW(defaults.validate());
  for (std::size_t i = 0; i < kDeviceParams.size(); ++i) {
    const DeviceParam& p = kDeviceParams[i];
    INFO(p.name);
    CHECK(names.insert(p.name).second);
    CHECK(flags.insert(p.flag).second);
    CHECK(std::string(p.flag).rfind("--", 0) == 0);
    CHECK(std::string(p.help).size() > 0);
    CHECK(std::string(p.label).size() > 0);
    CHECK(device_param_rule(p).rfind("must be", 0) == 0);
    CHECK(find_device_param(p.name) == &p);
    for (std::size_t j = 0; j < i; ++j) CHECK(!(kDeviceParams[j].member == p.member));
    CHECK(device_param_problem(p, defaults).empty());
  }
  CHECK(find_device_param("no_such") == nullptr);
  // Units are in the names of physical quantities.
  for (const DeviceParam& p : kDeviceParams) {
    const std::string name = p.name, unit = p.unit;
    if (unit == "S") CHECK(name.ends_with("_siemens"));
    if (unit == "s") CHECK(name.ends_with("_s"));
  }
}

TEST_CASE("device params: validate names the parameter and the value found, never a flag") {
  const std::map<std::string, std::string> bad = {
      {"levels", "levels must be in [2, 32768], found 1"},
      {"sigma", "sigma must be >= 0, found -0.1"},
      {"g_off_siemens", "g_off_siemens must be > 0, found 0"},
      {"tile", "tile must be >= 1, found 0"},
      {"adc_bits", "adc_bits must be 0 (off) or in [2, 16], found 1"},
      {"w_scale", "w_scale must be max or pNN with 0 < NN <= 100, found 'p0'"},
      {"method", "method must be oneshot or rvw, found 'twoshot'"},
      {"digital_layers", "digital_layers must be a comma list of first, last or layer indices, found 'first,x'"},
      {"max_pulses", "max_pulses must be in [1, 65535], found 0"},
      {"rvw_fraction", "rvw_fraction must be in [0, 1], found 1.1"},
      {"t_mvm_s", "t_mvm_s must be >= 0, found inf"},
  };
  for (const auto& [name, message] : bad) {
    DeviceParams d;
    if (name == "levels") d.levels = 1;
    if (name == "sigma") d.sigma = -0.1;
    if (name == "g_off_siemens") d.g_off_siemens = 0;
    if (name == "tile") d.tile = 0;
    if (name == "adc_bits") d.adc_bits = 1;
    if (name == "w_scale") d.w_scale = "p0";
    if (name == "method") d.method = "twoshot";
    if (name == "digital_layers") d.digital_layers = "first,x";
    if (name == "max_pulses") d.max_pulses = 0;
    if (name == "rvw_fraction") d.rvw_fraction = 1.1;
    if (name == "t_mvm_s") d.t_mvm_s = INFINITY;
    CHECK(error_of([&] { d.validate(); }) == "invalid device parameter: " + message);
  }
  DeviceParams d;
  d.p_sf0 = d.p_sf1 = 0.6;
  CHECK(error_of([&] { d.validate(); }) == "invalid device parameter: p_sf0 + p_sf1 must be <= 1, found 1.2");
  CHECK(device_params_relation_problem(d, &DeviceParam::flag) == "--p-sf0 + --p-sf1 must be <= 1, found 1.2");
  d = DeviceParams{};
  d.g_off_siemens = d.g_on_siemens;
  CHECK(error_of([&] { d.validate(); }) ==
        "invalid device parameter: g_on_siemens must be greater than g_off_siemens, found 0.0001 <= 0.0001");
  // Every numeric row with a bound refuses a value past it, and NaN, without naming a flag.
  for (const DeviceParam& p : kDeviceParams) {
    std::visit(
        [&](auto m) {
          using T = std::remove_cvref_t<decltype(d.*m)>;
          if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
            INFO(p.name);
            DeviceParams e;
            if (std::isfinite(p.min)) {
              e.*m = static_cast<T>(p.min_open ? p.min : p.min - 1);
              const std::string msg = error_of([&] { e.validate(); });
              CHECK(msg.rfind(std::string("invalid device parameter: ") + p.name + " must be", 0) == 0);
              CHECK(msg.find("--") == std::string::npos);
            }
            if constexpr (std::is_floating_point_v<T>) {
              e = DeviceParams{};
              e.*m = std::numeric_limits<T>::quiet_NaN();
              CHECK(!device_param_problem(p, e).empty());
            }
          }
        },
        p.member);
  }
  // A digital layer index that is not a conv or dense layer of the model, in the model's terms.
  Model m("c2k3,relu,flat,fc4", {1, 6, 6}, 4);
  d = DeviceParams{};
  d.digital_layers = "1";
  CHECK(error_of([&] { d.digital_layer_indices(m); }) ==
        "invalid device parameter: digital_layers names layer 1, which is not a conv or dense layer of the model "
        "(those are layers 0, 3)");
}

TEST_CASE("device params: the flags come from the table, out of range is CLI11 exit 105 naming the flag") {
  DeviceParams d;
  Parsed r = parse_flags(d, "");
  CHECK(r.code == 0);
  CHECK(!r.given);
  CHECK(device_params_problem(d).empty());
  {
    CLI::App app("test");
    DeviceParams e;
    cli::register_device_flags(app, e);
    for (const DeviceParam& p : kDeviceParams) {
      INFO(p.flag);
      const CLI::Option* o = app.get_option_no_throw(p.flag);
      REQUIRE(o);
      CHECK(o->get_description() == p.help);
      CHECK(o->get_group() == (p.section == DeviceParam::Section::time      ? "Time model"
                               : p.section == DeviceParam::Section::readout ? "Read-out"
                                                                            : "Device"));
    }
    CLI::App without("test");
    cli::register_device_flags(without, e, false);
    CHECK(without.get_option_no_throw("--method") == nullptr);
    CHECK(without.get_option_no_throw("--max-pulses") == nullptr);
    CHECK(without.get_option_no_throw("--levels") != nullptr);
  }
  r = parse_flags(d, "--levels 7 --sigma 0.5 --w-scale p95 --clip --adc-bits 8 --method rvw --t-mvm 2e-7 --digital-layers first,3");
  CHECK(r.code == 0);
  CHECK(r.given);
  CHECK(d.levels == 7);
  CHECK(d.sigma == 0.5);
  CHECK(d.w_scale == "p95");
  CHECK(d.clip);
  CHECK(d.adc_bits == 8);
  CHECK(d.method == "rvw");
  CHECK(d.t_mvm_s == 2e-7);
  CHECK(d.digital_layers == "first,3");

  const std::map<std::string, std::string> bad = {
      {"--levels 1", "--levels: must be in [2, 32768], found 1"},
      {"--sigma -0.5", "--sigma: must be >= 0, found -0.5"},
      {"--p-sf1 1.5", "--p-sf1: must be in [0, 1], found 1.5"},
      {"--tile 0", "--tile: must be >= 1, found 0"},
      {"--adc-bits 1", "--adc-bits: must be 0 (off) or in [2, 16], found 1"},
      {"--w-scale median", "--w-scale: must be max or pNN with 0 < NN <= 100, found 'median'"},
      {"--method twoshot", "--method: must be oneshot or rvw, found 'twoshot'"},
      {"--digital-layers first,-1", "--digital-layers: must be a comma list of first, last or layer indices, found 'first,-1'"},
      {"--max-pulses 70000", "--max-pulses: must be in [1, 65535], found 70000"},
      {"--t-write -1", "--t-write: must be >= 0, found -1"},
      {"--p-sf0 0.5 --p-sf1 0.6", "--p-sf0 + --p-sf1 must be <= 1, found 1.1"},
      {"--g-on 1e-6", "--g-on must be greater than --g-off, found 1e-06 <= 1e-06"},
  };
  for (const auto& [args, message] : bad) {
    INFO(args);
    DeviceParams e;
    r = parse_flags(e, args);
    CHECK(r.code == 105);
    CHECK(r.message == message);
  }
}

TEST_CASE("device params: every row round-trips through a chip file's /device group and the reports") {
  const Model m = [] {
    Model x("c2k3,relu,flat,fc4", {1, 6, 6}, 4);
    x.init(3);
    return x;
  }();
  DeviceParams d;
  for (const DeviceParam& p : kDeviceParams) set_other_valid(p, d);
  for (const DeviceParam& p : kDeviceParams) {
    INFO(p.name);
    CHECK(!same_value(p, d, DeviceParams{}));  // every row differs from its default
  }
  REQUIRE(device_params_problem(d).empty());
  ChipArtifact a;
  a.model.model = m;
  a.chip = program_chip(m, d, 5);
  a.creator = "test";
  a.provenance.tool = "test";
  const Bytes bytes = encode_chip(a);

  // /device holds one attribute per row, named as the row, of the row's type, and nothing else.
  h5::Reader reader(bytes, "c.h5");
  h5::Id g(H5Gopen2(reader.root(), "device", H5P_DEFAULT));
  REQUIRE(g.valid());
  H5O_info_t info;
  REQUIRE(H5Oget_info2(g, &info, H5O_INFO_NUM_ATTRS) >= 0);
  CHECK(info.num_attrs == kDeviceParams.size());
  for (const DeviceParam& p : kDeviceParams) {
    INFO(p.name);
    REQUIRE(h5::has_attr(g, p.name));
    h5::Id attr(H5Aopen(g, p.name, H5P_DEFAULT));
    h5::Id type(H5Aget_type(attr));
    CHECK(H5Tget_class(type) == stored_class(p));
  }

  const ChipArtifact b = decode_chip(bytes, "c.h5");
  const Json json = cli::device_json(b.chip.device);
  const std::string text = cli::device_text(b.chip.device);
  for (const DeviceParam& p : kDeviceParams) {
    INFO(p.name);
    CHECK(same_value(p, b.chip.device, d));
    const Json* j = json.find(p.name);
    REQUIRE(j);
    const std::string shown = device_param_text(p, d);
    if (p.kind() == DeviceParam::Kind::text) {
      CHECK(j->dump() == "\"" + shown + "\"");
    } else if (p.kind() == DeviceParam::Kind::boolean) {
      CHECK(j->dump() == shown);
    } else {
      CHECK(std::stod(j->dump()) == doctest::Approx(std::stod(shown)));
    }
    CHECK(text.find(p.label) != std::string::npos);
  }
  CHECK(encode_chip(b) == bytes);
}

TEST_CASE("device params: docs/schema.md lists every /device attribute, with its type, in the table's order") {
  const std::string doc = read_text(std::string(NNC_SOURCE_DIR) + "/docs/schema.md");
  // The /device block of the chip layout: "/device/" up to the next top-level group.
  const std::size_t start = doc.find("\n/device/");
  REQUIRE(start != std::string::npos);
  const std::size_t end = doc.find("\n/chip/", start);
  REQUIRE(end != std::string::npos);
  std::istringstream block(doc.substr(start + 1, end - start - 1));
  std::vector<std::pair<std::string, std::string>> listed;  // name, type
  std::map<std::string, std::string> described;            // name, its line and continuation lines
  std::string last;
  for (std::string line; std::getline(block, line);) {
    std::istringstream words(line);
    std::string name, type;
    words >> name >> type;
    if (name.size() > 1 && name[0] == '@') {
      last = name.substr(1);
      listed.emplace_back(last, type);
      described[last] = line;
    } else if (!last.empty()) {
      described[last] += " " + line;
    }
  }
  REQUIRE(listed.size() == kDeviceParams.size());
  for (std::size_t i = 0; i < kDeviceParams.size(); ++i) {
    const DeviceParam& p = kDeviceParams[i];
    INFO(p.name);
    CHECK(listed[i].first == p.name);
    const char* type = p.kind() == DeviceParam::Kind::real ? "float64" : p.kind() == DeviceParam::Kind::text ? "string" : "int64";
    CHECK(listed[i].second == type);
    // A row added after 1.0.0 says so, so readers know its default applies to older files.
    if (std::string(p.since) != "1.0.0") CHECK(described[p.name].find(std::string("added in ") + p.since) != std::string::npos);
  }
}
