#include "nnc/cli/cost_run.hpp"

#include <cstdio>
#include <iostream>
#include <numeric>

#include "nnc/algo/rsa.hpp"
#include "nnc/cli/neurosim_traces.hpp"
#include "nnc/io/chip.hpp"
#include "nnc/nn/error.hpp"

namespace nnc::cli {

void CostFlags::Register(Registrar r) {
  r.add("input", input, "chip or model file (a model is mapped onto the default device), - for stdin")->required();
  data.Register(r, false);
  r.app().get_option("--dataset")->required(false)->description(
      "mnist | fashion-mnist | cifar10 | cifar100: measure the input activity on its test images (default: assumed)");
  r.add("--limit-test,--limit", limit, "test images the activity is measured on (--limit: old name)", std::size_t{1},
        std::size_t{1} << 30);
  r.add("--adc-bits", adc_bits, "ADC bits costed, 2..16 (0 = the chip's, or the table's 8 when its read-out is ideal)",
        0, 16)
      ->check(CLI::Validator([](std::string& v) { return v == "1" ? std::string("must be 0 or in [2, 16], found 1") : std::string(); },
                             "", "not 1"));
  r.add("--neurosim-traces", neurosim_traces,
        "directory: write DNN+NeuroSim's network CSV, weight and input traces of the first test image "
        "(needs --dataset; bench/neurosim-compare.sh)");
}

namespace {

// Energies in nJ, latency in us, area in mm^2, as the text report shows them.
constexpr double kNj = 1e9, kUs = 1e6, kMm2 = 1e-6;

Json layer_json(const LayerCost& c) {
  Json j = Json::object();
  j.set("layer", c.layer).set("type", c.type).set("spec", c.spec).set("mapped", c.mapped);
  if (c.mapped) {
    j.set("tiles", c.tiles).set("tiles_used", c.tiles_used).set("vectors", c.vectors);
    j.set("adc_conversions", c.adc_conversions).set("tile_links", c.tile_links).set("link_bits", c.link_bits);
    j.set("rsa_cells", c.rsa_cells);
  } else {
    j.set("ops", c.ops);
  }
  Json e = Json::object();
  e.set("array", c.e_array).set("adc", c.e_adc).set("driver", c.e_driver).set("shift_add", c.e_shift_add);
  e.set("buffer", c.e_buffer).set("interconnect", c.e_interconnect).set("digital", c.e_digital).set("rsa", c.e_rsa);
  e.set("total", c.energy());
  j.set("energy_j", e);
  Json a = Json::object();
  a.set("array", c.a_array).set("adc", c.a_adc).set("driver", c.a_driver).set("column", c.a_column);
  a.set("write", c.a_write).set("shift_add", c.a_shift_add).set("tile_buffer", c.a_tile_buffer).set("link", c.a_link);
  a.set("rsa", c.a_rsa).set("overhead", c.a_overhead).set("total", c.area());
  j.set("area_um2", a);
  j.set("latency_s", c.latency_s);
  return j;
}

}  // namespace

Json cost_json(const CostReport& r) {
  Json j = Json::object();
  j.set("adc_bits", r.adc_bits).set("input_bits", r.params.input_bits);
  j.set("activity", r.measured_activity ? "measured" : "assumed").set("activity_images", r.images);
  if (!r.measured_activity) j.set("activity_assumed", r.params.activity_assumed);
  j.set("timing", "layers in sequence per image; pipelined_interval_s with layers pipelined");
  Json layers = Json::array();
  for (const auto& c : r.layers) layers.push(layer_json(c));
  j.set("layers", layers);
  Json t = Json::object();
  double e[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (const auto& c : r.layers) {
    const double v[8] = {c.e_array, c.e_adc, c.e_driver, c.e_shift_add, c.e_buffer, c.e_interconnect, c.e_digital, c.e_rsa};
    for (int k = 0; k < 8; ++k) e[k] += v[k];
  }
  Json te = Json::object();
  const char* names[8] = {"array", "adc", "driver", "shift_add", "buffer", "interconnect", "digital", "rsa"};
  for (int k = 0; k < 8; ++k) te.set(names[k], e[k]);
  te.set("total", r.energy_j());
  t.set("energy_j", te);
  t.set("area_um2", r.area_um2()).set("area_mm2", r.area_um2() * kMm2).set("buffer_area_um2", r.buffer_area_um2);
  t.set("latency_s", r.latency_s()).set("throughput_images_per_s", r.latency_s() > 0 ? 1 / r.latency_s() : 0.0);
  t.set("pipelined_interval_s", r.pipelined_interval_s());
  t.set("pipelined_images_per_s", r.pipelined_interval_s() > 0 ? 1 / r.pipelined_interval_s() : 0.0);
  t.set("adc_conversions", r.adc_conversions()).set("tiles_used", r.tiles_used()).set("tile_links", r.tile_links());
  t.set("link_length_um", r.link_length_um);
  j.set("total", t);
  Json p = Json::object();
  p.set("method", r.programming.method).set("write_pulses", r.programming.write_pulses);
  p.set("verify_reads", r.programming.verify_reads).set("energy_j", r.programming.energy_j).set("time_s", r.programming.time_s);
  j.set("programming", p);
  if (r.rsa) {
    Json s = Json::object();
    s.set("cells", r.rsa->cells).set("bits", r.rsa->bits).set("steps", r.rsa->steps).set("area_um2", r.rsa->area_um2);
    s.set("read_j_per_image", r.rsa->read_j_per_image).set("update_j", r.rsa->update_j);
    j.set("rsa", s);
  }
  Json k = Json::object();
  for (const auto& row : kCostParams) k.set(row.name, r.params.*row.member);
  j.set("constants", k);
  return j;
}

std::string cost_text(const CostReport& r) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "ADC %d bits, inputs %g bits bit-serial, activity %s; energy nJ per image, latency us, area mm^2\n",
                r.adc_bits, r.params.input_bits,
                r.measured_activity ? ("measured on " + std::to_string(r.images) + " images").c_str()
                                    : ("assumed " + std::to_string(r.params.activity_assumed).substr(0, 4)).c_str());
  out += line;
  std::snprintf(line, sizeof line, "%-5s %-8s %5s %7s %11s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %8s\n", "layer", "type",
                "tiles", "vectors", "ADC conv", "array", "ADC", "driver", "shift+add", "buffer", "links", "digital",
                "RSA", "total", "latency", "area");
  out += line;
  for (const auto& c : r.layers) {
    std::snprintf(line, sizeof line, "%-5d %-8s %5s %7s %11s %9.3g %9.3g %9.3g %9.3g %9.3g %9.3g %9.3g %9.3g %9.3g %9.3g %8.4f\n",
                  c.layer, c.type.c_str(), c.mapped ? std::to_string(c.tiles_used).c_str() : "-",
                  c.mapped ? std::to_string(static_cast<long>(c.vectors)).c_str() : "-",
                  c.mapped ? std::to_string(static_cast<long long>(c.adc_conversions)).c_str() : "-", c.e_array * kNj,
                  c.e_adc * kNj, c.e_driver * kNj, c.e_shift_add * kNj, c.e_buffer * kNj, c.e_interconnect * kNj,
                  c.e_digital * kNj, c.e_rsa * kNj, c.energy() * kNj, c.latency_s * kUs, c.area() * kMm2);
    out += line;
  }
  std::snprintf(line, sizeof line,
                "total: %.4g nJ per image, %.4g us per image (layers in sequence: %.4g images/s; pipelined: %.4g images/s), "
                "%.4g mm^2 (buffer %.4g), %d tiles, %d tile links, %.4g ADC conversions\n",
                r.energy_j() * kNj, r.latency_s() * kUs, r.latency_s() > 0 ? 1 / r.latency_s() : 0.0,
                r.pipelined_interval_s() > 0 ? 1 / r.pipelined_interval_s() : 0.0, r.area_um2() * kMm2,
                r.buffer_area_um2 * kMm2, r.tiles_used(), r.tile_links(), r.adc_conversions());
  out += line;
  std::snprintf(line, sizeof line, "programming (%s): %llu write pulses, %llu verify reads, %.4g uJ, %.4g s\n",
                r.programming.method.c_str(), static_cast<unsigned long long>(r.programming.write_pulses),
                static_cast<unsigned long long>(r.programming.verify_reads), r.programming.energy_j * 1e6,
                r.programming.time_s);
  out += line;
  if (r.rsa) {
    std::snprintf(line, sizeof line, "RSA: %zu cells of %d bits, %.4g mm^2 SRAM, %.4g nJ per image, %.4g uJ to adapt (%ld steps)\n",
                  r.rsa->cells, r.rsa->bits, r.rsa->area_um2 * kMm2, r.rsa->read_j_per_image * kNj, r.rsa->update_j * 1e6,
                  r.rsa->steps);
    out += line;
  }
  return out;
}

void run_cost(Tool& tool, CostFlags& f) {
  if (f.data.dataset.empty() && !f.data.data_dir.empty()) {
    throw CLI::ValidationError("--data-dir needs --dataset (the activity is measured on its test images)");
  }
  if (f.data.dataset.empty() && !f.neurosim_traces.empty()) {
    throw CLI::ValidationError("--neurosim-traces needs --dataset (the input trace is a test image's)");
  }
  const Bytes bytes = read_bytes(f.input);
  const std::string kind = artifact_kind(bytes, f.input);
  ChipArtifact chip;
  Model computes;  // what the chip computes: the activity is measured through it
  if (kind == "chip") {
    chip = decode_chip(bytes, f.input);
    tool.add_input("chip", f.input, bytes, &chip.provenance);
    computes = read_back_weights(chip.chip, chip.model.model);
    if (chip.rsa) apply_rsa(computes, chip.rsa->state);
  } else {
    chip.model = decode_model(bytes, f.input);
    tool.add_input("model", f.input, bytes, &chip.model.provenance);
    chip.chip = map_to_tiles(chip.model.model, DeviceParams{}, tool.seed);
    computes = chip.model.model;
  }
  std::vector<LayerActivity> activity;
  std::size_t images = 0;
  if (!f.data.dataset.empty()) {
    const Dataset test = f.data.load_test(f.limit);
    check_model_fits(computes, test, f.input, f.data.dataset);
    std::vector<std::size_t> idx(test.size());
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    std::vector<int> labels(idx.size());
    Tensor x;
    fill_batch(test, idx.data(), static_cast<int>(idx.size()), x, labels.data());
    activity = measure_activity(computes, x, static_cast<int>(CostParams{}.input_bits));
    images = idx.size();
    if (!f.neurosim_traces.empty()) {
      Tensor first(1, x.shape());
      std::copy(x.sample(0), x.sample(0) + static_cast<std::ptrdiff_t>(x.sample_size()), first.data());
      const Model weights = kind == "chip" ? read_back_weights(chip.chip, chip.model.model) : chip.model.model;
      write_neurosim_traces(f.neurosim_traces, chip.chip, weights, computes, first,
                            static_cast<int>(CostParams{}.input_bits));
      info("NeuroSim's network CSV and traces written to " + f.neurosim_traces);
    }
    info("input activity measured on " + std::to_string(images) + " " + f.data.dataset + " test images");
  }
  const CostReport r = chip_cost(chip.chip, chip.model.model, CostParams{}, f.adc_bits,
                                 activity.empty() ? nullptr : &activity, chip.rsa ? &*chip.rsa : nullptr, images);
  if (tool.json) {
    Json j = cost_json(r);
    j.set("file", f.input).set("kind", kind);
    if (!f.data.dataset.empty()) j.set("dataset", f.data.dataset).set("data_dir", f.data.dir());
    std::cout << j.dump() << std::endl;
    return;
  }
  std::printf("%s (%s)\n%s", f.input.c_str(), kind.c_str(), cost_text(r).c_str());
}

}  // namespace nnc::cli
