// Model artifacts: round trips, identical bytes, and the refusal of every kind of bad file.
#include <doctest/doctest.h>

#include <limits>

#include "fixtures.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/io/artifact.hpp"
#include "nnc/io/h5.hpp"
#include "nnc/io/model_io.hpp"

using namespace nnc;
using test::error_of;

namespace {

ModelArtifact sample_artifact(const std::string& spec = "c4k3,bn,relu,mp2,drop0.5,flat,fc8,relu,fc4") {
  ModelArtifact a;
  a.model = Model(spec, {1, 12, 12}, 4);
  a.model.init(5);
  // Make batch-norm statistics differ from their defaults so the round trip means something.
  for (Param* p : a.model.params()) {
    if (!p->trainable) p->value.setConstant(0.25f);
  }
  a.creator = "test";
  a.history.push_back({1, 0.01, 1.5, 0.5, 1.25, 0.6, 3.0});
  a.series["widths"] = Series{{2, 2}, {1, 2, 3, 4}};
  a.notes["what"] = "a test";
  a.provenance.tool = "test";
  a.provenance.command = "test --seed 3";
  a.provenance.seed = 3;
  Provenance parent;
  parent.tool = "parent";
  a.provenance.inputs.push_back({"model", "in.h5", std::string(64, 'a'), std::make_shared<Provenance>(parent)});
  return a;
}

std::vector<float> outputs(Model& m) {
  Tensor x = test::random_tensor(3, m.input_shape(), 8);
  const Tensor& y = m.forward(x, {});
  return {y.data(), y.data() + y.size()};
}

// Writes a file like encode_model but with a hook to spoil one thing first.
Bytes spoiled(const std::function<void(hid_t root)>& spoil, const ModelArtifact& a) {
  h5::Writer w;
  io::write_root_attrs(w.root(), "model", "test");
  io::write_model_group(w.root(), a);
  spoil(w.root());
  return w.image();
}

}  // namespace

TEST_CASE("model round trip keeps every layer, the history, series and provenance") {
  ModelArtifact a = sample_artifact();
  a.model.layers()[0]->params()[0]->mask.assign(a.model.layers()[0]->params()[0]->size(), 1);
  a.model.layers()[0]->params()[0]->mask[3] = 0;
  a.model.layers()[0]->params()[0]->apply_mask();
  const Bytes bytes = encode_model(a);
  ModelArtifact b = decode_model(bytes, "mem");
  CHECK(b.model.spec() == a.model.spec());
  CHECK(b.model.input_shape() == a.model.input_shape());
  auto pa = a.model.params();
  auto pb = b.model.params();
  REQUIRE(pa.size() == pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    CHECK(pa[i]->value == pb[i]->value);
    CHECK(pa[i]->mask == pb[i]->mask);
  }
  CHECK(outputs(a.model) == outputs(b.model));
  REQUIRE(b.history.size() == 1);
  CHECK(b.history[0].val_accuracy == 0.6);
  CHECK(b.series["widths"].values == std::vector<double>{1, 2, 3, 4});
  CHECK(b.notes["what"] == "a test");
  CHECK(b.provenance.command == "test --seed 3");
  REQUIRE(b.provenance.inputs.size() == 1);
  REQUIRE(b.provenance.inputs[0].provenance);
  CHECK(b.provenance.inputs[0].provenance->tool == "parent");
  CHECK(!b.checkpoint);
}

TEST_CASE("every layer type survives a round trip alone") {
  for (const char* spec : {"c3k3s2p1,flat,fc4", "c3,bn,flat,fc4", "mp2,flat,fc4", "ap3,flat,fc4", "flat,fc6,relu,fc4",
                           "flat,drop0.5,fc4", "flat,fc5,bn,fc4"}) {
    ModelArtifact a = sample_artifact(spec);
    ModelArtifact b = decode_model(encode_model(a), "mem");
    INFO(spec);
    CHECK(b.model.spec() == a.model.spec());
    CHECK(outputs(a.model) == outputs(b.model));
  }
}

TEST_CASE("the same model gives the same bytes") {
  CHECK(encode_model(sample_artifact()) == encode_model(sample_artifact()));
}

TEST_CASE("bad model files are refused with the file named") {
  const ModelArtifact a = sample_artifact();
  const Bytes good = encode_model(a);

  CHECK(error_of([&] { decode_model(Bytes{'n', 'o', 'p', 'e'}, "x.h5"); }).find("x.h5: not an HDF5 file") == 0);
  Bytes truncated(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 2));
  CHECK(error_of([&] { decode_model(truncated, "t.h5"); }).find("t.h5") == 0);

  h5::Writer plain;
  h5::write_attr(plain.root(), "something", std::string("else"));
  CHECK(error_of([&] { decode_model(plain.image(), "p.h5"); }).find("not an nnc artifact") != std::string::npos);

  const Bytes newer = spoiled([](hid_t root) { h5::write_attr(root, "nnc_schema_version", std::string("2.0.0")); }, a);
  try {
    decode_model(newer, "n.h5");
    FAIL("newer schema accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::unsupported_schema);
  }

  const Bytes chip = spoiled([](hid_t root) { h5::write_attr(root, "nnc_kind", std::string("chip")); }, a);
  CHECK(error_of([&] { decode_model(chip, "c.h5"); }).find("expected a model") != std::string::npos);

  const Bytes shape = spoiled([](hid_t root) {
    H5Ldelete(root, "layers/000/weight", H5P_DEFAULT);
    const float w[4] = {1, 2, 3, 4};
    h5::Id g(H5Gopen2(root, "layers/000", H5P_DEFAULT));
    h5::write_dataset<float>(g, "weight", {2, 2}, w);
  }, a);
  CHECK(error_of([&] { decode_model(shape, "s.h5"); }).find("shape [2,2], expected [4,1,3,3]") != std::string::npos);

  const Bytes missing = spoiled([](hid_t root) { H5Ldelete(root, "layers/008/bias", H5P_DEFAULT); }, a);
  CHECK(error_of([&] { decode_model(missing, "m.h5"); }).find("missing dataset 'bias'") != std::string::npos);

  ModelArtifact nan = sample_artifact();
  nan.model.params()[0]->value[2] = std::numeric_limits<float>::quiet_NaN();
  CHECK(error_of([&] { decode_model(encode_model(nan), "nan.h5"); }).find("NaN or Inf") != std::string::npos);

  const Bytes arch = spoiled([](hid_t root) {
    H5Ldelete(root, "arch", H5P_DEFAULT);
    h5::write_string_dataset(root, "arch", "c4k3,bogus");
    h5::Id arch(H5Dopen2(root, "arch", H5P_DEFAULT));
    h5::write_attr(arch, "input_shape", std::vector<std::int64_t>{1, 12, 12});
    h5::write_attr(arch, "classes", std::int64_t{4});
  }, a);
  const std::string arch_error = error_of([&] { decode_model(arch, "a.h5"); });
  INFO(arch_error);
  CHECK(arch_error.find("'bogus'") != std::string::npos);
  CHECK(arch_error.find("a.h5: /arch: ") == 0);

  // A model inside another artifact (a chip's /model) is named by its own path.
  h5::Writer nested;
  {
    h5::Id g = h5::create_group(nested.root(), "model");
    io::write_model_group(g, a);
    h5::write_attr(h5::Id(H5Dopen2(g, "arch", H5P_DEFAULT)), "classes", std::int64_t{0});
  }
  const h5::Reader r(nested.image(), "c.h5");
  const std::string nested_error = error_of([&] { io::read_model_group(r, h5::Id(H5Gopen2(r.root(), "model", H5P_DEFAULT))); });
  INFO(nested_error);
  CHECK(nested_error.find("c.h5: /model/arch: invalid input_shape or classes") == 0);
}

TEST_CASE("sha256 of known strings") {
  CHECK(sha256_hex(Bytes{}) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string abc = "abc";
  CHECK(sha256_hex(Bytes(abc.begin(), abc.end())) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
