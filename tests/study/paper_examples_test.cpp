// examples/paper/: the paper's whole design as study files (docs/replicating.md). Every file is
// parsed and planned here, and its plan is checked against the design of Wang et al.
// (arXiv 2603.06195) as its replication package ran it: each model alone with its three
// hyperparameters, five mutants per hyperparameter (ten learning rates for mnist_cnn, mnist_ff
// and resnet20, whose package data hold two batches), five repetitions, 60 s cool-down, runs
// grouped per configuration, governor performance; and the four parallel pairs of RQ3.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "greentune/core/models.hpp"
#include "greentune/study/plan.hpp"
#include "greentune/study/study_definition.hpp"

using namespace greentune;
using namespace greentune::study;

namespace {

const std::string kPaperDir = std::string(GREENTUNE_SOURCE_DIR) + "/examples/paper";

std::vector<std::string> paper_files() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(kPaperDir))
    if (e.path().extension() == ".toml") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// How many mutants the package ran per hyperparameter (its analysis/*.txt files).
int expected_mutants(const std::string& model, const std::string& hp, bool parallel) {
  if (hp == "lr" && !parallel && (model == "mnist_cnn" || model == "mnist_ff" || model == "resnet20")) return 10;
  return 5;
}

// shell.py's rules, as ranges around the default d: every value the package ran must lie in them.
void expect_in_rule(const std::string& file, const std::string& hp, double d, double v, int index) {
  SCOPED_TRACE(file + " " + hp + " mutant " + std::to_string(index));
  EXPECT_NE(v, d);
  if (hp == "epochs") {  // d -/+ int(d*U*0.25); a draw equal to d becomes max(1, min(10, d) - 1)
    EXPECT_EQ(v, std::floor(v));
    if (v != std::max(1.0, std::min(10.0, d) - 1)) {
      EXPECT_GE(v, d - std::floor(d * 0.25));
      EXPECT_LE(v, d + std::floor(d * 0.25));
    }
  } else if (hp == "lr") {  // first five: d*10^U or d/10^U; then d*10^(-2U)
    if (index <= 5) {
      EXPECT_GE(v, d / 10);
      EXPECT_LE(v, d * 10);
    } else {
      EXPECT_GE(v, d / 100);
      EXPECT_LE(v, d);
    }
  } else if (hp == "gamma" || hp == "weight_decay") {  // d/(1+4U) or d+2dU
    EXPECT_GE(v, d / 5);
    EXPECT_LE(v, 3 * d);
  } else if (hp == "threshold") {  // int(d*U*5)
    EXPECT_EQ(v, std::floor(v));
    EXPECT_GE(v, 0);
    EXPECT_LT(v, 5 * d);
  } else {
    ADD_FAILURE() << "unexpected hyperparameter";
  }
}

}  // namespace

TEST(PaperExamples, EveryFilePlansThePapersDesign) {
  const std::vector<std::string> files = paper_files();
  ASSERT_EQ(files.size(), 9u) << "five models alone and four parallel pairs";
  std::set<std::string> single_models;
  std::set<std::pair<std::string, std::string>> pairs;
  size_t single_configurations = 0, single_runs = 0, parallel_configurations = 0, parallel_runs = 0;
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    StudyDefinition s = load_study_file(file);
    Plan plan = make_plan(s);
    EXPECT_EQ(s.repetitions, 5);
    EXPECT_EQ(s.cooldown.mode, CooldownMode::fixed);
    EXPECT_EQ(s.cooldown.seconds, 60);
    EXPECT_EQ(s.order, "grouped");
    EXPECT_EQ(s.governor, "performance");
    ASSERT_EQ(s.models.size(), 1u) << "each model alone";
    const ModelDefinition& m = s.models[0];
    ASSERT_TRUE(m.is_builtin());
    const ModelSpec& spec = model_or_throw(m.builtin);
    ASSERT_EQ(s.scenarios.size(), 1u);
    const bool parallel = s.scenarios[0].kind == ScenarioKind::parallel;
    if (parallel) {
      pairs.insert({m.name, s.scenarios[0].corunner});
    } else {
      EXPECT_EQ(s.scenarios[0].kind, ScenarioKind::single);
      single_models.insert(m.name);
    }
    // The original is the package's (run.sh): the catalog's defaults, resnet20's lr 0.2 included.
    EXPECT_EQ(m.defaults, spec.defaults());
    // The three studied hyperparameters, each with the package's number of mutants.
    ASSERT_EQ(m.operators.size(), 3u);
    std::set<std::string> ops;
    size_t mutants = 0;
    for (const OperatorDefinition& op : m.operators) {
      ops.insert(op.hyperparameter);
      EXPECT_EQ(static_cast<int>(op.values.size()), expected_mutants(m.name, op.hyperparameter, parallel))
          << op.hyperparameter;
      const double d = spec.defaults().at(op.hyperparameter);
      for (size_t i = 0; i < op.values.size(); ++i)
        expect_in_rule(file, op.hyperparameter, d, op.values[i], static_cast<int>(i) + 1);
      std::set<double> distinct(op.values.begin(), op.values.end());
      EXPECT_EQ(distinct.size(), op.values.size()) << op.hyperparameter;
      mutants += op.values.size();
    }
    EXPECT_EQ(ops, std::set<std::string>(spec.studied.begin(), spec.studied.end()));
    // Counts: original + mutants, five runs each, one run per task.
    ASSERT_EQ(plan.configurations.size(), 1 + mutants);
    ASSERT_EQ(plan.runs.size(), 5 * plan.configurations.size());
    EXPECT_EQ(plan.tasks.size(), plan.runs.size());
    // The package's order: the original first, then each configuration's five runs back to back.
    for (const PlannedRun& r : plan.runs) {
      EXPECT_EQ(r.configuration_id, (r.id - 1) / 5 + 1);
      EXPECT_EQ(r.repetition, (r.id - 1) % 5 + 1);
      if (parallel) EXPECT_EQ(r.corunner, s.scenarios[0].corunner);
    }
    EXPECT_EQ(plan.configurations[0].op, "original");
    // --dry-run can estimate both duration and energy (from the package's measurements).
    const std::string text = describe_plan(s, plan);
    EXPECT_NE(text.find("estimated duration: "), std::string::npos) << text;
    EXPECT_EQ(text.find("not counted;"), std::string::npos) << text;
    EXPECT_NE(text.find("estimated energy: "), std::string::npos) << text;
    (parallel ? parallel_configurations : single_configurations) += plan.configurations.size();
    (parallel ? parallel_runs : single_runs) += plan.runs.size();
  }
  EXPECT_EQ(single_models, (std::set<std::string>{"mnist_cnn", "mnist_ff", "siamese", "resnet20", "hrnet18"}));
  // RQ3's four pairs (the package's analysis/rq3-parallel.py: mst/mff, mst/sia, sia/mff, sia/mst).
  EXPECT_EQ(pairs, (std::set<std::pair<std::string, std::string>>{{"mnist_cnn", "mnist_ff"},
                                                                  {"mnist_cnn", "siamese"},
                                                                  {"siamese", "mnist_ff"},
                                                                  {"siamese", "mnist_cnn"}}));
  // 21 + 21 + 16 + 21 + 16 configurations alone; 4 x 16 in parallel.
  EXPECT_EQ(single_configurations, 95u);
  EXPECT_EQ(single_runs, 475u);
  EXPECT_EQ(parallel_configurations, 64u);
  EXPECT_EQ(parallel_runs, 320u);
}

TEST(PaperExamples, DryRunEnergyIsEstimatedSecondsTimesEstimateW) {
  StudyDefinition s = parse_study(R"T(
name = "w"
repetitions = 2
cooldown = 60
[[models]]
name = "mnist_cnn"
estimate_s = 100
estimate_w = 50
operators = [{hyperparameter = "epochs", values = [7]}]
)T",
                                  "w.toml");
  Plan plan = make_plan(s);
  // Runs: 2 x 100 s (epochs 14) + 2 x 50 s (epochs 7) = 300 s at 50 W = 15 kJ.
  const std::string text = describe_plan(s, plan);
  EXPECT_NE(text.find("estimated energy: 15.0 kJ for the runs"), std::string::npos) << text;
  try {
    parse_study("name = \"w\"\n[[models]]\nname = \"mnist_cnn\"\nestimate_w = -1\n", "w.toml");
    ADD_FAILURE() << "negative estimate_w accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("w.toml:4: models[0].estimate_w: must be >= 0"), std::string::npos) << e.what();
  }
}
