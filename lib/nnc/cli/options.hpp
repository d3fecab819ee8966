// Option groups shared by tools: each a struct with its defaults in one place and a
// Register() that adds its flags, so tools that share an algorithm share its flags.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "nnc/cli/registrar.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/data/dataset.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/train/train.hpp"

namespace nnc::cli {

struct DataOptions {
  std::string dataset;
  std::string data_dir;
  std::size_t limit_train = 0;   // 0: all training images
  std::size_t validation = 5000; // held out from the end of the training split
  // The tool selects or records on the validation images (nnc-swprune, nnc-cgap,
  // nnc-rsa-adapt): --validation 0 is then a bad flag value (exit 105).
  bool needs_validation = false;

  // --dataset is checked against the dataset names (exit 105, with "did you mean mnist?").
  void Register(Registrar r, bool with_training = true);
  // The directory the dataset is read from (resolve_data_dir; a dataset not found names
  // --data-dir besides the places tried). Logged with -v; JSON records carry it as "data_dir".
  std::string dir() const;
  // A whole split of the dataset, from dir().
  Dataset load(Split split) const;
  // Training split less the held-out validation images, and the validation images.
  std::pair<Dataset, Dataset> load_train() const;
  Dataset load_test(std::size_t limit = 0) const;
};

// --augment/--no-augment and --cutout, for every tool that trains on images (nnc-train and the
// tools built on its flags, nnc-rsa-adapt). Unless a flag says otherwise, augmentation is on
// for the datasets `by_default` names: those whose name starts with "cifar" (training), every
// one (nnc-swprune), or none (RSA: docs/results.md measured that it does not help there).
// CIFAR crops with pad 4 and flips, other datasets shift by up to 2 pixels without flips.
struct AugmentFlags {
  enum class On { cifar, every_dataset, none };
  bool augment = false;
  int cutout = 0;
  On by_default = On::cifar;  // set before Register
  void Register(Registrar r);
  // The resolved settings for `dataset`. --cutout with augmentation off (by flag or by
  // default) is a bad flag value.
  struct Resolved {
    bool augment = false;
    int pad = 4;
    bool flip = true;
    int cutout = 0;
  };
  Resolved resolved(const std::string& dataset) const;

 private:
  CLI::Option* flag_ = nullptr;
};

struct TrainFlags {
  TrainOptions options;
  bool augment_by_default = false;  // augmentation on for every dataset, not only CIFAR (set before Register)
  void Register(Registrar r, int default_epochs = 1);
  // The options of a run: the flags, `seed`, and augmentation on by default for a dataset
  // whose name starts with "cifar" (or any, with augment_by_default) unless --augment or
  // --no-augment was given: CIFAR crops with pad 4 and flips, other datasets shift by up to 2
  // pixels without flips. --cutout with augmentation off (by flag or by default) is a bad flag value.
  TrainOptions resolved(const std::string& dataset, std::uint64_t seed) const;

 private:
  AugmentFlags augment_;
};

// A CLI11 check that a value is a dataset name: "unknown dataset 'MNIST' (mnist, fashion-mnist,
// cifar10, cifar100); did you mean mnist?".
CLI::Validator dataset_name();

// Warns (one line, exit code unchanged) when the provenance chain of an input records that it
// was trained or adapted on another dataset than `dataset` (the nearest --dataset recorded).
void warn_dataset_mismatch(const Provenance& provenance, const std::string& input, const std::string& dataset);

// A CLI11 check for a value in (0, 1]: "must be in (0, 1], got X" (CLI11 puts the flag first).
CLI::Validator open_unit_interval();

// Throws bad_input naming `path` unless `model` takes the dataset's image shape and classes:
// "<path>: model takes 1x28x28 inputs and 10 classes; cifar10 has 3x32x32 and 10".
void check_model_fits(const Model& model, const Dataset& data, const std::string& path, const std::string& dataset);

// Runs f, for library calls whose every error is about one flag's value: an nnc::Error becomes
// a bad flag value (CLI::ValidationError, exit 105, like any other) with the flag in front
// ("--density: ...").
template <class F>
decltype(auto) blame_flag(const std::string& flag, F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    throw CLI::ValidationError(flag + ": " + e.what());
  }
}

// Reads a model artifact (path or "-") and records it as an input of the tool's run.
ModelArtifact load_model_input(Tool& tool, const std::string& path, const std::string& role = "model");

// Logs a one-line summary of a model: layers, parameters, nonzeros.
std::string model_summary(const Model& m);

}  // namespace nnc::cli
