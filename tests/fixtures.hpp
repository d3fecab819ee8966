// In-memory fixtures shared by the unit tests.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>

#include "nnc/data/dataset.hpp"
#include "nnc/device/chip.hpp"
#include "nnc/io/artifact.hpp"
#include "nnc/io/chip.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/gemm_bf16.hpp"
#include "nnc/nn/model.hpp"
#include "nnc/nn/rng.hpp"
#include "nnc/train/train.hpp"

namespace nnc::test {

// How far out (the logits of m.infer on all of x in one call) lies from m.infer on slices of
// `slice` samples (below the pipeline size: forward() layer by layer): the largest absolute
// difference, and the largest absolute reference value to scale it by.
struct Deviation {
  double worst = 0, largest = 0;
};
inline Deviation deviation_from_slices(Model& m, const Tensor& x, const Tensor& out, int slice) {
  Deviation d;
  for (int b = 0; b < x.n(); b += slice) {
    Tensor xs(slice, x.shape()), ys;
    std::copy_n(x.sample(b), x.sample_size() * static_cast<std::size_t>(slice), xs.data());
    m.infer(xs, ys);
    for (int s = 0; s < slice; ++s) {
      for (std::size_t k = 0; k < ys.sample_size(); ++k) {
        const double ref = ys.sample(s)[k], got = out.sample(b + s)[k];
        d.worst = std::max(d.worst, std::fabs(got - ref));
        d.largest = std::max(d.largest, std::fabs(ref));
      }
    }
  }
  return d;
}

// A model of `spec` initialized from `seed`.
inline Model make_model(const std::string& spec, Shape in, int classes, std::uint64_t seed = 3) {
  Model m(spec, in, classes);
  m.init(seed);
  return m;
}

// A chip file's content: `chip` written from model `m` by a tool named "test".
inline ChipArtifact chip_artifact(const Model& m, const ChipState& chip) {
  ChipArtifact a;
  a.model.model = m;
  a.chip = chip;
  a.creator = "test";
  a.provenance.tool = "test";
  a.provenance.seed = chip.seed;
  return a;
}

// n images of `shape` in `classes` classes: each class a bright bar at its own place plus noise,
// learnable in a few steps.
inline Dataset bars_dataset(std::size_t n, Shape shape = {1, 12, 12}, int classes = 4, std::uint64_t seed = 7) {
  Dataset d;
  d.name = "mnist";
  d.shape = shape;
  d.classes = classes;
  Rng rng(seed);
  for (std::size_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(rng.below(static_cast<std::uint64_t>(classes)));
    d.labels.push_back(static_cast<std::uint8_t>(label));
    for (int c = 0; c < shape.c; ++c)
      for (int y = 0; y < shape.h; ++y)
        for (int x = 0; x < shape.w; ++x) {
          const bool bar = y * classes / shape.h == label;
          d.pixels.push_back(static_cast<std::uint8_t>(rng.below(80) + (bar ? 150 : 0)));
        }
  }
  return d;
}

// A tensor of n samples with values uniform in [lo, hi).
inline Tensor random_tensor(int n, Shape s, std::uint64_t seed, double lo = -1, double hi = 1) {
  Tensor t(n, s);
  Rng rng(seed);
  for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<Real>(lo + (hi - lo) * rng.uniform());
  return t;
}

// Training options for the tiny fixtures: batch 16, the given epochs, lr and seed.
inline TrainOptions small_train_options(int epochs, double lr = 0.05, std::uint64_t seed = 1) {
  TrainOptions o;
  o.epochs = epochs;
  o.batch = 16;
  o.schedule.lr = lr;
  o.seed = seed;
  return o;
}

// A model of `spec` initialized with `seed` and trained `epochs` epochs on `tr` (batch 16,
// lr 0.05; `val` may be empty), for tests that need a trained network.
// Trains m from st with `opt` until `stop_after` steps have run, then stops it as a signal would;
// returns its last checkpoint as the HDF5 encoder writes it (model, history, position).
inline Bytes train_until_stopped(Model& m, const Dataset& tr, const Dataset& val, const TrainOptions& opt,
                                 TrainState& st, int stop_after) {
  int steps = 0;
  Bytes checkpoint;
  TrainHooks hooks;
  hooks.should_stop = [&] { return steps++ == stop_after; };
  hooks.checkpoint = [&](const Model& model, const TrainState& s) {
    ModelArtifact a;
    a.model = model;
    a.history = s.history;
    a.checkpoint = s;
    checkpoint = encode_model(a);
  };
  train(m, tr, val, opt, st, hooks);
  return checkpoint;
}

inline Model trained_model(const char* spec, const Dataset& tr, const Dataset& val, std::uint64_t seed, int epochs) {
  Model m(spec, tr.shape, tr.classes);
  m.init(seed);
  const TrainOptions o = small_train_options(epochs);
  TrainState st;
  train(m, tr, val, o, st);
  return m;
}

// The message of the nnc::Error that f throws ("" if it throws none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// The 3x3 convolutions' products (nn/gemm_bf16.hpp) in bf16 or float while in scope. Float for
// a test of arithmetic that differs from its reference by rounding only: bf16 products'
// rounding is tested in test_winograd.cpp.
class ProductsMode {
 public:
  explicit ProductsMode(bool bf16) { set_bf16_products(bf16); }
  ~ProductsMode() { set_bf16_products(was_); }
  ProductsMode(const ProductsMode&) = delete;
  ProductsMode& operator=(const ProductsMode&) = delete;

 private:
  bool was_ = bf16_products();
};

}  // namespace nnc::test
