#include "nnc/cli/chip_report.hpp"

#include <cstdio>
#include <utility>
#include <variant>

namespace nnc::cli {

Json device_json(const DeviceParams& d) {
  Json j = Json::object();
  for (const DeviceParam& p : kDeviceParams) {
    std::visit([&](auto m) { j.set(p.name, Json(d.*m)); }, p.member);
  }
  return j;
}

std::string device_text(const DeviceParams& d) {
  // One line per section of the table, wrapped, each item "label value unit".
  const std::pair<DeviceParam::Section, const char*> sections[] = {
      {DeviceParam::Section::device, "device:"},
      {DeviceParam::Section::readout, "read-out:"},
      {DeviceParam::Section::programming, "programming:"},
      {DeviceParam::Section::time, "time:"}};
  const std::size_t indent = 13, width = 100;
  std::string out;
  for (const auto& [section, title] : sections) {
    std::string line = title;
    line.resize(indent, ' ');
    bool first = true;
    for (const DeviceParam& p : kDeviceParams) {
      if (p.section != section) continue;
      std::string value = device_param_text(p, d);
      bool off = false;
      if (p.kind() == DeviceParam::Kind::boolean) {
        value = value == "true" ? "on" : "off";
      } else if (p.kind() == DeviceParam::Kind::text && value.empty()) {
        value = "none";
      } else if (p.zero_is_off && value == "0") {
        value = "off";
        off = true;
      }
      std::string item = std::string(p.label) + " " + value;
      if (*p.unit && !off) item += std::string(" ") + p.unit;
      if (!first && line.size() + 2 + item.size() > width) {
        out += line + ",\n";
        line.assign(indent, ' ');
      } else if (!first) {
        line += ", ";
      }
      line += item;
      first = false;
    }
    out += line + "\n";
  }
  return out;
}

Json chip_layers_json(const ChipState& chip) {
  Json arr = Json::array();
  const auto stats = chip_stats(chip);
  for (std::size_t i = 0; i < stats.size(); ++i) {
    const auto& s = stats[i];
    const LayerChip& lc = chip.layers[i];
    Json j = Json::object();
    j.set("index", s.layer).set("rows", lc.rows).set("cols", lc.cols).set("w_scale", lc.w_max);
    j.set("tile_grid", Json::array(std::vector<int>{lc.tile_rows, lc.tile_cols}));
    j.set("tiles", s.tiles).set("tiles_used", s.tiles_used).set("cells", s.cells);
    j.set("sf1", s.sf1).set("sf0", s.sf0).set("levels_used", s.levels_used);
    j.set("writes", s.writes).set("off_target", s.off_target).set("off_target_levels", s.off_target_levels);
    j.set("remapped", !lc.row_map.empty() || !lc.col_map.empty());
    if (chip.verified()) j.set("pulses", s.pulses).set("time_s", s.time_s);
    arr.push(std::move(j));
  }
  return arr;
}

std::string chip_layers_text(const ChipState& chip) {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-4s %11s %9s %10s %10s %9s %9s %7s %12s %10s %10s %10s\n", "#", "matrix", "tiles",
                "w_scale", "cells", "SF1", "SF0", "levels", "pulses", "time_s", "writes", "off-target");
  out += buf;
  const auto stats = chip_stats(chip);
  for (std::size_t i = 0; i < stats.size(); ++i) {
    const auto& s = stats[i];
    const LayerChip& lc = chip.layers[i];
    const std::string matrix = std::to_string(lc.rows) + "x" + std::to_string(lc.cols);
    const std::string tiles = std::to_string(s.tiles_used) + "/" + std::to_string(lc.tile_rows) + "x" +
                              std::to_string(lc.tile_cols);
    std::snprintf(buf, sizeof buf, "%-4d %11s %9s %10.4g %10zu %9zu %9zu %7d %12llu %10.4g %10llu %10zu\n", s.layer,
                  matrix.c_str(), tiles.c_str(), lc.w_max, s.cells, s.sf1, s.sf0, s.levels_used,
                  static_cast<unsigned long long>(s.pulses), s.time_s, static_cast<unsigned long long>(s.writes),
                  s.off_target);
    out += buf;
  }
  return out;
}

Json chip_json(const ChipState& chip) {
  Json j = Json::object();
  std::size_t cells = 0, sf0 = 0, sf1 = 0, off_target = 0;
  std::uint64_t off_target_levels = 0;
  int tiles = 0;
  for (const auto& s : chip_stats(chip)) {
    cells += s.cells;
    sf0 += s.sf0;
    sf1 += s.sf1;
    tiles += s.tiles_used;
    off_target += s.off_target;
    off_target_levels += s.off_target_levels;
  }
  j.set("seed", chip.seed).set("mapped_layers", chip.layers.size()).set("tiles", tiles).set("cells", cells);
  j.set("sf1", sf1).set("sf0", sf0).set("verified", chip.verified());
  j.set("pulses", chip.pulses()).set("time_s", chip.time_s());
  j.set("write_pulses", chip.write_pulses()).set("off_target", off_target).set("off_target_levels", off_target_levels);
  return j;
}

std::string programmed_text(const std::string& output, const ChipState& chip, const std::string& map) {
  const Json summary = chip_json(chip);
  return output + ": " + std::to_string(chip.layers.size()) + " layers on chip, " + summary.find("tiles")->dump() +
         " tiles, " + summary.find("sf1")->dump() + " SF1 and " + summary.find("sf0")->dump() + " SF0 cells" +
         (chip.verified() ? ", R-V-W " + std::to_string(chip.pulses()) + " pulses, " + summary.find("time_s")->dump() +
                                " s modeled"
                          : "") +
         ", " + summary.find("write_pulses")->dump() + " write pulses, " + summary.find("off_target")->dump() +
         " weights off target (map " + map + ")";
}

Json chip_eval_json(const ChipEvalSummary& s) {
  Json j = Json::object();
  j.set("accuracy", s.mean).set("accuracy_std", s.std).set("accuracy_min", s.min).set("accuracy_max", s.max);
  j.set("chips", s.chips.size()).set("samples", s.chips.empty() ? 0 : s.chips.front().samples);
  double secs = 0, pulses = 0, time = 0;
  for (std::size_t i = 0; i < s.chips.size(); ++i) {
    secs += s.seconds[i];
    pulses += s.pulses[i];
    time += s.time_s[i];
  }
  const double n = s.chips.empty() ? 1.0 : double(s.chips.size());
  j.set("seconds_per_chip", secs / n).set("pulses_mean", pulses / n).set("time_s_mean", time / n);
  Json per = Json::array();
  for (std::size_t i = 0; i < s.chips.size(); ++i) {
    per.push(Json::object().set("seed", s.seeds[i]).set("accuracy", s.chips[i].accuracy)
                 .set("loss", s.chips[i].loss).set("pulses", s.pulses[i]).set("time_s", s.time_s[i])
                 .set("seconds", s.seconds[i]));
  }
  j.set("per_chip", std::move(per));
  return j;
}

void set_reads_json(Json& j, const ChipReads& reads) {
  j.set("accuracy", reads.mean).set("loss", reads.loss_mean).set("accuracy_std", reads.std);
  j.set("accuracy_min", reads.min).set("accuracy_max", reads.max).set("repeats", reads.reads.size());
  Json per = Json::array();
  for (std::size_t i = 0; i < reads.reads.size(); ++i) {
    per.push(Json::object().set("read_seed", reads.read_seeds[i]).set("accuracy", reads.reads[i].accuracy)
                 .set("loss", reads.reads[i].loss));
  }
  j.set("per_read", std::move(per));
}

std::string reads_text(const ChipReads& reads) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "over %zu reads (read seeds %d..%d): accuracy mean %.4f std %.4f min %.4f max %.4f\n",
                reads.reads.size(), reads.read_seeds.front(), reads.read_seeds.back(), reads.mean, reads.std, reads.min,
                reads.max);
  return buf;
}

}  // namespace nnc::cli
