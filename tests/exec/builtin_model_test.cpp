// The built-in path: `greentune train ... --json` as the child process of a study.
// Skipped when the greentune under test was built without libtorch.
#include <gtest/gtest.h>

#include <cstring>
#include <sstream>

#include "greentune/core/subprocess.hpp"
#include "greentune/exec/local_executor.hpp"
#include "greentune/store/run_records.hpp"
#include "test_util.hpp"

using namespace greentune;
using namespace greentune::exec;

TEST(BuiltinModel, StudyTrainsThroughGreentuneTrainAndStoresExactValues) {
  SubprocessOptions probe;
  probe.argv = {GREENTUNE_BIN, "train", "--model", "mnist_cnn", "--set", "epochs=1", "--set", "train_limit=64",
                "--set", "test_limit=32", "--set", "substitute_data=1", "--json", "-q"};
  probe.timeout_s = 120;
  SubprocessResult pr = run_subprocess(probe);
  if (pr.stderr_text.find("without libtorch") != std::string::npos) GTEST_SKIP() << "greentune built without libtorch";
  if (pr.exit_code == 3) GTEST_SKIP() << "no dataset for mnist_cnn: " << pr.stderr_text;
  ASSERT_EQ(pr.exit_code, 0) << pr.stderr_text;

  std::string dir = greentune::testing::make_temp_dir("builtin");
  greentune::testing::write_text(dir + "/study.toml", R"T(
repetitions = 1
cooldown = 0
meter = "estimate"
[budgets]
train_limit = 128
test_limit = 64
substitute_data = 1
[[models]]
name = "mnist_cnn"
operators = [{hyperparameter = "lr", values = [0.30000000000000004]}]
[models.set]
epochs = 1
)T");
  StudyRunOptions o;
  o.study_file = dir + "/study.toml";
  o.out_dir = dir + "/out";
  o.greentune_bin = GREENTUNE_BIN;
  std::ostringstream out, err;
  o.out = &out;
  o.err = &err;
  o.progress = "log";
  ASSERT_EQ(run_study(o), 0) << err.str();
  auto runs = store::load_run_records(dir + "/out/study.db");
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& r : runs) {
    EXPECT_EQ(r.status, RunStatus::succeeded) << r.extra.at("status_reason");
    ASSERT_TRUE(r.performance.has_value());
    EXPECT_GE(*r.performance, 0);
    EXPECT_LE(*r.performance, 1);
    EXPECT_TRUE(r.reading(EnergyDomain::cpu_package).joules.has_value());
    EXPECT_EQ(r.hp.at("train_limit"), 128);
    EXPECT_NE(r.extra.at("train_result").find("\"torch_version\""), std::string::npos);
  }
  double lr = runs[0].op == "lr" ? runs[0].hp.at("lr") : runs[1].hp.at("lr");
  double want = 0.30000000000000004;
  EXPECT_EQ(std::memcmp(&lr, &want, sizeof lr), 0);
  auto env = store::load_environment(dir + "/out/study.db");
  EXPECT_FALSE(env["torch_version"].empty());
}
