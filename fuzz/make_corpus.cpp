// nnc-fuzz-make-corpus <dir>: the seed corpus of the fuzz targets, made through the library
// from valid tiny files: <dir>/idx (image+label pairs as fuzz_idx splits them, plain and gzip),
// <dir>/cifar (CIFAR-10 and CIFAR-100 records), <dir>/spec (presets and specs), <dir>/model,
// <dir>/chip and <dir>/onnx (a tiny model, the chip programmed from it, its ONNX export; graphs'
// models, chips and exports, valid and malformed, and tests/data/onnx's fixtures: PyTorch's
// ResNets and malformed graphs),
// <dir>/fault_map (fuzz_fault_map's chip's drawn fault map, CSV and HDF5).
// The model and chip seeds also come mutated at the HDF5 object level (attributes, shapes,
// types, missing and extra datasets; a graph's /arch and /layers/NNN@inputs), which byte-level
// mutation alone rarely reaches.
#include <hdf5.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnc/device/chip.hpp"
#include "nnc/io/artifact.hpp"
#include "nnc/io/chip.hpp"
#include "nnc/io/fault_map_io.hpp"
#include "nnc/io/onnx.hpp"
#include "nnc/nn/model.hpp"

namespace fs = std::filesystem;
using nnc::Bytes;

namespace {

void put(const fs::path& path, const Bytes& bytes) {
  fs::create_directories(path.parent_path());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
    throw std::runtime_error(path.string() + ": cannot write");
  }
}

void be32(Bytes& out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

Bytes gzip(const Bytes& in) {
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("zlib");
  Bytes out(deflateBound(&z, in.size()) + 32);
  z.next_in = const_cast<unsigned char*>(in.data());
  z.avail_in = static_cast<unsigned>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<unsigned>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("zlib");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// fuzz_idx's input: 4 bytes (little-endian) of image-file length, the image file, the labels.
Bytes idx_pair(int n, int rows, int cols, bool gz) {
  Bytes images, labels;
  be32(images, 0x803);
  be32(images, n);
  be32(images, rows);
  be32(images, cols);
  for (int i = 0; i < n * rows * cols; ++i) images.push_back(static_cast<unsigned char>(i * 37));
  be32(labels, 0x801);
  be32(labels, n);
  for (int i = 0; i < n; ++i) labels.push_back(static_cast<unsigned char>(i % 10));
  if (gz) {
    images = gzip(images);
    labels = gzip(labels);
  }
  Bytes out;
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<unsigned char>(images.size() >> (8 * i)));
  out.insert(out.end(), images.begin(), images.end());
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

Bytes cifar_records(int n, bool cifar100) {
  Bytes out;
  for (int r = 0; r < n; ++r) {
    if (cifar100) out.push_back(static_cast<unsigned char>(r % 20));
    out.push_back(static_cast<unsigned char>(r % 10));
    for (int i = 0; i < 3072; ++i) out.push_back(static_cast<unsigned char>(i + r));
  }
  return out;
}

Bytes slurp(const fs::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error(path.string() + ": cannot read");
  Bytes out(fs::file_size(path));
  const bool ok = std::fread(out.data(), 1, out.size(), f) == out.size();
  std::fclose(f);
  if (!ok) throw std::runtime_error(path.string() + ": cannot read");
  return out;
}

void set_int_attr(hid_t obj, const char* name, const std::vector<long long>& values) {
  if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
  const hsize_t n = values.size();
  const hid_t space = H5Screate_simple(1, &n, nullptr);
  const hid_t a = H5Acreate2(obj, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_LLONG, values.data());
  H5Aclose(a);
  H5Sclose(space);
}

void set_string_attr(hid_t obj, const char* name, const std::string& value) {
  if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
  const hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, value.size());
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t a = H5Acreate2(obj, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, t, value.data());
  H5Aclose(a);
  H5Sclose(space);
  H5Tclose(t);
}

// Replaces (or adds) dataset `name` under `group` with one of `dims` and `type`.
void put_dataset(hid_t file, const std::string& group, const std::string& name,
                 const std::vector<hsize_t>& dims, hid_t type) {
  const hid_t g = H5Gopen2(file, group.c_str(), H5P_DEFAULT);
  if (g < 0) return;
  if (H5Lexists(g, name.c_str(), H5P_DEFAULT) > 0) H5Ldelete(g, name.c_str(), H5P_DEFAULT);
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t d = H5Dcreate2(g, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t n = 1;
  for (auto x : dims) n *= x;
  std::vector<double> zeros(n, 0.5);
  H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data());
  H5Dclose(d);
  H5Sclose(space);
  H5Gclose(g);
}

// An edit of an open nnc HDF5 file whose model part is at the second argument ("" or "/model").
using Edit = void (*)(hid_t, const std::string&);
using Edits = std::vector<std::pair<std::string, Edit>>;

// <out_dir>/<stem>-<name>.h5: `valid` with each edit made.
void write_mutants(const Bytes& valid, const std::string& model, const fs::path& out_dir, const std::string& stem,
                   const Edits& edits) {
  const fs::path tmp = fs::temp_directory_path() / ("nnc-fuzz-corpus-" + std::to_string(::getpid()) + ".h5");
  for (const auto& [name, edit] : edits) {
    put(tmp, valid);
    const hid_t f = H5Fopen(tmp.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) throw std::runtime_error(tmp.string() + ": HDF5 cannot open the seed");
    edit(f, model);
    H5Fclose(f);
    put(out_dir / (stem + "-" + name + ".h5"), slurp(tmp));
  }
  fs::remove(tmp);
}

// Object-level mutants of an nnc HDF5 file whose model part is at `model` ("" or "/model").
void mutants(const Bytes& valid, const std::string& model, const fs::path& out_dir, const std::string& stem) {
  const Edits edits = {
      {"input-shape-huge", [](hid_t f, const std::string& m) {
         const hid_t d = H5Dopen2(f, (m + "/arch").c_str(), H5P_DEFAULT);
         if (d >= 0) { set_int_attr(d, "input_shape", {1, 2147483647, 5}); H5Dclose(d); }
       }},
      {"input-shape-negative", [](hid_t f, const std::string& m) {
         const hid_t d = H5Dopen2(f, (m + "/arch").c_str(), H5P_DEFAULT);
         if (d >= 0) { set_int_attr(d, "input_shape", {-1, 6, 6}); H5Dclose(d); }
       }},
      {"input-shape-short", [](hid_t f, const std::string& m) {
         const hid_t d = H5Dopen2(f, (m + "/arch").c_str(), H5P_DEFAULT);
         if (d >= 0) { set_int_attr(d, "input_shape", {1}); H5Dclose(d); }
       }},
      {"classes-zero", [](hid_t f, const std::string& m) {
         const hid_t d = H5Dopen2(f, (m + "/arch").c_str(), H5P_DEFAULT);
         if (d >= 0) { set_int_attr(d, "classes", {0}); H5Dclose(d); }
       }},
      {"weight-missing", [](hid_t f, const std::string& m) {
         H5Ldelete(f, (m + "/layers/000/weight").c_str(), H5P_DEFAULT);
       }},
      {"weight-shape", [](hid_t f, const std::string& m) {
         put_dataset(f, m + "/layers/000", "weight", {3, 3}, H5T_IEEE_F32LE);
       }},
      {"weight-int", [](hid_t f, const std::string& m) {
         put_dataset(f, m + "/layers/000", "weight", {2, 1, 3, 3}, H5T_STD_I32LE);
       }},
      {"weight-double", [](hid_t f, const std::string& m) {
         put_dataset(f, m + "/layers/000", "weight", {2, 1, 3, 3}, H5T_IEEE_F64LE);
       }},
      {"extra-dataset", [](hid_t f, const std::string& m) {
         put_dataset(f, m + "/layers/000", "extra", {7}, H5T_IEEE_F32LE);
       }},
      {"layer-type", [](hid_t f, const std::string& m) {
         const hid_t g = H5Gopen2(f, (m + "/layers/000").c_str(), H5P_DEFAULT);
         if (g >= 0) { set_string_attr(g, "type", "dense"); H5Gclose(g); }
       }},
      {"schema-major", [](hid_t f, const std::string&) {
         const hid_t g = H5Gopen2(f, "/", H5P_DEFAULT);
         set_string_attr(g, "nnc_schema_version", "2.0.0");
         H5Gclose(g);
       }},
      {"kind-attr-int", [](hid_t f, const std::string&) {
         const hid_t g = H5Gopen2(f, "/", H5P_DEFAULT);
         set_int_attr(g, "nnc_kind", {1});
         H5Gclose(g);
       }},
      {"chip-gplus-shape", [](hid_t f, const std::string&) {
         put_dataset(f, "/chip/layers/000", "g_plus", {2, 9}, H5T_IEEE_F64LE);
       }},
      {"chip-fault-float", [](hid_t f, const std::string&) {
         put_dataset(f, "/chip/layers/000", "fault_plus", {2, 1, 3, 3}, H5T_IEEE_F32LE);
       }},
      {"chip-tile-used-big", [](hid_t f, const std::string&) {
         put_dataset(f, "/chip/layers/000", "tile_used", {4096, 4096}, H5T_STD_U8LE);
       }},
      {"layers-missing", [](hid_t f, const std::string& m) {
         H5Ldelete(f, (m + "/layers").c_str(), H5P_DEFAULT);
       }},
  };
  write_mutants(valid, model, out_dir, stem, edits);
}

// Replaces the model's /arch with `spec` (input 1x6x6, 10 classes, as the graph seed's).
void set_arch(hid_t f, const std::string& m, const std::string& spec) {
  const hid_t g = H5Gopen2(f, (m.empty() ? "/" : m).c_str(), H5P_DEFAULT);
  if (g < 0) return;
  H5Ldelete(g, "arch", H5P_DEFAULT);
  const hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, spec.size());
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t d = H5Dcreate2(g, "arch", t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, spec.data());
  set_int_attr(d, "input_shape", {1, 6, 6});
  set_int_attr(d, "classes", {10});
  H5Dclose(d);
  H5Sclose(space);
  H5Tclose(t);
  H5Gclose(g);
}

void set_inputs(hid_t f, const std::string& m, int layer, const std::vector<long long>& inputs) {
  char name[32];
  std::snprintf(name, sizeof name, "/layers/%03d", layer);
  const hid_t g = H5Gopen2(f, (m + name).c_str(), H5P_DEFAULT);
  if (g >= 0) { set_int_attr(g, "inputs", inputs); H5Gclose(g); }
}

// Malformed graphs in a model file whose valid seed is `c2p1,a=relu,c2p1,add@a,gap,fc10` on
// 1x6x6: its /arch a malformed graph (a cycle, a dangling input, an add of two shapes, a
// shortcut whose channels do not add up), or its /layers/NNN@inputs not the architecture's.
void graph_mutants(const Bytes& valid, const std::string& model, const fs::path& out_dir, const std::string& stem) {
  const Edits edits = {
      {"arch-cycle", [](hid_t f, const std::string& m) { set_arch(f, m, "c2p1,add@a,a=relu,c2p1,gap,fc10"); }},
      {"arch-self", [](hid_t f, const std::string& m) { set_arch(f, m, "c2p1,relu,c2p1,a=add@a,gap,fc10"); }},
      {"arch-dangling", [](hid_t f, const std::string& m) { set_arch(f, m, "c2p1,a=relu,c2p1,add@b,gap,fc10"); }},
      {"arch-add-shapes", [](hid_t f, const std::string& m) { set_arch(f, m, "c2p1,a=relu,c4p1,add@a,gap,fc10"); }},
      {"arch-add-sides", [](hid_t f, const std::string& m) { set_arch(f, m, "c2p1,a=relu,c2s2p1,add@a,gap,fc10"); }},
      {"arch-shortcut-channels", [](hid_t f, const std::string& m) {
         set_arch(f, m, "c2p1,a=relu,s=id8s2,c4s2p1@a,add@s,gap,fc10");
       }},
      {"arch-shortcut-narrow", [](hid_t f, const std::string& m) {
         set_arch(f, m, "c2p1,a=relu,s=id1s2,c1s2p1@a,add@s,gap,fc10");
       }},
      {"arch-unread", [](hid_t f, const std::string& m) { set_arch(f, m, "c2p1,a=relu,c2p1@in,x=relu,gap,fc10"); }},
      {"arch-other-inputs", [](hid_t f, const std::string& m) { set_arch(f, m, "a=c2p1,relu,c2p1,add@a,gap,fc10"); }},
      {"inputs-forward", [](hid_t f, const std::string& m) { set_inputs(f, m, 2, {4}); }},
      {"inputs-self", [](hid_t f, const std::string& m) { set_inputs(f, m, 3, {3, 1}); }},
      {"inputs-dangling", [](hid_t f, const std::string& m) { set_inputs(f, m, 3, {2, 99}); }},
      {"inputs-negative", [](hid_t f, const std::string& m) { set_inputs(f, m, 3, {-7, 1}); }},
      {"inputs-three", [](hid_t f, const std::string& m) { set_inputs(f, m, 3, {0, 1, 2}); }},
      {"inputs-none", [](hid_t f, const std::string& m) { set_inputs(f, m, 3, {}); }},
      {"inputs-huge", [](hid_t f, const std::string& m) { set_inputs(f, m, 3, {2, 9223372036854775807LL}); }},
  };
  write_mutants(valid, model, out_dir, stem, edits);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: nnc-fuzz-make-corpus <dir>\n");
    return 2;
  }
  try {
    const fs::path dir = argv[1];
    put(dir / "idx/pair-3x4x5", idx_pair(3, 4, 5, false));
    put(dir / "idx/pair-2x3x3.gz", idx_pair(2, 3, 3, true));
    put(dir / "cifar/cifar10-1", cifar_records(1, false));
    put(dir / "cifar/cifar100-1", cifar_records(1, true));
    const std::vector<std::string> specs = {
        "lenet5", "lenet300", "cnn9", "c20k5,mp2,c50k5,mp2,flat,fc500,relu,fc10",
        "c4k3s2p1,bn,relu,ap2,drop0.5,flat,fc10", "flat,fc16,relu,drop0.25,fc10",
        "c3k1,bn,relu,mp2,c5p2k5,flat,fc10", "resnet20",
        // Graphs: an identity block, option A's shortcut, a projection, add of two named inputs.
        "c4p1,bn,b0=relu,c4p1,bn,add@b0,b1=relu,s=id8s2,c8s2p1@b1,bn,add@s,gap,fc10",
        "a=c4p1,c4k1@in,b=bn,c4p1@a,add@b,x=relu,c4k1,y=bn,add@x+y,gap,flat,fc10",
        "resnet32", "resnet56",
        // A block of each kind as docs/design.md writes them: option A's and a projection.
        "c16p1,bn,b0=relu,c16p1,bn,relu,c16p1,bn,add@b0,b1=relu,s2=id32s2,c32s2p1@b1,bn,relu,c32p1,bn,add@s2,"
        "b2=relu,c64k1s2,s3=bn,c64s2p1@b2,bn,relu,c64p1,bn,add@s3,relu,gap,fc10",
        // Malformed graphs, each an nnc::Error: a cycle (a reference to a later layer, or to
        // itself), a dangling @name, an add of two shapes (channels, then sides), a shortcut
        // whose channels do not add up (wider than the branch, narrower than its input), a
        // projection with the wrong stride, an add of one input, a branch no layer reads.
        "c4p1,bn,add@b1,b1=relu,gap,fc10", "c4p1,relu,b=add@b,gap,fc10",
        "c4p1,bn,b0=relu,c4p1,bn,add@b9,relu,gap,fc10", "c4p1,b0=relu,c8p1,bn,add@b0,relu,gap,fc10",
        "c4p1,b0=relu,c4s2p1,bn,add@b0,relu,gap,fc10", "c4p1,b1=relu,s=id16s2,c8s2p1@b1,bn,add@s,gap,fc10",
        "c4p1,b1=relu,s=id2s2,c2s2p1@b1,bn,add@s,gap,fc10", "c4p1,b1=relu,c8k1,s=bn,c8s2p1@b1,bn,add@s,gap,fc10",
        "c4p1,relu,add,gap,fc10", "c4p1,b0=relu,c4p1@in,x=relu,gap,fc10", "c4p1,x=relu,c4p1@in,add@x+y,gap,fc10"};
    for (std::size_t i = 0; i < specs.size(); ++i) {
      put(dir / "spec" / ("spec-" + std::to_string(i)), Bytes(specs[i].begin(), specs[i].end()));
    }

    nnc::ModelArtifact m;
    m.model = nnc::Model("c2k3,bn,relu,mp2,flat,fc10", nnc::Shape{1, 6, 6}, 10);
    m.model.init(1);
    m.creator = "nnc-fuzz-make-corpus";
    m.provenance.tool = "nnc-fuzz-make-corpus";
    put(dir / "model/tiny.h5", nnc::encode_model(m));
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // edits of objects a file lacks just fail
    mutants(nnc::encode_model(m), "", dir / "model", "tiny");
    nnc::ModelArtifact g = m;  // a graph: /layers/NNN@inputs
    g.model = nnc::Model("c2p1,a=relu,c2p1,add@a,gap,fc10", nnc::Shape{1, 6, 6}, 10);
    g.model.init(1);
    put(dir / "model/graph.h5", nnc::encode_model(g));
    mutants(nnc::encode_model(g), "", dir / "model", "graph");
    graph_mutants(nnc::encode_model(g), "", dir / "model", "graph");
    nnc::ModelArtifact ga = m;  // option A's shortcut (a strided id that pads the channels)
    ga.model = nnc::Model("c2p1,a=relu,s=id4s2,c4s2p1@a,bn,add@s,relu,gap,fc10", nnc::Shape{1, 6, 6}, 10);
    ga.model.init(1);
    put(dir / "model/option_a.h5", nnc::encode_model(ga));

    nnc::ChipArtifact c;
    c.model = m;
    c.chip = nnc::program_chip(m.model, nnc::DeviceParams{}, 1);
    c.creator = "nnc-fuzz-make-corpus";
    c.provenance.tool = "nnc-fuzz-make-corpus";
    put(dir / "chip/tiny.h5", nnc::encode_chip(c));
    mutants(nnc::encode_chip(c), "/model", dir / "chip", "tiny");
    nnc::ChipArtifact cg = c;  // a graph's chip: the convs on tiles, add and gap digital
    cg.model = g;
    cg.chip = nnc::program_chip(g.model, nnc::DeviceParams{}, 1);
    put(dir / "chip/graph.h5", nnc::encode_chip(cg));
    graph_mutants(nnc::encode_chip(cg), "/model", dir / "chip", "graph");

    put(dir / "onnx/tiny.onnx", nnc::export_onnx(m.model, "tiny", "0"));
    put(dir / "onnx/graph.onnx", nnc::export_onnx(g.model, "graph", "0"));
    nnc::Model option_a("c4p1,a=relu,s=id8s2,c8s2p1@a,add@s,gap,fc10", nnc::Shape{1, 6, 6}, 10);
    option_a.init(1);
    put(dir / "onnx/option_a.onnx", nnc::export_onnx(option_a, "option_a", "0"));
    // The ONNX fixtures of the tests: PyTorch's ResNet exports and the malformed graphs (a
    // cycle, a dangling input, shapes that do not fit, an Add of two shapes, ...).
    for (const auto& e : fs::directory_iterator(NNC_ONNX_FIXTURES)) {
      if (e.path().extension() == ".onnx") put(dir / "onnx" / e.path().filename(), slurp(e.path()));
    }

    // fuzz_fault_map's chip: its drawn fault map as CSV and as HDF5.
    nnc::Model fm("c2k3,flat,fc5", nnc::Shape{1, 5, 5}, 5);
    fm.init(1);
    nnc::DeviceParams fd;
    fd.tile = 4;
    fd.spare_cols = 1;
    fd.map = "fault-aware";
    const nnc::FaultMap faults = nnc::draw_fault_map(nnc::map_to_tiles(fm, fd, 1));
    const std::string csv = nnc::encode_fault_map_csv(faults);
    put(dir / "fault_map/drawn.csv", Bytes(csv.begin(), csv.end()));
    put(dir / "fault_map/drawn.h5", nnc::encode_fault_map_h5(faults, "nnc-fuzz-make-corpus"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nnc-fuzz-make-corpus: %s\n", e.what());
    return 1;
  }
  return 0;
}
