// Long run output through metric_regex and diverged_regex (issue 22): one line of 300,000
// characters, or of several megabytes, that the pattern spans. std::regex recursed once per
// character there and the runner died of SIGSEGV (exit 139), at the same run on every resume.
// Patterns that backtrack without end stop at a limit: the run fails with that reason.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

#include "common/greentune_cli.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/exec/runner.hpp"
#include "greentune/store/run_records.hpp"
#include "test_util.hpp"

using namespace greentune;
using namespace greentune::exec;
using namespace greentune::study;
using greentune::testing::run_greentune;
using greentune::testing::study_folder;

namespace {

// Prints "acc <$1> " and then $2 x's on the same line (and a loss line), as a progress bar
// redrawn on one line would.
const char* kLongLineModel = R"SH(#!/bin/sh
echo "loss 0.5"
printf 'acc %s ' "$1"
head -c "$2" /dev/zero | tr '\0' x
printf '\n'
)SH";

ModelDefinition regex_model(const std::string& metric_regex, const std::string& diverged_regex = "") {
  ModelDefinition m;
  m.name = "long";
  m.command = "x";
  m.result = "regex";
  m.metric = "acc";
  m.metric_regex = metric_regex;
  m.diverged_regex = diverged_regex;
  return m;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST(LongOutput, MetricIsReadFromOneLongLine) {
  SubprocessResult ok;
  ok.exit_code = 0;
  auto m = regex_model("acc ([0-9.]+) (.*)", "loss (nan|inf)");
  for (std::size_t n : {std::size_t(300000), std::size_t(8) << 20}) {
    std::string out = "loss 0.5\nacc 0.125 " + std::string(n, 'x') + "\n";
    auto p = parse_outcome(m, {}, ok, out, std::string(n, 'e'), 0);
    EXPECT_EQ(p.status, RunStatus::succeeded) << n << ": " << p.reason;
    ASSERT_TRUE(p.performance.has_value()) << n;
    EXPECT_EQ(*p.performance, 0.125);
    // diverged_regex over the same long line, matching at its end.
    out += "loss nan " + std::string(n, 'y');
    p = parse_outcome(m, {}, ok, out, "", 0);
    EXPECT_EQ(p.status, RunStatus::diverged) << n;
    EXPECT_EQ(p.reason, "output matched diverged_regex: loss nan");
  }
}

TEST(LongOutput, PatternAtItsLimitFailsTheRunWithTheReason) {
  SubprocessResult ok;
  ok.exit_code = 0;
  std::string out = "acc 0.5\n" + std::string(40, 'a') + "b\n";
  auto t0 = std::chrono::steady_clock::now();
  auto p = parse_outcome(regex_model("((a+)+)$"), {}, ok, out, "", 0);
  EXPECT_EQ(p.status, RunStatus::failed);
  EXPECT_EQ(p.reason.rfind("metric_regex: pattern \"((a+)+)$\" reached the match limit", 0), 0u) << p.reason;
  EXPECT_FALSE(p.performance.has_value());
  p = parse_outcome(regex_model("acc ([0-9.]+)", "(a|a)*b$"), {}, ok, out, "", 0);
  EXPECT_EQ(p.status, RunStatus::failed);
  EXPECT_EQ(p.reason.rfind("diverged_regex: pattern \"(a|a)*b$\" reached", 0), 0u) << p.reason;
  EXPECT_LT(seconds_since(t0), 60);  // about 1 s each on the 2-core VM under load
  // A crash is still reported as the crash.
  SubprocessResult bad;
  bad.exit_code = 2;
  p = parse_outcome(regex_model("((a+)+)$"), {}, bad, out, "Traceback\n", 0);
  EXPECT_EQ(p.reason, "exit code 2: Traceback");
}

TEST(LongOutput, StudyOfACommandPrintingLongLinesCompletes) {
  // The original prints a 300,000-character line, the mutant one of 6 MiB; `greentune study`
  // (the real executable) reads both metrics and exits 0.
  std::string dir = study_folder("long-output", R"T(
name = "long"
repetitions = 1
cooldown = 0
meter = "estimate"
[[models]]
name = "m"
command = "./model.sh {lr} {n}"
metric_regex = "acc ([0-9.]+) (.*)"
diverged_regex = "loss (nan|inf)"
operators = [{hyperparameter = "n", rule = "batch_size", values = [6291456]}]
hyperparameters = {lr = 0.375, n = 300000}
)T",
                                 kLongLineModel);
  auto r = run_greentune({"study", dir + "/study.toml", "-o", dir + "/out", "--progress", "log"}, {}, 600);
  ASSERT_EQ(r.exit_code, 0) << "signal " << r.term_signal << "\n" << r.stderr_text.substr(0, 2000);
  auto runs = store::load_run_records(dir + "/out/study.db");
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& run : runs) {
    EXPECT_EQ(run.status, RunStatus::succeeded) << run.extra.at("status_reason");
    ASSERT_TRUE(run.performance.has_value());
    EXPECT_EQ(*run.performance, 0.375);
  }
  std::set<double> sizes;
  for (const auto& run : runs) sizes.insert(run.hp.at("n"));
  EXPECT_EQ(sizes, (std::set<double>{300000, 6291456}));
}
