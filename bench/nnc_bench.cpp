// nnc-bench: training and inference throughput of nnc's presets, and the machine's
// single-precision matrix-product rate, one JSON line per measurement on stdout.
//
// Training is what nnc-train does per step (fill_batch, forward, softmax cross-entropy,
// backward, SGD step) at batch 64; inference is what nnc-eval does (fill_batch, forward) at
// batch 1000, timed after one untimed warm-up batch. Peak memory is the process's ru_maxrss after each measurement, so run one
// model per process (--model) to attribute it. A benchmark, not a test (style.md 10).
#include <sys/resource.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include "nnc/algo/chip_eval.hpp"
#include "nnc/cli/json.hpp"
#include "nnc/data/dataset.hpp"
#include "nnc/device/chip.hpp"
#include "nnc/io/artifact.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/gemm_bf16.hpp"
#include "nnc/nn/loss.hpp"
#include "nnc/nn/model.hpp"
#include "nnc/nn/optimizer.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/nn/rng.hpp"
#include "nnc/nn/streams.hpp"
#include "nnc/version.hpp"

using namespace nnc;
using Clock = std::chrono::steady_clock;

namespace {

long max_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;  // kilobytes on Linux
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Random pixels and labels of a dataset's shape, for when the real files are absent.
Dataset synthetic(const std::string& name, Shape shape, std::size_t n) {
  Dataset d;
  d.name = name;
  d.shape = shape;
  d.classes = 10;
  d.pixels.resize(n * shape.size());
  d.labels.resize(n);
  Rng rng(7, {0xBE7Cu});
  for (auto& p : d.pixels) p = static_cast<std::uint8_t>(rng.next() >> 56);
  for (auto& l : d.labels) l = static_cast<std::uint8_t>(rng.next() % 10);
  d.mean = {0.5f, 0.5f, 0.5f};
  d.std = {0.25f, 0.25f, 0.25f};
  return d;
}

// The real training split if its files are there, else synthetic data of the same shape.
Dataset bench_data(const std::string& name, Shape shape, const std::string& dir, std::string& source) {
  try {
    Dataset d = load_dataset(name, Split::train, dir);
    source = resolve_data_dir(name, dir);
    return d;
  } catch (const Error&) {
    source = "synthetic";
    return synthetic(name, shape, 12000);
  }
}

// The indices of a batch of `batch` consecutive images from image `start` on: the batch starts
// at start % (n - batch), so it never runs past the end; a dataset of no more than `batch`
// images (a test's fixture) is read round and round.
void batch_indices(std::size_t start, std::size_t n, std::vector<std::size_t>& idx) {
  const std::size_t batch = idx.size();
  if (n > batch) {
    std::iota(idx.begin(), idx.end(), start % (n - batch));
  } else {
    for (std::size_t k = 0; k < batch; ++k) idx[k] = (start + k) % n;
  }
}

struct Result {
  double images_per_s = 0;
  double seconds = 0;
  long images = 0;
};

// Training steps of `batch` images drawn in order from the data (as a shuffled epoch would).
Result bench_train(Model& model, const Dataset& data, int batch, int warmup, int steps) {
  const auto params = model.params();
  std::vector<int> labels(static_cast<std::size_t>(batch));
  std::vector<std::size_t> idx(static_cast<std::size_t>(batch));
  Tensor x, dlogits;
  auto step = [&](int i) {
    batch_indices(static_cast<std::size_t>(i) * batch, data.size(), idx);
    fill_batch(data, idx.data(), batch, x, labels.data());
    ForwardContext ctx{true, 1, static_cast<std::uint64_t>(i), 0};
    const Tensor& logits = model.forward(x, ctx);
    softmax_cross_entropy(logits, labels.data(), &dlogits);
    model.backward(dlogits);
    sgd_step(params, 0.01, SgdOptions{});
  };
  for (int i = 0; i < warmup; ++i) step(i);
  const auto t0 = Clock::now();
  for (int i = 0; i < steps; ++i) step(warmup + i);
  Result r;
  r.seconds = seconds_since(t0);
  r.images = static_cast<long>(steps) * batch;
  r.images_per_s = r.images / r.seconds;
  return r;
}

// Inference over `images` images in batches of `batch` (after one warm-up batch).
Result bench_infer(Model& model, const Dataset& data, int batch, long images) {
  std::vector<int> labels(static_cast<std::size_t>(batch));
  std::vector<std::size_t> idx(static_cast<std::size_t>(batch));
  Tensor x, logits;
  double sink = 0;
  auto run = [&](std::size_t start) {
    batch_indices(start, data.size(), idx);
    fill_batch(data, idx.data(), batch, x, labels.data());
    model.infer(x, logits);
    sink += logits.data()[0];
  };
  run(0);
  const auto t0 = Clock::now();
  for (long s = 0; s < images; s += batch) run(static_cast<std::size_t>(s));
  Result r;
  r.seconds = seconds_since(t0);
  r.images = (images + batch - 1) / batch * batch;
  r.images_per_s = r.images / r.seconds;
  if (sink != sink) std::fprintf(stderr, "[nnc-bench] warning: NaN logits\n");
  return r;
}

// C = A * B on n x n floats, C's columns cut into fixed blocks run in parallel, as nnc's
// layers run: Eigen's own threading is off (EIGEN_DONT_PARALLELIZE).
double bench_gemm(int n, int reps) {
  Matrix a = Matrix::Random(n, n), b = Matrix::Random(n, n), c(n, n);
  const int block = 256;
  auto once = [&] {
    parallel_chunks(n, block, [&](int, int begin, int end) {
      c.middleCols(begin, end - begin).noalias() = a * b.middleCols(begin, end - begin);
    });
  };
  once();
  const auto t0 = Clock::now();
  for (int i = 0; i < reps; ++i) once();
  const double s = seconds_since(t0);
  return 2.0 * n * n * static_cast<double>(n) * reps / s / 1e9;
}

// The processor's model name and whether it has AVX2, AVX-512 and AVX512_BF16, from
// /proc/cpuinfo (Linux), for the figures' record: rates on different processors never compare.
Json cpu_record() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model = "unknown", flags;
  while (std::getline(in, line)) {
    if (model == "unknown" && line.rfind("model name", 0) == 0) model = line.substr(line.find(':') + 2);
    if (flags.empty() && line.rfind("flags", 0) == 0) flags = line + " ";
  }
  std::string has;
  for (const char* f : {"avx2", "fma", "avx512f", "avx512_bf16"}) {
    if (flags.find(std::string(" ") + f + " ") != std::string::npos) has += (has.empty() ? "" : ",") + std::string(f);
  }
  Json j = Json::object();
  j.set("cpu", model).set("cpu_flags", has).set("bf16_products", bf16_products());
  return j;
}

// Inference through a chip's read-out (issue 46): cnn9 programmed in memory from its initial
// weights with the default device, read ideally (the read-back weights), through an 8-bit ADC
// (calibrated on the first 256 images), with per-read noise 0.02, and with both; `rounds`
// rounds of the four in turn (so that a busy machine slows each alike), each read the same
// images as bench_infer does. Prints each read's median rate and its time against the ideal
// read's median.
template <class Line>
void bench_readout(const Dataset& data, const std::string& source, long images, int rounds, Line line) {
  Model model("cnn9", data.shape, data.classes);
  model.init(1);
  ChipState chip = program_chip(model, DeviceParams{}, 1);
  calibrate_adc(chip, model, adc_calibration_batch(data));
  struct Read {
    const char* name;
    int adc_bits;
    double read_noise;
  };
  const std::vector<Read> reads{{"ideal", 0, 0}, {"adc8", 8, 0}, {"noise0.02", 0, 0.02}, {"adc8+noise0.02", 8, 0.02}};
  // Wall-clock rates, and rates per second of the process's CPU time, which a machine busy with
  // other work disturbs less (at one thread they are the same on an idle machine).
  std::vector<std::vector<double>> rate(reads.size()), cpu_rate(reads.size());
  const auto cpu_seconds = [] {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
  };
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t k = 0; k < reads.size(); ++k) {
      chip.device.adc_bits = reads[k].adc_bits;
      chip.device.read_noise_sigma = reads[k].read_noise;
      chip.device.read_seed = 1;
      Model on_chip = read_chip(chip, model);
      start_reads(on_chip, stream::read::kTest);
      const double c0 = cpu_seconds();
      const Result res = bench_infer(on_chip, data, 1000, images);
      const double cpu = cpu_seconds() - c0;
      rate[k].push_back(res.images_per_s);
      cpu_rate[k].push_back(double(res.images + 1000) / cpu);  // the warm-up batch is inside
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  const double ideal = median(rate[0]), ideal_cpu = median(cpu_rate[0]);
  for (std::size_t k = 0; k < reads.size(); ++k) {
    Json j = cpu_record();
    j.set("bench", "readout").set("arch", "cnn9").set("data", source).set("batch", 1000).set("read", reads[k].name)
        .set("adc_bits", reads[k].adc_bits).set("read_noise", reads[k].read_noise).set("rounds", rounds)
        .set("images", static_cast<double>(images)).set("images_per_s", median(rate[k]))
        .set("time_vs_ideal", ideal / median(rate[k])).set("images_per_cpu_s", median(cpu_rate[k]))
        .set("cpu_time_vs_ideal", ideal_cpu / median(cpu_rate[k]));
    line(j);
  }
}

// Seconds per call of each layer's forward and backward at a batch size (for finding where
// the time goes; printed as one JSON line per layer). A ReLU folded into its batch norm
// (Model::relu_folded) is timed with the batch norm and shows 0.
void profile_layers(Model& model, const Dataset& data, int batch, int reps, bool training) {
  model.require_chain("nnc-bench's per-layer profile");  // it feeds each layer its predecessor's output
  std::vector<int> labels(static_cast<std::size_t>(batch));
  std::vector<std::size_t> idx(static_cast<std::size_t>(batch));
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  Tensor x, dlogits;
  fill_batch(data, idx.data(), batch, x, labels.data());
  ForwardContext ctx{training, 1, 0, 0};
  const Tensor& logits = model.forward(x, ctx);
  softmax_cross_entropy(logits, labels.data(), &dlogits);
  if (training) model.backward(dlogits);
  auto& layers = model.layers();
  std::vector<Tensor> dx(layers.size());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    double fwd = 0, bwd = 0;
    if (!model.relu_folded(i)) {
      ForwardContext c = ctx;
      c.layer_index = static_cast<int>(i);
      c.relu_after = model.relu_folded(i + 1);
      Tensor y;
      auto t0 = Clock::now();
      for (int r = 0; r < reps; ++r) layers[i]->forward(model.activation(i), y, c);
      fwd = seconds_since(t0) / reps;
      if (training) {
        layers[i]->forward(model.activation(i), y, c);  // restore state the backward pass reads
        const std::size_t next = c.relu_after ? i + 2 : i + 1;  // the first layer after this one's output
        const Tensor& dy = next < layers.size() ? model.activation_grad(next) : dlogits;
        t0 = Clock::now();
        for (int r = 0; r < reps; ++r) layers[i]->backward(model.activation(i), y, dy, i > 0 ? &dx[i] : nullptr);
        bwd = seconds_since(t0) / reps;
      }
    }
    Json j = Json::object();
    j.set("bench", "profile").set("layer", static_cast<double>(i)).set("spec", layers[i]->spec())
        .set("batch", batch).set("forward_ms", fwd * 1e3).set("backward_ms", bwd * 1e3);
    std::cout << j.dump() << std::endl;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Measure nnc's training and inference throughput and the machine's GEMM rate.\n"
               "nnc-bench [--model lenet5|cnn9|vgg16|resnet20|resnet32|resnet56|gemm|readout|all] [--threads N] "
               "[--steps N]\n"
               "e.g.: nnc-bench --model resnet20 --threads 2"};
  std::string which = "all", mnist_dir, cifar_dir, write_model;
  int threads = 2, steps = 300, warmup = 20, cnn9_steps = 40, vgg16_steps = 10, resnet_steps = 30, gemm_n = 2048,
      gemm_reps = 5;
  long infer_images = 10000;
  bool infer_only = false;
  app.add_option("--model", which,
                 "what to measure (all: lenet5, cnn9 and gemm; vgg16, the CIFAR ResNets and readout, cnn9 on a chip "
                 "read ideally, through an ADC and with read noise, only when named)")
      ->check(CLI::IsMember({"lenet5", "cnn9", "vgg16", "resnet20", "resnet32", "resnet56", "gemm", "readout", "all"}))
      ->capture_default_str();
  app.add_option("--threads", threads, "OpenMP threads (0 = the machine's cores)")->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app.add_option("--steps", steps, "timed lenet5 training steps")->check(CLI::Range(1, 1000000))->capture_default_str();
  app.add_option("--cnn9-steps", cnn9_steps, "timed cnn9 training steps")->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--vgg16-steps", vgg16_steps, "timed vgg16 training steps")->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--resnet-steps", resnet_steps, "timed resnet20/32/56 training steps")->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--warmup", warmup, "untimed training steps first")->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  app.add_option("--infer-images", infer_images, "images per inference measurement (after one warm-up batch)")
      ->check(CLI::Range(1000L, 100000000L))->capture_default_str();
  app.add_flag("--infer-only", infer_only, "measure a network's inference only (no training steps)");
  app.add_option("--write-model", write_model,
                 "write the network --model names, with the initial weights it is measured with, as an nnc model "
                 "file (- for stdout; for nnc-export), and measure nothing");
  app.add_option("--mnist-dir", mnist_dir, "MNIST IDX directory [data/mnist; synthetic if absent]");
  app.add_option("--cifar-dir", cifar_dir, "CIFAR-10 binary directory [data/cifar-10-batches-bin; synthetic if absent]");
  int rounds = 3;
  app.add_option("--rounds", rounds, "readout: rounds of the four reads in turn (the median is printed)")
      ->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--gemm-n", gemm_n, "size of the square GEMM")->check(CLI::Range(64, 16384))->capture_default_str();
  bool profile = false, float_products = false;
  app.add_flag("--float-products", float_products, "multiply in float in the 3x3 convolutions (default: bf16 where the processor has it)");
  app.add_flag("--profile", profile, "print per-layer forward and backward times instead (train batch 64, infer batch 1000)");
  CLI11_PARSE(app, argc, argv);
  if (!write_model.empty() && (which == "gemm" || which == "readout" || which == "all")) {
    std::fprintf(stderr, "[nnc-bench] error: --write-model needs one network as --model, not '%s'\n", which.c_str());
    return 105;  // as CLI11 refuses a bad flag
  }

  try {
    set_threads(threads);
    set_bf16_products(!float_products);
    keep_freed_memory();
    const int nthreads = max_threads();
    auto line = [&](Json j) {
      j.set("threads", nthreads).set("max_rss_kb", static_cast<double>(max_rss_kb()));
      std::cout << j.dump() << std::endl;
    };
    auto measure_model = [&](const std::string& arch, const std::string& dataset, Shape shape,
                             const std::string& dir, int train_steps) {
      if (!write_model.empty()) {  // the same network and weights as measured below, no data needed
        ModelArtifact a{Model(arch, shape, 10)};
        a.model.init(1);
        a.creator = "nnc-bench";
        a.provenance.tool = "nnc-bench";
        a.provenance.version = kVersion;
        a.provenance.seed = 1;
        for (int i = 0; i < argc; ++i) a.provenance.command += (i ? " " : "") + std::string(argv[i]);
        save_model(write_model, a);
        return 0.0;
      }
      std::string source;
      const Dataset data = bench_data(dataset, shape, dir, source);
      Model model(arch, data.shape, data.classes);
      model.init(1);
      if (profile) {
        profile_layers(model, data, 64, 50, true);
        profile_layers(model, data, 1000, 5, false);
        return 0.0;
      }
      const double flops_per_image = 2.0 * model.macs();
      if (infer_only) train_steps = 0;
      const Result t = train_steps > 0 ? bench_train(model, data, 64, warmup, train_steps) : Result{};
      Json jt = cpu_record();
      if (train_steps > 0) line(jt.set("bench", "train").set("arch", arch).set("data", source).set("batch", 64)
          .set("images", static_cast<double>(t.images)).set("seconds", t.seconds)
          .set("images_per_s", t.images_per_s)
          .set("gflops", 3 * flops_per_image * t.images_per_s / 1e9));
      const Result r = bench_infer(model, data, 1000, infer_images);
      Json ji = cpu_record();
      ji.set("bench", "infer").set("arch", arch).set("data", source).set("batch", 1000)
          .set("images", static_cast<double>(r.images)).set("seconds", r.seconds)
          .set("images_per_s", r.images_per_s).set("gflops", flops_per_image * r.images_per_s / 1e9);
      line(ji);
      return 3 * flops_per_image * t.images_per_s / 1e9;
    };
    double lenet_train_gflops = 0;
    if (which == "lenet5" || which == "all")
      lenet_train_gflops = measure_model("lenet5", "mnist", {1, 28, 28}, mnist_dir, steps);
    if (which == "cnn9" || which == "all")
      measure_model("cnn9", "cifar10", {3, 32, 32}, cifar_dir, cnn9_steps);
    if (which == "vgg16") measure_model("vgg16", "cifar10", {3, 32, 32}, cifar_dir, vgg16_steps);
    if (which.rfind("resnet", 0) == 0) measure_model(which, "cifar10", {3, 32, 32}, cifar_dir, resnet_steps);
    if (which == "readout") {
      std::string source;
      const Dataset data = bench_data("cifar10", {3, 32, 32}, cifar_dir, source);
      bench_readout(data, source, infer_images, rounds, line);
    }
    if (which == "gemm" || which == "all") {
      const double g = bench_gemm(gemm_n, gemm_reps);
      Json j = cpu_record();
      j.set("bench", "gemm").set("n", gemm_n).set("gflops", g).set("eigen", EIGEN_WORLD_VERSION * 10000 +
                                                                        EIGEN_MAJOR_VERSION * 100 + EIGEN_MINOR_VERSION);
      if (lenet_train_gflops > 0) j.set("lenet5_train_fraction_of_gemm", lenet_train_gflops / g);
      line(j);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[nnc-bench] error: %s\n", e.what());
    return 1;
  }
  return 0;
}
