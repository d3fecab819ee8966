#include "nnc/io/h5.hpp"

#include <cstdio>

#include <H5LTpublic.h>

#include <atomic>
#include <cstring>

namespace nnc::h5 {

std::string layer_name(std::size_t i) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%03zu", i);
  return buf;
}

namespace {

// HDF5 prints its own error stack by default; nnc reports one line of its own instead.
void silence_hdf5() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

Error write_error(const std::string& what) { return Error("HDF5: cannot write " + what); }

Id object_create_plist(hid_t cls) {
  Id p(H5Pcreate(cls));
  H5Pset_obj_track_times(p, 0);  // no timestamps: the same content gives the same bytes
  return p;
}

}  // namespace

Writer::Writer() {
  silence_hdf5();
  Id fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_fapl_core(fapl, 1 << 20, 0);  // in memory, no backing file
  Id fcpl = object_create_plist(H5P_FILE_CREATE);
  // Each in-memory file needs a name of its own while it is open.
  static std::atomic<unsigned long> counter{0};
  const std::string name = "nnc-image-" + std::to_string(counter++);
  file_ = Id(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, fcpl, fapl));
  if (!file_.valid()) throw write_error("an in-memory file");
}

Bytes Writer::image() {
  if (H5Fflush(file_, H5F_SCOPE_GLOBAL) < 0) throw write_error("(flush)");
  const ssize_t size = H5Fget_file_image(file_, nullptr, 0);
  if (size < 0) throw write_error("(file image)");
  Bytes out(static_cast<std::size_t>(size));
  if (H5Fget_file_image(file_, out.data(), out.size()) < 0) throw write_error("(file image)");
  return out;
}

bool is_hdf5(const Bytes& b) {
  static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  return b.size() >= 8 && std::memcmp(b.data(), sig, 8) == 0;
}

Reader::Reader(Bytes bytes, std::string name) : bytes_(std::move(bytes)), name_(std::move(name)) {
  silence_hdf5();
  if (!is_hdf5(bytes_)) throw bad_input(name_, "not an HDF5 file (expected an nnc model or chip)");
  const unsigned flags = H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE;
  file_ = Id(H5LTopen_file_image(bytes_.data(), bytes_.size(), flags));
  if (!file_.valid()) throw bad_input(name_, "corrupt or truncated HDF5 file");
}

Error Reader::error(const std::string& where, const std::string& problem) const {
  return bad_input(name_, where + ": " + problem);
}

std::string object_path(hid_t obj) {
  char buf[512];
  const ssize_t n = H5Iget_name(obj, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(std::min<ssize_t>(n, sizeof buf - 1))) : "?";
}

Id create_group(hid_t parent, const std::string& name) {
  Id gcpl = object_create_plist(H5P_GROUP_CREATE);
  H5Pset_link_creation_order(gcpl, 0);
  Id g(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT));
  if (!g.valid()) throw write_error("group " + name);
  return g;
}

bool exists(hid_t parent, const std::string& path) {
  // Check each component so that a missing intermediate group is not an HDF5 error.
  std::size_t pos = 0;
  for (;;) {
    const std::size_t slash = path.find('/', pos);
    const std::string prefix = path.substr(0, slash);
    if (H5Lexists(parent, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  return H5Oexists_by_name(parent, path.c_str(), H5P_DEFAULT) > 0;
}

Id open_group(const Reader& r, hid_t parent, const std::string& path) {
  if (!exists(parent, path)) throw r.error(object_path(parent), "missing group '" + path + "'");
  H5O_info_t info;
  if (H5Oget_info_by_name2(parent, path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
      info.type != H5O_TYPE_GROUP) {
    throw r.error(object_path(parent), "'" + path + "' is not a group");
  }
  Id g(H5Gopen2(parent, path.c_str(), H5P_DEFAULT));
  if (!g.valid()) throw r.error(object_path(parent), "cannot open group '" + path + "'");
  return g;
}

std::vector<std::string> children(hid_t group) {
  std::vector<std::string> names;
  H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr,
              [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
                static_cast<std::vector<std::string>*>(data)->emplace_back(name);
                return 0;
              },
              &names);
  return names;
}

// ---------------------------------------------------------------------------------------
// Attributes

namespace {

Id string_type(std::size_t length) {
  Id t(H5Tcopy(H5T_C_S1));
  H5Tset_size(t, std::max<std::size_t>(1, length));  // fixed length: no heap, same bytes
  H5Tset_strpad(t, H5T_STR_NULLPAD);
  return t;
}

void write_attr_raw(hid_t obj, const std::string& name, hid_t ftype, hid_t mtype, hid_t space, const void* data) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Id a(H5Acreate2(obj, name.c_str(), ftype, space, H5P_DEFAULT, H5P_DEFAULT));
  if (!a.valid() || H5Awrite(a, mtype, data) < 0) throw write_error("attribute " + name);
}

Id open_attr(const Reader& r, hid_t obj, const std::string& name) {
  if (H5Aexists(obj, name.c_str()) <= 0) throw r.error(object_path(obj), "missing attribute '" + name + "'");
  Id a(H5Aopen(obj, name.c_str(), H5P_DEFAULT));
  if (!a.valid()) throw r.error(object_path(obj), "cannot open attribute '" + name + "'");
  return a;
}

hssize_t attr_points(const Reader& r, hid_t obj, const std::string& name, hid_t a) {
  Id space(H5Aget_space(a));
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  if (n < 0 || n > 1 << 20) throw r.error(object_path(obj), "attribute '" + name + "' has an invalid size");
  return n;
}

}  // namespace

void write_attr(hid_t obj, const std::string& name, const std::string& value) {
  Id t = string_type(value.size());
  Id space(H5Screate(H5S_SCALAR));
  std::string padded = value;
  padded.resize(std::max<std::size_t>(1, value.size()), '\0');
  write_attr_raw(obj, name, t, t, space, padded.data());
}

void write_attr(hid_t obj, const std::string& name, std::int64_t value) {
  Id space(H5Screate(H5S_SCALAR));
  write_attr_raw(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, space, &value);
}

void write_attr(hid_t obj, const std::string& name, double value) {
  Id space(H5Screate(H5S_SCALAR));
  write_attr_raw(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space, &value);
}

void write_attr(hid_t obj, const std::string& name, const std::vector<std::int64_t>& values) {
  const hsize_t n = values.size();
  Id space(n ? H5Screate_simple(1, &n, nullptr) : H5Screate(H5S_NULL));
  write_attr_raw(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, space, values.data());
}

bool has_attr(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

void describe(hid_t parent, const std::string& object,
              std::initializer_list<std::pair<const char*, std::string>> attrs) {
  Id o(H5Oopen(parent, object.c_str(), H5P_DEFAULT));
  if (!o.valid()) throw write_error("attributes of " + object);
  for (const auto& [name, value] : attrs) write_attr(o, name, value);
}

std::string read_attr_string(const Reader& r, hid_t obj, const std::string& name) {
  Id a = open_attr(r, obj, name);
  Id t(H5Aget_type(a));
  if (H5Tget_class(t) != H5T_STRING) throw r.error(object_path(obj), "attribute '" + name + "' is not a string");
  if (attr_points(r, obj, name, a) != 1) throw r.error(object_path(obj), "attribute '" + name + "' is not a scalar");
  if (H5Tis_variable_str(t) > 0) {
    char* s = nullptr;
    Id mt(H5Tcopy(H5T_C_S1));
    H5Tset_size(mt, H5T_VARIABLE);
    if (H5Aread(a, mt, &s) < 0 || !s) throw r.error(object_path(obj), "cannot read attribute '" + name + "'");
    std::string out(s);
    H5free_memory(s);
    return out;
  }
  const std::size_t size = H5Tget_size(t);
  if (size == 0 || size > (1u << 24)) throw r.error(object_path(obj), "attribute '" + name + "' has an invalid size");
  std::string buf(size, '\0');
  Id mt = string_type(size);
  if (H5Aread(a, mt, buf.data()) < 0) throw r.error(object_path(obj), "cannot read attribute '" + name + "'");
  buf.resize(std::strlen(buf.c_str()));
  return buf;
}

std::vector<std::int64_t> read_attr_ints(const Reader& r, hid_t obj, const std::string& name) {
  Id a = open_attr(r, obj, name);
  Id t(H5Aget_type(a));
  if (H5Tget_class(t) != H5T_INTEGER) throw r.error(object_path(obj), "attribute '" + name + "' is not an integer");
  std::vector<std::int64_t> v(static_cast<std::size_t>(attr_points(r, obj, name, a)));
  if (!v.empty() && H5Aread(a, H5T_NATIVE_INT64, v.data()) < 0) {
    throw r.error(object_path(obj), "cannot read attribute '" + name + "'");
  }
  return v;
}

std::int64_t read_attr_int(const Reader& r, hid_t obj, const std::string& name) {
  auto v = read_attr_ints(r, obj, name);
  if (v.size() != 1) throw r.error(object_path(obj), "attribute '" + name + "' is not a scalar");
  return v[0];
}

double read_attr_double(const Reader& r, hid_t obj, const std::string& name) {
  Id a = open_attr(r, obj, name);
  Id t(H5Aget_type(a));
  const H5T_class_t c = H5Tget_class(t);
  if (c != H5T_FLOAT && c != H5T_INTEGER) throw r.error(object_path(obj), "attribute '" + name + "' is not a number");
  if (attr_points(r, obj, name, a) != 1) throw r.error(object_path(obj), "attribute '" + name + "' is not a scalar");
  double v = 0;
  if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0) throw r.error(object_path(obj), "cannot read attribute '" + name + "'");
  return v;
}

// ---------------------------------------------------------------------------------------
// Datasets

template <> hid_t file_type<float>() { return H5T_IEEE_F32LE; }
template <> hid_t file_type<double>() { return H5T_IEEE_F64LE; }
template <> hid_t file_type<std::uint8_t>() { return H5T_STD_U8LE; }
template <> hid_t file_type<std::uint16_t>() { return H5T_STD_U16LE; }
template <> hid_t file_type<std::int32_t>() { return H5T_STD_I32LE; }
template <> hid_t file_type<std::int64_t>() { return H5T_STD_I64LE; }
template <> hid_t memory_type<float>() { return H5T_NATIVE_FLOAT; }
template <> hid_t memory_type<double>() { return H5T_NATIVE_DOUBLE; }
template <> hid_t memory_type<std::uint8_t>() { return H5T_NATIVE_UINT8; }
template <> hid_t memory_type<std::uint16_t>() { return H5T_NATIVE_UINT16; }
template <> hid_t memory_type<std::int32_t>() { return H5T_NATIVE_INT32; }
template <> hid_t memory_type<std::int64_t>() { return H5T_NATIVE_INT64; }

template <class T>
void write_dataset(hid_t parent, const std::string& name, const std::vector<std::uint64_t>& dims, const T* data) {
  std::vector<hsize_t> d(dims.begin(), dims.end());
  Id space(H5Screate_simple(static_cast<int>(d.size()), d.data(), nullptr));
  Id dcpl = object_create_plist(H5P_DATASET_CREATE);
  H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
  Id ds(H5Dcreate2(parent, name.c_str(), file_type<T>(), space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
  if (!ds.valid()) throw write_error("dataset " + name);
  std::uint64_t n = 1;
  for (auto x : dims) n *= x;
  if (n > 0 && H5Dwrite(ds, memory_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    throw write_error("dataset " + name);
  }
}

void write_string_dataset(hid_t parent, const std::string& name, const std::string& value) {
  Id t = string_type(value.size());
  Id space(H5Screate(H5S_SCALAR));
  Id dcpl = object_create_plist(H5P_DATASET_CREATE);
  Id ds(H5Dcreate2(parent, name.c_str(), t, space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
  std::string padded = value;
  padded.resize(std::max<std::size_t>(1, value.size()), '\0');
  if (!ds.valid() || H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, padded.data()) < 0) {
    throw write_error("dataset " + name);
  }
}

namespace {

Id open_dataset(const Reader& r, hid_t parent, const std::string& name) {
  if (!exists(parent, name)) throw r.error(object_path(parent), "missing dataset '" + name + "'");
  H5O_info_t info;
  if (H5Oget_info_by_name2(parent, name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
      info.type != H5O_TYPE_DATASET) {
    throw r.error(object_path(parent), "'" + name + "' is not a dataset");
  }
  Id ds(H5Dopen2(parent, name.c_str(), H5P_DEFAULT));
  if (!ds.valid()) throw r.error(object_path(parent), "cannot open dataset '" + name + "'");
  return ds;
}

std::string dims_str(const std::vector<std::uint64_t>& d) {
  std::string s = "[";
  for (std::size_t i = 0; i < d.size(); ++i) s += (i ? "," : "") + std::to_string(d[i]);
  return s + "]";
}

}  // namespace

template <class T>
std::vector<T> read_dataset(const Reader& r, hid_t parent, const std::string& name,
                            const std::vector<std::uint64_t>& expected, std::vector<std::uint64_t>* dims_out) {
  Id ds = open_dataset(r, parent, name);
  const std::string where = object_path(ds);
  Id t(H5Dget_type(ds));
  const H5T_class_t c = H5Tget_class(t);
  const bool want_float = std::is_floating_point_v<T>;
  if (!(c == H5T_FLOAT || c == H5T_INTEGER) || (c == H5T_FLOAT) != want_float) {
    throw r.error(where, std::string("expected ") + (want_float ? "floating-point" : "integer") + " data");
  }
  Id space(H5Dget_space(ds));
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0 || rank > 8) throw r.error(where, "invalid dataspace");
  std::vector<hsize_t> d(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space, d.data(), nullptr);
  std::vector<std::uint64_t> dims(d.begin(), d.end());
  std::uint64_t n = 1;
  for (auto x : dims) {
    if (x != 0 && n > kMaxElements / x) throw r.error(where, "claims an absurd size " + dims_str(dims));
    n *= x;
  }
  if (!expected.empty() && dims != expected) {
    throw r.error(where, "shape " + dims_str(dims) + ", expected " + dims_str(expected));
  }
  // The storage actually present must hold the data: a truncated or edited file is refused
  // here rather than read as garbage.
  const hsize_t stored = H5Dget_storage_size(ds);
  if (n > 0 && stored < n * H5Tget_size(t)) throw r.error(where, "data is missing or truncated");
  std::vector<T> out(n);
  if (n > 0 && H5Dread(ds, memory_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) {
    throw r.error(where, "cannot read data (corrupt file?)");
  }
  if (dims_out) *dims_out = dims;
  return out;
}

std::string read_string_dataset(const Reader& r, hid_t parent, const std::string& name) {
  Id ds = open_dataset(r, parent, name);
  Id t(H5Dget_type(ds));
  if (H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) > 0) {
    throw r.error(object_path(ds), "expected a fixed-length string");
  }
  const std::size_t size = H5Tget_size(t);
  if (size == 0 || size > (1u << 24)) throw r.error(object_path(ds), "invalid string size");
  Id space(H5Dget_space(ds));
  if (H5Sget_simple_extent_npoints(space) != 1) throw r.error(object_path(ds), "expected a scalar string");
  // libhdf5 1.10 reads through a null pointer when a string's storage lies outside the file
  // image or is smaller than its type (a fuzzed file, fuzz/findings/hdf5-segv-arch.h5).
  {
    Id dcpl(H5Dget_create_plist(ds));
    const haddr_t offset = H5Dget_offset(ds);
    const bool contiguous = H5Pget_layout(dcpl) == H5D_CONTIGUOUS;
    if (H5Dget_storage_size(ds) < size ||
        (contiguous && (offset == HADDR_UNDEF || offset > r.size() || r.size() - offset < size))) {
      throw r.error(object_path(ds), "string storage missing or outside the file (corrupt file?)");
    }
  }
  std::string buf(size, '\0');
  Id mt = string_type(size);
  if (H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0) throw r.error(object_path(ds), "cannot read");
  buf.resize(std::strlen(buf.c_str()));
  return buf;
}

#define NNC_H5_INSTANTIATE(T)                                                                     \
  template void write_dataset<T>(hid_t, const std::string&, const std::vector<std::uint64_t>&, const T*); \
  template std::vector<T> read_dataset<T>(const Reader&, hid_t, const std::string&,              \
                                          const std::vector<std::uint64_t>&, std::vector<std::uint64_t>*);
NNC_H5_INSTANTIATE(float)
NNC_H5_INSTANTIATE(double)
NNC_H5_INSTANTIATE(std::uint8_t)
NNC_H5_INSTANTIATE(std::uint16_t)
NNC_H5_INSTANTIATE(std::int32_t)
NNC_H5_INSTANTIATE(std::int64_t)
#undef NNC_H5_INSTANTIATE

}  // namespace nnc::h5
