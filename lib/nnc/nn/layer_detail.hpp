// What the layer files (layers.cpp, conv2d.cpp) share: weight initialization, scratch sizing
// and the partial-sum readout's product loop. Not part of the interface.
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "nnc/nn/layer.hpp"
#include "nnc/nn/readout.hpp"

namespace nnc::layer_detail {

// Kaiming-uniform: U(-b, b) with b = sqrt(6 / fan_in), written here so draws are portable.
void init_uniform(Vector& v, double fan_in, Rng& rng);

template <class T>
void ensure_size(std::vector<T>& v, std::size_t n) {
  if (v.size() < n) v.resize(n);
}

// What one forward pass through a readout needs besides the layer: the weights read out and
// the digital remainder (weight - analog; empty when there is none).
struct ReadoutProduct {
  const Real* analog = nullptr;
  Vector digital;
};

// The weights read through the readout (analog) and the rest (digital: empty when none).
ReadoutProduct readout_weights(const PartialSumReadout& r, const Vector& weight, const std::string& layer);

// Checks the readout against the layer and starts its pass (PartialSumReadout::begin_pass).
ReadoutProduct begin_readout(PartialSumReadout& r, const Vector& weight, int rows, int samples,
                             const ForwardContext& ctx, const std::string& layer);

// acc = sum over row blocks b of T_b(block b's partial sums), in block order, T_b the readout's
// transform (PartialSumReadout::accumulate); product(r0, rb, part, at) writes the partial sums of rows [r0, r0 + rb) into part
// and points at's inputs at those rows' inputs.
// `at` says which chunk and samples the sums belong to (its block is set here).
template <class Product>
void readout_blocks(PartialSumReadout& r, int rows, ReadoutBlock at, Matrix& acc, Matrix& part, Product product) {
  const int B = r.blocks(rows);
  for (int b = 0; b < B; ++b) {
    const int r0 = b * r.block_rows, rb = std::min(r.block_rows, rows - r0);
    at.block = b;
    product(r0, rb, part, at);
    r.accumulate(part, at, acc, b == 0);
  }
}

// n values summed in kLanes float lanes, which the compiler keeps in vector registers (a single
// accumulator is a chain of dependent adds that does not vectorize), then the lanes added in
// order in Sum: the order depends only on n, never on alignment or threads.
constexpr int kLanes = 16;

template <class Sum = double, class Term>
Sum lane_sum(int n, Term term) {
  Real acc[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) acc[j] += term(i + j);
  }
  Sum sum = 0;
  for (int j = 0; j < kLanes; ++j) sum += acc[j];
  for (; i < n; ++i) sum += term(i);
  return sum;
}

}  // namespace nnc::layer_detail
