// A whole study through the real single-node Slurm: `greentune study --executor slurm`,
// `greentune status`, `greentune collect`, and `greentune study --resume` after tasks were
// killed mid-run. The model is a tiny external shell script (no libtorch time); it keeps a
// ledger of every start and every completed execution, so duplicates would be seen.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/core/files.hpp"
#include "greentune/slurm/study.hpp"
#include "greentune/store/study_store.hpp"
#include "local_cluster.hpp"
#include "toy_study.hpp"

namespace fs = std::filesystem;
using namespace greentune;
using greentune::testing::SlurmClusterTest;
using namespace greentune::toy;

namespace {

// Every planned run stored exactly once, succeeded, on this node, with Slurm's job facts.
void expect_complete(const fs::path& study_dir, long long expected_runs) {
  store::StudyStore st = store::StudyStore::open((study_dir / "study.db").string());
  auto runs = st.runs();
  ASSERT_EQ(static_cast<long long>(runs.size()), expected_runs);
  std::set<long long> ids;
  std::set<std::string> results;
  for (const auto& r : runs) {
    EXPECT_TRUE(ids.insert(r.id).second) << "run " << r.id << " twice";
    EXPECT_EQ(r.status, RunStatus::succeeded) << "run " << r.id << ": " << r.reason;
    EXPECT_EQ(r.node, greentune::hostname()) << "run " << r.id;
    EXPECT_FALSE(r.result_id.empty());
    results.insert(r.result_id);
    auto d = st.details_of(r.id);
    EXPECT_EQ(d["executor"], "slurm") << "run " << r.id;
    EXPECT_FALSE(d["slurm_job_id"].empty()) << "run " << r.id;
    EXPECT_FALSE(d["slurm_array_task_id"].empty()) << "run " << r.id;
    EXPECT_EQ(d["slurm_partition"], "debug") << "run " << r.id;
  }
  auto envs = st.environments();
  ASSERT_TRUE(envs.count(greentune::hostname())) << "no environment recorded for node " << greentune::hostname();
  EXPECT_EQ(envs[greentune::hostname()]["slurm_cluster"], "greentune");
  EXPECT_FALSE(envs[greentune::hostname()]["cpu_model"].empty());
  store::StatusCounts c = st.counts();
  EXPECT_EQ(c.succeeded, expected_runs);
  EXPECT_EQ(c.pending + c.running, 0);
}

}  // namespace

TEST_F(SlurmClusterTest, StudyRunsThroughSlurmAndCollectsEveryRunExactlyOnce) {
  fs::path work = fs::path(cluster_.dir()) / "work";
  fs::path toml = write_toy_study(work, 0.2);
  fs::path dir = work / "study";

  auto sub = greentune_cli({"study", toml.string(), "--executor", "slurm", "-o", dir.string(), "--sbatch-arg",
                            "--time=00:05:00"});
  ASSERT_TRUE(sub.ok()) << sub.describe() << "\n" << sub.stdout_text << sub.stderr_text;
  EXPECT_NE(sub.stdout_text.find("submitted 9 task(s) (1-9)"), std::string::npos) << sub.stdout_text;
  EXPECT_NE(sub.stdout_text.find("--exclusive"), std::string::npos) << sub.stdout_text;
  std::string script = slurp(slurm::read_submissions(dir.string()).at(0).script);
  EXPECT_NE(script.find("#SBATCH --time=00:05:00"), std::string::npos) << script;

  ASSERT_TRUE(wait_for([&] { return queue_drained(dir.string()); }, 150)) << "the array never finished";
  auto summary = slurm::slurm_task_summary(dir.string());
  EXPECT_EQ(summary.done, 9) << slurm::format_slurm_summary(summary, dir.string());
  EXPECT_EQ(summary.failed, 0) << slurm::format_slurm_summary(summary, dir.string());

  // Nothing in the database yet: nodes never write it.
  {
    store::StudyStore st = store::StudyStore::open((dir / "study.db").string());
    EXPECT_EQ(st.counts().succeeded, 0);
  }
  auto status = greentune_cli({"status", dir.string()});
  EXPECT_TRUE(status.ok()) << status.stderr_text;
  EXPECT_NE(status.stdout_text.find("slurm tasks: 9 done, 0 running, 0 pending, 0 failed"), std::string::npos)
      << status.stdout_text;

  auto c1 = greentune_cli({"collect", dir.string()});
  ASSERT_TRUE(c1.ok()) << c1.stdout_text << c1.stderr_text;
  EXPECT_NE(c1.stdout_text.find("collected 9 result file(s)"), std::string::npos) << c1.stdout_text;
  EXPECT_NE(c1.stdout_text.find("12 run(s) stored, 0 already stored"), std::string::npos) << c1.stdout_text;
  expect_complete(dir, 12);

  // Collecting again changes nothing (same bytes in every table we read).
  auto before = slurp(dir / "study.db");
  auto c2 = greentune_cli({"collect", dir.string()});
  ASSERT_TRUE(c2.ok()) << c2.stderr_text;
  EXPECT_NE(c2.stdout_text.find("0 run(s) stored, 12 already stored"), std::string::npos) << c2.stdout_text;
  expect_complete(dir, 12);

  // Each run executed once; the symmetric pairs ran side by side on the node.
  auto done = ledger_counts(work / "ledger.txt", "done");
  EXPECT_EQ(done.size(), 12u);
  for (const auto& [id, n] : done) EXPECT_EQ(n, 1) << "run " << id;

  // Resuming a finished study submits nothing.
  auto again = greentune_cli({"study", "--resume", dir.string(), "--executor", "slurm"});
  ASSERT_TRUE(again.ok()) << again.stderr_text;
  EXPECT_NE(again.stdout_text.find("nothing to submit"), std::string::npos) << again.stdout_text;
  EXPECT_EQ(slurm::read_submissions(dir.string()).size(), 1u);
}

TEST_F(SlurmClusterTest, KilledTasksAreResubmittedByResumeWithoutDuplicates) {
  fs::path work = fs::path(cluster_.dir()) / "work";
  fs::path toml = write_toy_study(work, 1.5);
  fs::path dir = work / "study";
  slurm::SlurmStudyOptions o;
  o.run.study_file = toml.string();
  o.run.out_dir = dir.string();
  o.slurm.greentune_bin = GREENTUNE_BIN;
  std::ostringstream out;
  o.run.out = &out;
  ASSERT_EQ(slurm::run_study_on_slurm(o), 0);
  auto subs = slurm::read_submissions(dir.string());
  ASSERT_EQ(subs.size(), 1u);
  long long job = subs[0].job_id;

  // Wait for the first task to be done and a later one to be mid-run, then kill that one
  // (scancel of its element) and cancel the rest of the array (a cluster outage).
  long long victim = 0;
  exec::LoadedStudy loaded = study::load_study_directory(exec::StudyPaths::from_path(dir.string()));
  ASSERT_TRUE(wait_for(
      [&] {
        auto s = slurm::slurm_task_summary(dir.string());
        if (s.done < 1) return false;
        auto starts = ledger_counts(work / "ledger.txt", "start");
        auto done = ledger_counts(work / "ledger.txt", "done");
        for (const auto& t : s.tasks) {
          if (t.phase != slurm::TaskPhase::running) continue;
          // its run has started and not finished (the model is sleeping): kill it mid-run
          for (long long rid : loaded.task(t.task_id).run_ids)
            if (starts.count(rid) && !done.count(rid)) {
              victim = t.task_id;
              return true;
            }
        }
        return false;
      },
      90))
      << "no task was ever running after a finished one";
  slurm::SlurmClient client(o.slurm);
  client.cancel(job, victim);
  client.cancel(job);
  ASSERT_TRUE(wait_for([&] { return queue_drained(dir.string()); }, 60));

  auto mid = slurm::slurm_task_summary(dir.string());
  EXPECT_GE(mid.done, 1);
  EXPECT_GE(mid.failed, 1);
  EXPECT_EQ(mid.done + mid.failed, 9) << slurm::format_slurm_summary(mid, dir.string());
  bool victim_failed = false;
  for (const auto& t : mid.tasks)
    if (t.task_id == victim) {
      victim_failed = t.phase == slurm::TaskPhase::failed;
      EXPECT_NE(t.detail.find("CANCELLED"), std::string::npos) << t.detail;
    }
  EXPECT_TRUE(victim_failed) << "task " << victim << " was killed but is not failed";
  auto status = greentune_cli({"status", dir.string()});
  EXPECT_NE(status.stdout_text.find("re-submit with: greentune study --resume"), std::string::npos)
      << status.stdout_text;
  EXPECT_EQ(fs::exists(dir / "results" / ("task-" + std::to_string(victim) + ".json")), false);

  // Before resuming: which tasks have a result, and how often each run has started.
  auto starts_before = ledger_counts(work / "ledger.txt", "start");
  std::set<long long> tasks_with_result;
  for (long long t = 1; t <= 9; ++t)
    if (fs::exists(dir / "results" / ("task-" + std::to_string(t) + ".json"))) tasks_with_result.insert(t);
  EXPECT_EQ(static_cast<long long>(tasks_with_result.size()), mid.done);
  // The victim's run started and was killed before it finished.
  for (long long rid : loaded.task(victim).run_ids) EXPECT_GE(starts_before[rid], 1) << "run " << rid;

  // Resume through the CLI: collects what finished, re-submits only the failed tasks.
  auto res = greentune_cli({"study", "--resume", dir.string(), "--executor", "slurm"});
  ASSERT_TRUE(res.ok()) << res.stdout_text << res.stderr_text;
  EXPECT_NE(res.stdout_text.find("submitted " + std::to_string(mid.failed) + " task(s)"), std::string::npos)
      << res.stdout_text;
  ASSERT_EQ(slurm::read_submissions(dir.string()).size(), 2u);
  for (long long t : slurm::read_submissions(dir.string())[1].task_ids())
    EXPECT_FALSE(fs::exists(dir / "results" / ("task-" + std::to_string(t) + ".json"))) << "done task " << t << " resubmitted";

  ASSERT_TRUE(wait_for([&] { return queue_drained(dir.string()); }, 150));
  auto fin = slurm::slurm_task_summary(dir.string());
  EXPECT_EQ(fin.done, 9) << slurm::format_slurm_summary(fin, dir.string());
  auto col = greentune_cli({"collect", dir.string()});
  ASSERT_TRUE(col.ok()) << col.stderr_text;
  expect_complete(dir, 12);

  // Resume executed every task without a result exactly once more, and no task that had a
  // result. (A run whose model finished but whose task was cancelled before writing its
  // result has no result: it is measured again, and stored once.)
  auto starts_after = ledger_counts(work / "ledger.txt", "start");
  EXPECT_EQ(ledger_counts(work / "ledger.txt", "done").size(), 12u);
  for (const auto& t : loaded.plan.tasks) {
    long long expected_new = tasks_with_result.count(t.id) ? 0 : 1;
    for (long long rid : t.run_ids)
      EXPECT_EQ(starts_after[rid] - starts_before[rid], expected_new)
          << "run " << rid << " of task " << t.id << " started " << starts_after[rid] - starts_before[rid]
          << " time(s) after --resume";
  }
  EXPECT_EQ(starts_after[loaded.task(victim).run_ids.front()], 2);  // killed, then re-run once
}

TEST(SlurmRunTask, UntilIdleCooldownKeepsOneBaselinePerNode) {
  fs::path work = fs::temp_directory_path() / ("gt-runtask-idle-" + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::path toml = write_toy_study(work, 0);
  {
    std::string text = slurp(toml);
    auto pos = text.find("cooldown = 0.2");
    ASSERT_NE(pos, std::string::npos);
    text.replace(pos, std::string("cooldown = 0.2").size(),
                 "cooldown = {mode = \"until-idle\", baseline_s = 0.5, max_s = 2, tolerance = 10}");
    std::ofstream(toml) << text;
  }
  fs::path dir = work / "study";
  study::create_study_directory(study::load_study_file(toml.string()), dir.string());
  auto r1 = greentune_cli({"run-task", "--study-dir", dir.string(), "--task", "1"});
  ASSERT_TRUE(r1.ok()) << r1.stdout_text << r1.stderr_text;
  EXPECT_NE(r1.stdout_text.find("idle baseline of " + greentune::hostname()), std::string::npos) << r1.stdout_text;
  fs::path cache = dir / "slurm" / "idle" / greentune::hostname();
  ASSERT_TRUE(fs::exists(cache));
  double w = std::stod(slurp(cache));
  EXPECT_GT(w, 0);
  // The next task on this node reuses it (no new measurement).
  auto r2 = greentune_cli({"run-task", "--study-dir", dir.string(), "--task", "2"});
  ASSERT_TRUE(r2.ok()) << r2.stderr_text;
  EXPECT_EQ(r2.stdout_text.find("idle baseline of"), std::string::npos) << r2.stdout_text;
  EXPECT_EQ(std::stod(slurp(cache)), w);
  EXPECT_TRUE(fs::exists(dir / "results" / "task-2.json"));
  if (!HasFailure()) fs::remove_all(work);
}

TEST(SlurmRunTask, RunsOnceWritesResultAndCollectIsIdempotent) {
  // run-task and collect need no Slurm: a task performed by hand on this machine.
  fs::path work = fs::temp_directory_path() / ("gt-runtask-" + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::path toml = write_toy_study(work, 0);
  fs::path dir = work / "study";
  exec::StudyDefinition def = study::load_study_file(toml.string());
  study::create_study_directory(def, dir.string());

  auto r1 = greentune_cli({"run-task", "--study-dir", dir.string(), "--task", "7", "--no-cooldown"});
  ASSERT_TRUE(r1.ok()) << r1.stdout_text << r1.stderr_text;
  EXPECT_TRUE(fs::exists(dir / "results" / "task-7.json"));
  EXPECT_EQ(ledger_counts(work / "ledger.txt", "done").size(), 2u);  // task 7: a symmetric pair
  auto r2 = greentune_cli({"run-task", "--study-dir", dir.string(), "--task", "7"});
  ASSERT_TRUE(r2.ok()) << r2.stderr_text;
  EXPECT_NE(r2.stdout_text.find("already has a result"), std::string::npos) << r2.stdout_text;
  EXPECT_EQ(ledger_counts(work / "ledger.txt", "start").size(), 2u);
  for (const auto& [id, n] : ledger_counts(work / "ledger.txt", "start")) EXPECT_EQ(n, 1);

  auto res = study::read_task_result((dir / "results" / "task-7.json").string());
  ASSERT_EQ(res.runs.size(), 2u);
  EXPECT_EQ(res.node, greentune::hostname());
  EXPECT_EQ(res.runs[0].details.at("executor"), "run-task");

  // An unknown task is a one-line error; nothing written.
  auto bad = greentune_cli({"run-task", "--study-dir", dir.string(), "--task", "99"});
  EXPECT_EQ(bad.exit_code, 2) << bad.describe();
  EXPECT_NE(bad.stderr_text.find("greentune: error:"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "results" / "task-99.json"));

  // collect: stores, then changes nothing; a corrupt file is reported and skipped.
  std::ofstream(dir / "results" / "task-3.json") << "{\"study_id\": ";
  auto c1 = exec::collect_results(dir.string());
  EXPECT_EQ(c1.files, 2);
  EXPECT_EQ(c1.stored, 2);
  ASSERT_EQ(c1.bad_files.size(), 1u);
  EXPECT_NE(c1.bad_files[0].find("task-3.json"), std::string::npos) << c1.bad_files[0];
  auto c2 = exec::collect_results(dir.string());
  EXPECT_EQ(c2.stored, 0);
  EXPECT_EQ(c2.unchanged, 2);
  auto cli = greentune_cli({"collect", dir.string()});
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_NE(cli.stderr_text.find("task-3.json"), std::string::npos) << cli.stderr_text;
  {
    store::StudyStore st = store::StudyStore::open((dir / "study.db").string());
    EXPECT_EQ(st.counts().succeeded, 2);
    EXPECT_EQ(st.counts().pending, 10);
  }

  // A task measured on another machine (its result file says so): collect names both nodes
  // and warns that the hardware differs, instead of mixing the energy silently.
  auto r1b = greentune_cli({"run-task", "--study-dir", dir.string(), "--task", "1", "--no-cooldown"});
  ASSERT_TRUE(r1b.ok()) << r1b.stderr_text;
  {
    fs::path f = dir / "results" / "task-1.json";
    auto j = nlohmann::json::parse(slurp(f));
    j["node"] = "node-b";
    j["result_id"] = "node-b-1";
    j["environment"]["hostname"] = "node-b";
    j["environment"]["cpu_model"] = "Imaginary CPU 9000";
    for (auto& run : j["runs"]) {
      run["node"] = "node-b";
      run["result_id"] = "node-b-1";
    }
    std::ofstream(f) << j.dump();
  }
  auto c3 = exec::collect_results(dir.string());
  EXPECT_EQ(c3.stored, 1);
  EXPECT_EQ(c3.runs_by_node["node-b"], 1);
  EXPECT_EQ(c3.runs_by_node[greentune::hostname()], 2);
  EXPECT_NE(c3.mixed_hardware.find("node-b (Imaginary CPU 9000"), std::string::npos) << c3.mixed_hardware;
  EXPECT_NE(exec::format_collect(c3, dir.string()).find("warning: runs were measured on different hardware"),
            std::string::npos);
  {
    store::StudyStore st = store::StudyStore::open((dir / "study.db").string());
    EXPECT_EQ(st.run(1)->node, "node-b");
    EXPECT_EQ(st.environments().at("node-b").at("cpu_model"), "Imaginary CPU 9000");
  }
  if (!HasFailure()) fs::remove_all(work);
}
