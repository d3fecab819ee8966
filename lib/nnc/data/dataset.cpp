// Dataset names, where their files are, and the validation split.
#include "nnc/data/dataset.hpp"

#include <cstdlib>
#include <filesystem>

#include "nnc/nn/error.hpp"

namespace fs = std::filesystem;

namespace nnc {
namespace {

// The official archives' folder names (docs/design.md section 5).
std::string folder_of(const std::string& name) {
  if (name == "mnist") return "mnist";
  if (name == "fashion-mnist") return "fashion-mnist";
  if (name == "cifar10") return "cifar-10-batches-bin";
  if (name == "cifar100") return "cifar-100-binary";
  throw Error("unknown dataset '" + name + "', expected mnist, fashion-mnist, cifar10 or cifar100",
              ErrorKind::bad_input);
}

// The official IDX names, unpacked or as downloaded (.gz); the error names the plain one.
std::string idx_file(const std::string& dir, const std::string& base) {
  const fs::path plain = fs::path(dir) / base;
  std::error_code ec;
  if (fs::exists(plain, ec)) return plain.string();
  fs::path gz = plain;
  gz += ".gz";
  if (fs::exists(gz, ec)) return gz.string();
  throw bad_input(plain.string(), "no such file (nor " + gz.filename().string() + ")");
}

}  // namespace

Dataset Dataset::slice(std::size_t begin, std::size_t end) const {
  if (begin > end || end > size()) {
    throw Error("Dataset::slice: [" + std::to_string(begin) + ", " + std::to_string(end) +
                ") is outside the " + std::to_string(size()) + " images of " + name);
  }
  Dataset out;
  out.name = name;
  out.shape = shape;
  out.classes = classes;
  out.mean = mean;
  out.std = std;
  const std::size_t s = shape.size();
  out.pixels.assign(pixels.begin() + static_cast<std::ptrdiff_t>(begin * s),
                    pixels.begin() + static_cast<std::ptrdiff_t>(end * s));
  out.labels.assign(labels.begin() + static_cast<std::ptrdiff_t>(begin),
                    labels.begin() + static_cast<std::ptrdiff_t>(end));
  return out;
}

bool is_dataset_name(const std::string& name) {
  return name == "mnist" || name == "fashion-mnist" || name == "cifar10" || name == "cifar100";
}

void require_file(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) throw bad_input(path, "no such file");
  if (fs::is_directory(st)) throw bad_input(path, "is a directory, expected a file");
  if (!fs::is_regular_file(st)) throw bad_input(path, "is not a regular file");
}

std::string resolve_data_dir(const std::string& name, const std::string& data_dir) {
  const std::string folder = folder_of(name);
  std::error_code ec;
  if (!data_dir.empty()) {
    if (!fs::is_directory(data_dir, ec)) throw bad_input(data_dir, "no such directory");
    return data_dir;
  }
  std::vector<std::string> tried;
  if (const char* env = std::getenv("NNC_DATASETS"); env && *env) {
    tried.push_back((fs::path(env) / folder).string());
  }
  tried.push_back((fs::path("data") / folder).string());
  if (name == "fashion-mnist") tried.push_back("/usr/share/datasets/fashion-mnist");
  for (const auto& dir : tried) {
    if (fs::is_directory(dir, ec)) return dir;
  }
  std::string list;
  for (const auto& dir : tried) list += (list.empty() ? "" : ", ") + dir;
  throw Error("dataset " + name + " not found: tried " + list + "; run data/fetch.sh", ErrorKind::bad_input);
}

Dataset load_dataset(const std::string& name, Split split, const std::string& data_dir) {
  const std::string dir = resolve_data_dir(name, data_dir);
  const bool train = split == Split::train;
  if (name == "mnist" || name == "fashion-mnist") {
    const std::string prefix = train ? "train" : "t10k";
    const std::string images = idx_file(dir, prefix + "-images-idx3-ubyte");
    const std::string labels = idx_file(dir, prefix + "-labels-idx1-ubyte");
    Dataset ds = load_idx(images, labels);
    ds.name = name;
    return ds;  // MNIST and Fashion keep mean 0, std 1: x = pixel / 255
  }
  const bool cifar100 = name == "cifar100";
  std::vector<std::string> files;
  if (cifar100) {
    files.push_back((fs::path(dir) / (train ? "train.bin" : "test.bin")).string());
  } else if (train) {
    for (int b = 1; b <= 5; ++b) {
      files.push_back((fs::path(dir) / ("data_batch_" + std::to_string(b) + ".bin")).string());
    }
  } else {
    files.push_back((fs::path(dir) / "test_batch.bin").string());
  }
  return load_cifar(files, cifar100);
}

std::pair<Dataset, Dataset> split_validation(const Dataset& train, std::size_t validation) {
  if (validation >= train.size()) {
    throw Error("a validation split of " + std::to_string(validation) + " images leaves no " +
                    "training images out of the " + std::to_string(train.size()) + " of " +
                    train.name,
                ErrorKind::bad_input);
  }
  const std::size_t cut = train.size() - validation;
  return {train.slice(0, cut), train.slice(cut, train.size())};
}

}  // namespace nnc
