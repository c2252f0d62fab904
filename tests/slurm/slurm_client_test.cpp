// The submission machinery against a real single-node Slurm (scripts/slurm-cluster.sh):
// generated job arrays run, --exclusive gives the task the whole node, logs land in the
// study folder, and squeue's states (completed, failed, cancelled) classify the tasks.
// The "greentune" here is a small shell script standing in for `greentune run-task`, so this
// test exercises only the Slurm layer; slurm_study_test.cpp runs the real thing.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "greentune/core/error.hpp"
#include "greentune/slurm/client.hpp"
#include "local_cluster.hpp"

namespace fs = std::filesystem;
using namespace greentune::slurm;
using greentune::testing::SlurmClusterTest;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls until pred() or timeout; returns pred().
template <class F>
bool wait_for(F pred, double timeout_s) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return pred();
}

}  // namespace

TEST_F(SlurmClusterTest, JobArrayRunsTasksExclusivelyAndReportsTheirStates) {
  fs::path study = fs::path(cluster_.dir()) / "study dir";  // a blank in the path, on purpose
  fs::create_directories(study / "results");
  fs::path fake = fs::path(cluster_.dir()) / "fake-greentune";
  {
    std::ofstream f(fake);
    f << "#!/bin/sh\n"
         "# called as: run-task --study-dir DIR --task N\n"
         "[ \"$1\" = run-task ] || exit 64\n"
         "dir=$3; task=$5\n"
         "echo \"started $task on $(hostname)\"\n"
         "case $task in 3) echo 'boom' >&2; exit 3 ;; 4) sleep 300 ;; esac\n"
         "printf '%s %s %s\\n' \"$task\" \"$SLURM_ARRAY_TASK_ID\" \"$SLURM_JOB_CPUS_PER_NODE\" > \"$dir/results/.t$task\"\n"
         "mv \"$dir/results/.t$task\" \"$dir/results/task-$task.txt\"\n";
  }
  fs::permissions(fake, fs::perms::owner_all);

  SlurmOptions o;
  o.greentune_bin = fake.string();
  o.sbatch_args = {"--time=00:10:00"};
  SlurmClient client(o);
  // Tasks 1..4, split into arrays of at most 3 indices: covers the base offset too.
  auto subs = submit_tasks(client, study.string(), "demo", {1, 2, 3, 4}, 3);
  ASSERT_EQ(subs.size(), 2u);
  EXPECT_EQ(subs[0].task_ids(), (std::vector<long long>{1, 2}));
  EXPECT_EQ(subs[1].base, 3);
  EXPECT_EQ(subs[1].task_ids(), (std::vector<long long>{3, 4}));
  auto recorded = read_submissions(study.string());
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded[1].job_id, subs[1].job_id);
  EXPECT_TRUE(fs::exists(recorded[0].script));

  std::vector<long long> jobs = {subs[0].job_id, subs[1].job_id};
  auto done_ids = [&] {
    std::vector<long long> d;
    for (long long t : {1, 2, 3, 4})
      if (fs::exists(study / "results" / ("task-" + std::to_string(t) + ".txt"))) d.push_back(t);
    return d;
  };
  auto phases = [&] {
    auto st = classify_tasks({1, 2, 3, 4}, done_ids(), read_submissions(study.string()), client.query(jobs));
    std::vector<TaskPhase> p;
    for (auto& t : st) p.push_back(t.phase);
    return p;
  };

  // Tasks 1 and 2 finish, 3 fails, 4 runs (sleeps).
  ASSERT_TRUE(wait_for(
      [&] {
        auto p = phases();
        return p[0] == TaskPhase::done && p[1] == TaskPhase::done && p[2] == TaskPhase::failed &&
               p[3] == TaskPhase::running;
      },
      90))
      << "phases never became done, done, failed, running";

  auto st = classify_tasks({1, 2, 3, 4}, done_ids(), read_submissions(study.string()), client.query(jobs));
  EXPECT_EQ(st[2].slurm_state, "FAILED");
  EXPECT_NE(st[2].detail.find("FAILED"), std::string::npos);
  EXPECT_FALSE(st[3].node.empty());
  EXPECT_EQ(st[3].job_id, subs[1].job_id);

  // --exclusive: the task was given every CPU of the node.
  std::string line = slurp(study / "results" / "task-2.txt");
  std::istringstream in(line);
  long long task = 0, index = 0;
  std::string cpus;
  in >> task >> index >> cpus;
  EXPECT_EQ(task, 2);
  EXPECT_EQ(index, 2);
  EXPECT_EQ(cpus, std::to_string(std::thread::hardware_concurrency()));

  // Logs are in the study folder, named by array job and index.
  fs::path log1 = study / "slurm" / "logs" / (std::to_string(subs[0].job_id) + "_1.out");
  EXPECT_NE(slurp(log1).find("started 1 on"), std::string::npos) << log1;
  fs::path err3 = study / "slurm" / "logs" / (std::to_string(subs[1].job_id) + "_0.err");
  EXPECT_NE(slurp(err3).find("boom"), std::string::npos) << err3;

  // Cancelling the running task makes it failed (to be re-submitted), with Slurm's reason.
  client.cancel(subs[1].job_id, 1);
  ASSERT_TRUE(wait_for([&] { return phases()[3] == TaskPhase::failed; }, 60));
  st = classify_tasks({1, 2, 3, 4}, done_ids(), read_submissions(study.string()), client.query(jobs));
  EXPECT_EQ(parse_job_state(st[3].slurm_state), JobState::cancelled);
  EXPECT_EQ(done_ids(), (std::vector<long long>{1, 2}));
}

TEST_F(SlurmClusterTest, SbatchRefusalIsAOneLineErrorAndNothingIsRecorded) {
  fs::path study = fs::path(cluster_.dir()) / "refused";
  fs::create_directories(study);
  SlurmOptions o;
  o.greentune_bin = "/bin/true";
  o.partition = "no-such-partition";
  SlurmClient client(o);
  try {
    submit_tasks(client, study.string(), "demo", {1}, 0);
    FAIL() << "sbatch accepted an unknown partition";
  } catch (const greentune::Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("sbatch"), std::string::npos) << m;
    EXPECT_NE(m.find("partition"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
  EXPECT_TRUE(read_submissions(study.string()).empty());
  EXPECT_EQ(client.max_array_size(), 10001);  // the generated slurm.conf's MaxArraySize
}
