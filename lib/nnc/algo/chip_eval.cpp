#include "nnc/algo/chip_eval.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "nnc/dist/dist.hpp"
#include "nnc/nn/error.hpp"

namespace nnc {

double ChipEvalSummary::seconds_per_chip() const {
  double sum = 0;
  for (double x : seconds) sum += x;
  return seconds.empty() ? 0.0 : sum / double(seconds.size());
}

void summarize_accuracy(ChipEvalSummary& s) {
  const auto n = s.chips.size();
  if (n == 0) return;
  double sum = 0;
  s.min = s.max = s.chips.front().accuracy;
  for (const auto& r : s.chips) {
    sum += r.accuracy;
    s.min = std::min(s.min, r.accuracy);
    s.max = std::max(s.max, r.accuracy);
  }
  s.mean = sum / double(n);
  double ss = 0;
  for (const auto& r : s.chips) ss += (r.accuracy - s.mean) * (r.accuracy - s.mean);
  s.std = n > 1 ? std::sqrt(ss / double(n - 1)) : 0.0;
}

namespace {
// An evaluation as numbers, for the gathers of work spread over ranks (docs/design.md section
// 13); unpack_eval reads back what pack_eval wrote at `at` and returns the position after it.
void pack_eval(const EvalResult& r, std::vector<double>& out) {
  out.insert(out.end(), {static_cast<double>(r.samples), static_cast<double>(r.correct), r.loss, r.accuracy,
                         static_cast<double>(r.confusion.size())});
  for (std::size_t c : r.confusion) out.push_back(static_cast<double>(c));
}

std::size_t unpack_eval(const std::vector<double>& in, std::size_t at, EvalResult& r) {
  r.samples = static_cast<std::size_t>(in[at]);
  r.correct = static_cast<std::size_t>(in[at + 1]);
  r.loss = in[at + 2];
  r.accuracy = in[at + 3];
  const auto classes2 = static_cast<std::size_t>(in[at + 4]);
  at += 5;
  r.confusion.assign(in.begin() + static_cast<std::ptrdiff_t>(at), in.begin() + static_cast<std::ptrdiff_t>(at + classes2));
  return at + classes2;
}

// One chip's record: every field of one chip in ChipEvalSummary (a new field belongs here
// too) but its seed, which a double might not hold exactly and which follows from the index.
void pack_chip(const ChipEvalSummary& s, std::size_t i, std::vector<double>& out) {
  out.insert(out.end(), {s.pulses[i], s.time_s[i], s.seconds[i]});
  pack_eval(s.chips[i], out);
}

std::size_t unpack_chip(const std::vector<double>& in, std::size_t at, ChipEvalSummary& s) {
  s.pulses.push_back(in[at]);
  s.time_s.push_back(in[at + 1]);
  s.seconds.push_back(in[at + 2]);
  s.chips.emplace_back();
  return unpack_eval(in, at + 3, s.chips.back());
}
}  // namespace

ChipReads evaluate_reads(ChipState& chip, const Model& model, const Dataset& test, int repeats, int batch,
                         const std::function<void(Model&)>& finish) {
  if (repeats < 1) throw Error("a chip is read at least once, found " + std::to_string(repeats) + " repeats");
  const int first = chip.device.read_seed;
  ChipEvalSummary s;  // for summarize_accuracy
  ChipReads out;
  // On R ranks, rank r makes its contiguous share of the reads, gathered in read order.
  const dist::Share mine = dist::share(static_cast<std::size_t>(repeats));
  std::vector<double> packed;
  for (int k = static_cast<int>(mine.begin); k < static_cast<int>(mine.end); ++k) {
    chip.device.read_seed = first + k;
    Model m = read_chip(chip, model);
    if (finish) finish(m);
    s.chips.push_back(evaluate(m, test, 0, batch));
    if (dist::size() > 1) pack_eval(s.chips.back(), packed);
  }
  if (dist::size() > 1) {
    const std::vector<double> all = dist::gather(packed);
    s.chips.clear();
    for (std::size_t at = 0; at < all.size();) {
      s.chips.emplace_back();
      at = unpack_eval(all, at, s.chips.back());
    }
  }
  for (int k = 0; k < repeats; ++k) {
    out.read_seeds.push_back(first + k);
    out.loss_mean += s.chips[static_cast<std::size_t>(k)].loss / repeats;
  }
  chip.device.read_seed = first;
  summarize_accuracy(s);
  out.reads = std::move(s.chips);
  out.mean = s.mean;
  out.std = s.std;
  out.min = s.min;
  out.max = s.max;
  return out;
}

Tensor adc_calibration_batch(const Dataset& train) {
  if (train.size() == 0) throw Error("ADC calibration needs training images; the training split is empty");
  const std::size_t n = std::min(train.size(), kAdcCalibrationImages);
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::vector<int> labels(n);
  Tensor x;
  fill_batch(train, idx.data(), static_cast<int>(n), x, labels.data());
  return x;
}


ChipEvalSummary evaluate_chips(const Model& model, const DeviceParams& device, const Dataset& test,
                               std::uint64_t seed, int chips, int batch,
                               const std::function<void(int, const EvalResult&)>& each, const Tensor* calibration) {
  device.validate();
  if (device.adc_bits > 0 && !calibration) throw Error("evaluate_chips: an ADC needs a calibration batch");
  ChipEvalSummary s;
  // On R ranks, rank r programs and evaluates its contiguous share of the chips; the records
  // are then gathered in chip order, so every rank holds what one process would have.
  const dist::Share mine = dist::share(static_cast<std::size_t>(chips));
  for (int i = static_cast<int>(mine.begin); i < static_cast<int>(mine.end); ++i) {
    const auto start = std::chrono::steady_clock::now();
    const std::uint64_t chip_seed = seed + static_cast<std::uint64_t>(i);
    ChipState chip = program_chip(model, device, chip_seed);
    if (device.adc_bits > 0) calibrate_adc(chip, model, *calibration);
    Model on_chip = read_chip(chip, model);  // at device.time_s, with its read noise and ADC
    s.chips.push_back(evaluate(on_chip, test, 0, batch));
    s.seeds.push_back(chip_seed);
    s.pulses.push_back(static_cast<double>(chip.pulses()));
    s.time_s.push_back(chip.time_s());
    s.seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (each) each(i, s.chips.back());
  }
  if (dist::size() > 1) {
    std::vector<double> packed;
    for (std::size_t i = 0; i < s.chips.size(); ++i) pack_chip(s, i, packed);
    const std::vector<double> all = dist::gather(packed);
    s = ChipEvalSummary{};
    for (std::size_t at = 0; at < all.size();) {
      at = unpack_chip(all, at, s);
      s.seeds.push_back(seed + s.seeds.size());
    }
    for (int i = 0; i < chips; ++i) {  // the other ranks' chips, to the log after this rank's
      if (each && (i < static_cast<int>(mine.begin) || i >= static_cast<int>(mine.end))) each(i, s.chips[i]);
    }
  }
  summarize_accuracy(s);
  return s;
}

}  // namespace nnc
