#include "nnc/algo/smallworld.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "nnc/nn/error.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/stats.hpp"
#include "nnc/nn/streams.hpp"

namespace nnc {

std::size_t UnitMask::edges() const {
  return static_cast<std::size_t>(std::count(keep.begin(), keep.end(), std::uint8_t(1)));
}

int UnitMask::in_degree(int o) const {
  const auto* row = keep.data() + static_cast<std::size_t>(o) * n_in;
  return static_cast<int>(std::count(row, row + n_in, std::uint8_t(1)));
}

int lattice_k(int n_in, double density) {
  if (!(density > 0 && density <= 1)) {
    throw Error("density " + std::to_string(density) + " is outside (0, 1]");
  }
  const long k = std::lround(density * n_in);
  return static_cast<int>(std::clamp<long>(k, 1, n_in));
}

std::vector<int> ring_neighbors(int n_in, int n_out, int o, int k) {
  // Output o's position in input-index coordinates; the window of k consecutive inputs
  // centred on it holds the k nearest inputs on the ring (ties go to the lower index).
  const double centre = (o + 0.5) * n_in / n_out - 0.5;
  const long start = static_cast<long>(std::floor(centre - (k - 1) / 2.0 + 0.5));
  std::vector<int> out(static_cast<std::size_t>(k));
  for (int j = 0; j < k; ++j) {
    out[static_cast<std::size_t>(j)] = static_cast<int>(((start + j) % n_in + n_in) % n_in);
  }
  return out;
}

UnitMask smallworld_mask(int n_in, int n_out, int k, double p, Rng& rng) {
  if (n_in < 1 || n_out < 1 || k < 1 || k > n_in || !(p >= 0 && p <= 1)) {
    throw Error("smallworld_mask: need n_in, n_out >= 1, 1 <= K <= n_in and 0 <= p <= 1 (got n_in " +
                std::to_string(n_in) + ", n_out " + std::to_string(n_out) + ", K " + std::to_string(k) +
                ", p " + std::to_string(p) + ")");
  }
  UnitMask m;
  m.n_in = n_in;
  m.n_out = n_out;
  m.keep.assign(static_cast<std::size_t>(n_in) * n_out, 0);
  for (int o = 0; o < n_out; ++o) {
    std::uint8_t* tied = m.keep.data() + static_cast<std::size_t>(o) * n_in;
    const std::vector<int> lattice = ring_neighbors(n_in, n_out, o, k);
    for (int i : lattice) tied[i] = 1;
    int free = n_in - k;
    for (int i : lattice) {
      // One Bernoulli draw per edge whatever happens, so the stream stays aligned.
      if (!rng.bernoulli(p) || free == 0) continue;
      // The r-th input o is not tied to; the old end is still tied, so it cannot be drawn.
      auto r = static_cast<long>(rng.below(static_cast<std::uint64_t>(free)));
      int target = -1;
      for (int c = 0; c < n_in; ++c) {
        if (!tied[c] && r-- == 0) {
          target = c;
          break;
        }
      }
      tied[i] = 0;
      tied[target] = 1;
    }
  }
  return m;
}

std::pair<int, int> layer_units(const Layer& l) {
  if (!l.is_mapped()) throw Error("layer " + l.spec() + " is neither conv nor dense");
  return {l.input_units(), l.width()};
}

namespace {

// The weight of a mapped layer (callers pass mapped layers only).
template <class L>
auto& weight_of(L& l) { return *l.weight_param(); }

// Weights per (output, input) unit pair: kh*kw for conv, 1 for dense.
int weights_per_pair(const Layer& l) {
  const auto [in, out] = layer_units(l);
  return static_cast<int>(weight_of(l).size() / (static_cast<std::size_t>(in) * out));
}

std::vector<Layer*> mapped_layers(Model& m) {
  std::vector<Layer*> out;
  for (auto& l : m.layers())
    if (l->is_mapped()) out.push_back(l.get());
  return out;
}

}  // namespace

std::vector<UnitMask> apply_smallworld(Model& model, const SmallWorldOptions& options) {
  model.require_chain("the Small-World lattice");
  auto layers = mapped_layers(model);
  if (options.density.size() != 1 && options.density.size() != layers.size()) {
    throw Error("density list has " + std::to_string(options.density.size()) + " values for " +
                    std::to_string(layers.size()) + " conv and dense layers (give one value or one per layer)",
                ErrorKind::runtime);
  }
  std::vector<UnitMask> masks;
  for (std::size_t j = 0; j < layers.size(); ++j) {
    Layer& l = *layers[j];
    const double d = options.density.size() == 1 ? options.density[0] : options.density[j];
    const auto [n_in, n_out] = layer_units(l);
    const int k = lattice_k(n_in, d);
    Rng rng(options.seed, {stream::kSmallWorld, static_cast<std::uint64_t>(j)});
    UnitMask um = smallworld_mask(n_in, n_out, k, options.p, rng);
    Param& w = weight_of(l);
    if (d == 1) {
      w.mask.clear();
    } else {
      const int per = weights_per_pair(l);
      w.mask.assign(w.size(), 0);
      for (std::size_t pair = 0; pair < um.keep.size(); ++pair) {
        if (um.keep[pair]) std::fill_n(w.mask.begin() + static_cast<std::ptrdiff_t>(pair * per), per, std::uint8_t(1));
      }
      w.apply_mask();
      // The initializer scaled the weights for the dense fan-in; the kept ones are rescaled
      // to the sparse fan-in (K pairs instead of n_in), so activations keep their size.
      w.value *= static_cast<Real>(std::sqrt(static_cast<double>(n_in) / k));
    }
    masks.push_back(std::move(um));
  }
  return masks;
}

UnitMask unit_mask_of(const Layer& l) {
  const auto [n_in, n_out] = layer_units(l);
  const int per = weights_per_pair(l);
  const Param& w = weight_of(l);
  UnitMask m;
  m.n_in = n_in;
  m.n_out = n_out;
  m.keep.assign(static_cast<std::size_t>(n_in) * n_out, 0);
  for (std::size_t pair = 0; pair < m.keep.size(); ++pair) {
    for (int t = 0; t < per; ++t) {
      if (w.value[static_cast<Eigen::Index>(pair * per + t)] != 0) {
        m.keep[pair] = 1;
        break;
      }
    }
  }
  return m;
}

double surviving_std(const Param& w) {
  double sum = 0, sq = 0;
  std::size_t n = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (w.has_mask() && !w.mask[i]) continue;
    const double v = w.value[static_cast<Eigen::Index>(i)];
    sum += v;
    sq += v * v;
    ++n;
  }
  if (n == 0) return 0;
  const double mean = sum / static_cast<double>(n);
  return std::sqrt(std::max(0.0, sq / static_cast<double>(n) - mean * mean));
}

std::size_t prune_by_theta(Model& model, double theta, PruneGranularity granularity) {
  if (!(theta >= 0)) throw Error("theta must be >= 0, got " + std::to_string(theta));
  std::size_t pruned = 0;
  for (Layer* l : mapped_layers(model)) {
    Param& w = weight_of(*l);
    const double threshold = theta * surviving_std(w);
    if (!w.has_mask()) w.mask.assign(w.size(), 1);
    const int per = granularity == PruneGranularity::kernel ? weights_per_pair(*l) : 1;  // 1 for dense
    for (std::size_t g = 0; g < w.size() / static_cast<std::size_t>(per); ++g) {
      double sq = 0;
      bool alive = false;
      for (int t = 0; t < per; ++t) {
        const std::size_t i = g * per + t;
        alive |= w.mask[i] != 0;
        const double v = w.value[static_cast<Eigen::Index>(i)];
        sq += v * v;
      }
      if (!alive || std::sqrt(sq / per) >= threshold) continue;
      for (int t = 0; t < per; ++t) {
        const std::size_t i = g * per + t;
        pruned += w.mask[i];
        w.mask[i] = 0;
      }
    }
    w.apply_mask();
  }
  return pruned;
}

namespace {

// Parameters of a model if only the weights flagged in `kept` (per mapped layer) survive,
// counted as Model::nonzero_param_count does.
std::size_t count_with(const Model& model, const std::vector<std::vector<std::uint8_t>>& kept) {
  std::size_t n = 0, j = 0;
  for (const auto& l : model.layers()) {
    const auto ps = std::as_const(*l).params();
    if (!l->is_mapped()) {
      for (const Param* p : ps)
        if (p->trainable) n += p->size();
      continue;
    }
    const auto& k = kept[j++];
    const std::size_t outs = static_cast<std::size_t>(ps[0]->shape[0]);
    const std::size_t per_out = ps[0]->size() / outs;
    for (std::size_t o = 0; o < outs; ++o) {
      std::size_t nz = 0;
      for (std::size_t i = 0; i < per_out; ++i) nz += k[o * per_out + i];
      n += nz + (ps.size() > 1 ? 1 : 0);
    }
  }
  return n;
}

}  // namespace

std::vector<double> default_density(const std::string& arch) {
  if (arch == "lenet5") return {1, 1, 0.01, 1};
  return {0.1};
}

std::size_t magnitude_prune_to(Model& model, std::size_t target_params, MagnitudeScope scope) {
  auto layers = mapped_layers(model);
  // Candidates: the nonzero weights the masks keep, largest |w| first (ties by position).
  struct Entry {
    float mag;
    std::uint32_t layer;
    std::uint32_t index;
  };
  std::vector<std::vector<Entry>> per_layer(layers.size());
  std::vector<std::vector<std::uint8_t>> kept(layers.size());
  for (std::size_t j = 0; j < layers.size(); ++j) {
    const Param& w = weight_of(*layers[j]);
    kept[j].assign(w.size(), 0);
    for (std::size_t i = 0; i < w.size(); ++i) {
      const float v = w.value[static_cast<Eigen::Index>(i)];
      if (v != 0 && (!w.has_mask() || w.mask[i])) {
        per_layer[j].push_back({std::fabs(v), static_cast<std::uint32_t>(j), static_cast<std::uint32_t>(i)});
      }
    }
  }
  const auto by_magnitude = [](const Entry& a, const Entry& b) {
    if (a.mag != b.mag) return a.mag > b.mag;
    if (a.layer != b.layer) return a.layer < b.layer;
    return a.index < b.index;
  };
  if (count_with(model, kept) > target_params) {
    throw Error("target of " + std::to_string(target_params) + " parameters is below the " +
                std::to_string(count_with(model, kept)) + " that are not weights (no pruning reaches it)");
  }
  // keep(x): the selection for a knob x in [0, steps]; the count grows with x, so the
  // largest x that fits is found by bisection.
  std::vector<Entry> all;
  std::size_t steps = 0;
  if (scope == MagnitudeScope::global) {
    for (auto& v : per_layer) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end(), by_magnitude);
    steps = all.size();
  } else {
    for (auto& v : per_layer) std::sort(v.begin(), v.end(), by_magnitude);
    steps = 1u << 20;  // the kept fraction in steps of 2^-20
  }
  const auto select = [&](std::size_t x) {
    for (auto& k : kept) std::fill(k.begin(), k.end(), std::uint8_t(0));
    if (scope == MagnitudeScope::global) {
      for (std::size_t e = 0; e < x; ++e) kept[all[e].layer][all[e].index] = 1;
    } else {
      for (std::size_t j = 0; j < per_layer.size(); ++j) {
        const auto n = static_cast<std::size_t>(
            std::llround(static_cast<double>(x) / static_cast<double>(steps) * static_cast<double>(per_layer[j].size())));
        for (std::size_t e = 0; e < n; ++e) kept[j][per_layer[j][e].index] = 1;
      }
    }
  };
  std::size_t lo = 0, hi = steps;  // count(lo) fits; find the largest that does
  select(hi);
  if (count_with(model, kept) <= target_params) {
    lo = hi;
  } else {
    while (hi - lo > 1) {
      const std::size_t mid = lo + (hi - lo) / 2;
      select(mid);
      (count_with(model, kept) <= target_params ? lo : hi) = mid;
    }
  }
  select(lo);
  for (std::size_t j = 0; j < layers.size(); ++j) {
    Param& w = weight_of(*layers[j]);
    w.mask = kept[j];
    w.apply_mask();
  }
  return model.nonzero_param_count();
}

}  // namespace nnc
