// Thin RAII helpers over the HDF5 C API, used only inside lib/nnc/io. Files live in memory
// (the core driver and file images): a file is read whole, checked, then opened from memory,
// and written whole to bytes, so `-` for stdin/stdout costs nothing extra. Objects are
// written without timestamps and without fill values, so the same content gives the same bytes.
#pragma once
#include <hdf5.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "nnc/nn/error.hpp"
#include "nnc/io/bytes.hpp"

namespace nnc::h5 {

// The name of layer i's group: three digits, "007" (docs/schema.md).
std::string layer_name(std::size_t i);

// An HDF5 identifier closed on destruction.
class Id {
 public:
  Id() = default;
  explicit Id(hid_t id) : id_(id) {}
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  Id(Id&& o) noexcept : id_(o.id_) { o.id_ = -1; }
  Id& operator=(Id&& o) noexcept { std::swap(id_, o.id_); return *this; }
  ~Id() { if (id_ >= 0) H5Idec_ref(id_); }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = -1;
};

// A new file in memory.
class Writer {
 public:
  Writer();
  hid_t root() const { return file_; }
  Bytes image();  // flushes and returns the file's bytes

 private:
  Id file_;
};

// A file opened read-only from its bytes; `name` is what error messages call it.
class Reader {
 public:
  Reader(Bytes bytes, std::string name);
  hid_t root() const { return file_; }
  const std::string& name() const { return name_; }
  std::size_t size() const { return bytes_.size(); }  // of the file image, in bytes
  // A bad-input error about the object at `where` in this file.
  Error error(const std::string& where, const std::string& problem) const;

 private:
  Bytes bytes_;  // the image HDF5 reads from; must outlive file_
  std::string name_;
  Id file_;
};

bool is_hdf5(const Bytes& bytes);
std::string object_path(hid_t obj);

Id create_group(hid_t parent, const std::string& name);
bool exists(hid_t parent, const std::string& path);
Id open_group(const Reader& r, hid_t parent, const std::string& path);
std::vector<std::string> children(hid_t group);  // names, in name order

void write_attr(hid_t obj, const std::string& name, const std::string& value);
void write_attr(hid_t obj, const std::string& name, std::int64_t value);
void write_attr(hid_t obj, const std::string& name, double value);
void write_attr(hid_t obj, const std::string& name, const std::vector<std::int64_t>& values);
bool has_attr(hid_t obj, const std::string& name);
// Descriptive string attributes (docs/schema.md, "Descriptive attributes": units, columns,
// codes, description) on the object `object` under `parent`, already written. Readers never
// need them, so files written before they existed read the same.
void describe(hid_t parent, const std::string& object,
              std::initializer_list<std::pair<const char*, std::string>> attrs);
std::string read_attr_string(const Reader& r, hid_t obj, const std::string& name);
std::int64_t read_attr_int(const Reader& r, hid_t obj, const std::string& name);
double read_attr_double(const Reader& r, hid_t obj, const std::string& name);
std::vector<std::int64_t> read_attr_ints(const Reader& r, hid_t obj, const std::string& name);

// Element types of datasets.
template <class T> hid_t file_type();    // little-endian type stored in files
template <class T> hid_t memory_type();  // native type

template <class T>
void write_dataset(hid_t parent, const std::string& name, const std::vector<std::uint64_t>& dims, const T* data);
void write_string_dataset(hid_t parent, const std::string& name, const std::string& value);

// Reads a numeric dataset, converting to T; checks its class (integer or float) and, when
// `expected` is not empty, its dimensions. Refuses more than `max_elements`.
template <class T>
std::vector<T> read_dataset(const Reader& r, hid_t parent, const std::string& name,
                            const std::vector<std::uint64_t>& expected = {},
                            std::vector<std::uint64_t>* dims = nullptr);
std::string read_string_dataset(const Reader& r, hid_t parent, const std::string& name);

// Largest dataset nnc will read (elements): protects against files claiming absurd sizes.
inline constexpr std::uint64_t kMaxElements = std::uint64_t(1) << 31;

}  // namespace nnc::h5
