// Tune files: defaults, search ranges, and one-line errors naming file, line and key.
#include <gtest/gtest.h>

#include "greentune/core/error.hpp"
#include "greentune/tune/tune_definition.hpp"

namespace greentune::tune {
namespace {

const char* kExternal = R"X(name = "t"
[tune]
objective = "energy"
margin = "1%"
budget_runs = 30
seed = 7
[[models]]
name = "m"
command = "echo {lr} {epochs} {wd}"
metric_regex = "([0-9.]+)"
operators = ["lr", "epochs", {hyperparameter = "wd", rule = "weight_decay"}]
[models.hyperparameters]
lr = 0.01
epochs = 20
wd = 0.0001
)X";

std::string error_of(const std::string& text) {
  try {
    parse_tune(text, "t.toml", "");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(TuneDefinition, DefaultRangesFollowTheMutationOperators) {
  TuneDefinition d = parse_tune(kExternal, "t.toml", "");
  EXPECT_EQ(d.seed, 7u);
  EXPECT_TRUE(d.margin_relative);
  EXPECT_DOUBLE_EQ(d.margin, 0.01);
  EXPECT_DOUBLE_EQ(d.margin_for(0.9), 0.009);
  ASSERT_EQ(d.space.size(), 3u);
  EXPECT_EQ(d.space[0].name, "lr");
  EXPECT_TRUE(d.space[0].log);
  EXPECT_DOUBLE_EQ(d.space[0].min, 0.001);
  EXPECT_DOUBLE_EQ(d.space[0].max, 0.1);
  EXPECT_TRUE(d.space[1].integer);
  EXPECT_DOUBLE_EQ(d.space[1].min, 15);
  EXPECT_DOUBLE_EQ(d.space[1].max, 25);
  EXPECT_DOUBLE_EQ(d.space[2].min, 0.0001 / 5);
  EXPECT_DOUBLE_EQ(d.space[2].max, 0.0003);
  // Unit cube round trip: ends, integers, log scale.
  EXPECT_DOUBLE_EQ(d.space[0].from_unit(0.5), 0.01);
  EXPECT_DOUBLE_EQ(d.space[1].from_unit(d.space[1].to_unit(18)), 18);
  EXPECT_EQ(d.space[1].from_unit(0.51), 20);
}

TEST(TuneDefinition, SearchTableOverridesAndAddsRanges) {
  std::string text = std::string(kExternal) +
                     "[models.search]\nlr = {min = 0.005, max = 0.05}\nwd = {choices = [0.0, 0.0001, 0.001]}\n";
  TuneDefinition d = parse_tune(text, "t.toml", "");
  EXPECT_DOUBLE_EQ(d.space[0].min, 0.005);
  EXPECT_TRUE(d.space[0].log);  // kept from the operator's default
  ASSERT_EQ(d.space[2].choices.size(), 3u);
  EXPECT_EQ(d.space[2].from_unit(0.99), 0.001);
}

TEST(TuneDefinition, BuiltinModelUsesItsStudiedHyperparameters) {
  TuneDefinition d = parse_tune("[tune]\nbudget_h = 0.5\n[[models]]\nname = \"mnist_cnn\"\n", "t.toml", "");
  ASSERT_EQ(d.space.size(), 3u);
  EXPECT_EQ(d.model().metric, "test_accuracy");
}

TEST(TuneDefinition, BadFilesGetOneLineErrorsWithFileLineAndKey) {
  auto with = [](const std::string& from, const std::string& to) {
    std::string t = kExternal;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  EXPECT_EQ(error_of(with("objective = \"energy\"", "objective = \"joy\"")),
            "t.toml:3: tune.objective: expected \"energy\", \"cpu_package\", \"dram\", \"gpu\" or \"time\" (or \"energy_attributed\"), got \"joy\"");
  EXPECT_EQ(error_of(with("margin = \"1%\"", "margin = \"a lot\"")),
            "t.toml:4: tune.margin: expected a number or a percentage like \"1%\", got \"a lot\"");
  EXPECT_EQ(error_of(with("seed = 7", "seed = 7\nbudgett = 3")).substr(0, 24), "t.toml:7: tune.budgett: ");
  EXPECT_EQ(error_of(with("budget_runs = 30", "alpha = 0.7")), "t.toml:5: tune.alpha: must be in (0, 0.5)");
  EXPECT_EQ(error_of(with("budget_runs = 30", "")), "t.toml:2: tune: needs a budget: budget_runs, budget_j and/or budget_h");
  std::string bad_range = std::string(kExternal) + "[models.search]\nlr = {min = 0.1, max = 0.01}\n";
  EXPECT_EQ(error_of(bad_range), "t.toml:17: models[0].search.lr: min (0.1) must be below max (0.01)");
  std::string unknown = std::string(kExternal) + "[models.search]\nbeta = {min = 0.1, max = 1}\n";
  EXPECT_EQ(error_of(unknown), "t.toml:17: models[0].search.beta: model 'm' has no hyperparameter 'beta'");
  // Study-file errors keep their format.
  EXPECT_EQ(error_of(with("name = \"m\"", "name = \"m\"\nmutantz = 3")).substr(0, 28), "t.toml:9: models[0].mutantz:");
  EXPECT_EQ(error_of("[[models]]\nname = \"mnist_cnn\"\n"), "t.toml: tune: a tune file needs a [tune] table (objective, margin, alpha, budget)");
}

}  // namespace
}  // namespace greentune::tune

namespace greentune::tune {
namespace {

TEST(TuneDefinition, PruneAndFromKeys) {
  TuneDefinition d = parse_tune(kExternal, "t.toml", "/studies");
  EXPECT_FALSE(d.prune.has_value());  // default: on when the runs report progress
  EXPECT_TRUE(d.from.empty());
  const std::string text = std::string(kExternal);
  const std::string with = text.substr(0, text.find("[[models]]")) + "prune = false\nfrom = [\"small\", \"/abs/old\"]\n" +
                           text.substr(text.find("[[models]]"));
  d = parse_tune(with, "t.toml", "/studies");
  ASSERT_TRUE(d.prune.has_value());
  EXPECT_FALSE(*d.prune);
  EXPECT_EQ(d.from, (std::vector<std::string>{"/studies/small", "/abs/old"}));

  auto bad = [&](const std::string& line) {
    return error_of(text.substr(0, text.find("[[models]]")) + line + "\n" + text.substr(text.find("[[models]]")));
  };
  EXPECT_EQ(bad("prune = \"yes\""), "t.toml:7: tune.prune: expected true or false");
  EXPECT_EQ(bad("from = \"dir\""), "t.toml:7: tune.from: expected an array");
  EXPECT_EQ(bad("from = [\"\"]"), "t.toml:7: tune.from[0]: expected a study or tune directory, got \"\"");
}

}  // namespace
}  // namespace greentune::tune
