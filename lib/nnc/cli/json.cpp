#include "nnc/cli/json.hpp"

#include <cmath>
#include <cstdio>

namespace nnc {

Json& Json::set(const std::string& key, Json value) {
  for (auto& [k, v] : items_) {
    if (k == key) { v = std::move(value); return *this; }
  }
  items_.emplace_back(key, std::move(value));
  return *this;
}

Json& Json::push(Json value) {
  items_.emplace_back(std::string(), std::move(value));
  return *this;
}

const Json* Json::find(const std::string& key) const {
  for (const auto& [k, v] : items_)
    if (k == key) return &v;
  return nullptr;
}

namespace {
void quote(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}
}  // namespace

void Json::dump_to(std::string& out, int indent, int depth) const {
  auto newline = [&](int d) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(indent * d), ' ');
  };
  switch (kind_) {
    case Kind::null: out += "null"; break;
    case Kind::boolean: out += num_ != 0 ? "true" : "false"; break;
    case Kind::number: {
      if (!std::isfinite(num_)) { out += "null"; break; }
      char buf[32];
      if (num_ == std::floor(num_) && std::fabs(num_) < 1e15) {
        std::snprintf(buf, sizeof buf, "%.0f", num_);
      } else {
        std::snprintf(buf, sizeof buf, "%.10g", num_);
      }
      out += buf;
      break;
    }
    case Kind::string: quote(out, str_); break;
    case Kind::array:
    case Kind::object: {
      const bool obj = kind_ == Kind::object;
      out += obj ? '{' : '[';
      for (std::size_t i = 0; i < items_.size(); ++i) {
        if (i) out += indent < 0 ? ", " : ",";
        newline(depth + 1);
        if (obj) {
          quote(out, items_[i].first);
          out += ": ";
        }
        items_[i].second.dump_to(out, indent, depth + 1);
      }
      if (!items_.empty()) newline(depth);
      out += obj ? '}' : ']';
      break;
    }
  }
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  return out;
}

}  // namespace nnc
