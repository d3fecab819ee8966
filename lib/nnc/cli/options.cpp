#include "nnc/cli/options.hpp"

#include <sstream>

#include "nnc/cli/report.hpp"
#include "nnc/nn/error.hpp"

namespace nnc::cli {

void DataOptions::Register(Registrar r, bool with_training) {
  r.add("--dataset", dataset, "mnist | fashion-mnist | cifar10 | cifar100", dataset_name())->required();
  r.add("--data-dir", data_dir,
        "dataset directory (default: $NNC_DATASETS/<dir>, then data/<dir>; fashion-mnist also "
        "/usr/share/datasets/fashion-mnist)");
  if (with_training) {
    r.add("--limit-train", limit_train, "use only the first N training images (0 = all)");
    r.add("--validation", validation, "training images held out for validation (the last N)");
  }
}

std::string DataOptions::dir() const {
  if (!data_dir.empty()) return data_dir;
  try {
    return resolve_data_dir(dataset, data_dir);
  } catch (const Error& e) {
    // A known dataset not found where nnc looks by itself: name the flag that says where.
    if (!is_dataset_name(dataset)) throw;
    throw Error(std::string(e.what()) + " or give --data-dir", e.kind());
  }
}

Dataset DataOptions::load(Split split) const {
  const std::string d = dir();
  debug(dataset + " " + (split == Split::train ? "training" : "test") + " split from " + d);
  return load_dataset(dataset, split, d);
}

std::pair<Dataset, Dataset> DataOptions::load_train() const {
  if (needs_validation && validation == 0) {
    throw CLI::ValidationError("--validation", "0: this tool selects and reports on validation images; give at least 1");
  }
  Dataset all = load(Split::train);
  if (validation >= all.size()) {
    throw Error("--validation " + std::to_string(validation) + " leaves no training images (the " + dataset +
                    " training split has " + std::to_string(all.size()) + ")",
                ErrorKind::bad_input);
  }
  auto [tr, val] = split_validation(all, validation);
  if (limit_train > 0 && limit_train < tr.size()) tr = tr.slice(0, limit_train);
  return {std::move(tr), std::move(val)};
}

Dataset DataOptions::load_test(std::size_t limit) const {
  Dataset test = load(Split::test);
  if (limit > 0 && limit < test.size()) test = test.slice(0, limit);
  return test;
}

namespace {
const std::vector<std::string> kSchedules = {"constant", "step", "cosine"};  // LrSchedule::kind
}  // namespace

void TrainFlags::Register(Registrar r, int default_epochs) {
  options.epochs = default_epochs;
  r.add("--epochs", options.epochs, "training epochs", 1, 100000);
  r.add("--batch", options.batch, "mini-batch size", 1, 1 << 20);
  r.add("--lr", options.schedule.lr, "learning rate", CLI::PositiveNumber);
  r.add_choice("--schedule", options.schedule.kind, kSchedules, "learning-rate schedule");
  r.add("--lr-step", options.schedule.step_epochs, "step schedule: epochs between drops (0 = a third of the run)",
        CLI::NonNegativeNumber);
  r.add("--lr-gamma", options.schedule.gamma, "step schedule: factor at each drop", 0.0, 1.0);
  r.add("--warmup", options.schedule.warmup_epochs, "epochs over which lr rises linearly from 0 (0 = none)",
        CLI::NonNegativeNumber);
  r.add("--momentum", options.sgd.momentum, "SGD momentum", 0.0, 1.0);
  r.add("--weight-decay", options.sgd.weight_decay, "L2 weight decay", CLI::NonNegativeNumber);
  augment_.by_default = augment_by_default ? AugmentFlags::On::every_dataset : AugmentFlags::On::cifar;
  augment_.Register(r);
  r.add("--label-smoothing", options.label_smoothing,
        "train against (1 - E) one-hot + E / classes instead of the one-hot label (0 = none)", 0.0, 0.99);
  r.add("--checkpoint-every", options.checkpoint_every, "steps between checkpoints (0 = each epoch)",
        CLI::NonNegativeNumber);
}

void AugmentFlags::Register(Registrar r) {
  const char* when = by_default == On::every_dataset ? "default on (CIFAR: "
                     : by_default == On::cifar       ? "default on for CIFAR ("
                                                     : "default off (CIFAR: ";
  flag_ = r.add_flag("--augment,!--no-augment", augment,
                     std::string("random shifts; ") + when +
                         "crop with pad 4 and flip; others: shifts of up to 2 pixels, no flip)");
  r.add("--cutout", cutout, "with augmentation, set a random NxN square of each training image to the mean (Cutout; 0 = none)",
        0, 1024);
}

AugmentFlags::Resolved AugmentFlags::resolved(const std::string& dataset) const {
  Resolved r;
  const bool cifar = dataset.rfind("cifar", 0) == 0;
  const bool asked = flag_ != nullptr && flag_->count() > 0;
  r.augment = asked ? augment : (by_default == On::every_dataset || (by_default == On::cifar && cifar));
  r.cutout = cutout;
  if (cutout > 0 && !r.augment) {
    const std::string why = asked ? "--no-augment turned off" : "is off by default for " + dataset + " (give --augment)";
    throw CLI::ValidationError("--cutout", "needs augmentation, which " + why);
  }
  if (!cifar) {  // digits and clothes: a flipped 2 or 7 is not one
    r.pad = 2;
    r.flip = false;
  }
  return r;
}

TrainOptions TrainFlags::resolved(const std::string& dataset, std::uint64_t seed) const {
  TrainOptions o = options;
  o.seed = seed;
  // The schedule refuses it too (Schedule::at), in its own words; here it is a flag's fault.
  if (o.schedule.warmup_epochs >= o.epochs) {
    throw Error("--warmup must be shorter than the run (" + std::to_string(o.epochs) + " epochs)", ErrorKind::bad_input);
  }
  const AugmentFlags::Resolved a = augment_.resolved(dataset);
  o.augment = a.augment;
  o.augment_pad = a.pad;
  o.augment_flip = a.flip;
  o.cutout = a.cutout;
  return o;
}

CLI::Validator dataset_name() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        if (is_dataset_name(v)) return {};
        const std::string near = nearest_name(v, {"mnist", "fashion-mnist", "cifar10", "cifar100"});
        return "unknown dataset '" + v + "' (mnist, fashion-mnist, cifar10, cifar100)" +
               (near.empty() ? std::string() : "; did you mean " + near + "?");
      },
      "NAME");
}

namespace {
// The value of `--dataset` in a recorded config (CLI11 format: dataset="mnist"), or "".
std::string recorded_dataset(const std::string& config) {
  std::istringstream in(config);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("dataset=", 0) != 0) continue;
    std::string v = line.substr(8);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'')) v = v.substr(1, v.size() - 2);
    return v;
  }
  return {};
}

// The nearest dataset recorded along the lineage: this artifact's own run first, then its inputs'.
std::string lineage_dataset(const Provenance& p) {
  if (std::string d = recorded_dataset(p.config); !d.empty()) return d;
  for (const auto& in : p.inputs) {
    if (!in.provenance) continue;
    if (std::string d = lineage_dataset(*in.provenance); !d.empty()) return d;
  }
  return {};
}
}  // namespace

void warn_dataset_mismatch(const Provenance& provenance, const std::string& input, const std::string& dataset) {
  const std::string recorded = lineage_dataset(provenance);
  if (!recorded.empty() && recorded != dataset) {
    warn(input + " was made on " + recorded + " (its provenance), not on --dataset " + dataset);
  }
}

CLI::Validator open_unit_interval() {
  return CLI::Validator(
      [](std::string& v) {
        double x = 0;
        try {
          x = std::stod(v);
        } catch (const std::exception&) {
          return "not a number: " + v;
        }
        return x > 0 && x <= 1 ? std::string() : "must be in (0, 1], got " + v;
      },
      "(0,1]");
}

void check_model_fits(const Model& model, const Dataset& data, const std::string& path, const std::string& dataset) {
  if (model.input_shape() == data.shape && model.classes() == data.classes) return;
  throw bad_input(path, "model takes " + model.input_shape().str() + " inputs and " + std::to_string(model.classes()) +
                            " classes; " + dataset + " has " + data.shape.str() + " and " + std::to_string(data.classes));
}

ModelArtifact load_model_input(Tool& tool, const std::string& path, const std::string& role) {
  Bytes bytes = read_bytes(path);
  ModelArtifact a = decode_model(bytes, path);
  tool.add_input(role, path, bytes, &a.provenance);
  return a;
}

std::string model_summary(const Model& m) {
  return m.spec() + ": " + param_counts_text(m.param_counts());
}

}  // namespace nnc::cli
