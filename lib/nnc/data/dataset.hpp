// Datasets: MNIST and Fashion-MNIST (IDX, plain or gzip) and CIFAR-10/100 (binary), held as
// bytes and turned into normalized float batches on demand, with CIFAR augmentation.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nnc/nn/tensor.hpp"

namespace nnc {

struct Dataset {
  std::string name;                   // "mnist", "fashion-mnist", "cifar10", "cifar100"
  Shape shape;                        // of one image: 1x28x28 or 3x32x32
  int classes = 10;
  std::vector<std::uint8_t> pixels;   // size() * shape.size() bytes, [C][H][W] per image
  std::vector<std::uint8_t> labels;   // one per image, < classes
  std::array<float, 3> mean{0, 0, 0}; // per channel, in [0,1] pixel units
  std::array<float, 3> std{1, 1, 1};  // x = (pixel/255 - mean[c]) / std[c]

  std::size_t size() const { return labels.size(); }
  // Images [begin, end) as a dataset of their own (same normalization).
  Dataset slice(std::size_t begin, std::size_t end) const;
};

enum class Split { train, test };

// The dataset names nnc knows: mnist, fashion-mnist, cifar10, cifar100.
bool is_dataset_name(const std::string& name);

// Where a dataset's files are: `data_dir` if not empty, else $NNC_DATASETS/<dir>, else
// data/<dir>, and for fashion-mnist last /usr/share/datasets/fashion-mnist. <dir> is mnist,
// fashion-mnist, cifar-10-batches-bin or cifar-100-binary. Throws naming the places tried.
std::string resolve_data_dir(const std::string& name, const std::string& data_dir);

// Loads a split of a named dataset from resolve_data_dir(name, data_dir).
Dataset load_dataset(const std::string& name, Split split, const std::string& data_dir = "");

// Throws bad_input naming `path` unless it is a regular file (missing, a directory, ...).
void require_file(const std::string& path);

// IDX image and label files (each plain or gzip, told by content, not by name).
Dataset load_idx(const std::string& images_path, const std::string& labels_path);

// CIFAR binary batches: records of label byte(s) then 3072 pixel bytes. CIFAR-100 records
// carry a coarse and a fine label byte; the fine label (100 classes) is used.
Dataset load_cifar(const std::vector<std::string>& files, bool cifar100);

// The held-out validation split: the last `validation` images of `train` (docs/design.md section 5).
// Returns {training part, validation part}.
std::pair<Dataset, Dataset> split_validation(const Dataset& train, std::size_t validation);

// CIFAR augmentation for one epoch: image i of epoch e draws from
// Rng(seed, {stream::kAugment, e, i}): its crop, its flip, then (only if cutout > 0) the
// centre of its cutout square, so cutout 0 leaves every other draw as it was.
struct Augment {
  std::uint64_t seed = 0;
  std::uint64_t epoch = 0;
  int pad = 4;       // random crop with this zero padding
  bool flip = true;  // random horizontal flip
  int cutout = 0;    // Cutout (DeVries & Taylor 2017): a cutout x cutout square centred on a
                     // uniform pixel, clipped at the border, set to 0 after normalization
                     // (the dataset mean) on every channel; 0 = none
};

// Fills x (n samples) and labels with images idx[0..n) of ds, normalized, optionally augmented.
void fill_batch(const Dataset& ds, const std::size_t* idx, int n, Tensor& x, int* labels,
                const Augment* augment = nullptr);

}  // namespace nnc
