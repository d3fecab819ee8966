// Option groups shared by tools: each a struct with its defaults in one place and a
// Register() that adds its flags, so tools that share an algorithm share its flags.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "nnc/cli/tool.hpp"
#include "nnc/data/dataset.hpp"
#include "nnc/train/train.hpp"

namespace nnc::cli {

struct DataOptions {
  std::string dataset;
  std::string data_dir;
  std::size_t limit_train = 0;   // 0: all training images
  std::size_t validation = 5000; // held out from the end of the training split

  void Register(CLI::App& app, bool with_training = true);
  // Training split less the held-out validation images, and the validation images.
  std::pair<Dataset, Dataset> load_train() const;
  Dataset load_test(std::size_t limit = 0) const;
};

struct TrainFlags {
  TrainOptions options;
  void Register(CLI::App& app, int default_epochs = 1);
};

// Reads a model artifact (path or "-") and records it as an input of the tool's run.
ModelArtifact load_model_input(Tool& tool, const std::string& path, const std::string& role = "model");

// Logs a one-line summary of a model: layers, parameters, nonzeros.
std::string model_summary(const Model& m);

}  // namespace nnc::cli
