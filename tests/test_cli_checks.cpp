// The checks every tool shares (cli/options, cli/tool), each with one message and one exit code:
// a model that does not fit the dataset, --json with -o -, values outside (0, 1], the CIFAR
// augmentation default, a dataset not found, library errors blamed on the flag they came from,
// and an output that would overwrite an input.
#include <doctest/doctest.h>

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "fixtures.hpp"
#include "nnc/cli/options.hpp"
#include "nnc/cli/tool.hpp"
#include "nnc/nn/error.hpp"

using namespace nnc;
namespace fs = std::filesystem;

namespace {

// CLI11 parses a command line given without the program name.
void parse(CLI::App& app, const std::string& line) { app.parse(line, false); }

}  // namespace

TEST_CASE("cli: check_model_fits names the file, the model's shape and classes and the dataset's") {
  Model m("flat,fc4", {1, 12, 12}, 4);
  Dataset fits = test::bars_dataset(4, {1, 12, 12}, 4);
  CHECK_NOTHROW(cli::check_model_fits(m, fits, "m.h5", "mnist"));
  Dataset cifar;
  cifar.shape = {3, 32, 32};
  cifar.classes = 10;
  try {
    cli::check_model_fits(m, cifar, "m.h5", "cifar10");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
    CHECK(std::string(e.what()) == "m.h5: model takes 1x12x12 inputs and 4 classes; cifar10 has 3x32x32 and 10");
  }
  Dataset classes = test::bars_dataset(4, {1, 12, 12}, 3);  // same shape, other classes
  CHECK_THROWS_AS(cli::check_model_fits(m, classes, "m.h5", "mnist"), Error);
}

TEST_CASE("cli: --json with -o - is one bad-flag error, exit 105, before the tool runs") {
  CHECK_NOTHROW(cli::check_json_output(false, "-"));
  CHECK_NOTHROW(cli::check_json_output(true, "out.h5"));
  try {
    cli::check_json_output(true, "-");
    FAIL("no error");
  } catch (const CLI::ValidationError& e) {
    CHECK(e.get_exit_code() == 105);
    CHECK(std::string(e.what()) == "--json and -o - would both write to stdout; pick one");
  }
  for (const bool json : {true, false}) {
    cli::Tool tool("nnc-test", "A test.", "nnc-test -o <out|->", "nnc-test -o out.h5");
    std::string output;
    tool.add_output(output, "output, - for stdout");
    tool.add_json_flag();
    std::vector<const char*> argv{"nnc-test", "-o", "-"};
    if (json) argv.push_back("--json");
    bool ran = false;
    const int code = tool.run(static_cast<int>(argv.size()), const_cast<char**>(argv.data()), [&] { ran = true; });
    CHECK(code == (json ? 105 : 0));
    CHECK(ran == !json);
  }
  std::signal(SIGINT, SIG_DFL);  // Tool::run caught them for its body
  std::signal(SIGTERM, SIG_DFL);
}

TEST_CASE("cli: an output that names an input file, by any path, is refused with exit 105 before any work") {
  const auto dir = std::filesystem::temp_directory_path() / ("nnc-test-overwrite-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string in = (dir / "m.h5").string();
  { std::ofstream(in) << "x"; }
  CHECK_NOTHROW(cli::check_not_input((dir / "other.h5").string(), in));
  CHECK_NOTHROW(cli::check_not_input("-", in));
  CHECK_NOTHROW(cli::check_not_input(in, "-"));
  CHECK_THROWS_AS(cli::check_not_input(in, in), CLI::ValidationError);
  const std::string other_path = (dir / "." / "m.h5").string();  // the same file, spelled otherwise
  CHECK_THROWS_AS(cli::check_not_input(other_path, in), CLI::ValidationError);

  cli::Tool tool("nnc-test", "A test.", "nnc-test <in> -o <out>", "nnc-test in.h5 -o out.h5");
  std::string output;
  tool.add_output(output, "output");
  std::vector<const char*> argv{"nnc-test", "-o", other_path.c_str()};
  bool wrote = false;
  const int code = tool.run(static_cast<int>(argv.size()), const_cast<char**>(argv.data()), [&] {
    tool.add_input("model", in, Bytes{}, nullptr);
    wrote = true;
  });
  CHECK(code == 105);
  CHECK(!wrote);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  std::filesystem::remove_all(dir);
}

TEST_CASE("cli: open_unit_interval takes values above 0 up to 1 and says so") {
  CLI::App app;
  std::vector<double> v;
  app.add_option("--x", v)->delimiter(',')->check(cli::open_unit_interval());
  CHECK_NOTHROW(parse(app, "--x 1,0.5,1e-9"));
  CHECK(v.size() == 3);
  for (const char* bad : {"--x 0", "--x 1.5", "--x 0.5,-1", "--x abc"}) {
    CLI::App a;
    std::vector<double> w;
    a.add_option("--x", w)->delimiter(',')->check(cli::open_unit_interval());
    CHECK_THROWS_AS(parse(a, bad), CLI::ValidationError);
  }
  CLI::App b;
  double x = 0;
  b.add_option("--start-width", x)->check(cli::open_unit_interval());
  try {
    parse(b, "--start-width 1.5");
    FAIL("no error");
  } catch (const CLI::ValidationError& e) {
    CHECK(std::string(e.what()) == "--start-width: must be in (0, 1], got 1.5");
    CHECK(e.get_exit_code() == 105);
  }
}

TEST_CASE("cli: CIFAR augmentation is on by default for cifar datasets, unless a flag says otherwise") {
  struct Case {
    const char* line;
    const char* dataset;
    bool augment;
  };
  for (const Case& c : {Case{"", "cifar10", true}, Case{"", "cifar100", true}, Case{"", "mnist", false},
                        Case{"--no-augment", "cifar10", false}, Case{"--augment", "mnist", true},
                        Case{"--augment", "cifar10", true}, Case{"--no-augment", "fashion-mnist", false}}) {
    CAPTURE(c.line);
    CAPTURE(c.dataset);
    CLI::App app;
    cli::TrainFlags flags;
    flags.Register(app, 3);
    parse(app, c.line);
    const TrainOptions o = flags.resolved(c.dataset, 42);
    CHECK(o.augment == c.augment);
    CHECK(o.seed == 42u);
    CHECK(o.epochs == 3);
  }
  // Unregistered flags (options set in code): the dataset decides.
  cli::TrainFlags plain;
  CHECK(plain.resolved("cifar10", 1).augment);
  CHECK_FALSE(plain.resolved("mnist", 1).augment);
}

TEST_CASE("cli: a dataset not found names the places tried, fetch.sh, and --data-dir") {
  const fs::path empty = fs::temp_directory_path() / ("nnc-cli-empty-" + std::to_string(::getpid()));
  fs::create_directories(empty);
  const char* old = std::getenv("NNC_DATASETS");
  const std::string saved = old ? old : "";
  ::setenv("NNC_DATASETS", empty.c_str(), 1);
  if (!fs::exists("data/cifar-100-binary")) {
    // The library's message names no flag; the tool's adds the one that says where.
    const std::string lib = test::error_of([] { resolve_data_dir("cifar100", ""); });
    CHECK(lib.find("dataset cifar100 not found: tried ") == 0);
    CHECK(lib.find("; run data/fetch.sh") != std::string::npos);
    CHECK(lib.find("--") == std::string::npos);
    cli::DataOptions data;
    data.dataset = "cifar100";
    try {
      data.load(Split::test);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.exit_code() == 2);
      CHECK(std::string(e.what()) == lib + " or give --data-dir");
    }
  }
  cli::DataOptions unknown;
  unknown.dataset = "imagenet";
  CHECK(test::error_of([&] { unknown.load(Split::test); }).find("unknown dataset 'imagenet'") == 0);
  cli::DataOptions given;
  given.dataset = "mnist";
  given.data_dir = (empty / "absent").string();
  CHECK(test::error_of([&] { given.load(Split::test); }) == given.data_dir + ": no such directory");
  if (old) ::setenv("NNC_DATASETS", saved.c_str(), 1);
  else ::unsetenv("NNC_DATASETS");
  fs::remove_all(empty);
}

TEST_CASE("cli: blame_flag puts the flag before a library error and makes it a bad flag value, exit 105") {
  CHECK(cli::blame_flag("--density", [] { return 7; }) == 7);
  try {
    cli::blame_flag("--density", []() -> int { throw Error("density list has 2 values", ErrorKind::bad_input); });
    FAIL("no error");
  } catch (const CLI::ValidationError& e) {
    CHECK(std::string(e.what()) == "--density: density list has 2 values");
    CHECK(e.get_exit_code() == 105);
  }
  // Other exceptions pass unchanged.
  CHECK_THROWS_AS(cli::blame_flag("--x", [] { throw std::bad_alloc(); }), std::bad_alloc);
}

TEST_CASE("cli: nearest_name suggests a near name, case ignored, and nothing for a far one") {
  const std::vector<std::string> names{"--sigma", "--seed", "--limit-test", "--levels"};
  CHECK(cli::nearest_name("--sigmaa", names) == "--sigma");
  CHECK(cli::nearest_name("--limit-tset", names) == "--limit-test");
  CHECK(cli::nearest_name("--SEED", names) == "--seed");
  CHECK(cli::nearest_name("--frobnicate", names).empty());
  CHECK(cli::nearest_name("MNIST", {"mnist", "fashion-mnist", "cifar10", "cifar100"}) == "mnist");
  CHECK(cli::nearest_name("cifar", {"mnist", "fashion-mnist", "cifar10", "cifar100"}) == "cifar10");
}

TEST_CASE("cli: an unknown --dataset name is a bad flag value (105) with a suggestion") {
  CLI::App app;
  cli::DataOptions data;
  data.Register(app, false);
  try {
    parse(app, "--dataset MNIST");
    FAIL("no error");
  } catch (const CLI::ValidationError& e) {
    CHECK(e.get_exit_code() == 105);
    CHECK(std::string(e.what()).find("did you mean mnist?") != std::string::npos);
  }
  CLI::App ok;
  cli::DataOptions good;
  good.Register(ok, false);
  CHECK_NOTHROW(parse(ok, "--dataset fashion-mnist"));
}
