#include "nnc/cli/info_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>

#include "nnc/cli/chip_report.hpp"
#include "nnc/cli/report.hpp"
#include "nnc/cli/rsa_report.hpp"
#include "nnc/cli/train_run.hpp"
#include "nnc/io/chip.hpp"

namespace nnc::cli {

namespace {
struct Described {
  std::string kind, version;
  ChipArtifact chip;
  ModelArtifact model;
};

Described describe(const Bytes& bytes, const std::string& name) {
  Described d;
  d.kind = artifact_kind(bytes, name);
  d.version = artifact_schema_version(bytes, name);
  // A chip's model part is described like a model file, then the chip itself.
  if (d.kind == "chip") {
    d.chip = decode_chip(bytes, name);
    d.model = d.chip.model;
  } else {
    d.model = decode_model(bytes, name);
  }
  return d;
}

// printf onto the end of a string.
void append(std::string& out, const char* format, ...) {
  va_list args, again;
  va_start(args, format);
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  std::string buf(static_cast<std::size_t>(n) + 1, '\0');
  std::vsnprintf(buf.data(), buf.size(), format, again);
  va_end(again);
  buf.resize(static_cast<std::size_t>(n));
  out += buf;
}
}  // namespace

Json artifact_info_json(const Bytes& bytes, const std::string& name) {
  const Described d = describe(bytes, name);
  const ModelArtifact& a = d.model;
  const ChipArtifact& chip = d.chip;
  Json j = Json::object();
  j.set("file", name).set("kind", d.kind).set("schema_version", d.version).set("creator", a.creator);
  j.set("arch", a.model.arch()).set("spec", a.model.spec());
  j.set("input_shape", a.model.input_shape().str()).set("classes", a.model.classes());
  set_param_counts(j, a.model.param_counts());
  j.set("nonzero_params", a.model.nonzero_param_count());  // the older name of params
  j.set("layers", layers_json(layer_stats(a.model)));
  j.set("history", history_json(a.history));
  Json series = Json::object();
  for (const auto& [key, s] : a.series) {
    series.set(key, Json::object().set("dims", Json::array(s.dims)).set("values", Json::array(s.values)));
  }
  j.set("series", std::move(series));
  Json notes = Json::object();
  for (const auto& [key, v] : a.notes) notes.set(key, v);
  j.set("notes", std::move(notes));
  if (d.kind == "chip") {
    j.set("creator", chip.creator).set("model_provenance", provenance_json(a.provenance));
    j.set("device", device_json(chip.chip.device)).set("chip", chip_json(chip.chip));
    j.set("chip_layers", chip_layers_json(chip.chip));
    if (chip.rsa) j.set("rsa", rsa_json(*chip.rsa));
  }
  j.set("provenance", provenance_json(d.kind == "chip" ? chip.provenance : a.provenance));
  return j;
}

std::string artifact_info_text(const Bytes& bytes, const std::string& name) {
  const Described d = describe(bytes, name);
  const ModelArtifact& a = d.model;
  const ChipArtifact& chip = d.chip;
  std::string out;
  append(out, "%s: nnc %s (schema %s), written by %s\n", name.c_str(), d.kind.c_str(), d.version.c_str(),
         (d.kind == "chip" ? chip.creator : a.creator).c_str());
  append(out, "arch: %s\nspec: %s\ninput %s, %d classes, %s\n\n", a.model.arch().c_str(), a.model.spec().c_str(),
         a.model.input_shape().str().c_str(), a.model.classes(), param_counts_text(a.model.param_counts()).c_str());
  append(out, "%s\n", layers_text(layer_stats(a.model)).c_str());
  if (!a.history.empty()) {
    out += "history:\n";
    for (const auto& e : a.history) {
      append(out, "  epoch %3d  lr %.4g  train loss %.4f acc %.4f  ", e.epoch, e.lr, e.train_loss, e.train_accuracy);
      if (std::isnan(e.val_loss)) {
        out += "no validation\n";
      } else {
        append(out, "val loss %.4f acc %.4f\n", e.val_loss, e.val_accuracy);
      }
    }
    out += "\n";
  }
  for (const auto& [key, v] : a.notes) append(out, "%s: %s\n", key.c_str(), v.c_str());
  for (const auto& [key, s] : a.series) {
    // A series is printed as rows of its last dimension.
    const std::size_t cols = s.dims.empty() ? 1 : s.dims.back();
    append(out, "%s:\n", key.c_str());
    for (std::size_t i = 0; i < s.values.size(); i += std::max<std::size_t>(cols, 1)) {
      out += "  ";
      for (std::size_t k = i; k < std::min(s.values.size(), i + cols); ++k) append(out, " %g", s.values[k]);
      out += "\n";
    }
  }
  if (!a.notes.empty() || !a.series.empty()) out += "\n";
  if (d.kind == "chip") {
    const std::string how = chip.chip.verified() ? "read-verify-write, " + std::to_string(chip.chip.pulses()) +
                                                       " pulses, " + std::to_string(chip.chip.time_s()) + " s modeled"
                                                 : std::string("one-shot");
    append(out, "%s\nchip (seed %llu, %s):\n%s\n", device_text(chip.chip.device).c_str(),
           static_cast<unsigned long long>(chip.chip.seed), how.c_str(), chip_layers_text(chip.chip).c_str());
    if (chip.rsa) append(out, "%s\n", rsa_text(*chip.rsa).c_str());
  }
  out += "provenance:\n" + provenance_text(d.kind == "chip" ? chip.provenance : a.provenance, 1);
  return out;
}

}  // namespace nnc::cli
