// What every tool shares: the flags of docs/design.md section 3, logging to stderr tagged with the
// tool's name, progress lines, provenance, and the one place errors become exit codes.
#pragma once
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nnc/io/artifact.hpp"

namespace nnc::cli {

// Logging: one line to stderr, "[nnc-train] ...". info is silenced by --quiet; debug needs -v.
void info(const std::string& message);
void debug(const std::string& message);
void warn(const std::string& message);
bool verbose();

// True once SIGINT or SIGTERM arrived: long loops checkpoint and stop cleanly.
bool stop_requested();

// The name in `names` nearest to `word` by edit distance (case ignored), if near enough to be
// a likely misspelling (at most 2 edits, or a third of its letters if more); else "".
std::string nearest_name(const std::string& word, const std::vector<std::string>& names);

class Tool {
 public:
  // purpose: one line; synopsis: "nnc-train --arch <spec> --dataset <name> -o <model.h5>";
  // example: an e.g. line from Makefile.pipeline.
  Tool(const std::string& name, const std::string& purpose, const std::string& synopsis,
       const std::string& example);
  CLI::App& app() { return app_; }
  const std::string& name() const { return name_; }

  std::uint64_t seed = 1;
  int threads = 0;  // 0: all cores
  bool float_products = false;  // the convolutions' products in float rather than bf16
  bool json = false;
  // Set by tools whose loops poll stop_requested() and stop cleanly (checkpoint, exit 130). The
  // others take the default action of SIGINT and SIGTERM: they end at once, and since outputs
  // are renamed into place when complete, none is left half-written.
  bool graceful_stop = false;
  void add_json_flag(const std::string& what = "print the report as one JSON object on stdout");
  // For a tool whose results have no randomness and no parallel loop (nnc-info): --seed,
  // --threads and --float-products would do nothing, so they are not offered.
  void drop_run_flags();
  // Adds the required "-o,--output" option (what: e.g. "output model, - for stdout"). With
  // --json, run() then refuses -o - as a bad flag (check_json_output).
  CLI::Option* add_output(std::string& output, const std::string& what);

  // Parses the command line, then runs body, mapping errors to exit codes (docs/design.md section 3).
  // Under an MPI launcher, every rank runs body; rank 0 alone logs and prints (section 13).
  int run(int argc, char** argv, const std::function<void()>& body);

  // Provenance of this run, with the inputs recorded so far.
  Provenance provenance() const;
  // Records an input artifact (its hash, and its own provenance if it has one).
  void add_input(const std::string& role, const std::string& path, const Bytes& bytes,
                 const Provenance* input_provenance);

 private:
  std::string name_;
  CLI::App app_;
  std::string command_, config_;
  CLI::Option* seed_option_ = nullptr;
  CLI::Option* threads_option_ = nullptr;
  CLI::Option* products_option_ = nullptr;
  const std::string* output_ = nullptr;
  std::vector<Provenance::Input> inputs_;

  int parse_and_run(int argc, char** argv, const std::function<void()>& body, const std::string& mpi_warning);
};

// --json and -o - would both write to stdout: throws CLI::ValidationError (exit 105, a bad
// flag) when both are given.
void check_json_output(bool json, const std::string& output);

// An output path naming an input file (the same file, by any path) would replace the input
// (a model overwritten by its own chip, say): throws CLI::ValidationError (exit 105). Called
// by Tool::add_input, before the tool does any work.
void check_not_input(const std::string& output, const std::string& input);

// Progress of a long loop: a bar on a terminal, a line every few seconds otherwise.
class Progress {
 public:
  Progress(std::string what, std::size_t total);
  void update(std::size_t done, const std::string& detail = "");
  void finish(const std::string& detail = "");

 private:
  std::string what_;
  std::size_t total_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace nnc::cli
