// Schema versions (docs/schema.md, "Versioning"): the version written, 1.0.0 files still read
// with the defaults of what 1.1.0 added, other majors and malformed versions refused.
#include <doctest/doctest.h>

#include <hdf5.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <unistd.h>

#include "fixtures.hpp"
#include "nnc/device/chip.hpp"
#include "nnc/io/artifact.hpp"
#include "nnc/io/chip.hpp"
#include "nnc/io/h5.hpp"
#include "nnc/nn/error.hpp"

using namespace nnc;
using test::error_of;

namespace {

// A chip of "c2k3,relu,flat,fc4" with an ADC and an RSA record (placed positions below the
// layer's size, a batch-norm recalibration record, a cosine schedule, augmentation with
// cutout, Adam): everything 1.1.0, 1.5.0, 1.6.0 and 1.8.0 added.
ChipArtifact new_chip() {
  Model m("c2k3,relu,flat,fc4", {1, 6, 6}, 4);
  m.init(2);
  DeviceParams d;
  d.adc_bits = 6;
  d.tile = 16;
  ChipArtifact a;
  a.model.model = m;
  a.chip = program_chip(m, d, 4);
  a.creator = "test";
  a.provenance.tool = "test";
  RsaRecord rec;
  RsaLayerCells cells;
  cells.layer = 3;
  cells.rows = 32;
  cells.cols = 4;
  cells.index = {0, 5, 40};
  cells.placed = 64;
  rec.state.selection.layers.push_back(cells);
  rec.state.values.push_back({{0.1f, -0.2f, 0.3f}, 0});
  rec.report.points.push_back({0, 0, 0.5, 1.0});
  rec.report.epochs.push_back({1, 1.0, 0.5});
  rec.bn_recalibration = BnRecalibrationReport{100, 1, 2.0, 1e-3};
  rec.options.schedule = "cosine";
  rec.options.augment = true;
  rec.options.augment_pad = 2;
  rec.options.augment_flip = false;
  rec.options.cutout = 3;
  rec.options.optimizer = "adam";
  a.rsa = rec;
  return a;
}

// Saves a, lets `change` edit the file with the HDF5 C API, and reads it back.
ChipArtifact rewritten(const ChipArtifact& a, const std::string& tag, const std::function<void(hid_t file)>& change) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("nnc-test-schema-" + tag + "-" + std::to_string(::getpid()) + ".h5");
  save_chip(path.string(), a);
  const hid_t f = H5Fopen(path.string().c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  REQUIRE(f >= 0);
  change(f);
  H5Fclose(f);
  struct Remove {
    std::filesystem::path p;
    ~Remove() { std::filesystem::remove(p); }
  } remove{path};
  return load_chip(path.string());
}

void set_version(hid_t file, const std::string& version) {
  REQUIRE(H5Adelete(file, "nnc_schema_version") >= 0);
  h5::write_attr(file, "nnc_schema_version", version);
}

// What 1.1.0 (and 1.5.0, 1.6.0 and 1.8.0) added, gone: a file as nnc wrote it before.
void make_1_0_0(hid_t file) {
  set_version(file, "1.0.0");
  REQUIRE(H5Adelete_by_name(file, "/device", "adc_bits", H5P_DEFAULT) >= 0);
  REQUIRE(H5Adelete_by_name(file, "/rsa/layers/003", "placed_positions", H5P_DEFAULT) >= 0);
  REQUIRE(H5Ldelete(file, "/rsa/bn_recalibration", H5P_DEFAULT) >= 0);
  REQUIRE(H5Adelete_by_name(file, "/rsa", "schedule", H5P_DEFAULT) >= 0);
  REQUIRE(H5Adelete_by_name(file, "/rsa", "optimizer", H5P_DEFAULT) >= 0);
  for (const char* a : {"augment", "augment_pad", "augment_flip", "cutout"}) {
    REQUIRE(H5Adelete_by_name(file, "/rsa", a, H5P_DEFAULT) >= 0);
  }
}

}  // namespace

TEST_CASE("schema: files are written as 1.8.0, the version docs/schema.md describes") {
  CHECK(std::string(kSchemaVersion) == "1.8.0");
  CHECK(kSchemaMajor == 1);
  const ChipArtifact a = new_chip();
  h5::Reader r(encode_chip(a), "c.h5");
  CHECK(h5::read_attr_string(r, r.root(), "nnc_schema_version") == "1.8.0");
  CHECK(artifact_schema_version(encode_chip(a), "c.h5") == "1.8.0");  // what nnc-info shows
  std::ifstream in(std::string(NNC_SOURCE_DIR) + "/docs/schema.md");
  REQUIRE(in);
  std::stringstream doc;
  doc << in.rdbuf();
  CHECK(doc.str().find("# nnc artifact schema, version " + std::string(kSchemaVersion)) == 0);
  CHECK(doc.str().find("@nnc_schema_version  string    \"" + std::string(kSchemaVersion) + "\"") != std::string::npos);
  CHECK(doc.str().find("  - " + std::string(kSchemaVersion) + ": ") != std::string::npos);  // the history
}

TEST_CASE("schema: a 1.0.0 chip without what 1.1.0 added reads with the defaults") {
  const ChipArtifact a = new_chip();
  const ChipArtifact now = decode_chip(encode_chip(a), "c.h5");
  CHECK(now.chip.device.adc_bits == 6);
  REQUIRE(now.rsa);
  CHECK(now.rsa->state.selection.layers[0].placed == 64);
  CHECK(now.rsa->bn_recalibration);
  CHECK(now.rsa->options.schedule == "cosine");
  CHECK(now.rsa->options.augment);
  CHECK(now.rsa->options.augment_pad == 2);
  CHECK(!now.rsa->options.augment_flip);
  CHECK(now.rsa->options.cutout == 3);
  CHECK(now.rsa->options.optimizer == "adam");

  const ChipArtifact old = rewritten(a, "old", make_1_0_0);
  CHECK(old.chip.device.adc_bits == 0);  // an ideal read-out
  REQUIRE(old.rsa);
  CHECK(old.rsa->state.selection.layers[0].placed == 32 * 4);  // rows x cols
  CHECK(!old.rsa->bn_recalibration);
  CHECK(old.rsa->options.schedule == "constant");
  CHECK(!old.rsa->options.augment);  // before 1.6.0 RSA never augmented
  CHECK(old.rsa->options.cutout == 0);
  CHECK(old.rsa->options.optimizer == "sgd");  // before 1.8.0 RSA trained with SGD
  CHECK(old.chip.device.tile == 16);
  CHECK(old.chip.layers.size() == a.chip.layers.size());
  CHECK(old.chip.layers[0].g_plus == a.chip.layers[0].g_plus);
  CHECK(old.rsa->state.values[0].value == a.rsa->state.values[0].value);

  // A later 1.x.y reads too; one that claims 1.1.0 or later must carry what 1.1.0 added.
  CHECK(rewritten(a, "minor", [](hid_t f) { set_version(f, "1.7.3"); }).chip.device.adc_bits == 6);
  const std::string missing = error_of([&] {
    rewritten(a, "missing", [](hid_t f) {
      REQUIRE(H5Adelete_by_name(f, "/device", "adc_bits", H5P_DEFAULT) >= 0);
    });
  });
  CHECK(missing.find("adc_bits") != std::string::npos);
}

TEST_CASE("schema: another major version or a malformed version is refused") {
  const ChipArtifact a = new_chip();
  for (const char* version : {"2.0.0", "0.9.0", "10.1.0"}) {
    INFO(version);
    try {
      rewritten(a, "major", [&](hid_t f) { set_version(f, version); });
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::unsupported_schema);
      CHECK(e.exit_code() == 3);
    }
  }
  for (const char* version : {"1", "1.0", "1.0.0.0", "v1.0.0", "1.0.x", " 1.0.0", "1..0", "1.0.0000000000"}) {
    INFO(version);
    try {
      rewritten(a, "malformed", [&](hid_t f) { set_version(f, version); });
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::bad_input);
      CHECK(std::string(e.what()).find("is not MAJOR.MINOR.PATCH") != std::string::npos);
    }
  }
}

namespace {

// Every descriptive attribute (docs/schema.md, "Descriptive attributes") of the file, deleted:
// a 1.1.0 file as nnc wrote it before.
void strip_descriptions_under(hid_t group) {
  for (const std::string& name : h5::children(group)) {
    h5::Id o(H5Oopen(group, name.c_str(), H5P_DEFAULT));
    REQUIRE(o.valid());
    if (H5Iget_type(o) == H5I_GROUP) {
      strip_descriptions_under(o);
      continue;
    }
    for (const char* a : {"units", "columns", "column_units", "rows", "codes", "description"}) {
      if (H5Aexists(o, a) > 0) REQUIRE(H5Adelete(o, a) >= 0);
    }
  }
}

void strip_descriptions(hid_t file) {
  set_version(file, "1.1.0");
  strip_descriptions_under(file);
  h5::Id o(H5Oopen(file, "/chip/layers/000/g_plus", H5P_DEFAULT));
  REQUIRE(H5Aexists(o, "units") == 0);  // they are gone
}

std::string attr(const h5::Reader& r, const std::string& object, const std::string& name) {
  h5::Id o(H5Oopen(r.root(), object.c_str(), H5P_DEFAULT));
  REQUIRE(o.valid());
  return h5::read_attr_string(r, o, name);
}

}  // namespace

TEST_CASE("schema: datasets carry units, columns and code meanings, and files without them read") {
  const ChipArtifact a = new_chip();
  const Bytes bytes = encode_chip(a);
  CHECK(encode_chip(a) == bytes);  // still the same bytes for the same content
  h5::Reader r(bytes, "c.h5");
  CHECK(attr(r, "/chip/layers/000/g_plus", "units") == "siemens");
  CHECK(attr(r, "/chip/layers/000/g_minus", "units") == "siemens");
  const std::string codes = attr(r, "/chip/layers/000/fault_plus", "codes");
  CHECK(codes.find(std::to_string(int(kFaultSF1)) + " SF1 stuck at HRS") != std::string::npos);
  CHECK(codes.find(std::to_string(int(kFaultSF0)) + " SF0 stuck at LRS") != std::string::npos);
  CHECK(attr(r, "/chip/layers/003/fault_minus", "codes") == codes);
  CHECK(attr(r, "/rsa/history/points", "columns") == "step,time_s,val_accuracy,val_loss");
  CHECK(attr(r, "/rsa/history/epochs", "columns") == "epoch,train_loss,train_accuracy");
  CHECK(attr(r, "/model/history/val_accuracy", "units") == "fraction");

  // A table series named by a note carries the names itself.
  ModelArtifact m;
  m.model = a.model.model;
  m.provenance.tool = "test";
  m.series["sweep"] = Series{{2, 3}, {1, 2, 3, 4, 5, 6}};
  m.notes["sweep_columns"] = "a,b,c";
  h5::Reader mr(encode_model(m), "m.h5");
  CHECK(attr(mr, "/history/sweep", "columns") == "a,b,c");
  CHECK(decode_model(encode_model(m), "m.h5").notes == m.notes);  // not read back as notes

  // Readers never need them: a file without any reads to the same chip.
  const ChipArtifact old = rewritten(a, "nodesc", strip_descriptions);
  CHECK(old.chip.layers.size() == a.chip.layers.size());
  CHECK(old.chip.layers[0].g_plus == a.chip.layers[0].g_plus);
  CHECK(old.chip.layers[0].fault_plus == a.chip.layers[0].fault_plus);
  REQUIRE(old.rsa);
  CHECK(old.rsa->report.points.size() == 1);
}
