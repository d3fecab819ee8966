#include "nnc/io/rsa_io.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "nnc/io/model_io.hpp"
#include "nnc/nn/stats.hpp"

namespace nnc::io {

void write_rsa_group(hid_t root, const RsaRecord& rec) {
  const RsaState& s = rec.state;
  h5::Id g = h5::create_group(root, "rsa");
  h5::write_attr(g, "mode", to_string(s.mode));
  h5::write_attr(g, "selection", to_string(s.selection.kind));
  h5::write_attr(g, "density", s.selection.density);
  h5::write_attr(g, "tile", static_cast<std::int64_t>(s.selection.tile));
  h5::write_attr(g, "seed", static_cast<std::int64_t>(s.selection.seed));
  h5::write_attr(g, "bits", static_cast<std::int64_t>(s.bits));
  h5::write_attr(g, "cells", static_cast<std::int64_t>(s.cells()));
  h5::write_attr(g, "sram_bytes", static_cast<std::int64_t>(s.sram_bytes()));
  h5::write_attr(g, "init_std_fraction", rec.init_std_fraction);
  h5::write_attr(g, "epochs", static_cast<std::int64_t>(rec.options.epochs));
  h5::write_attr(g, "batch", static_cast<std::int64_t>(rec.options.batch));
  h5::write_attr(g, "lr", rec.options.lr);
  h5::write_attr(g, "schedule", rec.options.schedule);
  h5::write_attr(g, "momentum", rec.options.momentum);
  h5::write_attr(g, "optimizer", rec.options.optimizer);
  h5::write_attr(g, "augment", static_cast<std::int64_t>(rec.options.augment ? 1 : 0));
  h5::write_attr(g, "augment_pad", static_cast<std::int64_t>(rec.options.augment_pad));
  h5::write_attr(g, "augment_flip", static_cast<std::int64_t>(rec.options.augment_flip ? 1 : 0));
  h5::write_attr(g, "cutout", static_cast<std::int64_t>(rec.options.cutout));
  h5::write_attr(g, "t_mvm_s", rec.time.t_mvm_s);
  h5::write_attr(g, "t_sram_s", rec.time.t_sram_s);
  h5::write_attr(g, "reads_per_sample", rec.report.reads_per_sample);
  h5::write_attr(g, "step_time_s", rec.report.step_seconds);
  h5::write_attr(g, "steps", static_cast<std::int64_t>(rec.report.steps));
  h5::write_attr(g, "time_s", rec.report.time_s);
  {
    h5::Id layers = h5::create_group(g, "layers");
    for (std::size_t i = 0; i < s.selection.layers.size(); ++i) {
      const RsaLayerCells& l = s.selection.layers[i];
      h5::Id lg = h5::create_group(layers, h5::layer_name(l.layer));
      h5::write_attr(lg, "matrix", std::vector<std::int64_t>{l.rows, l.cols});
      h5::write_attr(lg, "step", s.values[i].step);
      h5::write_attr(lg, "sram_bytes", static_cast<std::int64_t>(s.layer_sram_bytes(i)));
      h5::write_attr(lg, "placed_positions", static_cast<std::int64_t>(l.placed));
      std::vector<std::int32_t> row, col;
      for (std::uint32_t idx : l.index) {
        row.push_back(static_cast<std::int32_t>(idx % static_cast<std::uint32_t>(l.rows)));
        col.push_back(static_cast<std::int32_t>(idx / static_cast<std::uint32_t>(l.rows)));
      }
      const std::vector<std::uint64_t> n{l.index.size()};
      h5::write_dataset(lg, "row", n, row.data());
      h5::write_dataset(lg, "col", n, col.data());
      h5::write_dataset(lg, "value", n, s.values[i].value.data());
      h5::describe(lg, "row", {{"description", "crossbar row of the cell (input index)"}});
      h5::describe(lg, "col", {{"description", "crossbar column of the cell (output index)"}});
      h5::describe(lg, "value", {{"units", "weight units"},
                                 {"description", "cell value: added to the RRAM read-back (additive) or replacing it (replace)"}});
    }
  }
  {
    h5::Id hg = h5::create_group(g, "history");
    std::vector<double> points;
    for (const RsaPoint& p : rec.report.points) {
      points.insert(points.end(), {static_cast<double>(p.step), p.time_s, p.val_accuracy, p.val_loss});
    }
    h5::write_dataset(hg, "points", {rec.report.points.size(), 4}, points.data());
    h5::describe(hg, "points", {{"columns", "step,time_s,val_accuracy,val_loss"},
                                {"column_units", "steps,seconds (modeled),fraction,nats"}});
    std::vector<double> epochs;
    for (const RsaEpoch& e : rec.report.epochs) {
      epochs.insert(epochs.end(), {static_cast<double>(e.epoch), e.train_loss, e.train_accuracy});
    }
    h5::write_dataset(hg, "epochs", {rec.report.epochs.size(), 3}, epochs.data());
    h5::describe(hg, "epochs", {{"columns", "epoch,train_loss,train_accuracy"}, {"column_units", "epochs,nats,fraction"}});
  }
  if (rec.bn_recalibration) {
    const BnRecalibrationReport& b = *rec.bn_recalibration;
    h5::Id bg = h5::create_group(g, "bn_recalibration");
    h5::write_attr(bg, "images", static_cast<std::int64_t>(b.images));
    h5::write_attr(bg, "layers", static_cast<std::int64_t>(b.layers));
    h5::write_attr(bg, "reads_per_image", b.reads_per_image);
    h5::write_attr(bg, "time_s", b.time_s);
  }
}

RsaRecord read_rsa_group(const h5::Reader& r, const Model& model) {
  h5::Id g = h5::open_group(r, r.root(), "rsa");
  RsaRecord rec;
  RsaState& s = rec.state;
  try {
    s.mode = parse_rsa_mode(h5::read_attr_string(r, g, "mode"));
    s.selection.kind = parse_rsa_selection(h5::read_attr_string(r, g, "selection"));
  } catch (const Error& e) {
    throw r.error("/rsa", e.what());
  }
  s.selection.density = h5::read_attr_double(r, g, "density");
  s.selection.tile = static_cast<int>(h5::read_attr_int(r, g, "tile"));
  s.selection.seed = static_cast<std::uint64_t>(h5::read_attr_int(r, g, "seed"));
  s.bits = static_cast<int>(h5::read_attr_int(r, g, "bits"));
  if (s.bits != 0 && (s.bits < 2 || s.bits > 24)) throw r.error("/rsa", "bits outside 0 or [2, 24]");
  rec.init_std_fraction = h5::read_attr_double(r, g, "init_std_fraction");
  rec.options.epochs = static_cast<int>(h5::read_attr_int(r, g, "epochs"));
  rec.options.batch = static_cast<int>(h5::read_attr_int(r, g, "batch"));
  rec.options.lr = h5::read_attr_double(r, g, "lr");
  // Added in 1.5.0: before, every adaptation ran at a constant learning rate.
  if (h5::has_attr(g, "schedule") || !schema_before(r, "1.5.0")) {
    rec.options.schedule = h5::read_attr_string(r, g, "schedule");
    if (rec.options.schedule != "constant" && rec.options.schedule != "cosine") {
      throw r.error("/rsa", "schedule '" + rec.options.schedule + "' is not constant or cosine");
    }
  }
  rec.options.momentum = h5::read_attr_double(r, g, "momentum");
  // Added in 1.8.0: before, every adaptation ran SGD with momentum.
  if (h5::has_attr(g, "optimizer") || !schema_before(r, "1.8.0")) {
    rec.options.optimizer = h5::read_attr_string(r, g, "optimizer");
    if (rec.options.optimizer != "sgd" && rec.options.optimizer != "adam") {
      throw r.error("/rsa", "optimizer '" + rec.options.optimizer + "' is not sgd or adam");
    }
  }
  // Added in 1.6.0: before, RSA training never augmented its images.
  if (h5::has_attr(g, "augment") || !schema_before(r, "1.6.0")) {
    rec.options.augment = h5::read_attr_int(r, g, "augment") != 0;
    rec.options.augment_pad = static_cast<int>(h5::read_attr_int(r, g, "augment_pad"));
    rec.options.augment_flip = h5::read_attr_int(r, g, "augment_flip") != 0;
    rec.options.cutout = static_cast<int>(h5::read_attr_int(r, g, "cutout"));
    if (rec.options.augment_pad < 0 || rec.options.cutout < 0) throw r.error("/rsa", "augment_pad or cutout is negative");
  } else {
    rec.options.augment = false;
  }
  rec.time.t_mvm_s = h5::read_attr_double(r, g, "t_mvm_s");
  rec.time.t_sram_s = h5::read_attr_double(r, g, "t_sram_s");
  rec.report.reads_per_sample = h5::read_attr_double(r, g, "reads_per_sample");
  rec.report.step_seconds = h5::read_attr_double(r, g, "step_time_s");
  rec.report.steps = static_cast<long>(h5::read_attr_int(r, g, "steps"));
  rec.report.time_s = h5::read_attr_double(r, g, "time_s");
  h5::Id layers = h5::open_group(r, g, "layers");
  for (const std::string& ln : h5::children(layers)) {
    const std::string where = "/rsa/layers/" + ln;
    char* end = nullptr;
    const long index = std::strtol(ln.c_str(), &end, 10);
    if (ln.empty() || *end != '\0' || index < 0 || index >= static_cast<long>(model.layers().size()) ||
        !model.layers()[static_cast<std::size_t>(index)]->is_mapped()) {
      throw r.error(where, "names no conv or dense layer of the model part /model");
    }
    h5::Id lg = h5::open_group(r, layers, ln);
    const auto W = crossbar_matrix(*model.layers()[static_cast<std::size_t>(index)]);
    RsaLayerCells cells;
    cells.layer = static_cast<int>(index);
    cells.rows = static_cast<int>(W.rows());
    cells.cols = static_cast<int>(W.cols());
    if (h5::read_attr_ints(r, lg, "matrix") != std::vector<std::int64_t>{cells.rows, cells.cols}) {
      throw r.error(where, "matrix attribute does not match the model's layer " + std::to_string(cells.rows) +
                               " x " + std::to_string(cells.cols));
    }
    std::vector<std::uint64_t> n;
    const auto row = h5::read_dataset<std::int32_t>(r, lg, "row", {}, &n);
    if (n.size() != 1) throw r.error(where + "/row", "expected a 1-d dataset");
    const auto col = h5::read_dataset<std::int32_t>(r, lg, "col", n);
    RsaLayerValues vals;
    vals.value = h5::read_dataset<float>(r, lg, "value", n);
    vals.step = h5::read_attr_double(r, lg, "step");
    // Files written before RSA skipped unplaced tiles put cells in every tile.
    cells.placed = static_cast<std::size_t>(cells.rows) * static_cast<std::size_t>(cells.cols);
    if (h5::has_attr(lg, "placed_positions")) {
      const std::int64_t p = h5::read_attr_int(r, lg, "placed_positions");
      if (p < 0 || static_cast<std::size_t>(p) > cells.placed) {
        throw r.error(where, "placed_positions outside [0, rows * cols]");
      }
      cells.placed = static_cast<std::size_t>(p);
    }
    for (std::size_t k = 0; k < row.size(); ++k) {
      if (row[k] < 0 || row[k] >= cells.rows || col[k] < 0 || col[k] >= cells.cols) {
        throw r.error(where, "a cell outside the layer's " + std::to_string(cells.rows) + " x " +
                                 std::to_string(cells.cols) + " matrix");
      }
      if (!std::isfinite(vals.value[k])) throw r.error(where + "/value", "a value that is not finite");
      const auto idx = static_cast<std::uint32_t>(row[k]) + static_cast<std::uint32_t>(col[k]) * static_cast<std::uint32_t>(cells.rows);
      if (!cells.index.empty() && idx <= cells.index.back()) {
        throw r.error(where, "cells not in column-major order or repeated");
      }
      cells.index.push_back(idx);
    }
    s.selection.layers.push_back(std::move(cells));
    s.values.push_back(std::move(vals));
  }
  h5::Id hg = h5::open_group(r, g, "history");
  std::vector<std::uint64_t> d;
  const auto points = h5::read_dataset<double>(r, hg, "points", {}, &d);
  if (d.size() != 2 || d[1] != 4) throw r.error("/rsa/history/points", "expected N x 4");
  for (std::size_t i = 0; i + 3 < points.size(); i += 4) {
    rec.report.points.push_back({static_cast<long>(points[i]), points[i + 1], points[i + 2], points[i + 3]});
  }
  const auto epochs = h5::read_dataset<double>(r, hg, "epochs", {}, &d);
  if (d.size() != 2 || d[1] != 3) throw r.error("/rsa/history/epochs", "expected N x 3");
  for (std::size_t i = 0; i + 2 < epochs.size(); i += 3) {
    rec.report.epochs.push_back({static_cast<int>(epochs[i]), epochs[i + 1], epochs[i + 2]});
  }
  if (h5::exists(g, "bn_recalibration")) {
    h5::Id bg = h5::open_group(r, g, "bn_recalibration");
    BnRecalibrationReport b;
    const std::int64_t images = h5::read_attr_int(r, bg, "images"), layers = h5::read_attr_int(r, bg, "layers");
    if (images < 0 || layers < 0) throw r.error("/rsa/bn_recalibration", "negative images or layers");
    b.images = static_cast<std::size_t>(images);
    b.layers = static_cast<int>(layers);
    b.reads_per_image = h5::read_attr_double(r, bg, "reads_per_image");
    b.time_s = h5::read_attr_double(r, bg, "time_s");
    rec.bn_recalibration = b;
  }
  return rec;
}

}  // namespace nnc::io
