// nnc::Error: what lib/ throws. main() catches it and maps its kind to an exit code.
#pragma once
#include <stdexcept>
#include <string>

namespace nnc {

// Exit codes of every tool (docs/design.md section 3).
// interrupted: SIGINT or SIGTERM stopped the run (128 + SIGINT, as a shell reports it).
enum class ErrorKind { runtime = 1, bad_input = 2, unsupported_schema = 3, interrupted = 130 };

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, ErrorKind kind = ErrorKind::runtime)
      : std::runtime_error(what), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  int exit_code() const { return static_cast<int>(kind_); }

 private:
  ErrorKind kind_;
};

// An input file is missing, corrupt, of the wrong kind or shape: names the file.
inline Error bad_input(const std::string& file, const std::string& problem) {
  return Error(file + ": " + problem, ErrorKind::bad_input);
}

}  // namespace nnc
