// A small ordered JSON value, enough for the reports the tools print with --json.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace nnc {

class Json {
 public:
  Json() : kind_(Kind::null) {}
  Json(double v) : kind_(Kind::number), num_(v) {}
  Json(int v) : Json(static_cast<double>(v)) {}
  Json(long v) : Json(static_cast<double>(v)) {}
  Json(long long v) : Json(static_cast<double>(v)) {}
  Json(unsigned v) : Json(static_cast<double>(v)) {}
  Json(unsigned long v) : Json(static_cast<double>(v)) {}
  Json(unsigned long long v) : Json(static_cast<double>(v)) {}
  Json(bool v) : kind_(Kind::boolean), num_(v) {}
  Json(std::string v) : kind_(Kind::string), str_(std::move(v)) {}
  Json(const char* v) : Json(std::string(v)) {}

  static Json object() { Json j; j.kind_ = Kind::object; return j; }
  static Json array() { Json j; j.kind_ = Kind::array; return j; }
  template <class T>
  static Json array(const std::vector<T>& values) {
    Json j = array();
    for (const auto& v : values) j.push(Json(v));
    return j;
  }

  // Object: sets key (replacing an existing one), keeps insertion order.
  Json& set(const std::string& key, Json value);
  Json& push(Json value);  // array
  const Json* find(const std::string& key) const;

  std::string dump(int indent = -1) const;  // -1: one line

 private:
  enum class Kind { null, boolean, number, string, array, object };
  void dump_to(std::string& out, int indent, int depth) const;
  Kind kind_;
  double num_ = 0;
  std::string str_;
  std::vector<std::pair<std::string, Json>> items_;  // array items have empty keys
};

}  // namespace nnc
