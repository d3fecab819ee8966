// Small-World pruning (docs/design.md section 8): the per-layer Watts-Strogatz construction of a
// sparse connection mask, its application to a model, magnitude pruning at theta times the
// std of a layer's surviving weights, and the baseline: unstructured magnitude pruning of a
// dense model to a parameter count.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "nnc/nn/model.hpp"
#include "nnc/nn/rng.hpp"

namespace nnc {

// Connections between the n_in input units and n_out output units of one layer (neurons of
// a dense layer, channels of a conv layer). keep[o * n_in + i] = 1 when output o is tied to
// input i.
struct UnitMask {
  int n_in = 0, n_out = 0;
  std::vector<std::uint8_t> keep;
  bool at(int o, int i) const { return keep[static_cast<std::size_t>(o) * n_in + i] != 0; }
  std::size_t edges() const;
  int in_degree(int o) const;  // inputs tied to output o
};

// K, the inputs per output of the lattice, for a density in (0, 1]: round(density * n_in),
// at least 1 and at most n_in.
int lattice_k(int n_in, double density);

// The K inputs nearest output o on the ring, in the order the lattice lists them (nearest
// first). Inputs sit at (i + 0.5) / n_in and outputs at (o + 0.5) / n_out of the ring, so the
// positions of a layer's outputs line up with those of the next layer's inputs.
std::vector<int> ring_neighbors(int n_in, int n_out, int o, int k);

// Watts-Strogatz on a bipartite layer: the ring lattice of K nearest inputs per output, then
// each edge, visited output by output in lattice order, moves its input end with probability
// p to an input drawn uniformly among those the output is not yet tied to. The edge count is
// kept and no edge is duplicated. Requires 1 <= k <= n_in, 0 <= p <= 1.
UnitMask smallworld_mask(int n_in, int n_out, int k, double p, Rng& rng);

// The unit sizes of a conv or dense layer: in and out channels of a conv layer, input and
// output neurons of a dense one.
std::pair<int, int> layer_units(const Layer& layer);

// nnc-swprune's default --density: for the lenet5 preset, Table I's lattice (docs/algorithms.md
// "Small-World pruning"): conv layers and fc2 dense, fc1 K = 8 of its 800 inputs (21 of the
// dense layout's 37 tiles); 0.1 for every conv and dense layer of any other network.
std::vector<double> default_density(const std::string& arch);

struct SmallWorldOptions {
  double p = 0.0001;             // rewiring probability
  std::vector<double> density;   // one value for every mapped layer, or one per mapped layer
  std::uint64_t seed = 1;        // layer l draws from Rng(seed, {stream::kSmallWorld, l})
};

// Builds a Small-World mask for every conv and dense layer of the model, expands it to the
// weights (a conv pair keeps or drops its whole kernel), stores it in Param::mask, zeroes
// the masked weights and scales the kept ones by sqrt(n_in / K) (initial values sized for the
// sparse fan-in). A density of 1 leaves a layer dense (no mask). Returns the unit masks.
// Throws Error when the number of densities does not fit or a density is outside (0, 1].
std::vector<UnitMask> apply_smallworld(Model& model, const SmallWorldOptions& options);

// The unit mask a model's weights imply: a unit pair is tied when any weight between them
// (its whole kernel for conv) is nonzero. Layer must be conv or dense.
UnitMask unit_mask_of(const Layer& layer);

enum class PruneGranularity { weight, kernel };

// Standard deviation (about the mean) of a layer's surviving weights: those the mask keeps,
// or all weights when there is no mask. 0 if none survive.
double surviving_std(const Param& weight);

// Magnitude pruning at theta: in every conv and dense layer, weights with |w| below theta
// times the std of the layer's surviving weights are masked and zeroed (with kernel
// granularity, a conv kernel whose RMS is below it goes whole; dense layers always prune by
// weight). Creates masks where there were none. Returns the weights newly pruned.
std::size_t prune_by_theta(Model& model, double theta, PruneGranularity granularity);

// The baseline: unstructured magnitude pruning of a (dense) model to at most target_params
// parameters as Model::nonzero_param_count counts them. Global: one |w| threshold over all
// conv and dense weights; per-layer: the same fraction of each layer's weights kept. The
// largest number of weights that fits is kept. Masks the pruned weights. Returns the
// parameter count reached. Throws Error if even zero weights would exceed the target.
enum class MagnitudeScope { global, layer };
std::size_t magnitude_prune_to(Model& model, std::size_t target_params, MagnitudeScope scope);

}  // namespace nnc
