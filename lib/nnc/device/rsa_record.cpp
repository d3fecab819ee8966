#include "nnc/device/rsa_record.hpp"

#include "nnc/nn/error.hpp"

namespace nnc {

std::string to_string(RsaMode m) { return m == RsaMode::additive ? "additive" : "replace"; }
std::string to_string(RsaSelectionKind k) { return k == RsaSelectionKind::balanced ? "balanced" : "random"; }

RsaMode parse_rsa_mode(const std::string& s) {
  if (s == "additive") return RsaMode::additive;
  if (s == "replace") return RsaMode::replace;
  throw Error("RSA mode: expected additive or replace, found '" + s + "'", ErrorKind::bad_input);
}

RsaSelectionKind parse_rsa_selection(const std::string& s) {
  if (s == "balanced") return RsaSelectionKind::balanced;
  if (s == "random") return RsaSelectionKind::random;
  throw Error("RSA selection: expected balanced or random, found '" + s + "'", ErrorKind::bad_input);
}

std::size_t RsaSelection::cells() const {
  std::size_t n = 0;
  for (const auto& l : layers) n += l.index.size();
  return n;
}

std::size_t RsaSelection::placed() const {
  std::size_t n = 0;
  for (const auto& l : layers) n += l.placed;
  return n;
}

std::size_t RsaState::layer_sram_bytes(std::size_t i) const {
  const std::size_t n = selection.layers.at(i).index.size();
  return bits <= 0 ? 4 * n : (static_cast<std::size_t>(bits) * n + 7) / 8;
}

std::size_t RsaState::sram_bytes() const {
  std::size_t b = 0;
  for (std::size_t i = 0; i < selection.layers.size(); ++i) b += layer_sram_bytes(i);
  return b;
}

}  // namespace nnc
