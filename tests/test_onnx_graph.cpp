// ONNX and graphs (issue 44): residual networks exported and imported back compute the same
// logits; PyTorch's own exports of CIFAR ResNets (both shortcut kinds, opsets 11, 13 and 17,
// tests/data/onnx/make_resnet_onnx.py) import to PyTorch's logits; malformed graphs are refused
// with a message naming the node.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "fixtures.hpp"
#include "onnx_fixtures.hpp"
#include "nnc/io/onnx.hpp"
#include "nnc/nn/gemm_bf16.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/layers.hpp"
#include "nnc/nn/residual.hpp"

using namespace nnc;
namespace fs = std::filesystem;

namespace {

fs::path fixture_dir() { return test::onnx_dir(); }

// Random weights and batch-norm statistics far from the defaults, so that every value matters.
Model random_model(const std::string& spec, Shape in, int classes, std::uint64_t seed) {
  Model m(spec, in, classes);
  m.init(seed);
  Rng rng(seed + 100);
  for (auto& l : m.layers()) {
    if (auto* bn = dynamic_cast<BatchNorm*>(l.get())) {
      for (Eigen::Index c = 0; c < bn->gamma.value.size(); ++c) {
        bn->gamma.value[c] = static_cast<Real>(0.5 + rng.uniform());
        bn->beta.value[c] = static_cast<Real>(rng.uniform() - 0.5);
        bn->running_mean.value[c] = static_cast<Real>(0.4 * (rng.uniform() - 0.5));
        bn->running_var.value[c] = static_cast<Real>(0.5 + rng.uniform());
      }
    }
    for (Param* p : l->params())
      if (p->name == "bias")
        for (Eigen::Index i = 0; i < p->value.size(); ++i) p->value[i] = static_cast<Real>(0.2 * (rng.uniform() - 0.5));
  }
  return m;
}

// Float products in the Winograd convolutions while it lives (PyTorch's are float; bf16
// products, nnc's default where the CPU has them, differ from them by about 1e-2).
struct FloatProducts {
  bool was = bf16_products();
  FloatProducts() { set_bf16_products(false); }
  ~FloatProducts() { set_bf16_products(was); }
};

double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.size() == b.size());
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(double(a.data()[i]) - double(b.data()[i])));
  return d;
}

double max_abs(const Tensor& a) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a.data()[i])));
  return m;
}

const auto refusal = test::onnx_refusal;

}  // namespace

TEST_CASE("onnx: a residual network exported and imported again computes the same logits") {
  struct Case {
    const char* what;
    std::string spec;
    Shape in;
  };
  const Case cases[] = {
      {"option A shortcuts (the resnet20 preset)", "resnet20", {3, 32, 32}},
      {"1x1 projection with batch norm, and add@A+B",
       "c8p1,bn,b0=relu,c8p1,bn,relu,c8p1,bn,add@b0,b1=relu,c16k1s2,s=bn,c16s2p1@b1,bn,relu,c16p1,bn,add@s,"
       "x=relu,c16p1,y=bn,add@x+y,gap,fc10",
       {3, 12, 12}},
      {"an option A shortcut on odd sides, pooling and dropout",
       "c6p1,bn,a=relu,s=id10s3,c10s3p1@a,bn,add@s,mp2,relu,drop0.5,flat,fc10", {2, 13, 13}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    Model m = random_model(c.spec, c.in, 10, 5);
    const Bytes bytes = export_onnx(m, "graph", "0");
    CHECK(export_onnx(m, "graph", "0") == bytes);  // the same bytes every time
    OnnxImport im = import_onnx(bytes, "graph.onnx");
    CHECK(im.model.param_count() == m.param_count());
    CHECK_FALSE(im.model.is_chain());
    const Tensor x = test::random_tensor(4, c.in, 9);
    const Tensor want = m.forward(x, {});
    const Tensor got = im.model.forward(x, {});
    CHECK(max_abs(want) > 0.1);
    CHECK(max_abs_diff(want, got) <= 1e-5 * std::max(1.0, max_abs(want)));
    // The inference path (batch norm folded into the convolutions) agrees too.
    Tensor inferred;
    im.model.infer(x, inferred);
    CHECK(max_abs_diff(want, inferred) <= 1e-4 * std::max(1.0, max_abs(want)));
  }
}

TEST_CASE("onnx: an option A shortcut exports as Slice and Pad and imports as the same idN[sS] layer") {
  Model m = random_model("c4p1,a=relu,s=id8s2,c8s2p1@a,add@s,gap,fc3", {2, 8, 8}, 3, 1);
  const OnnxGraphSummary g = summarize_onnx(export_onnx(m, "g", "0"), "g.onnx");
  CHECK(std::count(g.op_types.begin(), g.op_types.end(), "Slice") == 1);
  CHECK(std::count(g.op_types.begin(), g.op_types.end(), "Pad") == 1);
  CHECK(std::count(g.op_types.begin(), g.op_types.end(), "Add") == 1);
  CHECK(std::count(g.op_types.begin(), g.op_types.end(), "GlobalAveragePool") == 1);
  const OnnxImport im = import_onnx(export_onnx(m, "g", "0"), "g.onnx");
  // The export names nodes by layer; the import names what is read out of turn l<index>.
  CHECK(im.model.spec() == "c4p1,l1=relu,l2=id8s2,c8s2p1@l1,add@l2,gap,flat,fc3");
}

TEST_CASE("onnx: PyTorch's CIFAR ResNets import to PyTorch's logits, both shortcuts, opsets 11 to 17") {
  const FloatProducts float_products;
  const fs::path dir = fixture_dir();
  const OnnxTensor x = read_onnx_tensor(read_bytes((dir / "resnet_input.pb").string()), "resnet_input.pb");
  REQUIRE(x.dims == std::vector<std::int64_t>{4, 3, 16, 16});
  struct Case {
    const char* file;
    const char* logits;
    const char* shortcut;  // a token the imported spec must hold
    bool batch_norm;       // opset 17's exports keep BatchNormalization nodes
  };
  for (const Case& c : {Case{"resnet_a_op11.onnx", "resnet_a_logits.pb", "id8s2", false},
                        Case{"resnet_a_op17.onnx", "resnet_a_logits.pb", "id16s2", true},
                        Case{"resnet_b_op11.onnx", "resnet_b_logits.pb", "c8k1s2", false},
                        Case{"resnet_b_op17.onnx", "resnet_b_logits.pb", "c16k1s2", true},
                        // option A as torch.cat of torch.zeros(x.size(0), ...) around MaxPool2d(1, 2)
                        Case{"resnet_a2_op13.onnx", "resnet_a_logits.pb", "id16s2", false}}) {
    CAPTURE(c.file);
    const OnnxImport im = import_onnx(read_bytes((dir / c.file).string()), c.file);
    const std::string spec = im.model.spec();
    CAPTURE(spec);
    CHECK(spec.find(c.shortcut) != std::string::npos);
    CHECK((spec.find("bn") != std::string::npos) == c.batch_norm);
    CHECK(std::count(spec.begin(), spec.end(), '+') == 0);
    int adds = 0;
    for (const auto& l : im.model.layers()) adds += l->type() == "add";
    CHECK(adds == 3);  // one basic block per stage
    const OnnxTensor want = read_onnx_tensor(read_bytes((dir / c.logits).string()), c.logits);
    Tensor in(4, im.model.input_shape());
    REQUIRE(in.size() == x.values.size());
    std::copy(x.values.begin(), x.values.end(), in.data());
    Model m = im.model;
    const Tensor y = m.forward(in, {});
    REQUIRE(y.size() == want.values.size());
    double d = 0, mx = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      d = std::max(d, std::abs(double(y.data()[i]) - want.values[i]));
      mx = std::max(mx, std::abs(want.values[i]));
    }
    CHECK(mx > 0.1);
    CHECK(d <= 1e-4);
    // Exported again, the graph imports to the same logits.
    const OnnxImport back = import_onnx(export_onnx(im.model, "again", "0"), "again.onnx");
    Model b = back.model;
    CHECK(max_abs_diff(b.forward(in, {}), y) <= 1e-5);
  }
}

TEST_CASE("onnx: malformed graphs are one-line errors naming the node") {
  const std::string cycle = refusal("cycle.onnx");
  CHECK(cycle.find("node 'add1' (Add): reads 'c', which depends on its own output (the graph has a cycle)") !=
        std::string::npos);
  const std::string dangling = refusal("dangling.onnx");
  CHECK(dangling.find("node 'fc1' (Gemm): input 'h' (data) has no initializer and nothing produces it") !=
        std::string::npos);
  const std::string shapes = refusal("bad_shapes.onnx");
  CHECK(shapes.find("node 'conv1' (Conv): weight [4,3,3,3] on 2 input channels") != std::string::npos);
  const std::string add = refusal("add_shapes.onnx");
  CHECK(add.find("node 'add1' (Add): adds tensors of shapes 4x4x4 and 2x4x4") != std::string::npos);
  const std::string pad = refusal("pad_spatial.onnx");
  CHECK(pad.find("node 'pad1' (Pad)") != std::string::npos);
  CHECK(pad.find("nnc pads only channels") != std::string::npos);
  for (const std::string& s : {cycle, dangling, shapes, add, pad}) CHECK(s.find('\n') == std::string::npos);
}

TEST_CASE("onnx: a residual over dense layers (once refused as not a chain) imports as a graph") {
  // relu1 -> fc1 -> add1(fc1, relu1): tests/data/onnx/make_models.py's not_chain.onnx.
  const fs::path p = fixture_dir() / "not_chain.onnx";
  OnnxImport im = import_onnx(read_bytes(p.string()), p.string());
  CHECK(im.model.spec() == "l0=relu,fc8,add@l0");
  // y = W relu(x) + b + relu(x), with the fixture's W[o][i] = 0.01 (8 o + i) and b[o] = 0.01 o.
  Tensor x(1, Shape{8, 1, 1});
  for (int i = 0; i < 8; ++i) x.data()[i] = static_cast<Real>(i % 3 == 0 ? -1.0 : 0.5 * i);
  const Tensor y = im.model.forward(x, {});
  for (int o = 0; o < 8; ++o) {
    double want = 0.01 * o;
    for (int i = 0; i < 8; ++i) want += 0.01 * (8 * o + i) * std::max(0.0, double(x.data()[i]));
    want += std::max(0.0, double(x.data()[o]));
    CHECK(y.data()[o] == doctest::Approx(want).epsilon(1e-5));
  }
}
