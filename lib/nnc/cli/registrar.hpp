// How option structs register their flags (Kaldi's OptionsItf): a struct of options has a
// Register(Registrar) that adds each of its flags, with its help text and its check, in one
// place, so every tool that runs an algorithm offers the same flags for it. Registrar is the
// CLI11 adapter: a view of the tool's CLI::App, passed by value; what it adds are ordinary CLI11
// options (in --help, --config and the recorded provenance like any other).
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace nnc::cli {

// The words of an enum flag, each naming one value, e.g. {{"additive", RsaMode::additive},
// {"replace", RsaMode::replace}}: the one table that both the check (CLI11's IsMember, which
// lists the words in this order in --help and in its error) and the conversion read.
template <class T>
using Choices = std::vector<std::pair<std::string, T>>;

// The word naming `value` in `choices`, or "" if none does (a default outside the table, e.g.
// "no baseline", shows no default in --help).
template <class T>
std::string choice_word(const Choices<T>& choices, const T& value) {
  for (const auto& [word, v] : choices) {
    if (v == value) return word;
  }
  return {};
}

class Registrar {
 public:
  // Implicit, so that a Register(Registrar) can be handed the app itself.
  Registrar(CLI::App& app) : app_(&app) {}  // NOLINT(google-explicit-constructor)
  CLI::App& app() const { return *app_; }

  // A flag (or positional, for a name without dashes) bound to `field`; --help shows its
  // default, the value `field` holds now.
  template <class T>
  CLI::Option* add(const std::string& name, T& field, const std::string& help) const {
    return app_->add_option(name, field, help);
  }
  // ... with a check: a CLI11 validator (CLI::PositiveNumber, open_unit_interval(), ...).
  template <class T>
  CLI::Option* add(const std::string& name, T& field, const std::string& help, const CLI::Validator& check) const {
    return add(name, field, help)->check(check);
  }
  // ... with a value in [lo, hi] (--help: "INT in [1 - 1000]", after the type of lo and hi).
  template <class T, class B>
  CLI::Option* add(const std::string& name, T& field, const std::string& help, B lo, B hi) const {
    return add(name, field, help, CLI::Range(lo, hi));
  }
  // A switch; "--name,!--no-name" gives it a negation.
  CLI::Option* add_flag(const std::string& names, bool& field, const std::string& help) const {
    return app_->add_flag(names, field, help);
  }

  // A flag taking one word of `choices` and setting `field` to its value; any other word is a
  // bad flag value (exit 105, "--mode: both not in {additive,replace}"). To the user it is a
  // TEXT option like any other: --help shows the word of the default, --config and the
  // recorded config the word given.
  template <class T>
  CLI::Option* add_choice(const std::string& name, T& field, const Choices<T>& choices, const std::string& help) const {
    std::vector<std::string> words;
    for (const auto& c : choices) words.push_back(c.first);
    auto set = [&field, choices](const CLI::results_t& given) {
      for (const auto& [word, value] : choices) {
        if (word == given.front()) {
          field = value;
          return true;
        }
      }
      return false;
    };
    return text_option(name, set, help, [&field, choices] { return choice_word(choices, field); }, words);
  }
  // The same for a field the library keeps as text (a schedule's kind): one word of `words`.
  CLI::Option* add_choice(const std::string& name, std::string& field, const std::vector<std::string>& words,
                          const std::string& help) const {
    return add(name, field, help, CLI::IsMember(words));
  }

 private:
  CLI::App* app_;

  // A one-word TEXT option set by `set`, its default from `word`, checked against `words`.
  CLI::Option* text_option(const std::string& name, CLI::callback_t set, const std::string& help,
                           std::function<std::string()> word, const std::vector<std::string>& words) const;
};

}  // namespace nnc::cli
