// The registrar of cli/registrar.hpp: a choice flag reads one table of words and values for its
// check and its value, and reads to the user (--help, errors, the recorded config) exactly as a
// text flag checked against the same words; a range flag says its range.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "nnc/cli/registrar.hpp"

namespace {

enum class Color { red, green, blue };
const nnc::cli::Choices<Color> kColors = {{"red", Color::red}, {"green", Color::green}, {"blue", Color::blue}};

// An app as a Tool makes it: defaults shown in --help and recorded in the config. A narrow
// first column puts every description on the line after its flag.
struct TestApp : CLI::App {
  TestApp() : CLI::App("test", "nnc-test") {
    option_defaults()->always_capture_default();
    get_formatter()->column_width(10);
  }
};

// The flag's line in --help, without its leading blanks.
std::string line_starting(const std::string& text, const std::string& start) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(' ');
    if (first == std::string::npos || line.compare(first, start.size(), start) != 0) continue;
    return line.substr(first);
  }
  return {};
}

}  // namespace

TEST_CASE("cli: a choice flag sets its enum from the word given and keeps the default otherwise") {
  for (const auto& [word, want] : kColors) {
    TestApp app;
    Color c = Color::green;
    nnc::cli::Registrar(app).add_choice("--color", c, kColors, "a color");
    app.parse("--color " + word, false);
    CHECK(c == want);
  }
  TestApp app;
  Color c = Color::blue;
  nnc::cli::Registrar(app).add_choice("--color", c, kColors, "a color");
  app.parse("", false);
  CHECK(c == Color::blue);
  CHECK(nnc::cli::choice_word(kColors, Color::red) == "red");
}

TEST_CASE("cli: a choice flag reads as a text flag checked against its words: help, error, exit 105, config") {
  // The same flag twice: --color through the table, --name as a std::string with IsMember.
  const auto both = [](const std::string& line, std::string* help, std::string* config) {
    TestApp app;
    Color c = Color::green;
    std::string name = "green";
    nnc::cli::Registrar r(app);
    r.add_choice("--color", c, kColors, "a color");
    r.add("--name", name, "a color", CLI::IsMember({"red", "green", "blue"}));
    app.parse(line, false);
    if (help) *help = app.help();
    if (config) *config = app.config_to_str(true, false);
  };
  std::string help, config;
  both("", &help, &config);
  CHECK(line_starting(help, "--color") == "--color TEXT:{red,green,blue}=green");
  CHECK(line_starting(help, "--name").substr(6) == line_starting(help, "--color").substr(7));
  CHECK(config == "color=\"green\"\nname=\"green\"\n");
  both("--color blue --name blue", nullptr, &config);
  CHECK(config == "color=\"blue\"\nname=\"blue\"\n");
  for (const std::string flag : {"--color", "--name"}) {
    try {
      both(flag + " teal", nullptr, nullptr);
      FAIL("no error");
    } catch (const CLI::ValidationError& e) {
      CHECK(e.get_exit_code() == 105);
      CHECK(std::string(e.what()) == flag + ": teal not in {red,green,blue}");
    }
  }
}

TEST_CASE("cli: a choice whose default is outside its table shows no default and records an empty word") {
  TestApp app;
  bool on = false;
  nnc::cli::Registrar(app).add_choice("--baseline", on, nnc::cli::Choices<bool>{{"magnitude", true}}, "a baseline");
  app.parse("", false);
  CHECK(line_starting(app.help(), "--baseline") == "--baseline TEXT:{magnitude}");
  CHECK(app.config_to_str(true, false) == "baseline=\"\"\n");
  CHECK_FALSE(on);
  app.parse("--baseline magnitude", false);
  CHECK(on);
}

TEST_CASE("cli: a range flag says its range in --help and refuses a value outside it with exit 105") {
  TestApp app;
  int epochs = 3;
  nnc::cli::Registrar(app).add("--epochs", epochs, "training epochs", 1, 1000);
  CHECK(line_starting(app.help(), "--epochs") == "--epochs INT:INT in [1 - 1000]=3");
  try {
    app.parse("--epochs 0", false);
    FAIL("no error");
  } catch (const CLI::ValidationError& e) {
    CHECK(e.get_exit_code() == 105);
    CHECK(std::string(e.what()) == "--epochs: Value 0 not in range 1 to 1000");
  }
}
