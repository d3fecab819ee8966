#include "nnc/cli/tool.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <new>
#include <sstream>

#include "nnc/dist/dist.hpp"
#include "nnc/nn/error.hpp"
#include "nnc/nn/gemm_bf16.hpp"
#include "nnc/nn/parallel.hpp"
#include "nnc/version.hpp"

namespace nnc::cli {

namespace {
std::string g_tool = "nnc";
bool g_quiet = false;
bool g_verbose = false;

// True while a progress bar is drawn on the terminal's current line (no newline after it).
bool g_bar_on_line = false;

void emit(const std::string& level, const std::string& message) {
  if (!dist::root()) return;  // one log, rank 0's (docs/design.md section 13)
  if (g_bar_on_line) {  // the line starts clean, not on top of the bar
    std::fprintf(stderr, "\r\033[K");
    g_bar_on_line = false;
  }
  std::cerr << "[" << g_tool << "] " << level << message << std::endl;
}

// Flags that cannot change results stay out of the recorded command and config.
bool excluded_flag(const std::string& a) {
  return a == "-v" || a == "--verbose" || a == "--quiet" || a == "-q" || a == "--resume" || a == "--json" ||
         a.rfind("--threads", 0) == 0;
}

// The help page's usage line is the tool's synopsis (with its <angle-bracket> positionals),
// not CLI11's generated one beside it.
class Formatter : public CLI::Formatter {
 public:
  explicit Formatter(std::string synopsis) : synopsis_(std::move(synopsis)) {}
  std::string make_usage(const CLI::App*, std::string) const override { return "Usage: " + synopsis_ + "\n"; }

 private:
  std::string synopsis_;
};

// For CLI11's "arguments were not expected" error: "; did you mean --sigma?" for the first
// argument that looks like a misspelt flag of `app`, or "".
std::string flag_suggestion(const CLI::App& app, int argc, char** argv) {
  std::vector<std::string> names;
  for (const CLI::Option* o : app.get_options()) {
    for (const auto& n : o->get_lnames()) names.push_back("--" + n);
  }
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") break;
    if (a.rfind("--", 0) != 0) continue;
    a = a.substr(0, a.find('='));
    if (std::find(names.begin(), names.end(), a) != names.end()) continue;
    const std::string near = nearest_name(a, names);
    if (!near.empty()) return "; did you mean " + near + "?";
  }
  return {};
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:+@%") == std::string::npos) {
    return s;
  }
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}
}  // namespace

namespace {
volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_signal(int) { g_stop = 1; }
}  // namespace

// Collective on several ranks, so that all stop at the same step (every rank polls at the
// same points), whichever ranks the signal reached.
bool stop_requested() { return dist::any(g_stop != 0); }

std::string nearest_name(const std::string& word, const std::vector<std::string>& names) {
  auto lower = [](std::string t) {
    for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return t;
  };
  const std::string a = lower(word);
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& name : names) {
    const std::string b = lower(name);
    // Levenshtein distance, one row at a time.
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      std::size_t diag = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        const std::size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diag = up;
      }
    }
    if (row[b.size()] < best_d) {
      best_d = row[b.size()];
      best = name;
    }
  }
  return best_d <= std::max<std::size_t>(2, a.size() / 3) ? best : std::string();
}


void info(const std::string& m) { if (!g_quiet) emit("", m); }
void debug(const std::string& m) { if (g_verbose && !g_quiet) emit("", m); }
void warn(const std::string& m) { emit("warning: ", m); }
bool verbose() { return g_verbose; }

Tool::Tool(const std::string& name, const std::string& purpose, const std::string& synopsis,
           const std::string& example)
    : name_(name), app_(purpose, name) {
  g_tool = name;
  app_.footer("e.g.: " + example);
  app_.option_defaults()->always_capture_default();
  app_.formatter(std::make_shared<Formatter>(synopsis));
  app_.get_formatter()->column_width(34);
  seed_option_ = app_.add_option("--seed", seed, "random seed (fixed default, never the time)");
  threads_option_ = app_.add_option("--threads", threads, "OpenMP threads, 0 = all cores (results do not depend on it)")
      ->check(CLI::Range(0, 1024));
  products_option_ = app_.add_flag("--float-products", float_products,
                                   "multiply in float in the 3x3 convolutions (default: bf16 products, float sums, where "
                                   "the processor has AVX512_BF16; docs/algorithms.md)");
  app_.add_flag("-v,--verbose", g_verbose, "more log lines on stderr");
  app_.add_flag("--quiet", g_quiet, "no log lines but errors");
  app_.set_config("--config", "", "read flags from a TOML/INI file (CLI11 config)");
  app_.set_version_flag("--version", std::string(name) + " " + kVersion);
}

void Tool::add_json_flag(const std::string& what) { app_.add_flag("--json", json, what); }

void Tool::drop_run_flags() {
  app_.remove_option(seed_option_);
  app_.remove_option(threads_option_);
  app_.remove_option(products_option_);
}

CLI::Option* Tool::add_output(std::string& output, const std::string& what) {
  output_ = &output;
  return app_.add_option("-o,--output", output, what)->required();
}

void check_json_output(bool json, const std::string& output) {
  if (json && output == "-") throw CLI::ValidationError("--json and -o - would both write to stdout; pick one");
}

void check_not_input(const std::string& output, const std::string& input) {
  if (output == "-" || input == "-") return;
  std::error_code ec;
  if (output == input || std::filesystem::equivalent(output, input, ec)) {
    throw CLI::ValidationError("-o " + output + " would overwrite the input " + input + "; write to another file");
  }
}

namespace {
// An error in the body of a tool. On several ranks any rank's error ends them all, since the
// others may be waiting for it in a collective; each rank says which it is.
int body_error(const std::string& message, int code) {
  if (dist::size() > 1) {
    const std::string who = dist::root() ? "" : " (rank " + std::to_string(dist::rank()) + ")";
    std::fprintf(stderr, "%s\n", ("[" + g_tool + "] error" + who + ": " + message).c_str());  // one write
    dist::abort(code);
  }
  emit("error: ", message);
  return code;
}
}  // namespace

int Tool::run(int argc, char** argv, const std::function<void()>& body) {
  const std::string mpi_warning = dist::start(argc, argv);
  // Only rank 0 prints results and logs; the others compute their share in silence.
  if (!dist::root() && std::freopen("/dev/null", "w", stdout) == nullptr) dist::abort(1);
  const int code = parse_and_run(argc, argv, body, mpi_warning);
  dist::finish();
  return code;
}

int Tool::parse_and_run(int argc, char** argv, const std::function<void()>& body, const std::string& mpi_warning) {
  // Counts and seeds are unsigned, and CLI11 would wrap a negative value around to a huge one;
  // a NaN passes every range check. Every tool's unsigned flags refuse a negative value, its
  // real-valued flags a value that is not finite.
  const CLI::Validator non_negative(
      [](std::string& v) {
        const auto first = v.find_first_not_of(" \t");
        return first != std::string::npos && v[first] == '-' ? std::string("must be >= 0") : std::string();
      },
      "");
  const CLI::Validator finite(
      [](std::string& v) {
        double x = 0;
        return CLI::detail::lexical_cast(v, x) && !std::isfinite(x) ? std::string("must be a finite number")
                                                                    : std::string();
      },
      "");
  for (CLI::Option* opt : app_.get_options()) {
    const std::string type = opt->get_type_name();
    if (type.rfind("UINT", 0) == 0) opt->check(non_negative);
    if (type.rfind("FLOAT", 0) == 0) opt->check(finite);
  }
  try {
    app_.parse(argc, argv);
    if (output_ != nullptr) check_json_output(json, *output_);
  } catch (const CLI::CallForHelp& e) {
    return app_.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app_.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app_.exit(e);
  } catch (const CLI::ExtrasError& e) {
    emit("error: ", std::string(e.what()) + flag_suggestion(app_, argc, argv) + " (see --help)");
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    emit("error: ", std::string(e.what()) + " (see --help)");
    return e.get_exit_code();
  }
  std::string cmd = name_;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (excluded_flag(a)) {
      if (a == "--threads" && i + 1 < argc) ++i;
      continue;
    }
    cmd += " " + shell_quote(a);
  }
  command_ = cmd;
  std::istringstream cfg(app_.config_to_str(true, false));
  for (std::string line; std::getline(cfg, line);) {
    if (line.rfind("threads", 0) == 0 || line.rfind("verbose", 0) == 0 || line.rfind("quiet", 0) == 0 ||
        line.rfind("resume", 0) == 0 || line.rfind("json", 0) == 0) {
      continue;
    }
    config_ += line + "\n";
  }
  if (!dist::root()) g_quiet = true;  // no progress lines either
  if (!mpi_warning.empty()) warn(mpi_warning);
  if (dist::size() > 1) {
    info("rank 0 of " + std::to_string(dist::size()) + " (MPI): outputs and logs are rank 0's");
  }
  set_threads(threads);
  set_bf16_products(!float_products);
  keep_freed_memory();
  // Set either way, so a tool started in the background of a script (where the shell ignores
  // SIGINT) still stops on it.
  std::signal(SIGINT, graceful_stop ? on_signal : SIG_DFL);
  std::signal(SIGTERM, graceful_stop ? on_signal : SIG_DFL);
  try {
    body();
    return 0;
  } catch (const CLI::ParseError& e) {  // a flag found wrong once inputs are known
    return body_error(std::string(e.what()) + " (see --help)", e.get_exit_code());
  } catch (const Error& e) {
    return body_error(e.what(), e.exit_code());
  } catch (const std::bad_alloc&) {
    return body_error("out of memory", 1);
  } catch (const std::exception& e) {
    return body_error(e.what(), 1);
  }
}

Provenance Tool::provenance() const {
  Provenance p;
  p.tool = name_;
  p.version = kVersion;
  p.command = command_;
  p.config = config_;
  p.seed = seed;
  p.inputs = inputs_;
  return p;
}

void Tool::add_input(const std::string& role, const std::string& path, const Bytes& bytes,
                     const Provenance* input_provenance) {
  if (output_ != nullptr) check_not_input(*output_, path);
  Provenance::Input in;
  in.role = role;
  in.path = path;
  in.sha256 = sha256_hex(bytes);
  if (input_provenance) in.provenance = std::make_shared<Provenance>(*input_provenance);
  inputs_.push_back(std::move(in));
}

Progress::Progress(std::string what, std::size_t total)
    : what_(std::move(what)), total_(total), tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

void Progress::update(std::size_t done, const std::string& detail) {
  if (g_quiet) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (since < (tty_ ? 0.2 : 10.0) && done < total_) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double frac = total_ ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  char eta[32] = "";
  if (done > 0 && done < total_) std::snprintf(eta, sizeof eta, " eta %.0fs", elapsed / frac - elapsed);
  if (tty_) {
    g_bar_on_line = true;
    const int width = 30, fill = static_cast<int>(frac * width);
    std::fprintf(stderr, "\r[%s] %s [%s%s] %zu/%zu %s%s\033[K", g_tool.c_str(), what_.c_str(),
                 std::string(static_cast<std::size_t>(fill), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - fill), '.').c_str(), done, total_, detail.c_str(), eta);
  } else {
    std::fprintf(stderr, "[%s] %s %zu/%zu (%.0f%%) %s%s\n", g_tool.c_str(), what_.c_str(), done, total_,
                 100 * frac, detail.c_str(), eta);
  }
}

void Progress::finish(const std::string& detail) {
  if (g_quiet) return;
  if (tty_) std::fprintf(stderr, "\r\033[K");
  g_bar_on_line = false;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::fprintf(stderr, "[%s] %s done in %.1fs %s\n", g_tool.c_str(), what_.c_str(), elapsed, detail.c_str());
}

}  // namespace nnc::cli
