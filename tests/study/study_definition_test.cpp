#include "greentune/study/study_definition.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "greentune/core/error.hpp"
#include "greentune/study/plan.hpp"
#include "greentune/study/study_directory.hpp"
#include "greentune/store/study_store.hpp"
#include "exec/test_util.hpp"

using namespace greentune;
using namespace greentune::study;

namespace {

std::string error_of(const std::string& text) {
  try {
    StudyDefinition s = parse_study(text, "bad.toml");
    make_plan(s);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << "one line: " << m;
    return m;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return "";
}

const char* kExternal = R"T(
name = "ext"
mutants = 2
repetitions = 2
[[models]]
name = "fake"
command = "./model.sh {lr} {mode}"
metric_regex = "accuracy: ([0-9.]+)"
operators = ["lr", {hyperparameter = "mode", rule = "batch_size", choices = [1, 2, 3]}]
[models.hyperparameters]
lr = 0.5
mode = 2
)T";

}  // namespace

TEST(StudyDefinition, ParsesAnExternalModel) {
  StudyDefinition s = parse_study(kExternal, "ext.toml", "/base");
  ASSERT_EQ(s.models.size(), 1u);
  const ModelDefinition& m = s.models[0];
  EXPECT_FALSE(m.is_builtin());
  EXPECT_EQ(m.working_dir, "/base");
  EXPECT_EQ(m.defaults.at("lr"), 0.5);
  EXPECT_EQ(m.find("mode")->type, HpType::integer);
  EXPECT_EQ(m.find("lr")->type, HpType::real);
  ASSERT_EQ(m.operators.size(), 2u);
  EXPECT_EQ(m.operators[1].rule, "batch_size");
  EXPECT_EQ(m.operators[1].options.choices, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(s.scenarios.size(), 1u);
  EXPECT_EQ(s.scenarios[0].kind, ScenarioKind::single);
  EXPECT_EQ(s.order, "interleaved");
  EXPECT_EQ(s.cooldown.seconds, 60);
}

TEST(StudyDefinition, BuiltInModelsGetCatalogDefaultsBudgetsAndStudiedOperators) {
  StudyDefinition s = parse_study(R"(
[budgets]
train_limit = 500
[[models]]
name = "mnist_cnn"
[models.set]
epochs = 13
[[models]]
name = "mnist_ff"
budgets = {train_limit = 100}
)", "b.toml");
  EXPECT_EQ(s.models[0].defaults.at("train_limit"), 500);
  EXPECT_EQ(s.models[0].defaults.at("epochs"), 13);
  EXPECT_EQ(s.models[0].defaults.at("lr"), 1.0);
  EXPECT_EQ(s.models[1].defaults.at("train_limit"), 100);
  std::vector<std::string> ops;
  for (const auto& o : s.models[1].operators) ops.push_back(o.hyperparameter);
  EXPECT_EQ(ops, (std::vector<std::string>{"epochs", "lr", "threshold"}));
  EXPECT_EQ(s.models[1].operators[0].mutants, 5);
}

TEST(StudyDefinition, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(error_of("name = \"x\"\nbogus = 1\n[[models]]\nname = \"mnist_cnn\"\n"),
            "bad.toml:2: bogus: unknown key (allowed here: budgets, cooldown, device, governor, meter, meter_interval_ms, "
            "models, mutants, name, order, repetitions, run_timeout_s, scenarios, seed)");
  std::string e = error_of("[[models]]\nname = \"mnist_cnn\"\noperators = [\"lr\", \"warp\"]\n");
  EXPECT_EQ(e.rfind("bad.toml:3: models[0].operators[1]: unknown mutation operator 'warp'", 0), 0u) << e;
  e = error_of("[[models]]\nname = \"nope\"\n");
  EXPECT_EQ(e.rfind("bad.toml:2: models[0].name: unknown built-in model 'nope'", 0), 0u) << e;
  e = error_of("order = \"random\"\n[[models]]\nname = \"mnist_cnn\"\n");
  EXPECT_EQ(e, "bad.toml:1: order: expected \"grouped\" or \"interleaved\", got \"random\"");
  e = error_of("[[models]]\nname = \"mnist_cnn\"\n[models.set]\nlr = -1\n");
  EXPECT_EQ(e.rfind("bad.toml:4: models[0].set.lr: hyperparameter 'lr': -1 is outside", 0), 0u) << e;
  e = error_of("[[models]]\nname = \"e\"\ncommand = \"run {lr} {zz}\"\nmetric_regex = \"a: (.*)\"\noperators = [\"lr\"]\n"
               "hyperparameters = {lr = 1.0}\n");
  EXPECT_NE(e.find("placeholder {zz} is not a hyperparameter"), std::string::npos) << e;
  e = error_of("[[models]]\nname = \"e\"\ncommand = \"run\"\nmetric_regex = \"a: .*\"\noperators = [\"lr\"]\n"
               "hyperparameters = {lr = 1.0}\n");
  EXPECT_NE(e.find("metric_regex: needs one capture group"), std::string::npos) << e;
  e = error_of("[[models]]\nname = \"e\"\ncommand = \"run\"\noperators = [\"lr\"]\nhyperparameters = {lr = 1.0}\n");
  EXPECT_NE(e.find("needs metric_regex"), std::string::npos) << e;
  e = error_of("repetitions = 3\nscenarios = [{kind = \"symmetric\", jobs = 2}]\n[[models]]\nname = \"mnist_cnn\"\n");
  EXPECT_NE(e.find("must be a multiple of jobs"), std::string::npos) << e;
  e = error_of("cooldown = \"sometimes\"\n[[models]]\nname = \"mnist_cnn\"\n");
  EXPECT_EQ(e.rfind("bad.toml:1: cooldown:", 0), 0u) << e;
  e = error_of("scenarios = [{kind = \"parallel\", corunner = \"ghost\"}]\n[[models]]\nname = \"mnist_cnn\"\n");
  EXPECT_NE(e.find("co-runner 'ghost'"), std::string::npos) << e;
}

TEST(StudyDefinition, SyntaxErrorsAndImpossibleMutantsAreOneLine) {
  std::string e;
  try {
    parse_study("name = \n", "syn.toml");
  } catch (const Error& err) {
    e = err.what();
  }
  EXPECT_EQ(e.rfind("syn.toml:1: ", 0), 0u) << e;
  // epochs = 4 cannot give distinct mutants with the paper's rule.
  e = error_of("[[models]]\nname = \"mnist_cnn\"\noperators = [\"epochs\"]\n[models.set]\nepochs = 4\n");
  EXPECT_NE(e.find("model 'mnist_cnn': operator 'epochs' cannot give 5 distinct mutants of default 4"),
            std::string::npos) << e;
  try {
    load_study_file("/nonexistent/study.toml");
    FAIL();
  } catch (const Error& err) {
    EXPECT_EQ(err.kind(), ErrorKind::io);
  }
}

TEST(StudyDefinition, EmbeddedDefaultStudyParsesAndPlans) {
  StudyDefinition s = parse_study(default_study_text(), "<default>");
  Plan p = make_plan(s);
  EXPECT_GT(p.runs.size(), 0u);
  EXPECT_GT(estimate_plan_seconds(s, p), 0);
  EXPECT_NE(describe_plan(s, p).find("estimated duration"), std::string::npos);
}

TEST(Plan, CountsOrderAndDeterminism) {
  StudyDefinition s = parse_study(std::string(R"T(
mutants = 2
repetitions = 4
order = "grouped"
scenarios = ["single", {kind = "parallel", corunner = "mnist_cnn"}, {kind = "symmetric", jobs = 2}]
[[models]]
name = "fake"
command = "x {lr}"
metric_regex = "a: (.*)"
operators = ["lr", "epochs"]
hyperparameters = {lr = 0.5, epochs = 20}
)T"), "p.toml");
  Plan g = make_plan(s);
  // 1 original + 2x2 mutants = 5 configurations; x 4 repetitions x 3 scenarios = 60 runs;
  // tasks: 20 single + 20 parallel + 10 symmetric pairs.
  EXPECT_EQ(g.configurations.size(), 5u);
  EXPECT_EQ(g.runs.size(), 60u);
  EXPECT_EQ(g.tasks.size(), 50u);
  ASSERT_EQ(s.corunners.size(), 1u);
  std::set<std::tuple<std::string, long long, long long>> keys;
  for (const auto& r : g.runs) keys.insert({to_string(r.scenario) + r.corunner, r.configuration_id, r.repetition});
  EXPECT_EQ(keys.size(), 60u);  // every (scenario, configuration, repetition) exactly once
  // grouped: the first tasks are the original's single runs.
  EXPECT_EQ(g.runs[0].op, "original");
  EXPECT_EQ(g.runs[0].scenario, Scenario::single);
  EXPECT_EQ(g.runs[1].repetition, 2);
  s.order = "interleaved";
  Plan i1 = make_plan(s), i2 = make_plan(s);
  ASSERT_EQ(i1.runs.size(), 60u);
  bool same_as_grouped = true;
  for (size_t k = 0; k < i1.runs.size(); ++k) {
    EXPECT_EQ(i1.runs[k].configuration_id, i2.runs[k].configuration_id);
    EXPECT_EQ(i1.runs[k].repetition, i2.runs[k].repetition);
    same_as_grouped = same_as_grouped && i1.runs[k].configuration_id == g.runs[k].configuration_id &&
                      i1.runs[k].scenario == g.runs[k].scenario;
  }
  EXPECT_FALSE(same_as_grouped);
  // Same mutants whatever the order.
  for (size_t k = 0; k < g.configurations.size(); ++k) EXPECT_EQ(g.configurations[k].hp, i1.configurations[k].hp);
  // Symmetric tasks hold two runs of the same configuration.
  for (const auto& t : i1.tasks)
    if (t.scenario_kind == ScenarioKind::symmetric) {
      ASSERT_EQ(t.run_ids.size(), 2u);
      EXPECT_EQ(i1.runs[t.run_ids[0] - 1].configuration_id, i1.runs[t.run_ids[1] - 1].configuration_id);
      EXPECT_EQ(t.corunner, "symmetric:2");
    }
}

TEST(Plan, StudyDirectoryRoundTripsValuesBitForBit) {
  std::string dir = greentune::testing::make_temp_dir("plan");
  StudyDefinition s = parse_study(kExternal, "ext.toml", dir);
  LoadedStudy a = create_study_directory(s, dir + "/study");
  LoadedStudy b = load_study_directory(StudyPaths::from_path(dir + "/study/study.db"));
  EXPECT_EQ(a.study_id, b.study_id);
  ASSERT_EQ(a.plan.configurations.size(), b.plan.configurations.size());
  for (size_t i = 0; i < a.plan.configurations.size(); ++i)
    for (const auto& [k, v] : a.plan.configurations[i].hp) {
      double w = b.plan.configurations[i].hp.at(k);
      EXPECT_EQ(std::memcmp(&v, &w, sizeof v), 0) << k;
    }
  store::StudyStore st = store::StudyStore::open(a.paths.db());
  auto cfgs = st.configurations();
  ASSERT_EQ(cfgs.size(), a.plan.configurations.size());
  for (size_t i = 0; i < cfgs.size(); ++i) EXPECT_EQ(cfgs[i].hp, a.plan.configurations[i].hp);
  EXPECT_EQ(st.counts().pending, static_cast<long long>(a.plan.runs.size()));
  EXPECT_THROW(create_study_directory(s, dir + "/study"), Error);
}

TEST(StudyDefinition, DeviceReachesEveryModelAndBadDevicesAreRefused) {
  StudyDefinition cpu = parse_study(kExternal, "ext.toml");
  EXPECT_EQ(cpu.device, "cpu");
  std::string gpu_text = std::string("device = \"cuda:1\"\n") + kExternal;
  StudyDefinition gpu = parse_study(gpu_text, "gpu.toml");
  ASSERT_FALSE(gpu.models.empty());
  for (const auto& m : gpu.models) EXPECT_EQ(m.device, "cuda:1");
  std::string m = error_of(std::string("device = \"tpu\"\n") + kExternal);
  EXPECT_NE(m.find("device"), std::string::npos) << m;
}
