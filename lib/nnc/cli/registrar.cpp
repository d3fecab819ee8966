#include "nnc/cli/registrar.hpp"

namespace nnc::cli {

CLI::Option* Registrar::text_option(const std::string& name, CLI::callback_t set, const std::string& help,
                                    std::function<std::string()> word, const std::vector<std::string>& words) const {
  // What App::add_option does for a std::string field, with `set` in place of the assignment.
  CLI::Option* o = app_->add_option(name, std::move(set), help, false, std::move(word));
  o->type_name("TEXT");
  o->type_size(1, 1);
  o->expected(1);
  o->run_callback_for_default();
  return o->check(CLI::IsMember(words));
}

}  // namespace nnc::cli
