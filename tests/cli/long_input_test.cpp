// Long study input through `greentune study --dry-run` (issue 22): a command template with a
// placeholder of about 70,000 characters made the placeholder check (std::regex) overflow the
// stack (exit -11). Now it is a one-line error, or, when every placeholder is a
// hyperparameter, the plan.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "common/greentune_cli.hpp"

using greentune::testing::run_greentune;
using greentune::testing::ScopedTempDir;

namespace {

std::string study_with_command(const std::string& command) {
  return "name = \"long\"\nrepetitions = 1\n[[models]]\nname = \"m\"\ncommand = \"" + command +
         "\"\nmetric_regex = \"acc ([0-9.]+)\"\noperators = [\"lr\"]\nhyperparameters = {lr = 0.25}\n";
}

}  // namespace

TEST(LongInputCli, DryRunWithASeventyThousandCharacterPlaceholderIsAOneLineError) {
  ScopedTempDir dir("long-input");
  std::string name = std::string(70000, 'A') + "lr";
  std::ofstream(dir / "study.toml") << study_with_command("./m.sh {" + name + "} {lr}");
  auto r = run_greentune({"study", dir / "study.toml", "--dry-run"}, {}, 120);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text.substr(0, 500);
  std::string expected = "greentune: error: " + (dir / "study.toml") + ":5: models[0].command: placeholder {" +
                         std::string(60, 'A') + "...} is not a hyperparameter of 'm' (a name of 70002 characters)\n";
  EXPECT_EQ(r.stderr_text, expected);
}

TEST(LongInputCli, DryRunOfALongCommandWithKnownPlaceholdersPrintsThePlan) {
  ScopedTempDir dir("long-input");
  // 70,000 characters of braces and text around real placeholders; {{ and }} are literal.
  std::string filler;
  for (int i = 0; i < 10000; ++i) filler += "{{x}} { ";
  std::ofstream(dir / "study.toml") << study_with_command("./m.sh " + filler + " {lr} {lr}");
  auto r = run_greentune({"study", dir / "study.toml", "--dry-run"}, {}, 120);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text.substr(0, 500);
  EXPECT_NE(r.stdout_text.find("model m"), std::string::npos) << r.stdout_text.substr(0, 500);
}
