#include <gtest/gtest.h>

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "greentune/core/cpus.hpp"
#include "greentune/core/error.hpp"
#include "greentune/core/models.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/core/train_result.hpp"

using namespace greentune;

TEST(NumberFormat, RoundTripsBitForBit) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(-20, 20);
  for (int i = 0; i < 10000; ++i) {
    double v = std::pow(10.0, u(rng)) * (i % 2 ? 1 : -1);
    auto back = parse_double(format_exact(v));
    ASSERT_TRUE(back.has_value());
    ASSERT_EQ(*back, v) << format_exact(v);
  }
  EXPECT_EQ(format_exact(0.1), "0.1");
  EXPECT_EQ(format_exact(14.0), "14");
}

TEST(NumberFormat, RejectsGarbage) {
  EXPECT_FALSE(parse_double("").has_value());
  EXPECT_FALSE(parse_double("1.0x").has_value());
  EXPECT_FALSE(parse_double("abc").has_value());
  EXPECT_FALSE(parse_double("inf").has_value());
  EXPECT_EQ(parse_integer("14").value(), 14);
  EXPECT_FALSE(parse_integer("14.5").has_value());
}

TEST(Models, CatalogHasThePapersFiveModelsWithDefaults) {
  ASSERT_EQ(builtin_models().size(), 5u);
  const ModelSpec& cnn = model_or_throw("mnist_cnn");
  auto d = cnn.defaults();
  EXPECT_EQ(d.at("epochs"), 14);
  EXPECT_EQ(d.at("lr"), 1.0);
  EXPECT_EQ(d.at("gamma"), 0.7);
  EXPECT_EQ(d.at("batch_size"), 64);
  EXPECT_EQ(model_or_throw("resnet20").defaults().at("weight_decay"), 1e-4);
  EXPECT_EQ(model_or_throw("mnist_ff").defaults().at("threshold"), 2);
  EXPECT_EQ(model_or_throw("hrnet18").defaults().at("lr"), 0.05);
}

// resnet20's original learning rate is the one the paper's package ran: its run.sh passes
// --learning-rate=0.2 (trainer.py's own default, 0.1, is never used there).
TEST(Models, Resnet20LearningRateIsThePackagesAndEveryDefaultSaysWhereItComesFrom) {
  const ModelSpec& resnet = model_or_throw("resnet20");
  EXPECT_EQ(resnet.defaults().at("lr"), 0.2);
  EXPECT_EQ(resnet.find("lr")->default_source, "package run.sh");
  EXPECT_EQ(resnet.find("momentum")->default_source, "upstream trainer.py");
  for (const ModelSpec& m : builtin_models()) {
    ASSERT_EQ(m.studied.size(), 3u) << m.name;
    for (const std::string& hp : m.studied) EXPECT_EQ(m.find(hp)->default_source, "package run.sh") << m.name << " " << hp;
    for (const HyperparameterSpec& h : m.hyperparameters) EXPECT_FALSE(h.default_source.empty()) << m.name << " " << h.name;
  }
}

TEST(Models, ResolveRejectsBadInputWithNames) {
  const ModelSpec& cnn = model_or_throw("mnist_cnn");
  try {
    cnn.resolve({{"nope", 1}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
  try {
    cnn.resolve({{"epochs", 0}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("epochs"), std::string::npos);
  }
  EXPECT_THROW(cnn.resolve({{"epochs", 1.5}}), Error);
  EXPECT_THROW(model_or_throw("vgg"), Error);
  EXPECT_EQ(cnn.resolve({{"lr", 0.5}}).at("lr"), 0.5);
}

TEST(TrainResult, JsonRoundTrip) {
  TrainResult r;
  r.model = "mnist_cnn";
  r.hyperparameters = {{"lr", 0.1 + 0.2}, {"epochs", 3}};
  r.metric = "test_accuracy";
  r.performance = 0.875;
  r.final_train_loss = 0.25;
  r.epochs_completed = 3;
  r.dataset.name = "fashion-mnist";
  r.dataset.substitute_for = "mnist";
  r.cpu_threads = 2;
  auto back = train_result_from_json(nlohmann::json::parse(to_json(r).dump()));
  EXPECT_EQ(back.cpu_threads, 2);
  EXPECT_EQ(back.hyperparameters.at("lr"), 0.1 + 0.2);
  EXPECT_EQ(back.performance.value(), 0.875);
  EXPECT_EQ(back.dataset.substitute_for, "mnist");
  EXPECT_THROW(train_result_from_json(nlohmann::json::parse("{\"model\":1}")), Error);
}

// Compared with what the kernel says through another route: `nproc` prints the CPUs in the
// affinity mask it inherits from this process (unless OMP_NUM_THREADS/OMP_THREAD_LIMIT say
// otherwise, hence env -u).
TEST(Cpus, AvailableCpusFollowTheAffinityMask) {
  SubprocessOptions so;
  so.argv = {"env", "-u", "OMP_NUM_THREADS", "-u", "OMP_THREAD_LIMIT", "nproc"};
  SubprocessResult r = run_subprocess(so);
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(available_cpus(), std::stoi(r.stdout_text));
  cpu_set_t saved, one;
  ASSERT_EQ(sched_getaffinity(0, sizeof(saved), &saved), 0);
  CPU_ZERO(&one);
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &saved)) {
      CPU_SET(c, &one);
      break;
    }
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  EXPECT_EQ(available_cpus(), 1);
  EXPECT_EQ(threads_per_process(2), 1);  // never 0
  ASSERT_EQ(sched_setaffinity(0, sizeof(saved), &saved), 0);
  const int n = available_cpus();
  EXPECT_EQ(threads_per_process(1), n);
  EXPECT_EQ(threads_per_process(2), std::max(1, n / 2));
  EXPECT_EQ(threads_per_process(0), n);
}

TEST(Subprocess, CapturesOutputAndExitCode) {
  SubprocessOptions o;
  o.argv = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"};
  auto r = run_subprocess(o);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.stdout_text, "out\n");
  EXPECT_EQ(r.stderr_text, "err\n");
  EXPECT_FALSE(r.ok());
}

TEST(Subprocess, TimeoutKillsTheWholeGroup) {
  SubprocessOptions o;
  o.argv = {"/bin/sh", "-c", "sleep 30 & sleep 30"};
  o.timeout_s = 0.3;
  o.kill_grace_s = 0.5;
  auto r = run_subprocess(o);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(r.wall_s, 5.0);
}

TEST(Subprocess, MissingCommandIsAClearError) {
  SubprocessOptions o;
  o.argv = {"/nonexistent/greentune-no-such-command"};
  try {
    run_subprocess(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("greentune-no-such-command"), std::string::npos);
  }
}
