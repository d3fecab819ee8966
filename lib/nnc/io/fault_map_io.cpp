#include "nnc/io/fault_map_io.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <unordered_map>

#include "nnc/io/h5.hpp"
#include "nnc/io/model_io.hpp"

namespace nnc {

namespace {

// An empty map (every cell healthy) of the chip's physical shape.
FaultMap healthy_map(const ChipState& chip) {
  FaultMap map;
  for (const LayerChip& lc : chip.layers) {
    LayerFaults lf;
    lf.layer = lc.layer;
    lf.rows = lc.rows;
    lf.cols = physical_cols(lc, chip.device.spare_cols);
    lf.plus.assign(lf.size(), kFaultNone);
    lf.minus.assign(lf.size(), kFaultNone);
    map.layers.push_back(std::move(lf));
  }
  return map;
}

std::string mapped_list(const ChipState& chip) {
  std::string s;
  for (const LayerChip& lc : chip.layers) s += (s.empty() ? "" : ", ") + std::to_string(lc.layer);
  return s.empty() ? "none" : s;
}

// A whole decimal integer, or false.
bool parse_int(const std::string& text, long& v) {
  if (text.empty()) return false;
  char* end = nullptr;
  v = std::strtol(text.c_str(), &end, 10);
  return *end == '\0';
}

FaultMap decode_h5(const Bytes& bytes, const std::string& name, const ChipState& chip) {
  h5::Reader r(bytes, name);
  if (h5::has_attr(r.root(), "nnc_kind")) {
    const std::string kind = h5::read_attr_string(r, r.root(), "nnc_kind");
    if (kind != "fault_map") throw bad_input(name, "is an nnc " + kind + ", expected a fault map");
  }
  if (!h5::exists(r.root(), "layers")) throw bad_input(name, "no /layers group: not a fault map");
  h5::Id layers = h5::open_group(r, r.root(), "layers");
  FaultMap map = healthy_map(chip);
  for (const std::string& ln : h5::children(layers)) {
    long index = -1;
    if (!parse_int(ln, index) || !chip.find(static_cast<int>(index))) {
      throw r.error("/layers/" + ln, "is not a mapped layer of the chip (mapped: " + mapped_list(chip) + ")");
    }
  }
  for (LayerFaults& lf : map.layers) {
    const std::string ln = h5::layer_name(lf.layer);
    if (!h5::exists(layers, ln)) throw r.error("/layers", "no faults for the chip's mapped layer " + ln);
    h5::Id lg = h5::open_group(r, layers, ln);
    const std::vector<std::uint64_t> shape{std::uint64_t(lf.cols), std::uint64_t(lf.rows)};
    lf.plus = h5::read_dataset<std::uint8_t>(r, lg, "fault_plus", shape);
    lf.minus = h5::read_dataset<std::uint8_t>(r, lg, "fault_minus", shape);
    for (std::size_t k = 0; k < lf.size(); ++k) {
      if (lf.plus[k] > kFaultSF0 || lf.minus[k] > kFaultSF0) {
        throw r.error("/layers/" + ln, "a fault code other than 0, 1, 2");
      }
    }
  }
  return map;
}

FaultMap decode_csv(const Bytes& bytes, const std::string& name, const ChipState& chip) {
  std::istringstream in(std::string(bytes.begin(), bytes.end()));
  FaultMap map = healthy_map(chip);
  std::unordered_map<std::uint64_t, int> first_line;  // (layer slot, cell, position) -> line
  int line_no = 0;
  bool header = false;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto fail = [&](const std::string& problem) { return bad_input(name, "line " + std::to_string(line_no) + ": " + problem); };
    if (!header) {
      if (line != "layer,row,col,cell,fault") throw fail("expected the header layer,row,col,cell,fault");
      header = true;
      continue;
    }
    std::vector<std::string> f;
    std::stringstream fields(line);
    for (std::string item; std::getline(fields, item, ',');) f.push_back(item);
    if (f.size() != 5) throw fail("expected 5 fields layer,row,col,cell,fault, found " + std::to_string(f.size()));
    long layer = 0, row = 0, col = 0, code = 0;
    if (!parse_int(f[0], layer) || !parse_int(f[1], row) || !parse_int(f[2], col) || !parse_int(f[4], code)) {
      throw fail("layer, row, col and fault must be integers");
    }
    std::size_t slot = 0;
    while (slot < map.layers.size() && map.layers[slot].layer != layer) ++slot;
    if (slot == map.layers.size()) {
      throw fail("layer " + f[0] + " is not a mapped layer of the chip (mapped: " + mapped_list(chip) + ")");
    }
    LayerFaults& lf = map.layers[slot];
    if (row < 0 || row >= lf.rows || col < 0 || col >= lf.cols) {
      throw fail("cell (" + f[1] + ", " + f[2] + ") is outside layer " + f[0] + "'s " + std::to_string(lf.rows) + " rows x " +
                 std::to_string(lf.cols) + " physical columns");
    }
    if (f[3] != "plus" && f[3] != "minus") throw fail("cell must be plus or minus, found '" + f[3] + "'");
    if (code < 0 || code > kFaultSF0) throw fail("fault must be 0 (none), 1 (SF1) or 2 (SF0), found " + f[4]);
    const bool plus = f[3] == "plus";
    const std::size_t k = static_cast<std::size_t>(col) * lf.rows + static_cast<std::size_t>(row);
    const std::uint64_t key = (static_cast<std::uint64_t>(slot) << 40) | (static_cast<std::uint64_t>(k) << 1) | plus;
    const auto [it, fresh] = first_line.emplace(key, line_no);
    if (!fresh) throw fail("cell listed twice (first on line " + std::to_string(it->second) + ")");
    (plus ? lf.plus : lf.minus)[k] = static_cast<std::uint8_t>(code);
  }
  if (!header) throw bad_input(name, "empty: expected the header layer,row,col,cell,fault");
  return map;
}

}  // namespace

FaultMap decode_fault_map(const Bytes& bytes, const std::string& name, const ChipState& chip) {
  FaultMap map = h5::is_hdf5(bytes) ? decode_h5(bytes, name, chip) : decode_csv(bytes, name, chip);
  check_fault_map(map, chip, name);
  return map;
}

Bytes encode_fault_map_h5(const FaultMap& faults, const std::string& creator) {
  h5::Writer w;
  io::write_root_attrs(w.root(), "fault_map", creator);
  h5::Id layers = h5::create_group(w.root(), "layers");
  for (const LayerFaults& lf : faults.layers) {
    h5::Id lg = h5::create_group(layers, h5::layer_name(lf.layer));
    const std::vector<std::uint64_t> shape{std::uint64_t(lf.cols), std::uint64_t(lf.rows)};
    h5::write_dataset(lg, "fault_plus", shape, lf.plus.data());
    h5::write_dataset(lg, "fault_minus", shape, lf.minus.data());
    for (const char* cell : {"fault_plus", "fault_minus"}) {
      h5::describe(lg, cell, {{"codes", "0 none, 1 SF1 stuck at HRS (G_off), 2 SF0 stuck at LRS (G_on)"},
                              {"description", "fault of each physical cell, [physical column][row]"}});
    }
  }
  return w.image();
}

std::string encode_fault_map_csv(const FaultMap& faults) {
  std::string out = "layer,row,col,cell,fault\n";
  char buf[96];
  for (const LayerFaults& lf : faults.layers) {
    for (int c = 0; c < lf.cols; ++c) {
      for (int r = 0; r < lf.rows; ++r) {
        const std::size_t k = static_cast<std::size_t>(c) * lf.rows + r;
        if (lf.plus[k] != kFaultNone) {
          std::snprintf(buf, sizeof buf, "%d,%d,%d,plus,%d\n", lf.layer, r, c, int(lf.plus[k]));
          out += buf;
        }
        if (lf.minus[k] != kFaultNone) {
          std::snprintf(buf, sizeof buf, "%d,%d,%d,minus,%d\n", lf.layer, r, c, int(lf.minus[k]));
          out += buf;
        }
      }
    }
  }
  return out;
}

void save_fault_map(const std::string& path, const FaultMap& faults, const std::string& creator) {
  const bool csv = path.size() >= 4 && path.compare(path.size() - 4, 4, ".csv") == 0;
  if (csv) {
    const std::string text = encode_fault_map_csv(faults);
    write_bytes_atomic(path, Bytes(text.begin(), text.end()));
  } else {
    write_bytes_atomic(path, encode_fault_map_h5(faults, creator));
  }
}

}  // namespace nnc
