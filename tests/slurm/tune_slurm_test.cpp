// `greentune tune --executor slurm` through the real single-node Slurm: each batch is one job
// array of run-task elements, and the result is exactly a local tune's (the synthetic landscape
// of bench/tune/landscapes.py is seeded by the run id and measured through a fake RAPL counter,
// so the same seed gives the same measurements wherever a run executes). Then SIGKILL of tune
// while a batch is in Slurm, and --resume: it waits for the recorded jobs instead of submitting
// their tasks again.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/slurm/client.hpp"
#include "greentune/store/study_store.hpp"
#include "local_cluster.hpp"
#include "toy_study.hpp"

namespace fs = std::filesystem;
using namespace greentune;
using greentune::testing::SlurmClusterTest;
using namespace greentune::toy;
using nlohmann::json;

namespace {

// A tune file over the `interact` landscape (10 runs: 6 search, 4 confirmation), its fake RAPL
// counter, and the environment the landscape reads.
struct TuneLandscape {
  fs::path dir;
  std::string file;
  std::map<std::string, std::string> env;
  explicit TuneLandscape(const fs::path& d) : dir(d) {
    fs::path z = dir / "powercap/intel-rapl:0";
    fs::create_directories(z);
    std::ofstream(z / "name") << "package-0\n";
    std::ofstream(z / "energy_uj") << std::string(19, ' ') << "0\n";
    std::ofstream(z / "max_energy_range_uj") << "4611686018427387904\n";
    env = {{"GREENTUNE_POWERCAP_ROOT", (dir / "powercap").string()}, {"LANDSCAPE_SEED", "3"}};
    file = (dir / "tune.toml").string();
    std::ofstream(file) << "name = \"t\"\nmeter = \"rapl\"\ncooldown = 0\ngovernor = \"keep\"\n[tune]\n"
                           "objective = \"cpu_package\"\nmargin = 0.01\nbudget_runs = 10\nbatch = 4\nseed = 5\n"
                           "confirm_min = 2\n[[models]]\nname = \"interact\"\ncommand = \"/usr/bin/python3 -S "
                        << GREENTUNE_SOURCE_DIR
                        << "/bench/tune/landscapes.py interact {epochs} {lr} {wd}\"\nresult = \"json-lines\"\n"
                           "metric_key = \"performance\"\noperators = [\"epochs\", \"lr\", {hyperparameter = \"wd\", "
                           "rule = \"weight_decay\"}]\n[models.hyperparameters]\nepochs = 20\nlr = 0.01\nwd = 0.0001\n";
  }
};

// (configuration, phase, status, performance, energy) of every run, in id order.
std::vector<std::string> run_list(const fs::path& db) {
  store::StudyStore st = store::StudyStore::open(db.string());
  std::vector<std::string> out;
  for (const auto& r : st.runs()) {
    std::string j = "-";
    for (const auto& e : st.energy_of(r.id))
      if (e.domain == EnergyDomain::cpu_package && e.joules) j = std::to_string(*e.joules);
    out.push_back(format_configuration(st.configuration(r.configuration_id).hp) + " " + r.op + " " +
                  to_string(r.status) + " " + (r.performance ? std::to_string(*r.performance) : "-") + " " + j);
  }
  return out;
}

// The local run every Slurm run must reproduce.
std::vector<std::string> local_reference(const TuneLandscape& l, json* summary) {
  auto r = greentune_cli({"tune", l.file, "-o", (l.dir / "local").string(), "--json", "-q"}, 120, l.env);
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  if (summary) *summary = json::parse(r.stdout_text);
  return run_list(l.dir / "local/study.db");
}

// Every run went through sbatch: each task was submitted exactly once (nothing twice), and each
// run's Slurm facts name its submission's job and the task's index in that array.
void expect_every_run_through_one_submission(const fs::path& dir) {
  auto subs = slurm::read_submissions(dir.string());
  std::map<long long, std::pair<long long, long long>> element;  // task -> (job, index)
  for (const auto& s : subs)
    for (long long i : s.indices) {
      EXPECT_FALSE(element.count(s.base + i)) << "task " << s.base + i << " submitted twice";
      element[s.base + i] = {s.job_id, i};
    }
  store::StudyStore st = store::StudyStore::open((dir / "study.db").string());
  EXPECT_EQ(st.meta("executor").value_or(""), "slurm");
  auto runs = st.runs();
  ASSERT_FALSE(runs.empty());
  for (const auto& r : runs) {
    ASSERT_TRUE(element.count(r.task_id)) << "run " << r.id << ": task " << r.task_id << " never submitted";
    auto d = st.details_of(r.id);
    EXPECT_EQ(d["executor"], "slurm") << "run " << r.id;
    EXPECT_EQ(d["slurm_array_job_id"], std::to_string(element[r.task_id].first)) << "run " << r.id;
    EXPECT_EQ(d["slurm_array_task_id"], std::to_string(element[r.task_id].second)) << "run " << r.id;
    EXPECT_FALSE(d["slurm_job_id"].empty()) << "run " << r.id;
    EXPECT_EQ(r.attempts, 1) << "run " << r.id;
    EXPECT_EQ(r.status, RunStatus::succeeded) << "run " << r.id << ": " << r.reason;
  }
  auto envs = st.environments();
  ASSERT_TRUE(envs.count(greentune::hostname()));
  EXPECT_EQ(envs[greentune::hostname()]["slurm_cluster"], "greentune");
}

}  // namespace

TEST_F(SlurmClusterTest, TuneRunsEachBatchAsAJobArrayAndRecommendsWhatALocalTuneDoes) {
  TuneLandscape l(fs::path(cluster_.dir()) / "tune");
  json local;
  std::vector<std::string> expected = local_reference(l, &local);
  ASSERT_EQ(expected.size(), 10u);

  // sbatch refuses the third array: tune stops with sbatch's line, its batch written but not submitted.
  std::string real_sbatch;
  for (const char* d : {"/usr/bin", "/usr/local/bin", "/bin"})
    if (::access((std::string(d) + "/sbatch").c_str(), X_OK) == 0 && real_sbatch.empty()) real_sbatch = std::string(d) + "/sbatch";
  ASSERT_FALSE(real_sbatch.empty());
  fs::create_directories(l.dir / "bin");
  std::ofstream(l.dir / "bin/sbatch") << R"SH(#!/bin/sh
n=$(cat "$0.count" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "$0.count"
if [ $n -eq 3 ]; then echo 'sbatch: error: Batch job submission failed: test refusal' >&2; exit 1; fi
exec )SH" << real_sbatch << " \"$@\"\n";
  fs::permissions(l.dir / "bin/sbatch", fs::perms::owner_all);
  auto env = l.env;
  env["PATH"] = (l.dir / "bin").string() + ":" + std::getenv("PATH");
  const fs::path dir = l.dir / "slurm";
  auto refused = greentune_cli({"tune", l.file, "-o", dir.string(), "--executor", "slurm", "--json", "--sbatch-arg",
                                "--time=00:05:00"},
                               300, env);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.stderr_text.find("test refusal"), std::string::npos) << refused.stderr_text;
  ASSERT_EQ(slurm::read_submissions(dir.string()).size(), 2u);
  std::vector<long long> unsubmitted;
  {
    store::StudyStore st = store::StudyStore::open((dir / "study.db").string());
    for (const auto& run : st.runs())
      if (!is_final(run.status)) unsubmitted.push_back(run.task_id);
  }
  ASSERT_FALSE(unsubmitted.empty());

  // --resume submits the written batch (the options of the first submission kept) and runs to the end.
  auto r = greentune_cli({"tune", "--resume", dir.string(), "--json"}, 300, l.env);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("tune: submitted task(s) " + slurm::compress_ids(unsubmitted) + " as Slurm job array"),
            std::string::npos)
      << r.stderr_text;
  json j = json::parse(r.stdout_text);
  EXPECT_EQ(j["recommended"], local["recommended"]);
  EXPECT_EQ(j["pareto"], local["pareto"]);
  EXPECT_EQ(j["runs"], local["runs"]);
  EXPECT_TRUE(j["finished"].get<bool>());
  EXPECT_EQ(run_list(dir / "study.db"), expected);
  expect_every_run_through_one_submission(dir);

  // One array per batch: the original's first run alone, then the planned batches.
  auto subs = slurm::read_submissions(dir.string());
  EXPECT_GE(subs.size(), 3u);
  EXPECT_EQ(subs.front().task_ids(), std::vector<long long>{1});
  EXPECT_NE(refused.stderr_text.find("tune: submitted task(s) 1 as Slurm job array " + std::to_string(subs[0].job_id)),
            std::string::npos)
      << refused.stderr_text;
  EXPECT_NE(slurp(subs.back().script).find("#SBATCH --time=00:05:00"), std::string::npos);
  // The nodes' plan: every run of the database.
  json plan = json::parse(slurp(dir / "tune-plan.json"));
  EXPECT_EQ(plan["runs"].size(), 10u);

  // greentune status reads a tune run's tasks from its database (its study.toml is a tune file).
  auto status = greentune_cli({"status", dir.string()}, 60, l.env);
  ASSERT_EQ(status.exit_code, 0) << status.stderr_text;
  EXPECT_NE(status.stdout_text.find("slurm tasks: 10 done, 0 running, 0 pending, 0 failed"), std::string::npos)
      << status.stdout_text;

  // A finished run resumes to its summary without submitting anything.
  auto again = greentune_cli({"tune", "--resume", dir.string(), "--json"}, 60, l.env);
  ASSERT_EQ(again.exit_code, 0) << again.stderr_text;
  EXPECT_EQ(json::parse(again.stdout_text)["recommended"], j["recommended"]);
  EXPECT_EQ(slurm::read_submissions(dir.string()).size(), subs.size());
}

TEST_F(SlurmClusterTest, TuneKilledDuringASlurmBatchResumesByWaitingForItsJobs) {
  TuneLandscape l(fs::path(cluster_.dir()) / "tune");
  std::vector<std::string> expected = local_reference(l, nullptr);

  const fs::path dir = l.dir / "slurm";
  SubprocessOptions so;
  so.argv = {GREENTUNE_BIN, "tune", l.file, "-o", dir.string(), "--executor", "slurm", "-q"};
  so.env = l.env;
  so.stdout_to = (l.dir / "first.out").string();
  so.stderr_to = (l.dir / "first.err").string();
  Subprocess first(so);
  first.start();
  // SIGKILL as soon as the second batch is in Slurm (its elements run one after another, ~3 s apart).
  long long queued_job = 0;
  ASSERT_TRUE(wait_for(
      [&] {
        try {
          auto subs = slurm::read_submissions(dir.string());
          if (subs.size() < 2) return false;
          queued_job = subs[1].job_id;
          return true;
        } catch (const Error&) {
          return false;
        }
      },
      120))
      << slurp(l.dir / "first.err");
  ::kill(first.pid(), SIGKILL);
  EXPECT_EQ(first.wait().term_signal, SIGKILL);

  // A local resume would train the queued tasks a second time: refused, naming the job.
  auto local = greentune_cli({"tune", "--resume", dir.string(), "--executor", "local"}, 60, l.env);
  EXPECT_NE(local.exit_code, 0);
  EXPECT_NE(local.stderr_text.find("still in Slurm (job " + std::to_string(queued_job)), std::string::npos)
      << local.stderr_text;

  // --resume finds the Slurm run by itself (DIR/slurm), waits for the recorded job and goes on.
  auto r = greentune_cli({"tune", "--resume", dir.string()}, 300, l.env);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("waiting for task(s) already in Slurm (job " + std::to_string(queued_job) + ")"),
            std::string::npos)
      << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("recommended: "), std::string::npos) << r.stdout_text;
  // Nothing lost, nothing repeated, the same decisions as the uninterrupted local run.
  EXPECT_EQ(run_list(dir / "study.db"), expected);
  expect_every_run_through_one_submission(dir);
}
