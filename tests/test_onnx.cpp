// ONNX import and export: ONNX's own backend test cases (libonnx-testdata) for every operator
// nnc takes, the export -> import round trip of chains, and the refusal of what nnc cannot hold
// (graphs: tests/test_onnx_graph.cpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "fixtures.hpp"
#include "onnx_fixtures.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/io/onnx.hpp"
#include "nnc/nn/layers.hpp"

using namespace nnc;
namespace fs = std::filesystem;

namespace {

// Where Debian's libonnx-testdata puts the cases, unless $NNC_ONNX_TESTDATA says otherwise.
fs::path onnx_testdata_dir() {
  if (const char* env = std::getenv("NNC_ONNX_TESTDATA")) return env;
  return "/usr/share/libonnx-testdata/data";
}

fs::path fixture_dir() { return test::onnx_dir(); }

// The operators nnc-import takes; a case counts as "of a supported operator" when every node
// of its graph is one of these.
const std::set<std::string> kOps = {"Conv", "Gemm", "MatMul", "Add", "Relu", "MaxPool", "AveragePool",
                                    "BatchNormalization", "Flatten", "Reshape", "Dropout", "Softmax",
                                    "Identity", "Constant", "GlobalAveragePool", "ReduceMean", "Slice", "Pad",
                                    "Concat", "Shape", "Gather", "Unsqueeze", "Squeeze", "Cast",
                                    "ConstantOfShape", "Transpose", "Sub", "Mul", "Div"};

// Softmax over each sample (what a dropped final Softmax computed).
void softmax_columns(Tensor& t) {
  for (int s = 0; s < t.n(); ++s) {
    Real* p = t.sample(s);
    const std::size_t n = t.sample_size();
    const double mx = *std::max_element(p, p + n);
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += std::exp(double(p[i]) - mx);
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<Real>(std::exp(double(p[i]) - mx) / sum);
  }
}

enum class Outcome { pass, fail, skip };

// Runs one backend case: every test_data_set_* must match. Returns the outcome and why.
std::pair<Outcome, std::string> run_case(const fs::path& dir) {
  const Bytes model_bytes = read_bytes((dir / "model.onnx").string());
  const OnnxGraphSummary g = summarize_onnx(model_bytes, (dir / "model.onnx").string());
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) return {Outcome::skip, "no test_data_set"};
  int checked = 0;
  for (const auto& set : sets) {
    // Node tests pass weights as graph inputs: input_1.pb... become initializers.
    std::map<std::string, OnnxTensor> bind;
    for (std::size_t i = 1; i < g.inputs.size(); ++i) {
      const fs::path pb = set / ("input_" + std::to_string(i) + ".pb");
      if (!fs::exists(pb)) return {Outcome::skip, "graph input '" + g.inputs[i] + "' has no input_" + std::to_string(i) + ".pb"};
      bind[g.inputs[i]] = read_onnx_tensor(read_bytes(pb.string()), pb.string());
    }
    OnnxImport im;
    try {
      im = import_onnx(model_bytes, (dir / "model.onnx").string(), "", bind);
    } catch (const Error& e) {
      std::string why = e.what();
      const auto at = why.find("model.onnx: ");
      if (at != std::string::npos) why = why.substr(at + 12);
      return {Outcome::skip, why};
    }
    const OnnxTensor x = read_onnx_tensor(read_bytes((set / "input_0.pb").string()), "input_0.pb");
    const OnnxTensor want = read_onnx_tensor(read_bytes((set / "output_0.pb").string()), "output_0.pb");
    const Shape s = im.model.input_shape();
    if (x.dims.empty() || x.values.size() != static_cast<std::size_t>(x.dims[0]) * s.size()) {
      return {Outcome::fail, "input_0 of shape does not fit the model's input " + s.str()};
    }
    Tensor in(static_cast<int>(x.dims[0]), s);
    std::copy(x.values.begin(), x.values.end(), in.data());
    Tensor y = im.model.forward(in, ForwardContext{});
    if (im.softmax_dropped) softmax_columns(y);
    if (y.size() != want.values.size()) {
      return {Outcome::fail, "output has " + std::to_string(y.size()) + " values, expected " +
                                 std::to_string(want.values.size())};
    }
    // ONNX's backend tolerances.
    constexpr double rtol = 1e-3, atol = 1e-7;
    for (std::size_t i = 0; i < y.size(); ++i) {
      const double got = y.data()[i], e = want.values[i];
      if (!(std::abs(got - e) <= atol + rtol * std::abs(e))) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "%s: output[%zu] = %.7g, expected %.7g", set.filename().c_str(), i, got, e);
        return {Outcome::fail, buf};
      }
    }
    ++checked;
  }
  return {Outcome::pass, std::to_string(checked) + " data set(s)"};
}

}  // namespace

TEST_CASE("onnx: backend test cases of the supported operators (libonnx-testdata)") {
  const fs::path root = onnx_testdata_dir();
  if (!fs::is_directory(root / "node")) {
    FAIL("ONNX backend test data not found at " << root.string()
         << " (apt-get install libonnx-testdata, or set NNC_ONNX_TESTDATA to its data directory)");
    return;
  }
  int pass = 0, fail = 0, skip = 0;
  std::string report;
  for (const char* group : {"node", "pytorch-converted", "pytorch-operator"}) {
    if (!fs::is_directory(root / group)) continue;
    std::vector<fs::path> cases;
    for (const auto& e : fs::directory_iterator(root / group))
      if (fs::exists(e.path() / "model.onnx")) cases.push_back(e.path());
    std::sort(cases.begin(), cases.end());
    for (const auto& dir : cases) {
      const Bytes bytes = read_bytes((dir / "model.onnx").string());
      bool supported = true;
      for (const auto& op : summarize_onnx(bytes, dir.string()).op_types) supported = supported && kOps.count(op);
      if (!supported) continue;
      std::pair<Outcome, std::string> r;
      try {
        r = run_case(dir);
      } catch (const Error& e) {  // a data file nnc cannot read (uint8 tensors, ...)
        r = {Outcome::skip, e.what()};
      }
      const auto& [outcome, why] = r;
      const char* tag = outcome == Outcome::pass ? "pass" : outcome == Outcome::fail ? "FAIL" : "skip";
      report += std::string("  ") + tag + "  " + group + "/" + dir.filename().string() + ": " + why + "\n";
      (outcome == Outcome::pass ? pass : outcome == Outcome::fail ? fail : skip)++;
    }
  }
  std::printf("ONNX backend cases whose operators nnc supports (%s):\n%s", root.c_str(), report.c_str());
  std::printf("ONNX backend cases: %d passed, %d failed, %d skipped (not importable into nnc) of %d\n", pass, fail,
              skip, pass + fail + skip);
  CHECK(fail == 0);
  // Every operator has cases that nnc runs: a regression that refuses a whole operator shows.
  CHECK(pass >= 30);
}

namespace {

// A model of every layer type, with non-default batch-norm statistics and a pruning mask.
Model sample_model(const std::string& spec, Shape in, int classes) {
  Model m(spec, in, classes);
  m.init(11);
  Rng rng(3);
  for (auto& l : m.layers()) {
    if (auto* bn = dynamic_cast<BatchNorm*>(l.get())) {
      for (Eigen::Index c = 0; c < bn->gamma.value.size(); ++c) {
        bn->gamma.value[c] = static_cast<Real>(0.5 + rng.uniform());
        bn->beta.value[c] = static_cast<Real>(rng.uniform() - 0.5);
        bn->running_mean.value[c] = static_cast<Real>(rng.uniform() - 0.5);
        bn->running_var.value[c] = static_cast<Real>(0.5 + rng.uniform());
      }
    }
    if (auto* c = dynamic_cast<Conv2d*>(l.get()); c && c->has_bias()) {
      for (Eigen::Index i = 0; i < c->bias.value.size(); ++i) c->bias.value[i] = static_cast<Real>(rng.uniform() - 0.5);
    }
    if (auto* d = dynamic_cast<Dense*>(l.get())) {
      for (Eigen::Index i = 0; i < d->bias.value.size(); ++i) d->bias.value[i] = static_cast<Real>(rng.uniform() - 0.5);
      // Prune every third weight by mask only: export must write them as zeros.
      d->weight.mask.assign(d->weight.size(), 1);
      for (std::size_t i = 0; i < d->weight.mask.size(); i += 3) d->weight.mask[i] = 0;
    }
  }
  return m;
}

}  // namespace

TEST_CASE("onnx: export then import gives the same weights and outputs") {
  struct Case { std::string spec; Shape in; int classes; };
  for (const Case& c : {Case{"c6k3p1,bn,relu,mp2,c8k3s2p1,ap2,flat,drop0.5,fc12,bn,relu,fc5", {2, 16, 16}, 5},
                        Case{"c4k5,mp2,fc7", {1, 12, 12}, 7},  // dense straight after a pool
                        Case{"flat,fc9,relu,fc3", {1, 6, 6}, 3}, Case{"fc4,relu,fc2", {10, 1, 1}, 2}}) {
    CAPTURE(c.spec);
    const Model m = sample_model(c.spec, c.in, c.classes);
    const Bytes bytes = export_onnx(m, "test", "0");
    CHECK(export_onnx(m, "test", "0") == bytes);  // deterministic bytes
    OnnxImport im = import_onnx(bytes, "exported.onnx");
    CHECK(im.opset == kOnnxOpset);
    CHECK_FALSE(im.softmax_dropped);
    CHECK(im.model.input_shape() == m.input_shape());
    CHECK(im.model.classes() == m.classes());
    // The weights, layer by layer (an exported dense after a pool gains a Flatten: skip it).
    std::vector<const Param*> a, b;
    for (const Param* p : m.params()) a.push_back(p);
    for (const Param* p : im.model.params()) b.push_back(p);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      CAPTURE(a[i]->name);
      REQUIRE(a[i]->shape == b[i]->shape);
      for (std::size_t k = 0; k < a[i]->size(); ++k) {
        const bool pruned = a[i]->has_mask() && a[i]->mask[k] == 0;
        const Real want = pruned ? Real(0) : a[i]->value[static_cast<Eigen::Index>(k)];
        const Real got = b[i]->value[static_cast<Eigen::Index>(k)];
        if (a[i]->name == "running_var") {
          REQUIRE(got == doctest::Approx(want).epsilon(1e-6));  // epsilon travels as a float
        } else {
          REQUIRE(got == want);
        }
      }
    }
    // The outputs: the exported model with masks applied is what nnc computes with them.
    Model masked = m;
    for (Param* p : masked.params())
      if (p->has_mask()) p->apply_mask();
    const Tensor x = test::random_tensor(5, c.in, 21);
    const Tensor ya = masked.forward(x, {}), yb = im.model.forward(x, {});
    REQUIRE(ya.size() == yb.size());
    for (std::size_t i = 0; i < ya.size(); ++i) CHECK(yb.data()[i] == doctest::Approx(ya.data()[i]).epsilon(1e-5));
  }
}

TEST_CASE("onnx: import folds what nnc expresses differently") {
  // conv with bias -> bn (epsilon 1e-3) -> relu -> Reshape [0,-1] -> MatMul -> Add -> Softmax,
  // against numpy's output (tests/data/onnx/make_models.py).
  const fs::path dir = fixture_dir();
  const OnnxImport im = import_onnx(read_bytes((dir / "folds.onnx").string()), "folds.onnx");
  CHECK(im.model.spec() == "c3p1,bn,relu,flat,fc4");
  CHECK_FALSE(static_cast<const Conv2d&>(*im.model.layers()[0]).has_bias());
  CHECK(im.softmax_dropped);
  CHECK(im.notes.size() == 3);  // epsilon, conv bias, softmax
  const OnnxTensor x = read_onnx_tensor(read_bytes((dir / "folds_input.pb").string()), "folds_input.pb");
  const OnnxTensor want = read_onnx_tensor(read_bytes((dir / "folds_output.pb").string()), "folds_output.pb");
  Tensor in(static_cast<int>(x.dims[0]), im.model.input_shape());
  REQUIRE(x.values.size() == in.size());
  std::copy(x.values.begin(), x.values.end(), in.data());
  Model m = im.model;
  Tensor y = m.forward(in, ForwardContext{});
  softmax_columns(y);
  REQUIRE(y.size() == want.values.size());
  for (std::size_t i = 0; i < y.size(); ++i) CHECK(y.data()[i] == doctest::Approx(want.values[i]).epsilon(1e-5));
}

TEST_CASE("onnx: graphs nnc cannot hold are refused, naming the node") {
  const auto refusal = test::onnx_refusal;
  CHECK(refusal("not_onnx.onnx").find("is not an ONNX model") != std::string::npos);
  const std::string op = refusal("unsupported_op.onnx");
  CHECK(op.find("node 'act1' (Sigmoid)") != std::string::npos);
  CHECK(op.find("not supported") != std::string::npos);
  // not_chain.onnx, a residual, imports as a graph now (tests/test_onnx_graph.cpp).
  const std::string init = refusal("missing_initializer.onnx");
  CHECK(init.find("node 'fc1' (Gemm)") != std::string::npos);
  CHECK(init.find("'fc1.weight'") != std::string::npos);
  CHECK(init.find("no initializer") != std::string::npos);

  // An nnc artifact is not an ONNX model either.
  Bytes h5 = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0};
  CHECK_THROWS_WITH_AS(import_onnx(h5, "m.h5"), doctest::Contains("HDF5"), Error);
  // A TensorProto file is not a tensor if it is garbage.
  Bytes junk = {0xff, 0xff, 0xff, 0xff, 0xff};
  CHECK_THROWS_AS(read_onnx_tensor(junk, "x.pb"), Error);
}
