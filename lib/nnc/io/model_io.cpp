#include "nnc/io/model_io.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "nnc/version.hpp"

namespace nnc::io {

namespace {

std::vector<std::uint64_t> dims_of(const Param& p) { return {p.shape.begin(), p.shape.end()}; }

// "MAJOR.MINOR.PATCH", each 1 to 9 decimal digits, nothing else; false otherwise.
bool parse_version(const std::string& s, int v[3]) {
  std::size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    std::size_t digits = 0;
    v[i] = 0;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
      if (++digits > 9) return false;
      v[i] = v[i] * 10 + (s[at++] - '0');
    }
    if (digits == 0) return false;
    if (i < 2 && (at >= s.size() || s[at++] != '.')) return false;
  }
  return at == s.size();
}

}  // namespace

void write_root_attrs(hid_t root, const std::string& kind, const std::string& creator) {
  h5::write_attr(root, "nnc_kind", kind);
  h5::write_attr(root, "nnc_schema_version", std::string(kSchemaVersion));
  h5::write_attr(root, "creator", creator);
  h5::write_attr(root, "creator_version", std::string(kVersion));
}

std::string check_root(const h5::Reader& r) {
  const hid_t root = r.root();
  if (!h5::has_attr(root, "nnc_kind")) {
    throw bad_input(r.name(), "an HDF5 file but not an nnc artifact (no nnc_kind attribute)");
  }
  const std::string kind = h5::read_attr_string(r, root, "nnc_kind");
  const std::string version = h5::read_attr_string(r, root, "nnc_schema_version");
  int v[3] = {-1, -1, -1};
  if (!parse_version(version, v)) {
    throw bad_input(r.name(), "schema version '" + version + "' is not MAJOR.MINOR.PATCH");
  }
  // Any minor version of our major reads: minor versions only add, and what a reader does not
  // know it ignores (docs/schema.md, "Versioning").
  if (v[0] > kSchemaMajor) {
    throw Error(r.name() + ": schema version " + version + " is newer than this nnc reads (" +
                    kSchemaVersion + "); update nnc",
                ErrorKind::unsupported_schema);
  }
  if (v[0] != kSchemaMajor) {
    throw Error(r.name() + ": schema version " + version + " is not one this nnc reads (" +
                    std::to_string(kSchemaMajor) + ".x.y)",
                ErrorKind::unsupported_schema);
  }
  if (kind != "model" && kind != "chip") throw bad_input(r.name(), "unknown nnc_kind '" + kind + "'");
  return kind;
}

bool schema_before(const h5::Reader& r, const char* version) {
  int file[3] = {-1, -1, -1}, than[3] = {-1, -1, -1};
  if (!parse_version(version, than)) throw Error(std::string("schema_before: bad version '") + version + "'");
  if (!parse_version(h5::read_attr_string(r, r.root(), "nnc_schema_version"), file)) return false;
  return std::lexicographical_compare(file, file + 3, than, than + 3);
}

void write_provenance(hid_t parent, const Provenance& p) {
  h5::Id g = h5::create_group(parent, "provenance");
  h5::write_attr(g, "tool", p.tool);
  h5::write_attr(g, "version", p.version);
  h5::write_attr(g, "command", p.command);
  h5::write_attr(g, "config", p.config);
  h5::write_attr(g, "seed", static_cast<std::int64_t>(p.seed));
  h5::Id inputs = h5::create_group(g, "inputs");
  for (std::size_t i = 0; i < p.inputs.size(); ++i) {
    const auto& in = p.inputs[i];
    h5::Id ig = h5::create_group(inputs, h5::layer_name(i));
    h5::write_attr(ig, "role", in.role);
    h5::write_attr(ig, "path", in.path);
    h5::write_attr(ig, "sha256", in.sha256);
    if (in.provenance) write_provenance(ig, *in.provenance);
  }
}

Provenance read_provenance(const h5::Reader& r, hid_t parent) {
  Provenance p;
  h5::Id g = h5::open_group(r, parent, "provenance");
  p.tool = h5::read_attr_string(r, g, "tool");
  p.version = h5::read_attr_string(r, g, "version");
  p.command = h5::read_attr_string(r, g, "command");
  p.config = h5::read_attr_string(r, g, "config");
  p.seed = static_cast<std::uint64_t>(h5::read_attr_int(r, g, "seed"));
  if (h5::exists(g, "inputs")) {
    h5::Id inputs = h5::open_group(r, g, "inputs");
    for (const std::string& name : h5::children(inputs)) {
      h5::Id ig = h5::open_group(r, inputs, name);
      Provenance::Input in;
      in.role = h5::read_attr_string(r, ig, "role");
      in.path = h5::read_attr_string(r, ig, "path");
      in.sha256 = h5::read_attr_string(r, ig, "sha256");
      if (h5::exists(ig, "provenance")) in.provenance = std::make_shared<Provenance>(read_provenance(r, ig));
      p.inputs.push_back(std::move(in));
    }
  }
  return p;
}

void write_model_group(hid_t group, const ModelArtifact& a) {
  const Model& m = a.model;
  h5::write_string_dataset(group, "arch", m.spec());
  {
    h5::Id arch(H5Dopen2(group, "arch", H5P_DEFAULT));
    h5::write_attr(arch, "name", m.arch());
    const Shape s = m.input_shape();
    h5::write_attr(arch, "input_shape", std::vector<std::int64_t>{s.c, s.h, s.w});
    h5::write_attr(arch, "classes", static_cast<std::int64_t>(m.classes()));
  }
  h5::Id layers = h5::create_group(group, "layers");
  for (std::size_t i = 0; i < m.layers().size(); ++i) {
    const Layer& l = *m.layers()[i];
    h5::Id lg = h5::create_group(layers, h5::layer_name(i));
    h5::write_attr(lg, "type", l.type());
    h5::write_attr(lg, "spec", l.spec());
    const auto& from = m.layer_inputs(i);
    h5::write_attr(lg, "inputs", std::vector<std::int64_t>(from.begin(), from.end()));
    for (const Param* p : l.params()) {
      h5::write_dataset(lg, p->name, dims_of(*p), p->value.data());
      if (p->has_mask()) {
        const std::string mask = p->name == "weight" ? "mask" : p->name + "_mask";
        h5::write_dataset(lg, mask, dims_of(*p), p->mask.data());
        h5::describe(lg, mask, {{"codes", "0 pruned (the weight is 0), 1 kept"}});
      }
    }
  }
  h5::Id hist = h5::create_group(group, "history");
  const std::uint64_t n = a.history.size();
  std::vector<std::int32_t> epoch;
  std::vector<double> lr, tl, ta, vl, va;
  for (const auto& e : a.history) {
    epoch.push_back(e.epoch);
    lr.push_back(e.lr);
    tl.push_back(e.train_loss);
    ta.push_back(e.train_accuracy);
    vl.push_back(e.val_loss);
    va.push_back(e.val_accuracy);
  }
  h5::write_dataset(hist, "epoch", {n}, epoch.data());
  h5::write_dataset(hist, "lr", {n}, lr.data());
  h5::write_dataset(hist, "train_loss", {n}, tl.data());
  h5::write_dataset(hist, "train_accuracy", {n}, ta.data());
  h5::write_dataset(hist, "val_loss", {n}, vl.data());
  h5::write_dataset(hist, "val_accuracy", {n}, va.data());
  h5::describe(hist, "epoch", {{"description", "1-based epoch of the training run that wrote the file"}});
  h5::describe(hist, "lr", {{"description", "learning rate at the end of the epoch"}});
  h5::describe(hist, "train_loss", {{"units", "nats"}, {"description", "mean cross-entropy over the epoch's batches"}});
  h5::describe(hist, "train_accuracy", {{"units", "fraction"}});
  h5::describe(hist, "val_loss", {{"units", "nats"}, {"description", "on the held-out validation split"}});
  h5::describe(hist, "val_accuracy", {{"units", "fraction"}, {"description", "on the held-out validation split"}});
  // A 2-D series whose columns (or rows) a note names carries the names itself too.
  for (const auto& [name, s] : a.series) {
    h5::write_dataset(hist, name, s.dims, s.values.data());
    for (const char* what : {"columns", "rows"}) {
      const auto note = a.notes.find(name + "_" + what);
      if (note != a.notes.end()) h5::describe(hist, name, {{what, note->second}});
    }
  }
  for (const auto& [name, v] : a.notes) h5::write_attr(hist, name, v);
  write_provenance(group, a.provenance);
  if (a.checkpoint) {
    const TrainState& st = *a.checkpoint;
    h5::Id cg = h5::create_group(group, "checkpoint");
    h5::write_attr(cg, "epoch", static_cast<std::int64_t>(st.epoch));
    h5::write_attr(cg, "step", static_cast<std::int64_t>(st.step));
    h5::write_attr(cg, "loss_sum", st.loss_sum);
    h5::write_attr(cg, "correct_sum", st.correct_sum);
    h5::Id vg = h5::create_group(cg, "velocity");
    for (std::size_t i = 0; i < m.layers().size(); ++i) {
      const auto ps = std::as_const(*m.layers()[i]).params();
      if (ps.empty()) continue;
      h5::Id lg = h5::create_group(vg, h5::layer_name(i));
      for (const Param* p : ps) {
        if (p->velocity.size() == p->value.size()) h5::write_dataset(lg, p->name, dims_of(*p), p->velocity.data());
      }
    }
  }
}

ModelArtifact read_model_group(const h5::Reader& r, hid_t group) {
  const std::string spec = h5::read_string_dataset(r, group, "arch");
  h5::Id arch(H5Dopen2(group, "arch", H5P_DEFAULT));
  const auto shape = h5::read_attr_ints(r, arch, "input_shape");
  const auto classes = h5::read_attr_int(r, arch, "classes");
  if (shape.size() != 3 || shape[0] < 1 || shape[1] < 1 || shape[2] < 1 || shape[0] > 1 << 16 ||
      shape[1] > 1 << 16 || shape[2] > 1 << 16 || classes < 1 || classes > 1 << 20) {
    throw r.error(h5::object_path(arch), "invalid input_shape or classes");
  }
  ModelArtifact a;
  try {
    a.model = Model(spec, Shape{int(shape[0]), int(shape[1]), int(shape[2])}, static_cast<int>(classes));
  } catch (const Error& e) {
    throw r.error(h5::object_path(arch), e.what());
  }
  if (h5::has_attr(arch, "name")) a.model.set_arch(h5::read_attr_string(r, arch, "name"));
  h5::Id layers = h5::open_group(r, group, "layers");
  const auto names = h5::children(layers);
  if (names.size() != a.model.layers().size()) {
    throw r.error(h5::object_path(layers), std::to_string(names.size()) + " layers, the architecture has " +
                                               std::to_string(a.model.layers().size()));
  }
  for (std::size_t i = 0; i < a.model.layers().size(); ++i) {
    Layer& l = *a.model.layers()[i];
    h5::Id lg = h5::open_group(r, layers, h5::layer_name(i));
    const std::string type = h5::read_attr_string(r, lg, "type");
    if (type != l.type()) {
      throw r.error(h5::object_path(lg), "layer type '" + type + "', the architecture says '" + l.type() + "'");
    }
    // Before 1.7.0 every model was a chain: no @inputs, each layer reads the previous one.
    const std::vector<int>& want = a.model.layer_inputs(i);
    std::vector<std::int64_t> from{static_cast<std::int64_t>(i) - 1};
    if (h5::has_attr(lg, "inputs")) from = h5::read_attr_ints(r, lg, "inputs");
    if (!std::equal(from.begin(), from.end(), want.begin(), want.end())) {
      auto list = [](const auto& v) {
        std::string s;
        for (auto j : v) s += (s.empty() ? "" : ", ") + std::to_string(j);
        return "[" + s + "]";
      };
      throw r.error(h5::object_path(lg), "inputs " + list(from) + (h5::has_attr(lg, "inputs") ? "" : " (no @inputs: a chain)") +
                                             ", the architecture says " + list(want));
    }
    for (Param* p : l.params()) {
      auto v = h5::read_dataset<float>(r, lg, p->name, dims_of(*p));
      p->value = ConstVectorMap(v.data(), static_cast<Eigen::Index>(v.size()));
      const std::string mask = p->name == "weight" ? "mask" : p->name + "_mask";
      if (h5::exists(lg, mask)) {
        p->mask = h5::read_dataset<std::uint8_t>(r, lg, mask, dims_of(*p));
        for (auto& b : p->mask) b = b != 0;
      }
    }
  }
  try {
    a.model.check_finite();
  } catch (const Error& e) {
    throw bad_input(r.name(), e.what());
  }
  for (Param* p : a.model.params()) {
    if (!p->has_mask()) continue;
    for (std::size_t i = 0; i < p->size(); ++i) {
      if (!p->mask[i] && p->value[static_cast<Eigen::Index>(i)] != 0) {
        throw r.error("/layers", "a masked weight is not zero (mask and weights disagree)");
      }
    }
  }
  h5::Id hist = h5::open_group(r, group, "history");
  const auto epoch = h5::read_dataset<std::int32_t>(r, hist, "epoch");
  const std::vector<std::uint64_t> n{epoch.size()};
  const auto lr = h5::read_dataset<double>(r, hist, "lr", n);
  const auto tl = h5::read_dataset<double>(r, hist, "train_loss", n);
  const auto ta = h5::read_dataset<double>(r, hist, "train_accuracy", n);
  const auto vl = h5::read_dataset<double>(r, hist, "val_loss", n);
  const auto va = h5::read_dataset<double>(r, hist, "val_accuracy", n);
  for (std::size_t i = 0; i < epoch.size(); ++i) {
    a.history.push_back(EpochRecord{epoch[i], lr[i], tl[i], ta[i], vl[i], va[i], 0});
  }
  static const std::vector<std::string> fixed = {"epoch", "lr", "train_loss", "train_accuracy", "val_loss", "val_accuracy"};
  for (const std::string& name : h5::children(hist)) {
    if (std::find(fixed.begin(), fixed.end(), name) != fixed.end()) continue;
    Series s;
    s.values = h5::read_dataset<double>(r, hist, name, {}, &s.dims);
    a.series[name] = std::move(s);
  }
  const int nattrs = H5Aget_num_attrs(hist);
  for (int i = 0; i < nattrs; ++i) {
    char buf[256];
    h5::Id at(H5Aopen_by_idx(hist, ".", H5_INDEX_NAME, H5_ITER_INC, static_cast<hsize_t>(i), H5P_DEFAULT, H5P_DEFAULT));
    if (!at.valid() || H5Aget_name(at, sizeof buf, buf) < 0) continue;
    a.notes[buf] = h5::read_attr_string(r, hist, buf);
  }
  a.provenance = read_provenance(r, group);
  a.creator = a.provenance.tool;
  if (h5::exists(group, "checkpoint")) {
    h5::Id cg = h5::open_group(r, group, "checkpoint");
    TrainState st;
    st.epoch = static_cast<int>(h5::read_attr_int(r, cg, "epoch"));
    st.step = static_cast<int>(h5::read_attr_int(r, cg, "step"));
    st.loss_sum = h5::read_attr_double(r, cg, "loss_sum");
    st.correct_sum = h5::read_attr_double(r, cg, "correct_sum");
    st.history = a.history;
    h5::Id vg = h5::open_group(r, cg, "velocity");
    for (std::size_t i = 0; i < a.model.layers().size(); ++i) {
      if (!h5::exists(vg, h5::layer_name(i))) continue;
      h5::Id lg = h5::open_group(r, vg, h5::layer_name(i));
      for (Param* p : a.model.layers()[i]->params()) {
        if (!h5::exists(lg, p->name)) continue;
        auto v = h5::read_dataset<float>(r, lg, p->name, dims_of(*p));
        p->velocity = ConstVectorMap(v.data(), static_cast<Eigen::Index>(v.size()));
      }
    }
    a.checkpoint = st;
  }
  return a;
}

}  // namespace nnc::io

namespace nnc {

std::string artifact_kind(const Bytes& bytes, const std::string& name) {
  h5::Reader r(bytes, name);
  return io::check_root(r);
}

std::string artifact_schema_version(const Bytes& bytes, const std::string& name) {
  h5::Reader r(bytes, name);
  io::check_root(r);
  return h5::read_attr_string(r, r.root(), "nnc_schema_version");
}

Bytes encode_model(const ModelArtifact& a) {
  h5::Writer w;
  io::write_root_attrs(w.root(), "model", a.creator);
  io::write_model_group(w.root(), a);
  return w.image();
}

ModelArtifact decode_model(const Bytes& bytes, const std::string& name) {
  h5::Reader r(bytes, name);
  const std::string kind = io::check_root(r);
  if (kind != "model") {
    throw bad_input(name, "is an nnc " + kind + ", expected a model" +
                              (kind == "chip" ? " (a chip's model is inside it; this tool needs a model file)" : ""));
  }
  return io::read_model_group(r, r.root());
}

ModelArtifact load_model(const std::string& path) { return decode_model(read_bytes(path), path); }

void save_model(const std::string& path, const ModelArtifact& a) { write_bytes_atomic(path, encode_model(a)); }

}  // namespace nnc
