// Warm start (tune/warm_start.hpp): runs of other studies as search observations, and one-line
// refusals naming the directory and why.
#include "greentune/tune/warm_start.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "analysis/study_db.hpp"
#include "common/greentune_cli.hpp"
#include "greentune/core/error.hpp"

namespace greentune::tune {
namespace {

const char* kTune = R"X(name = "t"
[tune]
objective = "energy"
margin = 0.01
budget_runs = 30
[[models]]
name = "m"
command = "echo {epochs} {lr}"
metric_regex = "([0-9.]+)"
metric = "acc"
operators = ["epochs"]
[models.hyperparameters]
epochs = 20
lr = 0.01
)X";

std::map<std::string, std::string> machine() {
  return {{"hostname", "vm1"}, {"cpu_model", "Xeon"}, {"cpu_cores", "2"}, {"gpu", "none"}, {"meters", "rapl"}};
}

// A study of model m: the original (epochs 20) and mutants epochs 15 and 30 (30 is outside the
// tune's range [15, 25]), five runs each, measured on `machine()` unless told otherwise.
std::string study_dir(const std::map<std::string, std::string>& env = machine(), const std::string& metric = "acc",
                      bool higher_is_better = true) {
  const std::string dir = testing::make_temp_dir("warm");
  auto runs = test::epochs_study("m", {{20, 0.9}, {15, 0.88}, {30, 0.91}});
  for (auto& r : runs) r.hp["lr"] = 0.01;
  runs[5].status = RunStatus::failed;
  runs[6].status = RunStatus::pruned;
  test::write_study_db(dir + "/study.db", runs, {{"m", "external", metric, higher_is_better, "echo"}});
  auto st = store::StudyStore::open(dir + "/study.db");
  st.set_environment("node", env);
  return dir;
}

std::string error_of(const std::vector<std::string>& dirs, const std::map<std::string, std::string>& here = machine()) {
  try {
    load_warm_start(parse_tune(kTune, "t.toml", ""), dirs, here);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(WarmStart, RunsOfTheSameMachineBecomeObservations) {
  const std::string dir = study_dir();
  const WarmStart w = load_warm_start(parse_tune(kTune, "t.toml", ""), {dir}, machine());
  // 5 original + 5 epochs-15 runs, less the pruned one; the failed one stays (no performance).
  ASSERT_EQ(w.observations.size(), 9u);
  int failed = 0;
  for (const auto& o : w.observations) {
    EXPECT_EQ(o.hp.size(), 2u);  // a full configuration, as the tune's own
    EXPECT_EQ(o.hp.at("lr"), 0.01);
    EXPECT_TRUE(o.hp.at("epochs") == 20 || o.hp.at("epochs") == 15);
    ASSERT_TRUE(o.objective);
    // energy objective: cpu_package + dram as stored (10 J and 1 J per epoch, plus noise)
    EXPECT_NEAR(*o.objective, 11 * o.hp.at("epochs"), 2.0);
    if (o.status == RunStatus::failed) {
      ++failed;
      EXPECT_FALSE(o.performance);
    } else {
      ASSERT_TRUE(o.performance);
    }
    EXPECT_NE(o.source.find(dir + " run "), std::string::npos);
  }
  EXPECT_EQ(failed, 1);
  ASSERT_EQ(w.notes.size(), 1u);
  EXPECT_EQ(w.notes[0], "--from " + dir + ": 9 run(s) of 'm' used; 1 pruned left out; 5 outside this tune's space left "
                        "out (first: run 11: epochs = 30 is outside [15, 25])");
}

TEST(WarmStart, KeptInTheTuneDatabaseAsJsonExactly) {
  const WarmStart w = load_warm_start(parse_tune(kTune, "t.toml", ""), {study_dir()}, machine());
  const WarmStart back = warm_start_from_json(nlohmann::json::parse(warm_start_to_json(w).dump()), "db: meta");
  ASSERT_EQ(back.observations.size(), w.observations.size());
  for (std::size_t i = 0; i < w.observations.size(); ++i) {
    EXPECT_EQ(back.observations[i].hp, w.observations[i].hp);
    EXPECT_EQ(back.observations[i].objective, w.observations[i].objective);  // bit for bit
    EXPECT_EQ(back.observations[i].performance, w.observations[i].performance);
    EXPECT_EQ(back.observations[i].status, w.observations[i].status);
    EXPECT_EQ(back.observations[i].source, w.observations[i].source);
  }
  EXPECT_EQ(back.notes, w.notes);
  try {
    warm_start_from_json(nlohmann::json::parse(R"({"observations": [{"source": "x"}]})"), "db: meta tune.warm_start");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_EQ(std::string(e.what()).rfind("db: meta tune.warm_start: malformed warm start", 0), 0u) << e.what();
  }
}

TEST(WarmStart, AnotherMachineOrMeterIsRefusedInOneLine) {
  auto other = machine();
  other["cpu_model"] = "EPYC";
  const std::string dir = study_dir(other);
  EXPECT_EQ(error_of({dir}), "--from " + dir + ": run 1 was measured with cpu_model 'EPYC' (this machine: 'Xeon'); "
                             "warm starts take runs of the same machine and meters only");
  auto estimate = machine();
  estimate["meters"] = "estimate";
  const std::string est = study_dir(estimate);
  EXPECT_EQ(error_of({est}), "--from " + est + ": run 1 was measured with meters 'estimate' (this tune: 'rapl'); "
                             "warm starts take runs of the same machine and meters only");
  // Every directory is checked: a good one first does not let a bad one through.
  EXPECT_NE(error_of({study_dir(), dir}).find("--from " + dir + ": "), std::string::npos);
}

TEST(WarmStart, AnotherModelOrMetricIsRefusedInOneLine) {
  const std::string loss = study_dir(machine(), "loss", false);
  EXPECT_EQ(error_of({loss}), "--from " + loss + ": model 'm' measured 'loss', this tune measures 'acc'");
  const std::string dir = testing::make_temp_dir("warm");
  test::write_study_db(dir + "/study.db", test::epochs_study("other", {{20, 0.9}}),
                       {{"other", "external", "acc", true, "echo"}});
  EXPECT_EQ(error_of({dir}), "--from " + dir + ": has no model 'm' (it has: other)");
}

TEST(WarmStart, MissingOrForeignDirectoriesAreOneLineErrors) {
  const std::string empty = testing::make_temp_dir("warm");
  EXPECT_EQ(error_of({empty}), "--from " + empty + ": " + empty + " is not a greentune study directory (no study.db)");
  EXPECT_EQ(error_of({empty + "/none"}), "--from " + empty + "/none: no study at " + empty + "/none");
  try {
    load_warm_start(parse_tune(kTune, "t.toml", ""), {empty}, machine());
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);  // the kind is kept: the exit code says what went wrong
  }
}

}  // namespace
}  // namespace greentune::tune
