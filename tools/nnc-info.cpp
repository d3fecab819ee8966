// nnc-info: what an nnc artifact is: kind, schema version, layers, history, provenance chain.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "nnc/cli/chip_report.hpp"
#include "nnc/cli/rsa_report.hpp"
#include "nnc/cli/report.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/io/chip.hpp"

using namespace nnc;

int main(int argc, char** argv) {
  cli::Tool tool("nnc-info", "Describe an nnc artifact (model or chip).", "nnc-info <file|-> [--json]",
                 "nnc-info exp/mnist/lenet5.h5");
  std::string input;
  tool.app().add_option("input", input, "artifact file, - for stdin")->required();
  tool.add_json_flag();

  return tool.run(argc, argv, [&] {
    const Bytes bytes = read_bytes(input);
    const std::string kind = artifact_kind(bytes, input);
    const std::string version = artifact_schema_version(bytes, input);
    // A chip's model part is described like a model file, then the chip itself.
    const ChipArtifact chip = kind == "chip" ? decode_chip(bytes, input) : ChipArtifact{};
    const ModelArtifact a = kind == "chip" ? chip.model : decode_model(bytes, input);
    const auto stats = layer_stats(a.model);
    if (tool.json) {
      Json j = Json::object();
      j.set("file", input).set("kind", kind).set("schema_version", version).set("creator", a.creator);
      j.set("arch", a.model.arch()).set("spec", a.model.spec());
      j.set("input_shape", a.model.input_shape().str()).set("classes", a.model.classes());
      j.set("params", a.model.param_count()).set("nonzero_params", a.model.nonzero_param_count());
      j.set("layers", cli::layers_json(stats));
      Json hist = Json::array();
      for (const auto& e : a.history) {
        hist.push(Json::object().set("epoch", e.epoch).set("lr", e.lr).set("train_loss", e.train_loss)
                      .set("train_accuracy", e.train_accuracy).set("val_loss", e.val_loss)
                      .set("val_accuracy", e.val_accuracy));
      }
      j.set("history", std::move(hist));
      Json series = Json::object();
      for (const auto& [name, s] : a.series) {
        series.set(name, Json::object().set("dims", Json::array(s.dims)).set("values", Json::array(s.values)));
      }
      j.set("series", std::move(series));
      Json notes = Json::object();
      for (const auto& [name, v] : a.notes) notes.set(name, v);
      j.set("notes", std::move(notes));
      if (kind == "chip") {
        j.set("creator", chip.creator).set("model_provenance", cli::provenance_json(a.provenance));
        j.set("device", cli::device_json(chip.chip.device)).set("chip", cli::chip_json(chip.chip));
        j.set("chip_layers", cli::chip_layers_json(chip.chip));
        if (chip.rsa) j.set("rsa", cli::rsa_json(*chip.rsa));
      }
      j.set("provenance", cli::provenance_json(kind == "chip" ? chip.provenance : a.provenance));
      std::cout << j.dump(2) << std::endl;
      return;
    }
    std::printf("%s: nnc %s (schema %s), written by %s\n", input.c_str(), kind.c_str(), version.c_str(),
                (kind == "chip" ? chip.creator : a.creator).c_str());
    std::printf("arch: %s\nspec: %s\ninput %s, %d classes, %zu parameters (%zu nonzero)\n\n", a.model.arch().c_str(),
                a.model.spec().c_str(), a.model.input_shape().str().c_str(), a.model.classes(), a.model.param_count(),
                a.model.nonzero_param_count());
    std::printf("%s\n", cli::layers_text(stats).c_str());
    if (!a.history.empty()) {
      std::printf("history:\n");
      for (const auto& e : a.history) {
        std::printf("  epoch %3d  lr %.4g  train loss %.4f acc %.4f  val loss %.4f acc %.4f\n", e.epoch, e.lr,
                    e.train_loss, e.train_accuracy, e.val_loss, e.val_accuracy);
      }
      std::printf("\n");
    }
    for (const auto& [name, v] : a.notes) std::printf("%s: %s\n", name.c_str(), v.c_str());
    for (const auto& [name, s] : a.series) {
      // A series is printed as rows of its last dimension.
      const std::size_t cols = s.dims.empty() ? 1 : s.dims.back();
      std::printf("%s:\n", name.c_str());
      for (std::size_t i = 0; i < s.values.size(); i += std::max<std::size_t>(cols, 1)) {
        std::printf("  ");
        for (std::size_t k = i; k < std::min(s.values.size(), i + cols); ++k) std::printf(" %g", s.values[k]);
        std::printf("\n");
      }
    }
    if (!a.notes.empty() || !a.series.empty()) std::printf("\n");
    if (kind == "chip") {
      std::printf("%s\nchip (seed %llu, %s):\n%s\n", cli::device_text(chip.chip.device).c_str(),
                  static_cast<unsigned long long>(chip.chip.seed),
                  chip.chip.verified() ? ("read-verify-write, " + std::to_string(chip.chip.pulses()) + " pulses, " +
                                          std::to_string(chip.chip.time_s()) + " s modeled").c_str()
                                       : "one-shot",
                  cli::chip_layers_text(chip.chip).c_str());
      if (chip.rsa) std::printf("%s\n", cli::rsa_text(*chip.rsa).c_str());
    }
    std::printf("provenance:\n%s", cli::provenance_text(kind == "chip" ? chip.provenance : a.provenance, 1).c_str());
  });
}
