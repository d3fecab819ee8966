// Tensor: a batch of samples, the one batch layout every layer follows.
//
// A batch is n samples stored one after another; each sample is [C][H][W] row-major
// (a dense layer's activations have h = w = 1). Seen as an Eigen matrix, a batch is
// column-major (c*h*w) x n: one column per sample. Storage only grows, so a training loop
// that reuses its tensors does not allocate after the first batch.
#pragma once
#include <Eigen/Core>
#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace nnc {

using Real = float;
using Matrix = Eigen::Matrix<Real, Eigen::Dynamic, Eigen::Dynamic>;  // column-major
using Vector = Eigen::Matrix<Real, Eigen::Dynamic, 1>;
using MatrixMap = Eigen::Map<Matrix>;
using ConstMatrixMap = Eigen::Map<const Matrix>;
using VectorMap = Eigen::Map<Vector>;
using ConstVectorMap = Eigen::Map<const Vector>;

// Shape of one sample.
struct Shape {
  int c = 0, h = 1, w = 1;
  std::size_t size() const { return static_cast<std::size_t>(c) * h * w; }
  bool operator==(const Shape&) const = default;
  std::string str() const {
    return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
  }
};

class Tensor {
 public:
  Tensor() = default;
  Tensor(int n, Shape s) { resize(n, s); }

  void resize(int n, Shape s) {
    n_ = n;
    shape_ = s;
    const std::size_t total = static_cast<std::size_t>(n) * s.size();
    if (data_.size() < total) data_.resize(total);
  }
  void set_zero() { std::fill(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(size()), Real(0)); }

  int n() const { return n_; }
  const Shape& shape() const { return shape_; }
  std::size_t sample_size() const { return shape_.size(); }
  std::size_t size() const { return static_cast<std::size_t>(n_) * shape_.size(); }

  Real* data() { return data_.data(); }
  const Real* data() const { return data_.data(); }
  Real* sample(int i) { return data_.data() + static_cast<std::size_t>(i) * sample_size(); }
  const Real* sample(int i) const { return data_.data() + static_cast<std::size_t>(i) * sample_size(); }

  // (c*h*w) x n, one column per sample.
  MatrixMap mat() { return MatrixMap(data(), static_cast<Eigen::Index>(sample_size()), n_); }
  ConstMatrixMap mat() const {
    return ConstMatrixMap(data(), static_cast<Eigen::Index>(sample_size()), n_);
  }

 private:
  int n_ = 0;
  Shape shape_;
  std::vector<Real> data_;
};

}  // namespace nnc
