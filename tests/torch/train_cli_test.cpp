// `greentune train` and `greentune models` through the real binary (GREENTUNE_BIN).
#include <cstdlib>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/cuda.h>

#include "fixtures.hpp"
#include "greentune/core/cpus.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/core/train_result.hpp"
#include "greentune/torch/trainer.hpp"

using namespace greentune;
using greentune::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

SubprocessResult run_bin(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  SubprocessOptions o;
  o.argv = {GREENTUNE_BIN};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  env.emplace("GREENTUNE_DATA", "");  // never the developer's own data
  o.env = env;
  o.timeout_s = 300;
  return run_subprocess(o);
}

int line_count(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }

class TrainCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    greentune::testing::write_mnist(dir_->path() + "/mnist", {.train = 200, .test = 60});
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::vector<std::string> base() {
    return {"train", "--model", "mnist_cnn", "--data-dir", dir_->path(), "--fashion-mnist-dir", ""};
  }
  static TempDir* dir_;
};
TempDir* TrainCli::dir_ = nullptr;

}  // namespace

TEST_F(TrainCli, JsonResultOnStdoutProgressOnStderr) {
  auto args = base();
  args.insert(args.end(), {"--set", "epochs=1", "--set", "batch_size=32", "--set", "test_limit=40", "--json"});
  SubprocessResult r = run_bin(args);
  ASSERT_TRUE(r.ok()) << r.describe() << "\n" << r.stderr_text;
  EXPECT_EQ(line_count(r.stdout_text), 1) << r.stdout_text;
  TrainResult result = train_result_from_json(nlohmann::json::parse(r.stdout_text));
  EXPECT_EQ(result.model, "mnist_cnn");
  EXPECT_EQ(result.status, "ok");
  EXPECT_EQ(result.epochs_completed, 1);
  EXPECT_EQ(result.hyperparameters.at("batch_size"), 32);
  EXPECT_EQ(result.hyperparameters.at("lr"), 1.0);
  EXPECT_EQ(result.dataset.name, "mnist");
  EXPECT_EQ(result.dataset.test_samples, 40);
  ASSERT_TRUE(result.performance);
  EXPECT_GE(*result.performance, 0.0);
  EXPECT_THAT(r.stderr_text, HasSubstr("[mnist_cnn] epoch 1/1"));
}

// The result records the libtorch threads used: --threads wins over OMP_NUM_THREADS, which
// wins over the default (every CPU in the affinity mask).
TEST_F(TrainCli, RecordsTheThreadsItUsed) {
  auto args = base();
  args.insert(args.end(), {"--set", "epochs=1", "--set", "train_limit=32", "--set", "test_limit=8", "--json", "-q"});
  auto with_flag = args;
  with_flag.insert(with_flag.end(), {"--threads", "1"});
  SubprocessResult flag = run_bin(with_flag, {{"OMP_NUM_THREADS", "2"}});
  ASSERT_TRUE(flag.ok()) << flag.describe() << "\n" << flag.stderr_text;
  EXPECT_EQ(train_result_from_json(nlohmann::json::parse(flag.stdout_text)).cpu_threads, 1);
  SubprocessResult def = run_bin(args, {{"OMP_NUM_THREADS", ""}});
  ASSERT_TRUE(def.ok()) << def.describe() << "\n" << def.stderr_text;
  EXPECT_EQ(train_result_from_json(nlohmann::json::parse(def.stdout_text)).cpu_threads, greentune::available_cpus());
}

// GREENTUNE_DATA is the default of --data-dir; an explicit --data-dir "" turns it off.
TEST_F(TrainCli, EmptyDataDirOverridesTheEnvironment) {
  std::vector<std::string> args = {"train", "--model", "mnist_cnn", "--fashion-mnist-dir", "", "--set", "epochs=1",
                                   "--set", "train_limit=32", "--set", "test_limit=8", "--json", "-q"};
  SubprocessResult from_env = run_bin(args, {{"GREENTUNE_DATA", dir_->path()}});
  ASSERT_TRUE(from_env.ok()) << from_env.describe() << "\n" << from_env.stderr_text;
  EXPECT_EQ(train_result_from_json(nlohmann::json::parse(from_env.stdout_text)).dataset.name, "mnist");
  args.insert(args.end(), {"--data-dir", ""});
  SubprocessResult off = run_bin(args, {{"GREENTUNE_DATA", dir_->path()}});
  EXPECT_EQ(off.exit_code, 3) << off.describe() << "\n" << off.stderr_text;
  EXPECT_THAT(off.stderr_text, HasSubstr("no data directory given"));
  EXPECT_EQ(line_count(off.stderr_text), 1) << off.stderr_text;
}

TEST(Threads, ExplicitValueThenOmpNumThreadsThenEveryCpu) {
  const char* saved = std::getenv("OMP_NUM_THREADS");
  std::string saved_value = saved ? saved : "";
  setenv("OMP_NUM_THREADS", "3", 1);
  EXPECT_EQ(greentune::dl::effective_threads(5), 5);
  EXPECT_EQ(greentune::dl::effective_threads(0), 3);
  for (const char* bad : {"", "x", "0", "-2", "2x"}) {
    setenv("OMP_NUM_THREADS", bad, 1);
    EXPECT_EQ(greentune::dl::effective_threads(0), greentune::available_cpus()) << "OMP_NUM_THREADS='" << bad << "'";
  }
  unsetenv("OMP_NUM_THREADS");
  EXPECT_EQ(greentune::dl::effective_threads(0), greentune::available_cpus());
  if (saved) setenv("OMP_NUM_THREADS", saved_value.c_str(), 1);
}

TEST_F(TrainCli, HumanReadableWithoutJson) {
  auto args = base();
  args.insert(args.end(), {"--set", "epochs=1", "--set", "train_limit=64", "--set", "test_limit=16", "-q"});
  SubprocessResult r = run_bin(args);
  ASSERT_TRUE(r.ok()) << r.describe() << "\n" << r.stderr_text;
  EXPECT_THAT(r.stdout_text, HasSubstr("test_accuracy"));
  EXPECT_THAT(r.stdout_text, HasSubstr("status            ok"));
  EXPECT_THAT(r.stdout_text, ::testing::MatchesRegex("(.|\n)*device            cpu, [0-9]+ threads, libtorch (.|\n)*"));
  EXPECT_EQ(r.stderr_text, "");
}

TEST_F(TrainCli, BadInputIsOneLineAndNonZero) {
  struct Case {
    std::vector<std::string> extra;
    int code;
    std::string needle;
  };
  std::vector<Case> cases = {
      {{"--set", "momentum=0.9"}, 2, "no hyperparameter 'momentum'"},
      {{"--set", "lr=-1"}, 2, "lr"},
      {{"--set", "epochs=0"}, 2, "epochs"},
      {{"--set", "lr=abc"}, 2, "not a number"},
      {{"--set", "lr"}, 2, "key=value"},
      {{"--set", "lr=1", "--set", "lr=2"}, 2, "more than once"},
      {{"--device", "cuda"}, 2, "CUDA is not available"},
      {{"--device", "tpu"}, 2, "tpu"},
  };
  for (const auto& c : cases) {
    auto args = base();
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    SubprocessResult r = run_bin(args);
    EXPECT_EQ(r.exit_code, c.code) << c.needle << ": " << r.stderr_text;
    EXPECT_EQ(line_count(r.stderr_text), 1) << r.stderr_text;
    EXPECT_THAT(r.stderr_text, StartsWith("greentune: error: "));
    EXPECT_THAT(r.stderr_text, HasSubstr(c.needle));
    EXPECT_EQ(r.stdout_text, "");
  }
  SubprocessResult unknown = run_bin({"train", "--model", "lenet"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.stderr_text, HasSubstr("unknown model 'lenet'"));
  EXPECT_EQ(line_count(unknown.stderr_text), 1);
}

TEST_F(TrainCli, MissingDatasetExitsWithDataError) {
  TempDir empty;
  SubprocessResult r = run_bin({"train", "--model", "mnist_cnn", "--data-dir", empty.path(), "--set", "epochs=1", "-q"},
                               {{"GREENTUNE_FASHION_MNIST_DIR", empty.path() + "/nowhere"}});
  EXPECT_EQ(r.exit_code, 3) << r.stderr_text;
  EXPECT_EQ(line_count(r.stderr_text), 1) << r.stderr_text;
  EXPECT_THAT(r.stderr_text, HasSubstr(empty.path() + "/mnist"));
  EXPECT_THAT(r.stderr_text, HasSubstr("dataset-fashion-mnist"));
}

// Substitution is never silent nor accidental: a --data-dir that does not exist is an error
// (not a run on another dataset), and a stand-in is used only with --substitute-data.
TEST_F(TrainCli, MissingDataDirIsAnErrorAndSubstitutionIsAskedFor) {
  TempDir tmp;
  greentune::testing::write_mnist(tmp.path() + "/fashion", {.train = 64, .test = 16});
  for (const char* model : {"mnist_cnn", "resnet20"}) {
    SubprocessResult r = run_bin({"train", "--model", model, "--data-dir", tmp.path() + "/nonexistent",
                                  "--fashion-mnist-dir", tmp.path() + "/fashion", "--substitute-data", "-q"});
    EXPECT_EQ(r.exit_code, 3) << r.stderr_text;
    EXPECT_THAT(r.stderr_text, HasSubstr("'" + tmp.path() + "/nonexistent' (--data-dir) does not exist"));
    EXPECT_EQ(line_count(r.stderr_text), 1) << r.stderr_text;
  }
  std::vector<std::string> args = {"train", "--model", "mnist_cnn", "--data-dir", "", "--fashion-mnist-dir",
                                   tmp.path() + "/fashion", "--set", "epochs=1", "--json", "-q"};
  SubprocessResult refused = run_bin(args);
  EXPECT_EQ(refused.exit_code, 3) << refused.stderr_text;
  EXPECT_THAT(refused.stderr_text, HasSubstr("--substitute-data"));
  args.push_back("--substitute-data");
  SubprocessResult r = run_bin(args);
  ASSERT_TRUE(r.ok()) << r.describe() << "\n" << r.stderr_text;
  TrainResult result = train_result_from_json(nlohmann::json::parse(r.stdout_text));
  EXPECT_EQ(result.dataset.substitute_for, "mnist");
  EXPECT_EQ(result.hyperparameters.at("substitute_data"), 1);
  EXPECT_THAT(result.dataset.note, HasSubstr("substitution asked for"));
}

TEST_F(TrainCli, AutoDeviceFallsBackToCpuAndRecordsIt) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has CUDA";
  auto args = base();
  args.insert(args.end(), {"--device", "auto", "--set", "epochs=1", "--set", "train_limit=64", "--set",
                           "test_limit=16", "--json", "-q"});
  SubprocessResult r = run_bin(args);
  ASSERT_TRUE(r.ok()) << r.stderr_text;
  EXPECT_EQ(nlohmann::json::parse(r.stdout_text).at("device"), "cpu");
}

TEST(ModelsCli, ListsEveryModelWithHyperparameters) {
  SubprocessResult text = run_bin({"models"});
  ASSERT_TRUE(text.ok()) << text.stderr_text;
  for (const char* m : {"mnist_cnn", "mnist_ff", "siamese", "resnet20", "hrnet18"})
    EXPECT_THAT(text.stdout_text, HasSubstr(m));
  EXPECT_THAT(text.stdout_text, HasSubstr("gamma"));
  EXPECT_THAT(text.stdout_text, HasSubstr("(0, 1000]"));

  SubprocessResult js = run_bin({"models", "--json"});
  ASSERT_TRUE(js.ok()) << js.stderr_text;
  auto j = nlohmann::json::parse(js.stdout_text);
  ASSERT_EQ(j.size(), 5u);
  EXPECT_EQ(j[0]["name"], "mnist_cnn");
  EXPECT_EQ(j[0]["trainable"], true);
  bool found_lr = false;
  for (const auto& h : j[0]["hyperparameters"])
    if (h["name"] == "lr") {
      found_lr = true;
      EXPECT_EQ(h["default"], 1.0);
      EXPECT_EQ(h["type"], "real");
      EXPECT_EQ(h["min_exclusive"], true);
    }
  EXPECT_TRUE(found_lr);
  // Where each default comes from: resnet20's lr is the package's run.sh value (0.2).
  EXPECT_THAT(text.stdout_text, HasSubstr("[default from package run.sh]"));
  bool found_resnet_lr = false;
  for (const auto& m : j)
    if (m["name"] == "resnet20")
      for (const auto& h : m["hyperparameters"])
        if (h["name"] == "lr") {
          found_resnet_lr = true;
          EXPECT_EQ(h["default"], 0.2);
          EXPECT_EQ(h["default_source"], "package run.sh");
        }
  EXPECT_TRUE(found_resnet_lr);
}
