#include "nnc/cli/rsa_report.hpp"

#include <cstdio>

namespace nnc::cli {

namespace {

// Percent of the placed weight positions (0 when none is placed).
double percent(std::size_t cells, std::size_t placed) {
  return placed ? 100.0 * static_cast<double>(cells) / static_cast<double>(placed) : 0.0;
}

}  // namespace

Json rsa_json(const RsaRecord& r) {
  const RsaState& s = r.state;
  Json j = Json::object();
  j.set("mode", to_string(s.mode)).set("selection", to_string(s.selection.kind)).set("density", s.selection.density);
  j.set("tile", s.selection.tile).set("seed", static_cast<double>(s.selection.seed)).set("bits", s.bits);
  j.set("cells", s.cells()).set("sram_bytes", s.sram_bytes()).set("placed_positions", s.selection.placed());
  j.set("cells_percent_of_placed", percent(s.cells(), s.selection.placed()));
  j.set("epochs", r.options.epochs).set("lr", r.options.lr).set("batch", r.options.batch);
  j.set("time_s", r.report.time_s).set("steps", r.report.steps).set("step_time_s", r.report.step_seconds);
  Json layers = Json::array();
  for (std::size_t i = 0; i < s.selection.layers.size(); ++i) {
    const RsaLayerCells& l = s.selection.layers[i];
    layers.push(Json::object()
                    .set("layer", l.layer)
                    .set("cells", l.index.size())
                    .set("placed_positions", l.placed)
                    .set("cells_percent_of_placed", percent(l.index.size(), l.placed))
                    .set("sram_bytes", s.layer_sram_bytes(i)));
  }
  j.set("layers", layers);
  Json points = Json::array();
  for (const RsaPoint& p : r.report.points) {
    points.push(Json::object().set("step", p.step).set("time_s", p.time_s).set("val_accuracy", p.val_accuracy));
  }
  j.set("points", points);
  if (r.bn_recalibration) {
    const BnRecalibrationReport& b = *r.bn_recalibration;
    j.set("bn_recalibration", Json::object()
                                  .set("images", b.images)
                                  .set("layers", b.layers)
                                  .set("reads_per_image", b.reads_per_image)
                                  .set("time_s", b.time_s));
  }
  return j;
}

std::string rsa_text(const RsaRecord& r) {
  const RsaState& s = r.state;
  char buf[256];
  std::string out;
  std::snprintf(buf, sizeof buf,
                "RSA: %s, %s selection, density %g, %s cells, %zu cells (%.3f%% of %zu placed weight positions), %zu "
                "SRAM bytes, modeled %.4g s\n",
                to_string(s.mode).c_str(), to_string(s.selection.kind).c_str(), s.selection.density,
                s.bits ? (std::to_string(s.bits) + "-bit").c_str() : "32-bit float", s.cells(),
                percent(s.cells(), s.selection.placed()), s.selection.placed(), s.sram_bytes(), r.report.time_s);
  out += buf;
  for (std::size_t i = 0; i < s.selection.layers.size(); ++i) {
    const RsaLayerCells& l = s.selection.layers[i];
    std::snprintf(buf, sizeof buf, "  layer %3d  %5d x %-5d  %8zu placed  %8zu cells (%.2f%% of placed)  %9zu SRAM bytes\n",
                  l.layer, l.rows, l.cols, l.placed, l.index.size(), percent(l.index.size(), l.placed),
                  s.layer_sram_bytes(i));
    out += buf;
  }
  if (r.bn_recalibration) {
    const BnRecalibrationReport& b = *r.bn_recalibration;
    std::snprintf(buf, sizeof buf,
                  "  batch norm recalibrated on the chip before RSA: %d layers, %zu images, modeled %.4g s\n", b.layers,
                  b.images, b.time_s);
    out += buf;
  }
  for (const RsaPoint& p : r.report.points) {
    std::snprintf(buf, sizeof buf, "  step %6ld  modeled %.4g s  val accuracy %.4f\n", p.step, p.time_s, p.val_accuracy);
    out += buf;
  }
  return out;
}

}  // namespace nnc::cli
