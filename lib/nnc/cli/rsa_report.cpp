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

namespace nnc::cli {

std::string chip_rsa_cells_text(const ChipRsa& a) {
  const RsaState& s = a.record.state;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.3f%% of ", a.cells_percent);
  std::string out = std::to_string(s.cells()) + " RSA cells (" + buf + std::to_string(a.placed_weights) +
                    " placed weight positions, " + std::to_string(a.weights) + " in all), " +
                    std::to_string(s.sram_bytes()) + " SRAM bytes; test accuracy before ";
  std::snprintf(buf, sizeof buf, "%.4f", a.accuracy_before);
  return out + buf;
}

std::string chip_bn_text(const ChipRsa& a) {
  if (!a.record.bn_recalibration) return "";
  const BnRecalibrationReport& b = *a.record.bn_recalibration;
  char buf[128];
  std::snprintf(buf, sizeof buf, " images, modeled time %.6g s): test accuracy %.4f -> %.4f", b.time_s, a.accuracy_before,
                a.accuracy_bn);
  return "batch norm recalibrated on the chip (" + std::to_string(b.layers) + " layers, " + std::to_string(b.images) + buf;
}

std::string chip_rsa_result_text(const ChipRsa& a, const std::string& output) {
  char buf[160];  // the precision of chip_rsa_text, which prints the same figures on stdout
  std::snprintf(buf, sizeof buf, ": test accuracy %.4f -> %.4f, modeled time %.6g s over %ld steps", a.accuracy_before,
                a.accuracy_after, a.record.report.time_s, static_cast<long>(a.record.report.steps));
  return output + buf;
}

std::string rvw_text(const RvwComparison& c) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "R-V-W on the same chip: test accuracy %.4f, %llu pulses, modeled time %.6g s",
                c.test_accuracy, static_cast<unsigned long long>(c.pulses), c.time_s);
  return buf;
}

Json chip_rsa_json(const ChipRsa& a, const std::string& output, const std::string& dataset, std::size_t test_samples) {
  const RsaRecord& rec = a.record;
  const RsaState& s = rec.state;
  Json bn = Json();  // null unless recalibrated
  if (rec.bn_recalibration) {
    const BnRecalibrationReport& b = *rec.bn_recalibration;
    bn = Json::object()
             .set("images", b.images)
             .set("layers", b.layers)
             .set("reads_per_image", b.reads_per_image)
             .set("time_s", b.time_s)
             .set("accuracy", a.accuracy_bn);
  }
  Json j = Json::object();
  j.set("file", output).set("dataset", dataset).set("mode", to_string(s.mode)).set("selection", to_string(s.selection.kind));
  j.set("density", s.selection.density).set("bits", s.bits).set("cells", s.cells()).set("weights", a.weights);
  j.set("placed_weights", a.placed_weights).set("cells_percent_of_placed", a.cells_percent);
  j.set("sram_bytes", s.sram_bytes());
  j.set("epochs", rec.options.epochs).set("lr", rec.options.lr).set("schedule", rec.options.schedule)
      .set("optimizer", rec.options.optimizer);
  j.set("batch", rec.options.batch).set("augment", rec.options.augment).set("cutout", rec.options.cutout);
  j.set("bn_recalibrated_accuracy", rec.bn_recalibration ? Json(a.accuracy_bn) : Json()).set("bn_recalibration", bn);
  j.set("total_time_s", rec.report.time_s + (rec.bn_recalibration ? rec.bn_recalibration->time_s : 0.0));
  j.set("accuracy_before", a.accuracy_before).set("accuracy_after", a.accuracy_after).set("test_samples", test_samples);
  Json after_epoch = Json::array();
  for (const auto& [epoch, accuracy] : a.test_after_epoch) {
    after_epoch.push(Json::object().set("epoch", epoch).set("accuracy", accuracy));
  }
  j.set("test_after_epoch", after_epoch);
  j.set("time_s", rec.report.time_s).set("steps", rec.report.steps).set("step_time_s", rec.report.step_seconds);
  j.set("reads_per_sample", rec.report.reads_per_sample);
  j.set("t_mvm_s", rec.time.t_mvm_s).set("t_sram_s", rec.time.t_sram_s);
  Json points = Json::array();
  for (const RsaPoint& p : rec.report.points) {
    points.push(Json::object().set("step", p.step).set("time_s", p.time_s).set("val_accuracy", p.val_accuracy));
  }
  j.set("points", points);
  return j;
}

std::string chip_rsa_text(const ChipRsa& a, const std::string& output) {
  const RsaRecord& rec = a.record;
  char buf[256];  // the figures; the file name, of any length, goes in front of each line
  std::snprintf(buf, sizeof buf,
                ": %zu RSA cells (%.3f%% of placed weights), %zu SRAM bytes, test accuracy %.4f -> %.4f, "
                "modeled time %.6g s\n",
                rec.state.cells(), a.cells_percent, rec.state.sram_bytes(), a.accuracy_before, a.accuracy_after,
                rec.report.time_s);
  std::string out = output + buf;
  if (rec.bn_recalibration) {
    std::snprintf(buf, sizeof buf,
                  ": batch norm recalibrated on the chip: test accuracy %.4f -> %.4f (before RSA), modeled time %.6g s\n",
                  a.accuracy_before, a.accuracy_bn, rec.bn_recalibration->time_s);
    out += output + buf;
  }
  return out;
}

Json rvw_json(const RvwComparison& c) {
  return Json::object()
      .set("accuracy", c.test_accuracy)
      .set("val_accuracy", c.val_accuracy)
      .set("pulses", static_cast<double>(c.pulses))
      .set("time_s", c.time_s)
      .set("t_write_s", c.t_write_s)
      .set("t_read_s", c.t_read_s)
      .set("rsa_time_to_rvw_val_accuracy_s",
           c.rsa_time_to_rvw_val_accuracy_s ? Json(*c.rsa_time_to_rvw_val_accuracy_s) : Json());
}

}  // namespace nnc::cli
