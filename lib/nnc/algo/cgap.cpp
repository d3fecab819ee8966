#include "nnc/algo/cgap.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <numeric>
#include <utility>

#include "nnc/algo/bn_recalibrate.hpp"
#include "nnc/dist/dist.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/nn/stats.hpp"
#include "nnc/nn/streams.hpp"
#include "nnc/train/stepper.hpp"

namespace nnc {

namespace {

Param& weight_of(Layer& l) { return *l.weight_param(); }  // l is a unit (mapped) layer

// Copies row src[j] (of `len` values) of `old` to row j of `neu` for value, velocity and mask;
// rows with src -1 get `fill` as value, velocity 0 and mask 1.
void remap_rows(const Param& old, Param& neu, const std::vector<int>& src, std::size_t len, Real fill) {
  const bool vel = old.velocity.size() == old.value.size() && old.value.size() > 0;
  neu.velocity = vel ? Vector::Zero(neu.value.size()) : Vector();
  neu.grad.setZero(neu.value.size());
  if (old.has_mask()) neu.mask.assign(neu.size(), 1);
  for (std::size_t j = 0; j < src.size(); ++j) {
    const auto dst = static_cast<Eigen::Index>(j * len);
    if (src[j] < 0) {
      neu.value.segment(dst, static_cast<Eigen::Index>(len)).setConstant(fill);
      continue;
    }
    const auto from = static_cast<Eigen::Index>(static_cast<std::size_t>(src[j]) * len);
    neu.value.segment(dst, static_cast<Eigen::Index>(len)) = old.value.segment(from, static_cast<Eigen::Index>(len));
    if (vel) neu.velocity.segment(dst, static_cast<Eigen::Index>(len)) = old.velocity.segment(from, static_cast<Eigen::Index>(len));
    if (old.has_mask()) {
      std::copy_n(old.mask.begin() + from, len, neu.mask.begin() + dst);
    }
  }
}

// The next layer's weight seen as [out][units][chunk]: chunk `src[j]` of every output moves to
// chunk j (src -1: zeros, mask 1).
void remap_chunks(const Param& old, Param& neu, const std::vector<int>& src, int outs, int old_units,
                  std::size_t chunk) {
  const bool vel = old.velocity.size() == old.value.size() && old.value.size() > 0;
  neu.velocity = vel ? Vector::Zero(neu.value.size()) : Vector();
  neu.grad.setZero(neu.value.size());
  if (old.has_mask()) neu.mask.assign(neu.size(), 1);
  const std::size_t new_units = src.size();
  for (int o = 0; o < outs; ++o) {
    for (std::size_t j = 0; j < new_units; ++j) {
      const auto dst = static_cast<Eigen::Index>((o * new_units + j) * chunk);
      const auto n = static_cast<Eigen::Index>(chunk);
      if (src[j] < 0) {
        neu.value.segment(dst, n).setZero();
        continue;
      }
      const auto from = static_cast<Eigen::Index>((static_cast<std::size_t>(o) * old_units + src[j]) * chunk);
      neu.value.segment(dst, n) = old.value.segment(from, n);
      if (vel) neu.velocity.segment(dst, n) = old.velocity.segment(from, n);
      if (old.has_mask()) std::copy_n(old.mask.begin() + from, chunk, neu.mask.begin() + dst);
    }
  }
}

// Values per unit of the next layer's weight, seen as [out][units][chunk].
std::size_t next_chunk(const Layer& next, int width) {
  // Inputs per output: the rows of the next layer's crossbar matrix.
  const std::size_t per_out = next.weight_param()->size() / static_cast<std::size_t>(next.width());
  if (per_out % static_cast<std::size_t>(width) != 0) {
    throw Error("layer " + next.spec() + ": " + std::to_string(per_out) + " inputs per output do not divide among " +
                std::to_string(width) + " units");
  }
  return per_out / static_cast<std::size_t>(width);
}

double weight_std(const Param& w) {
  const double n = static_cast<double>(w.size());
  if (n < 2) return 0;
  const double mean = w.value.cast<double>().sum() / n;
  return std::sqrt((w.value.cast<double>().array() - mean).square().sum() / n);
}

}  // namespace

void set_layer_width(Layer& l, int width) {
  if (width < 1) throw Error("layer " + l.spec() + ": width " + std::to_string(width) + " is below 1");
  l.set_width(width);
}

std::vector<UnitLayer> unit_layers(const Model& m, double max_width_ratio) {
  m.require_chain("CGaP");
  const auto& L = m.layers();
  std::vector<int> mapped;
  for (std::size_t i = 0; i < L.size(); ++i)
    if (L[i]->is_mapped()) mapped.push_back(static_cast<int>(i));
  std::vector<UnitLayer> out;
  for (std::size_t k = 0; k + 1 < mapped.size(); ++k) {
    UnitLayer u;
    u.layer = mapped[k];
    u.next = mapped[k + 1];
    u.act = u.layer;
    bool run = true;
    for (int i = u.layer + 1; i < u.next; ++i) {
      const std::string t = L[static_cast<std::size_t>(i)]->type();
      if (t == "bn") u.bns.push_back(i);
      const bool per_channel = t == "bn" || t == "relu" || t == "maxpool" || t == "avgpool";
      if (!per_channel) run = false;
      if (run) u.act = i;
    }
    u.template_width = L[static_cast<std::size_t>(u.layer)]->width();
    u.cap = std::max(1, static_cast<int>(std::lround(max_width_ratio * u.template_width)));
    out.push_back(u);
  }
  return out;
}

std::vector<int> widths(const Model& m, const std::vector<UnitLayer>& units) {
  std::vector<int> w;
  for (const auto& u : units) w.push_back(m.layers()[static_cast<std::size_t>(u.layer)]->width());
  return w;
}

void remap_units(Model& m, const UnitLayer& u, const std::vector<int>& src) {
  if (src.empty()) throw Error("CGaP: a layer cannot lose all its units");
  Layer& layer = *m.layers()[static_cast<std::size_t>(u.layer)];
  Layer& next = *m.layers()[static_cast<std::size_t>(u.next)];
  const int old_w = layer.width();
  for (int s : src)
    if (s >= old_w) throw Error("CGaP: unit " + std::to_string(s) + " of a layer of width " + std::to_string(old_w));
  const std::size_t chunk = next_chunk(next, old_w);
  std::vector<Param> own;
  for (Param* p : layer.params()) own.push_back(*p);
  std::vector<std::vector<Param>> bns;
  for (int b : u.bns) {
    bns.emplace_back();
    for (Param* p : m.layers()[static_cast<std::size_t>(b)]->params()) bns.back().push_back(*p);
  }
  const Param next_w = weight_of(next);
  const int outs = next_w.shape.at(0);

  set_layer_width(layer, static_cast<int>(src.size()));
  m.setup();

  auto ps = layer.params();
  for (std::size_t i = 0; i < ps.size(); ++i) {
    remap_rows(own[i], *ps[i], src, own[i].size() / static_cast<std::size_t>(old_w), Real(0));
  }
  for (std::size_t k = 0; k < u.bns.size(); ++k) {
    auto bp = m.layers()[static_cast<std::size_t>(u.bns[k])]->params();
    for (std::size_t i = 0; i < bp.size(); ++i) {
      const bool one = bp[i]->name == "gamma" || bp[i]->name == "running_var";
      remap_rows(bns[k][i], *bp[i], src, 1, one ? Real(1) : Real(0));
    }
  }
  remap_chunks(next_w, weight_of(next), src, outs, old_w, chunk);
}

void grow_units(Model& m, const UnitLayer& u, const std::vector<double>& saliency, int count, Newborn newborn,
                double noise, Rng& rng) {
  if (count <= 0) return;
  Layer& layer = *m.layers()[static_cast<std::size_t>(u.layer)];
  const int w = layer.width();
  if (saliency.size() != static_cast<std::size_t>(w)) throw Error("CGaP: saliency does not match the layer's width");
  std::vector<int> rank(static_cast<std::size_t>(w));
  std::iota(rank.begin(), rank.end(), 0);
  std::stable_sort(rank.begin(), rank.end(), [&](int a, int b) { return saliency[a] > saliency[b]; });
  std::vector<int> children(static_cast<std::size_t>(w), 0);
  for (int r = 0; r < w; ++r) children[static_cast<std::size_t>(rank[r])] = count / w + (r < count % w ? 1 : 0);

  std::vector<int> src;
  std::vector<std::pair<int, int>> families;  // (position of the parent, number of children)
  for (int i = 0; i < w; ++i) {
    families.emplace_back(static_cast<int>(src.size()), children[static_cast<std::size_t>(i)]);
    src.push_back(i);
    for (int c = 0; c < children[static_cast<std::size_t>(i)]; ++c) src.push_back(newborn == Newborn::split ? i : -1);
  }
  const double sd = noise * weight_std(weight_of(layer));
  remap_units(m, u, src);

  Param& win = weight_of(layer);
  const std::size_t rowlen = win.size() / src.size();
  Layer& next = *m.layers()[static_cast<std::size_t>(u.next)];
  Param& wout = weight_of(next);
  const std::size_t chunk = next_chunk(next, static_cast<int>(src.size()));
  const int outs = wout.shape.at(0);
  const bool vel = wout.velocity.size() == wout.value.size();
  for (const auto& [parent, kids] : families) {
    for (int c = 1; c <= kids; ++c) {
      const auto row = static_cast<Eigen::Index>(static_cast<std::size_t>(parent + c) * rowlen);
      for (std::size_t i = 0; i < rowlen; ++i) {
        const auto k = row + static_cast<Eigen::Index>(i);
        if (newborn == Newborn::split) {
          win.value[k] += static_cast<Real>(sd * rng.normal());
        } else {
          const double b = std::sqrt(6.0 / static_cast<double>(rowlen));
          win.value[k] = static_cast<Real>((2 * rng.uniform() - 1) * b);
        }
        if (win.has_mask() && !win.mask[static_cast<std::size_t>(k)]) win.value[k] = 0;
      }
    }
    if (newborn != Newborn::split || kids == 0) continue;
    const Real share = Real(1) / static_cast<Real>(kids + 1);
    for (int o = 0; o < outs; ++o) {
      for (int c = 0; c <= kids; ++c) {
        const auto at = static_cast<Eigen::Index>((static_cast<std::size_t>(o) * src.size() + parent + c) * chunk);
        wout.value.segment(at, static_cast<Eigen::Index>(chunk)) *= share;
        if (vel) wout.velocity.segment(at, static_cast<Eigen::Index>(chunk)) *= share;
      }
    }
  }
}

void prune_units(Model& m, const UnitLayer& u, const std::vector<int>& remove) {
  const int w = m.layers()[static_cast<std::size_t>(u.layer)]->width();
  std::vector<char> gone(static_cast<std::size_t>(w), 0);
  for (int r : remove) {
    if (r < 0 || r >= w) throw Error("CGaP: no unit " + std::to_string(r) + " in a layer of width " + std::to_string(w));
    gone[static_cast<std::size_t>(r)] = 1;
  }
  std::vector<int> src;
  for (int i = 0; i < w; ++i)
    if (!gone[static_cast<std::size_t>(i)]) src.push_back(i);
  remap_units(m, u, src);
}

namespace {
// unit_saliency before the absolute value: a sum over the batch's samples, so that the shares
// of a batch on several ranks add up to the whole batch's (docs/design.md section 13).
std::vector<double> signed_saliency(const Model& m, const UnitLayer& u) {
  const Tensor& a = m.activation(static_cast<std::size_t>(u.act) + 1);
  const Tensor& g = m.activation_grad(static_cast<std::size_t>(u.act) + 1);
  const int C = a.shape().c, P = a.shape().h * a.shape().w, N = a.n();
  if (g.n() != N || g.shape() != a.shape()) throw Error("CGaP: saliency needs a forward and backward pass");
  std::vector<double> s(static_cast<std::size_t>(C), 0.0);
  parallel_for(C, [&](int c) {
    double sum = 0;
    for (int n = 0; n < N; ++n) {
      const Real* x = a.sample(n) + static_cast<std::size_t>(c) * P;
      const Real* d = g.sample(n) + static_cast<std::size_t>(c) * P;
      for (int p = 0; p < P; ++p) sum += static_cast<double>(x[p]) * d[p];
    }
    // d is the gradient of the batch-mean loss: N * d is the per-sample one.
    s[static_cast<std::size_t>(c)] = sum / P;
  });
  return s;
}
}  // namespace

std::vector<double> unit_saliency(const Model& m, const UnitLayer& u) {
  std::vector<double> s = signed_saliency(m, u);
  for (double& x : s) x = std::abs(x);
  return s;
}

void SaliencyMeter::reset(const Model& m, const std::vector<UnitLayer>& units) {
  sum_.clear();
  for (int w : widths(m, units)) sum_.emplace_back(static_cast<std::size_t>(w), 0.0);
  batches_ = 0;
}

void SaliencyMeter::add(const Model& m, const std::vector<UnitLayer>& units) {
  std::vector<double> all;  // every unit's signed saliency, summed over ranks before |.|
  for (std::size_t i = 0; i < units.size(); ++i) {
    const auto s = signed_saliency(m, units[i]);
    if (s.size() != sum_[i].size()) throw Error("CGaP: saliency meter not reset after a width change");
    all.insert(all.end(), s.begin(), s.end());
  }
  dist::sum(all);
  std::size_t j = 0;
  for (auto& layer : sum_) {
    for (double& x : layer) x += std::abs(all[j++]);
  }
  ++batches_;
}

std::vector<double> SaliencyMeter::mean(std::size_t i) const {
  std::vector<double> v = sum_.at(i);
  for (double& x : v) x /= std::max(1, batches_);
  return v;
}

std::vector<double> SaliencyMeter::normalized(std::size_t i) const {
  std::vector<double> v = mean(i);
  double n = 0;
  for (double x : v) n += x * x;
  n = std::sqrt(n);
  for (double& x : v) x = n > 0 ? x / n : 0.0;
  return v;
}

double model_flops(const Model& m) {
  double f = 0;
  for (const auto& s : layer_stats(m)) f += s.flops;
  return f;
}

double dense_flops(const Model& m) {
  double f = 0;
  for (const auto& s : layer_stats(m)) f += s.dense_flops;
  return f;
}

Model cgap_seed(const std::string& arch, Shape input, int classes, const CgapOptions& o, std::uint64_t seed) {
  Model m(arch, input, classes);
  const auto units = unit_layers(m, o.max_width_ratio);
  for (const auto& u : units) {
    int w = std::max(2, static_cast<int>(std::lround(o.start_width * u.template_width)));
    w = std::min(w, u.cap);
    set_layer_width(*m.layers()[static_cast<std::size_t>(u.layer)], w);
  }
  m.setup();
  m.init(seed);
  return m;
}

namespace {

// The units one pruning step removes, per layer (empty: none can go; a layer keeps one unit).
// global: round(prune_rate x all units), lowest normalized saliency first over all layers;
// layer: round(prune_rate x width) of each layer (at least 1), its least salient.
std::vector<std::vector<int>> prune_selection(const SaliencyMeter& meter, const std::vector<int>& w,
                                              const CgapOptions& o) {
  struct Cand { double s; std::size_t layer; int unit; };
  std::vector<std::vector<int>> remove(w.size());
  int taken = 0;
  auto take = [&](std::vector<Cand>& cands, int want) {
    std::stable_sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) { return a.s < b.s; });
    for (const auto& c : cands) {
      if (want == 0) break;
      if (static_cast<int>(remove[c.layer].size()) + 1 >= w[c.layer]) continue;  // keep one unit
      remove[c.layer].push_back(c.unit);
      ++taken;
      --want;
    }
  };
  std::vector<Cand> all;
  for (std::size_t i = 0; i < w.size(); ++i) {
    std::vector<Cand> layer;
    const auto s = meter.normalized(i);
    for (int k = 0; k < w[i]; ++k) layer.push_back({s[static_cast<std::size_t>(k)], i, k});
    if (o.prune_scope == PruneScope::layer) {
      take(layer, std::max(1, static_cast<int>(std::lround(o.prune_rate * w[i]))));
    } else {
      all.insert(all.end(), layer.begin(), layer.end());
    }
  }
  if (o.prune_scope == PruneScope::global) {
    const int units = std::accumulate(w.begin(), w.end(), 0);
    take(all, std::max(1, static_cast<int>(std::lround(o.prune_rate * units))));
  }
  if (taken == 0) remove.clear();
  return remove;
}

// Runs `steps` steps of the shared stepper with SGD at rate lr(k) for the k-th of them, the
// saliency meter (when given) reading each step's gradients before the update.
void run_steps(Stepper& stepper, Model& m, std::uint64_t steps, const std::function<double(std::uint64_t)>& lr,
               SaliencyMeter* meter, const std::vector<UnitLayer>& units, const SgdOptions& sgd,
               const CgapHooks& hooks) {
  const auto params = m.params();
  for (std::uint64_t k = 0; k < steps; ++k) {
    if (hooks.should_stop && hooks.should_stop()) throw Error("interrupted", ErrorKind::interrupted);
    stepper.step([&] {
      if (meter) meter->add(m, units);
      sgd_step(params, lr(k), sgd);
    });
  }
}

}  // namespace

double noise_margin(double accuracy, std::size_t n, double z) {
  const double p = std::clamp(accuracy, 0.0, 1.0);
  return n > 0 ? z * std::sqrt(2 * p * (1 - p) / static_cast<double>(n)) : 0.0;
}

PruneLimits prune_limits(double peak_accuracy, const CgapOptions& o) {
  const double e = 1 - std::clamp(peak_accuracy, 0.0, 1.0);
  const double scaled = o.prune_error_scale * e * e;
  return {std::max(o.prune_tolerance, scaled / 2), std::max(o.prune_budget, scaled)};
}

bool growth_plateaued(double gain, double accuracy, std::size_t n, const CgapOptions& o) {
  return gain < std::max(o.plateau, noise_margin(accuracy, n, o.noise_z));
}

double prune_cost_z(const std::vector<std::uint8_t>& before, const std::vector<std::uint8_t>& after) {
  if (before.size() != after.size()) throw Error("prune_cost_z: the two evaluations cover different images");
  double lost = 0, gained = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    lost += before[i] && !after[i];
    gained += !before[i] && after[i];
  }
  return lost + gained > 0 ? (lost - gained) / std::sqrt(lost + gained) : 0.0;
}

namespace {

// Steps of training in `epochs` epochs, at least 1.
std::uint64_t steps_of(double epochs, std::uint64_t steps_per_epoch) {
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(epochs * static_cast<double>(steps_per_epoch))));
}

// What the phases of a run share: the model and data, the one stepper whose position is the
// run's clock, the step counts of the schedule, the saliency meter and the result so far.
struct CgapRun {
  CgapRun(Model& m, const Model& template_model, const Dataset& train, const Dataset& val, const CgapOptions& opt,
          const CgapHooks& h, std::vector<UnitLayer> unit_list);

  Model& model;
  const Dataset& train_set;
  const Dataset& validation;
  const CgapOptions& o;
  const CgapHooks& hooks;
  CgapResult res;
  const std::vector<UnitLayer>& units;  // res.units
  Stepper stepper;
  std::uint64_t spe = 0;    // steps per epoch
  std::uint64_t total = 0;  // steps of the whole run
  double images_per_step = 0;
  std::uint64_t grow_steps = 0, prune_steps = 0;  // training between growth steps, after a pruning step
  std::uint64_t final_steps = 0;                  // the end model's fine-tuning
  std::uint64_t growth_limit = 0;                 // growth ends by this position
  SaliencyMeter meter;
  EvalResult current;  // the last evaluation of the model as it is now
  Rng grow_rng;        // newborns' weights and noise, drawn in a fixed order over the growth steps

  // A checkpoint of the run as it stands, at the top of a stage's step (CgapProgress).
  void save(CgapPhase stage, double spent = 0) const {
    if (!hooks.checkpoint) return;
    CgapProgress p;
    p.stage = stage;
    p.position = stepper.position();
    p.result = res;
    p.result.units.clear();
    p.saliency = meter.sums();
    p.saliency_batches = meter.batches();
    const auto words = std::bit_cast<std::array<std::uint64_t, 4>>(grow_rng);
    p.growth_rng.assign(words.begin(), words.end());
    p.current_accuracy = current.accuracy;
    p.current_loss = current.loss;
    p.current_hits = current.hits;
    p.spent = spent;
    hooks.checkpoint(model, p);
  }
  // The run as `p` left it (the model is already the checkpoint's).
  void restore(const CgapProgress& p) {
    std::vector<UnitLayer> keep = std::move(res.units);
    res = p.result;
    res.units = std::move(keep);
    stepper.seek(p.position);
    meter.restore(p.saliency, p.saliency_batches);
    if (p.growth_rng.size() != 4) throw Error("CGaP checkpoint: the growth stream's state is not 4 words", ErrorKind::bad_input);
    std::array<std::uint64_t, 4> words{};
    std::copy(p.growth_rng.begin(), p.growth_rng.end(), words.begin());
    grow_rng = std::bit_cast<Rng>(words);
    current.accuracy = p.current_accuracy;
    current.loss = p.current_loss;
    current.hits = p.current_hits;
    current.samples = p.current_hits.size();
  }

  // One learning-rate schedule over the whole run, step by step as nnc-train's: growth and
  // pruning happen while it runs, and the end model anneals as the baseline does.
  double lr_at(std::uint64_t position) const {
    return o.train.schedule.at(static_cast<int>(position / spe), o.train.epochs,
                               static_cast<double>(position) / static_cast<double>(total));
  }
  // Trains `steps` steps, the saliency meter (when given) reading each.
  void run(std::uint64_t steps, SaliencyMeter* saliency) {
    res.train_flops += 3 * dense_flops(model) * images_per_step * static_cast<double>(steps);
    const std::uint64_t from = stepper.position();
    run_steps(stepper, model, steps, [&](std::uint64_t k) { return lr_at(from + k); }, saliency, units, o.train.sgd,
              hooks);
  }
  double epochs_done() const { return static_cast<double>(stepper.position()) / stepper.steps_per_epoch(); }
  EvalResult val_eval() {
    res.validation_flops += dense_flops(model) * static_cast<double>(validation.size());
    return evaluate(model, validation);
  }
  // Records an evaluation of the model as it is now and returns its index. `removal`: a pruning
  // step's evaluation just after the units went, `before` the one it is tested against.
  std::size_t record(CgapPhase phase, const EvalResult& e, const EvalResult* removal = nullptr,
                     const EvalResult* before = nullptr) {
    CgapRecord r;
    if (removal) {
      r.removal_accuracy = removal->accuracy;
      r.before_accuracy = before->accuracy;
      r.removal_loss = removal->loss;
      r.removal_z = prune_cost_z(before->hits, removal->hits);
    }
    r.epoch = epochs_done();
    r.phase = phase;
    r.val_accuracy = e.accuracy;
    r.val_loss = e.loss;
    r.params = model.nonzero_param_count();
    r.params_dense = model.param_count();
    r.flops = model_flops(model);
    r.train_flops = res.train_flops;
    r.widths = widths(model, units);
    res.records.push_back(r);
    if (hooks.record) hooks.record(r);
    return res.records.size() - 1;
  }
};

CgapRun::CgapRun(Model& m, const Model& template_model, const Dataset& train, const Dataset& val,
                 const CgapOptions& opt, const CgapHooks& h, std::vector<UnitLayer> unit_list)
    : model(m),
      train_set(train),
      validation(val),
      o(opt),
      hooks(h),
      res{.units = std::move(unit_list)},
      units(res.units),
      stepper(m, train, StepperOptions{opt.train.batch, opt.train.seed, stream::kShuffle, opt.train.augment,
                                       opt.train.augment_pad, opt.train.augment_flip, opt.train.cutout,
                                       opt.train.label_smoothing}),
      grow_rng(opt.train.seed, {stream::kCgapGrowth}) {
  spe = static_cast<std::uint64_t>(stepper.steps_per_epoch());
  total = spe * static_cast<std::uint64_t>(o.train.epochs);
  images_per_step = static_cast<double>(stepper.batch());
  res.baseline_train_flops = 3 * dense_flops(template_model) * images_per_step * static_cast<double>(total);
  // Growth steps: every growth_every epochs, but often enough that the growth budget holds
  // the steps from the seed to the cap at growth_rate, plus the one that measures the last
  // (at least 4), so a short run can reach the template's widths too (at 10 epochs and the
  // defaults: 13 steps in 1.5 epochs, so every 0.1 epochs as asked).
  const double to_cap = std::ceil(std::log(o.max_width_ratio / o.start_width) / std::log1p(o.growth_rate)) + 1;
  const double min_growth_steps = std::max(4.0, to_cap);
  const double grow_every = std::min(o.growth_every, o.growth_budget * o.train.epochs / min_growth_steps);
  grow_steps = steps_of(grow_every, spe);
  prune_steps = steps_of(o.prune_every > 0 ? o.prune_every : grow_every, spe);
  final_steps = static_cast<std::uint64_t>(std::llround(o.final_epochs * static_cast<double>(total)));
  growth_limit = static_cast<std::uint64_t>(std::llround(o.growth_budget * static_cast<double>(total)));
}

// The seed as it starts: evaluated, the saliency meter started.
void measure_seed(CgapRun& r) {
  r.meter.reset(r.model, r.units);
  r.res.seed = r.record(CgapPhase::seed, r.val_eval());
}

// Growth: train an interval, measure, grow every layer below its cap by saliency; until the
// accuracy plateaus, the growth budget is spent or every layer is at its cap.
void grow(CgapRun& r) {
  const CgapOptions& o = r.o;
  std::vector<double> accs;  // of the growth evaluations so far (a resumed run has some)
  for (const auto& rec : r.res.records)
    if (rec.phase == CgapPhase::growth) accs.push_back(rec.val_accuracy);
  for (;;) {
    r.save(CgapPhase::growth);
    const std::uint64_t pos = r.stepper.position();
    const std::uint64_t n = std::min(r.grow_steps, r.growth_limit > pos ? r.growth_limit - pos : 0);
    if (n > 0) r.run(n, &r.meter);
    r.current = r.val_eval();
    const double acc = r.current.accuracy;
    r.res.peak = r.record(CgapPhase::growth, r.current);
    accs.push_back(acc);
    const auto k = accs.size();
    if (k > static_cast<std::size_t>(o.plateau_steps)) {
      const double before = *std::max_element(accs.begin(), accs.end() - o.plateau_steps);
      const double recent = *std::max_element(accs.end() - o.plateau_steps, accs.end());
      if (growth_plateaued(recent - before, before, r.validation.size(), o)) { r.res.growth_stop = "plateau"; break; }
    }
    if (r.stepper.position() + r.grow_steps > r.growth_limit) { r.res.growth_stop = "budget"; break; }
    const auto w = widths(r.model, r.units);
    bool grew = false;
    for (std::size_t i = 0; i < r.units.size(); ++i) {
      const int add = std::min(r.units[i].cap - w[i], std::max(1, static_cast<int>(std::lround(o.growth_rate * w[i]))));
      if (add <= 0) continue;
      grow_units(r.model, r.units[i], r.meter.mean(i), add, o.newborn, o.split_noise, r.grow_rng);
      grew = true;
    }
    if (!grew) { r.res.growth_stop = "cap"; break; }
    r.meter.reset(r.model, r.units);
  }
}

// Pruning (prune_selection), while a step costs at most the tolerance of validation accuracy
// and all of them together at most the budget, and the run leaves time for the steps and the
// end model's fine-tuning.
void prune(CgapRun& r, double spent = 0 /* the costs of the steps kept */) {
  const CgapOptions& o = r.o;
  Model& model = r.model;
  const std::uint64_t total = r.total, prune_steps = r.prune_steps, final_steps = r.final_steps;
  const bool recalibrate = o.prune_bn_images > 0 && !batch_norm_layers(model).empty();
  const BnRecalibrationOptions bn_options{o.prune_bn_images};
  const PruneLimits limits = prune_limits(r.res.records[r.res.peak].val_accuracy, o);
  r.res.prune_limits = limits;
  r.res.prune_stop = "window";
  while (r.stepper.position() + prune_steps + final_steps <= total) {
    r.save(CgapPhase::pruning, spent);
    if (r.meter.batches() == 0) {
      r.run(std::min<std::uint64_t>(prune_steps, total - final_steps - r.stepper.position()), &r.meter);
      if (r.stepper.position() + prune_steps + final_steps > total) break;
      r.current = r.val_eval();
    }
    const auto remove = prune_selection(r.meter, widths(model, r.units), o);
    if (remove.empty()) { r.res.prune_stop = "min-width"; break; }
    // Removing units shifts the inputs of every later batch norm, whose running statistics
    // training would re-estimate within a few steps: the test sees both networks with their
    // statistics re-estimated on the same training images, so it measures the units, not the
    // stale statistics.
    if (recalibrate) {
      recalibrate_batch_norm(model, r.train_set, {}, 0, bn_options);
      r.current = r.val_eval();
    }
    const Model before = model;
    for (std::size_t i = 0; i < r.units.size(); ++i)
      if (!remove[i].empty()) prune_units(model, r.units[i], remove[i]);
    if (recalibrate) recalibrate_batch_norm(model, r.train_set, {}, 0, bn_options);
    // The step's cost, before any retraining: the same images, the network with and without
    // the units, so the difference carries little of the validation set's sampling noise.
    const EvalResult pruned = r.val_eval();
    // Accuracies move in steps of one image: half an image of slack keeps a cost equal to a
    // limit (as 25 images of 5,000 to 0.005) from failing on rounding.
    const double cost = r.current.accuracy - pruned.accuracy, slack = 0.5 / static_cast<double>(r.validation.size());
    const bool too_costly = cost > limits.tolerance + slack;
    if (too_costly || spent + cost > limits.budget + slack) {
      r.record(CgapPhase::pruning, pruned, &pruned, &r.current);
      model = before;
      model.setup();
      r.record(CgapPhase::reverted, r.current);
      r.res.prune_stop = too_costly ? "tolerance" : "cost";
      break;
    }
    spent += cost;
    const EvalResult tested_against = std::move(r.current);
    r.meter.reset(model, r.units);
    r.run(prune_steps, &r.meter);
    r.current = r.val_eval();
    r.record(CgapPhase::pruning, r.current, &pruned, &tested_against);
  }
}

// Fine-tuning of the end model over what is left of the run, the schedule continuing; its
// training FLOPs are counted once at its start (`resumed`: they were), checkpoints every
// hooks.checkpoint_every steps (0: each epoch) and at a stop.
void finetune(CgapRun& r, bool resumed = false) {
  const std::uint64_t left = r.total > r.stepper.position() ? r.total - r.stepper.position() : 0;
  if (!resumed) r.res.train_flops += 3 * dense_flops(r.model) * r.images_per_step * static_cast<double>(left);
  const std::uint64_t every = r.hooks.checkpoint_every > 0 ? static_cast<std::uint64_t>(r.hooks.checkpoint_every) : r.spe;
  const auto lr = [&r](std::uint64_t k) { return r.lr_at(k); };
  while (r.stepper.position() < r.total) {
    if (r.hooks.should_stop && r.hooks.should_stop()) {
      r.save(CgapPhase::end);
      throw Error("interrupted", ErrorKind::interrupted);
    }
    const std::uint64_t from = r.stepper.position();
    run_steps(r.stepper, r.model, 1, [&](std::uint64_t) { return lr(from); }, nullptr, r.units, r.o.train.sgd, {});
    const std::uint64_t done = r.stepper.position();
    if (done < r.total && done % every == 0) r.save(CgapPhase::end);
  }
  r.res.end = r.record(CgapPhase::end, r.val_eval());
}

}  // namespace

CgapResult run_cgap(Model& model, const Model& template_model, const Dataset& train_set, const Dataset& validation,
                    const CgapOptions& o, const CgapHooks& hooks, const CgapProgress* from) {
  if (train_set.size() == 0) throw Error("training set is empty", ErrorKind::bad_input);
  if (validation.size() == 0) throw Error("CGaP needs a validation split (no image was held out)", ErrorKind::bad_input);
  std::vector<UnitLayer> units = unit_layers(template_model, o.max_width_ratio);
  if (units.empty()) throw Error("architecture has no layer to grow (it needs a conv or dense layer before the output)",
                                 ErrorKind::bad_input);
  CgapRun r(model, template_model, train_set, validation, o, hooks, std::move(units));
  if (!from) {
    measure_seed(r);
    grow(r);
    prune(r);
    finetune(r);
    return std::move(r.res);
  }
  r.restore(*from);
  switch (from->stage) {
    case CgapPhase::growth: grow(r); prune(r); finetune(r); break;
    case CgapPhase::pruning: prune(r, from->spent); finetune(r); break;
    case CgapPhase::end: finetune(r, true); break;
    default: throw Error("CGaP checkpoint: no stage to resume", ErrorKind::bad_input);
  }
  return std::move(r.res);
}

}  // namespace nnc
