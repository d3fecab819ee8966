#include "nnc/cli/options.hpp"

#include "nnc/nn/error.hpp"

namespace nnc::cli {

void DataOptions::Register(CLI::App& app, bool with_training) {
  app.add_option("--dataset", dataset, "mnist | fashion-mnist | cifar10 | cifar100")->required();
  app.add_option("--data-dir", data_dir, "dataset directory (default: $NNC_DATASETS/<dir>, then data/<dir>)");
  if (with_training) {
    app.add_option("--limit-train", limit_train, "use only the first N training images (0 = all)");
    app.add_option("--validation", validation, "training images held out for validation (the last N)");
  }
}

Dataset DataOptions::load(Split split) const {
  std::string dir = data_dir;
  if (dir.empty()) {
    try {
      dir = resolve_data_dir(dataset, data_dir);
    } catch (const Error& e) {
      // A known dataset not found where nnc looks by itself: name the flag that says where.
      if (!is_dataset_name(dataset)) throw;
      throw Error(std::string(e.what()) + " or give --data-dir", e.kind());
    }
  }
  return load_dataset(dataset, split, dir);
}

std::pair<Dataset, Dataset> DataOptions::load_train() const {
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

void TrainFlags::Register(CLI::App& app, int default_epochs) {
  options.epochs = default_epochs;
  app.add_option("--epochs", options.epochs, "training epochs")->check(CLI::Range(1, 100000));
  app.add_option("--batch", options.batch, "mini-batch size")->check(CLI::Range(1, 1 << 20));
  app.add_option("--lr", options.schedule.lr, "learning rate")->check(CLI::PositiveNumber);
  app.add_option("--schedule", options.schedule.kind, "learning-rate schedule")
      ->check(CLI::IsMember({"constant", "step", "cosine"}));
  app.add_option("--lr-step", options.schedule.step_epochs, "step schedule: epochs between drops (0 = a third of the run)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--lr-gamma", options.schedule.gamma, "step schedule: factor at each drop")->check(CLI::Range(0.0, 1.0));
  app.add_option("--momentum", options.sgd.momentum, "SGD momentum")->check(CLI::Range(0.0, 1.0));
  app.add_option("--weight-decay", options.sgd.weight_decay, "L2 weight decay")->check(CLI::NonNegativeNumber);
  augment_flag_ = app.add_flag("--augment,!--no-augment", options.augment, "random crop (pad 4) and flip; default on for CIFAR");
  app.add_option("--checkpoint-every", options.checkpoint_every, "steps between checkpoints (0 = each epoch)")
      ->check(CLI::NonNegativeNumber);
}

TrainOptions TrainFlags::resolved(const std::string& dataset, std::uint64_t seed) const {
  TrainOptions o = options;
  o.seed = seed;
  if (augment_flag_ == nullptr || augment_flag_->count() == 0) o.augment = dataset.rfind("cifar", 0) == 0;
  return o;
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
  return m.spec() + ": " + std::to_string(m.param_count()) + " parameters, " +
         std::to_string(m.nonzero_param_count()) + " nonzero";
}

}  // namespace nnc::cli
