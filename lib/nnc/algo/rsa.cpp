#include "nnc/algo/rsa.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "nnc/device/chip.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/loss.hpp"
#include "nnc/nn/optimizer.hpp"
#include "nnc/nn/stats.hpp"
#include "nnc/train/stepper.hpp"
#include "nnc/train/train.hpp"
#include "nnc/nn/streams.hpp"

namespace nnc {


namespace {

void check_tile(int r, int c, std::size_t n) {
  if (r < 1 || c < 1 || n > static_cast<std::size_t>(r) * static_cast<std::size_t>(c)) {
    throw Error("RSA tile " + std::to_string(r) + "x" + std::to_string(c) + " cannot hold " +
                std::to_string(n) + " cells");
  }
}

void sort_cells(std::vector<RsaCell>& cells) {
  std::sort(cells.begin(), cells.end(),
            [](const RsaCell& a, const RsaCell& b) { return a.col != b.col ? a.col < b.col : a.row < b.row; });
}

// Switches per cell of the degree-preserving randomization: enough to forget the band
// structure of the starting pattern (each cell is picked about 2 * kSwitchesPerCell times).
constexpr std::size_t kSwitchesPerCell = 10;

// The weight of a mapped layer (Param& or const Param&); throws for any other layer.
template <class L>
auto& weight_of(L& l) {
  auto* w = l.weight_param();
  if (!w) throw Error("layer " + l.spec() + " is not a conv or dense layer, so it has no RSA cells");
  return *w;
}

template <class M>
auto& layer_at(M& m, int index) {
  if (index < 0 || static_cast<std::size_t>(index) >= m.layers().size()) {
    throw Error("RSA layer index " + std::to_string(index) + " outside the model's " +
                std::to_string(m.layers().size()) + " layers");
  }
  return *m.layers()[static_cast<std::size_t>(index)];
}

// The RSA layer's weight in m, checked against the selection's matrix size.
template <class M>
auto& rsa_weight(M& m, const RsaLayerCells& cells) {
  auto& w = weight_of(layer_at(m, cells.layer));
  if (w.size() != static_cast<std::size_t>(cells.rows) * static_cast<std::size_t>(cells.cols)) {
    throw Error("RSA cells of layer " + std::to_string(cells.layer) + " are for a " + std::to_string(cells.rows) +
                "x" + std::to_string(cells.cols) + " matrix, the model's weight has " + std::to_string(w.size()) +
                " values");
  }
  return w;
}

Real quantize(double v, double step, int bits) {
  if (bits <= 0) return static_cast<Real>(v);
  const double qmax = std::ldexp(1.0, bits - 1) - 1;
  const double q = std::clamp(std::round(v / step), -qmax, qmax);
  return static_cast<Real>(q * step);
}

void check_state(const RsaState& s) {
  if (s.values.size() != s.selection.layers.size()) {
    throw Error("RSA state holds values for " + std::to_string(s.values.size()) + " layers, its selection " +
                std::to_string(s.selection.layers.size()));
  }
  for (std::size_t i = 0; i < s.values.size(); ++i) {
    if (s.values[i].value.size() != s.selection.layers[i].index.size()) {
      throw Error("RSA layer " + std::to_string(s.selection.layers[i].layer) + ": " +
                  std::to_string(s.values[i].value.size()) + " values for " +
                  std::to_string(s.selection.layers[i].index.size()) + " cells");
    }
  }
}

bool has_readout(const Model& m) {
  for (const auto& l : m.layers()) {
    if (const ReadoutPtr* slot = readout_slot(*l); slot && *slot) return true;
  }
  return false;
}

void freeze_batch_norm(Model& m) {
  for (auto& l : m.layers()) {
    if (auto* bn = dynamic_cast<BatchNorm*>(l.get())) bn->frozen = true;
  }
}

}  // namespace

std::vector<RsaCell> balanced_tile_cells(int r, int c, std::size_t n, Rng& rng) {
  check_tile(r, c, n);
  std::vector<RsaCell> cells;
  if (n == 0) return cells;
  cells.reserve(n);
  // Band pattern: cell k at row k mod r; columns take consecutive runs of k, the first
  // n mod c runs one longer. A run is at most ceil(n/c) <= r long, so its rows are distinct.
  const std::size_t uc = static_cast<std::size_t>(c), ur = static_cast<std::size_t>(r);
  const std::size_t q = n / uc, e = n % uc;
  std::vector<int> row_label(ur), col_label(uc);
  std::iota(row_label.begin(), row_label.end(), 0);
  std::iota(col_label.begin(), col_label.end(), 0);
  shuffle(row_label.begin(), row_label.end(), rng);
  shuffle(col_label.begin(), col_label.end(), rng);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t col = k < e * (q + 1) ? k / (q + 1) : e + (k - e * (q + 1)) / q;
    cells.push_back({row_label[k % ur], col_label[col]});
  }
  // Degree-preserving switches.
  std::vector<std::uint8_t> occupied(ur * uc, 0);
  auto at = [&](int row, int col) -> std::uint8_t& {
    return occupied[static_cast<std::size_t>(row) + static_cast<std::size_t>(col) * ur];
  };
  for (const RsaCell& x : cells) at(x.row, x.col) = 1;
  if (n >= 2) {
    for (std::size_t s = 0; s < kSwitchesPerCell * n; ++s) {
      RsaCell& a = cells[rng.below(n)];
      RsaCell& b = cells[rng.below(n)];
      if (a.row == b.row || a.col == b.col || at(a.row, b.col) || at(b.row, a.col)) continue;
      at(a.row, a.col) = at(b.row, b.col) = 0;
      std::swap(a.col, b.col);
      at(a.row, a.col) = at(b.row, b.col) = 1;
    }
  }
  sort_cells(cells);
  return cells;
}

std::vector<RsaCell> random_tile_cells(int r, int c, std::size_t n, Rng& rng) {
  check_tile(r, c, n);
  const std::size_t total = static_cast<std::size_t>(r) * static_cast<std::size_t>(c);
  std::vector<std::uint8_t> chosen(total, 0);
  // Floyd: for j in [total-n, total), take a uniform t in [0, j]; if taken already, take j.
  for (std::size_t j = total - n; j < total; ++j) {
    const std::size_t t = rng.below(j + 1);
    chosen[chosen[t] ? j : t] = 1;
  }
  std::vector<RsaCell> cells;
  cells.reserve(n);
  for (std::size_t i = 0; i < total; ++i) {
    if (chosen[i]) cells.push_back({static_cast<int>(i % static_cast<std::size_t>(r)), static_cast<int>(i / static_cast<std::size_t>(r))});
  }
  return cells;  // already column-major
}

std::size_t rsa_cells_for(int r, int c, double density) {
  const double cells = static_cast<double>(r) * static_cast<double>(c);
  return static_cast<std::size_t>(std::min(cells, std::max(0.0, std::round(density * cells))));
}


std::vector<std::vector<std::uint8_t>> placed_tiles(const ChipState& chip, const std::vector<int>& layers) {
  std::vector<std::vector<std::uint8_t>> out;
  for (int li : layers) {
    const LayerChip* lc = chip.find(li);
    if (!lc) throw Error("layer " + std::to_string(li) + " is not mapped on the chip, so it has no RSA cells");
    const bool all = std::all_of(lc->tile_used.begin(), lc->tile_used.end(), [](std::uint8_t u) { return u != 0; });
    out.push_back(all ? std::vector<std::uint8_t>{} : lc->tile_used);
  }
  return out;
}

std::vector<int> mapped_layers(const Model& m) {
  std::vector<int> out;
  for (std::size_t i = 0; i < m.layers().size(); ++i) {
    if (m.layers()[i]->is_mapped()) out.push_back(static_cast<int>(i));
  }
  return out;
}

RsaSelection select_rsa(const Model& m, const std::vector<int>& layers, double density, RsaSelectionKind kind,
                        std::uint64_t seed, int tile, const std::vector<std::vector<std::uint8_t>>& tile_used) {
  if (!(density >= 0 && density <= 1)) {
    throw Error("RSA density must be in [0, 1], found " + std::to_string(density), ErrorKind::bad_input);
  }
  if (tile < 1) throw Error("RSA tile must be at least 1, found " + std::to_string(tile), ErrorKind::bad_input);
  if (!tile_used.empty() && tile_used.size() != layers.size()) {
    throw Error("RSA selection: placed tiles given for " + std::to_string(tile_used.size()) + " layers, " +
                std::to_string(layers.size()) + " layers listed");
  }
  RsaSelection sel;
  sel.kind = kind;
  sel.density = density;
  sel.tile = tile;
  sel.seed = seed;
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const int li = layers[k];
    const Layer& l = layer_at(m, li);
    weight_of(l);  // throws for a layer that is not mapped
    const auto W = crossbar_matrix(l);
    RsaLayerCells out;
    out.layer = li;
    out.rows = static_cast<int>(W.rows());
    out.cols = static_cast<int>(W.cols());
    const int tr = (out.rows + tile - 1) / tile, tc = (out.cols + tile - 1) / tile;
    const std::vector<std::uint8_t>* used = tile_used.empty() || tile_used[k].empty() ? nullptr : &tile_used[k];
    if (used && used->size() != static_cast<std::size_t>(tr) * static_cast<std::size_t>(tc)) {
      throw Error("RSA selection: layer " + std::to_string(li) + " has " + std::to_string(used->size()) +
                      " placed-tile flags, its " + std::to_string(out.rows) + "x" + std::to_string(out.cols) +
                      " matrix cut into " + std::to_string(tile) + "x" + std::to_string(tile) + " tiles has " +
                      std::to_string(tr * tc) + " tiles (select with the chip's tile size)");
    }
    for (int a = 0; a < tr; ++a) {
      for (int b = 0; b < tc; ++b) {
        if (used && !(*used)[static_cast<std::size_t>(a) * static_cast<std::size_t>(tc) + static_cast<std::size_t>(b)]) {
          continue;
        }
        const int r0 = a * tile, c0 = b * tile;
        const int r = std::min(tile, out.rows - r0), c = std::min(tile, out.cols - c0);
        out.placed += static_cast<std::size_t>(r) * static_cast<std::size_t>(c);
        Rng rng(seed, {stream::kRsaSelection, static_cast<std::uint64_t>(li), static_cast<std::uint64_t>(a) * tc + b});
        const std::size_t n = rsa_cells_for(r, c, density);
        const auto cells = kind == RsaSelectionKind::balanced ? balanced_tile_cells(r, c, n, rng)
                                                               : random_tile_cells(r, c, n, rng);
        for (const RsaCell& x : cells) {
          out.index.push_back(static_cast<std::uint32_t>(r0 + x.row) +
                              static_cast<std::uint32_t>(c0 + x.col) * static_cast<std::uint32_t>(out.rows));
        }
      }
    }
    std::sort(out.index.begin(), out.index.end());
    sel.layers.push_back(std::move(out));
  }
  return sel;
}


RsaState init_rsa(const Model& pretrained, RsaSelection selection, RsaMode mode, double init_std_fraction,
                  int bits, std::uint64_t seed) {
  if (bits != 0 && (bits < 2 || bits > 24)) {
    throw Error("RSA cell bits must be 0 (float) or in [2, 24], found " + std::to_string(bits), ErrorKind::bad_input);
  }
  if (!(init_std_fraction >= 0)) {
    throw Error("RSA initial std fraction must be >= 0, found " + std::to_string(init_std_fraction),
                ErrorKind::bad_input);
  }
  RsaState s;
  s.mode = mode;
  s.bits = bits;
  s.selection = std::move(selection);
  for (const RsaLayerCells& cells : s.selection.layers) {
    const Param& w = rsa_weight(pretrained, cells);
    RsaLayerValues v;
    double sum = 0, sum2 = 0, maxabs = 0;
    for (Eigen::Index i = 0; i < w.value.size(); ++i) {
      const double x = w.value[i];
      sum += x;
      sum2 += x * x;
      maxabs = std::max(maxabs, std::abs(x));
    }
    const double n = static_cast<double>(w.value.size());
    const double std = n > 0 ? std::sqrt(std::max(0.0, sum2 / n - (sum / n) * (sum / n))) : 0;
    if (bits > 0) v.step = (maxabs > 0 ? maxabs : 1.0) / (std::ldexp(1.0, bits - 1) - 1);
    Rng rng(seed, {stream::kRsaInit, static_cast<std::uint64_t>(cells.layer)});
    v.value.reserve(cells.index.size());
    for (std::uint32_t idx : cells.index) {
      const double x = mode == RsaMode::additive ? init_std_fraction * std * rng.normal() : w.value[idx];
      v.value.push_back(quantize(x, v.step, bits));
    }
    s.values.push_back(std::move(v));
  }
  return s;
}

// The crossbar weights of a layer read through an ADC or any other readout (nn/readout.hpp;
// null without one, or when they are the whole weight).
namespace {
Vector* adc_analog(Layer& l) {
  ReadoutPtr* slot = readout_slot(l);
  return slot && *slot && (*slot)->analog.size() != 0 ? &(*slot)->analog : nullptr;
}
}  // namespace

void apply_rsa(Model& m, const RsaState& s) {
  check_state(s);
  for (std::size_t i = 0; i < s.values.size(); ++i) {
    const RsaLayerCells& cells = s.selection.layers[i];
    Param& w = rsa_weight(m, cells);
    const auto& v = s.values[i].value;
    for (std::size_t k = 0; k < v.size(); ++k) {
      Real& target = w.value[cells.index[k]];
      target = s.mode == RsaMode::additive ? target + v[k] : v[k];
    }
    // Replace mode wires the RRAM cell out: the ADC no longer sees it (RSA stays digital).
    Vector* analog = s.mode == RsaMode::replace ? adc_analog(layer_at(m, cells.layer)) : nullptr;
    if (analog && analog->size() == w.value.size()) {
      for (std::uint32_t idx : cells.index) (*analog)[idx] = 0;
    }
  }
}

double crossbar_reads_per_sample(const Model& m, const std::vector<int>& layers) {
  double reads = 0;
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const int li = layers[k];
    const Layer& l = layer_at(m, li);
    weight_of(l);  // throws for a layer that is not mapped
    reads += static_cast<double>(l.output_shape().h) * l.output_shape().w;  // 1 for dense
  }
  return reads;
}

double rsa_step_seconds(double reads_per_sample, int batch, std::size_t cells, const RsaTimeModel& t) {
  return 2.0 * batch * reads_per_sample * t.t_mvm_s + static_cast<double>(cells) * t.t_sram_s;
}

namespace {

// Sets the RSA layers' weights of m to base (+) values.
void write_effective(Model& m, const std::vector<Vector>& base, const RsaState& s) {
  for (std::size_t i = 0; i < base.size(); ++i) rsa_weight(m, s.selection.layers[i]).value = base[i];
  apply_rsa(m, s);
}

std::vector<Vector> base_weights(Model& m, const RsaState& s) {
  std::vector<Vector> base;
  for (const auto& cells : s.selection.layers) base.push_back(rsa_weight(m, cells).value);
  return base;
}

}  // namespace

std::vector<std::vector<double>> rsa_gradient(Model& chip_model, const RsaState& state, const Tensor& x,
                                              const int* labels) {
  check_state(state);
  std::vector<bool> was_frozen;
  for (auto& l : chip_model.layers()) {
    auto* bn = dynamic_cast<BatchNorm*>(l.get());
    was_frozen.push_back(bn && bn->frozen);
  }
  freeze_batch_norm(chip_model);
  const auto base = base_weights(chip_model, state);
  write_effective(chip_model, base, state);
  Tensor dlogits;
  const Tensor& logits = chip_model.forward(x, ForwardContext{true, 0, 0, 0});
  softmax_cross_entropy(logits, labels, &dlogits);
  chip_model.backward(dlogits);
  std::vector<std::vector<double>> grad;
  for (std::size_t i = 0; i < base.size(); ++i) {
    const RsaLayerCells& cells = state.selection.layers[i];
    const Param& w = rsa_weight(chip_model, cells);
    std::vector<double> g;
    for (std::uint32_t idx : cells.index) g.push_back(w.grad[idx]);
    grad.push_back(std::move(g));
    rsa_weight(chip_model, cells).value = base[i];
  }
  for (std::size_t i = 0; i < chip_model.layers().size(); ++i) {
    if (auto* bn = dynamic_cast<BatchNorm*>(chip_model.layers()[i].get())) bn->frozen = was_frozen[i];
  }
  return grad;
}

RsaReport adapt_rsa(const Model& chip_model, RsaState& state, const Dataset& train_set, const Dataset& validation,
                    const RsaTrainOptions& o, const RsaTimeModel& time,
                    const std::function<void(long, long, double)>& progress,
                    const std::function<void(int, const RsaState&)>& after_epoch) {
  check_state(state);
  if (train_set.size() == 0) throw Error("RSA training set is empty", ErrorKind::bad_input);
  if (o.epochs < 0 || o.batch < 1) throw Error("RSA epochs must be >= 0 and batch >= 1", ErrorKind::bad_input);
  Model m = chip_model;
  freeze_batch_norm(m);
  // Every training forward reads the chip anew: with read noise, fresh noise each step
  // (docs/algorithms.md "Read noise"); validation reads in a stream of its own.
  start_reads(m, stream::read::kRsaTraining);
  const bool reads_draw = has_readout(m);
  const auto base = base_weights(m, state);
  if (o.optimizer != "sgd" && o.optimizer != "adam") {
    throw Error("RSA optimizer '" + o.optimizer + "' is not sgd or adam", ErrorKind::bad_input);
  }
  const bool adam = o.optimizer == "adam";
  if (adam && !(o.momentum < 1)) throw Error("Adam's beta1 (the momentum) must be below 1", ErrorKind::bad_input);
  // SGD: velocity; Adam: first (velocity) and second (square) moment estimates.
  std::vector<std::vector<double>> velocity, square;
  for (const auto& v : state.values) {
    velocity.emplace_back(v.value.size(), 0.0);
    if (adam) square.emplace_back(v.value.size(), 0.0);
  }

  std::vector<int> layers;
  for (const auto& l : state.selection.layers) layers.push_back(l.layer);
  RsaReport rep;
  rep.reads_per_sample = crossbar_reads_per_sample(m, layers);
  Stepper stepper(m, train_set, StepperOptions{o.batch, o.seed, stream::kRsaShuffle, o.augment, o.augment_pad, o.augment_flip, o.cutout});
  const int steps = stepper.steps_per_epoch();
  const int batch = stepper.batch();
  rep.step_seconds = rsa_step_seconds(rep.reads_per_sample, batch, state.cells(), time);
  rep.steps = static_cast<long>(steps) * o.epochs;
  rep.time_s = static_cast<double>(rep.steps) * rep.step_seconds;

  // Steps after which validation accuracy is recorded: 0, then evenly spaced to the end.
  std::vector<long> eval_at{0};
  const int points = std::max(1, o.eval_points);
  for (int k = 1; k <= points; ++k) {
    const long s = static_cast<long>(std::llround(static_cast<double>(rep.steps) * k / points));
    if (s > eval_at.back()) eval_at.push_back(s);
  }
  std::size_t next_eval = 0;
  auto maybe_eval = [&](long step) {
    if (next_eval >= eval_at.size() || eval_at[next_eval] != step) return;
    ++next_eval;
    if (validation.size() == 0) return;
    write_effective(m, base, state);
    Model copy;
    if (reads_draw) {  // so that the training stream's reads do not depend on the validation's
      copy = m;
      start_reads(copy, stream::read::kValidation);
    }
    const EvalResult r = evaluate(reads_draw ? copy : m, validation, o.val_limit);
    rep.points.push_back({step, static_cast<double>(step) * rep.step_seconds, r.accuracy, r.loss});
  };
  maybe_eval(0);

  const double mu = o.momentum;
  constexpr double kBeta2 = 0.999, kAdamEps = 1e-8;
  const Schedule schedule{.kind = o.schedule, .lr = o.lr};
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    double loss_sum = 0, correct = 0;
    for (int step = 0; step < steps; ++step) {
      const double done_before = static_cast<double>(static_cast<long>(epoch) * steps + step);
      const double lr = schedule.at(epoch, o.epochs, done_before / static_cast<double>(rep.steps));
      write_effective(m, base, state);
      // Adam's bias corrections after t = done_before + 1 steps.
      const double t = done_before + 1;
      const double c1 = 1 - std::pow(mu, t), c2 = 1 - std::pow(kBeta2, t);
      const StepResult r = stepper.step([&] {
        for (std::size_t i = 0; i < base.size(); ++i) {
          const RsaLayerCells& cells = state.selection.layers[i];
          const Param& w = rsa_weight(m, cells);
          RsaLayerValues& vals = state.values[i];
          auto& vel = velocity[i];
          for (std::size_t k = 0; k < cells.index.size(); ++k) {
            const double g = w.grad[cells.index[k]];
            double delta;
            if (adam) {
              vel[k] = mu * vel[k] + (1 - mu) * g;
              square[i][k] = kBeta2 * square[i][k] + (1 - kBeta2) * g * g;
              delta = (vel[k] / c1) / (std::sqrt(square[i][k] / c2) + kAdamEps);
            } else {
              vel[k] = mu * vel[k] + g;
              delta = vel[k];
            }
            vals.value[k] = quantize(static_cast<double>(vals.value[k]) - lr * delta, vals.step, state.bits);
          }
        }
      });
      loss_sum += r.loss;
      correct += r.correct;
      const long done = static_cast<long>(stepper.position());
      if (progress) progress(done, rep.steps, r.loss / batch);
      maybe_eval(done);
    }
    const double seen = static_cast<double>(steps) * batch;
    rep.epochs.push_back({epoch + 1, loss_sum / seen, correct / seen});
    if (after_epoch) after_epoch(epoch + 1, state);
  }
  for (const auto& v : state.values) {
    for (Real x : v.value) {
      if (!std::isfinite(x)) throw Error("RSA training diverged (a value is not finite); a lower learning rate may help");
    }
  }
  return rep;
}

}  // namespace nnc
