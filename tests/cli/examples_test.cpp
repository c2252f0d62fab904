// The examples users copy first run as written: every "Typical use" line of `greentune --help`
// and every greentune command in README.md's code blocks, in a fresh folder with the source
// tree's examples/ beside it, the built greentune first on PATH, and nothing beyond the quick
// start's packages (Debian's Fashion-MNIST; no MNIST, no GPU, no energy sensor needed).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/greentune_cli.hpp"
#include "greentune/core/subprocess.hpp"

using namespace greentune;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The command part of a help line: up to the first run of two spaces (the comment after it).
std::string command_of(const std::string& line) {
  std::string s = line.substr(line.find_first_not_of(' '));
  auto gap = s.find("  ");
  return gap == std::string::npos ? s : s.substr(0, gap);
}

std::vector<std::string> help_examples(const std::string& help) {
  std::vector<std::string> out;
  std::istringstream in(help.substr(help.find("Typical use:")));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line) && line.rfind("  greentune ", 0) == 0) out.push_back(command_of(line));
  return out;
}

struct ReadmeExamples {
  std::vector<std::string> commands;  // greentune lines of ```sh blocks, comments removed
  std::vector<std::string> toml;      // ```toml blocks
};

ReadmeExamples readme_examples(const std::string& text) {
  ReadmeExamples r;
  std::istringstream in(text);
  std::string line, lang, block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) {
      if (!inside) {
        lang = line.substr(3);
        block.clear();
      } else if (lang == "toml") {
        r.toml.push_back(block);
      }
      inside = !inside;
      continue;
    }
    if (!inside) continue;
    block += line + "\n";
    if (lang == "sh" && line.rfind("greentune ", 0) == 0) {
      std::string cmd = line.substr(0, line.find('#'));
      cmd.erase(cmd.find_last_not_of(' ') + 1);
      r.commands.push_back(cmd);
    }
  }
  return r;
}

// Runs `command` through /bin/sh in `dir` with the built greentune first on PATH.
SubprocessResult run_in(const std::string& dir, const std::string& command, double timeout_s) {
  SubprocessOptions o;
  o.argv = {"/bin/sh", "-c", command};
  o.working_dir = dir;
  const std::string bin_dir = std::filesystem::path(GREENTUNE_BIN).parent_path().string();
  const char* path = getenv("PATH");
  o.env["PATH"] = bin_dir + ":" + (path ? path : "/usr/bin:/bin");
  o.timeout_s = timeout_s;
  return run_subprocess(o);
}

std::string fresh_dir_with_examples(const std::string& tag) {
  const std::string dir = greentune::testing::make_temp_dir(tag);
  std::filesystem::create_directory_symlink(std::string(GREENTUNE_SOURCE_DIR) + "/examples", dir + "/examples");
  return dir;
}

bool has_fashion_mnist() { return std::filesystem::is_directory("/usr/share/datasets/fashion-mnist"); }

}  // namespace

TEST(Examples, EveryTypicalUseInTheHelpRunsAsWritten) {
  if (!has_fashion_mnist()) GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed (the quick start installs it)";
  auto help = greentune::testing::run_greentune({"--help"});
  ASSERT_EQ(help.exit_code, 0) << help.stderr_text;
  const std::vector<std::string> examples = help_examples(help.stdout_text);
  ASSERT_GE(examples.size(), 5u) << help.stdout_text;
  const std::string dir = fresh_dir_with_examples("help-examples");
  for (const std::string& command : examples) {
    SCOPED_TRACE(command);
    auto r = run_in(dir, command, 900);
    EXPECT_TRUE(r.ok()) << r.describe() << "\n" << r.stderr_text.substr(r.stderr_text.size() > 2000 ? r.stderr_text.size() - 2000 : 0);
    if (command.find("--json") != std::string::npos) EXPECT_NE(r.stdout_text.find("\"test_accuracy\""), std::string::npos);
  }
  EXPECT_TRUE(std::filesystem::exists(dir + "/quick/report/report.html")) << "the report example wrote its page";
}

TEST(Examples, ReadmesStudyOfYourOwnRunsAsWritten) {
  const ReadmeExamples readme = readme_examples(read_file(std::string(GREENTUNE_SOURCE_DIR) + "/README.md"));
  // The README's study file is examples/my-study.toml, shown whole.
  ASSERT_EQ(readme.toml.size(), 1u);
  EXPECT_EQ(readme.toml[0], read_file(std::string(GREENTUNE_SOURCE_DIR) + "/examples/my-study.toml"));
  ASSERT_GE(readme.commands.size(), 2u);
  const std::string dir = fresh_dir_with_examples("readme-examples");
  for (const std::string& command : readme.commands) {
    SCOPED_TRACE(command);
    auto r = run_in(dir, command, 600);
    EXPECT_TRUE(r.ok()) << r.describe() << "\n" << r.stderr_text;
  }
  EXPECT_TRUE(std::filesystem::exists(dir + "/my-study/report/report.html"));
}
