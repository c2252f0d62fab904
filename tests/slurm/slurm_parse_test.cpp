// Pure parts of the Slurm executor: array specs, batch scripts, squeue/sacct parsing and
// task classification. No cluster needed (see slurm_cluster_test.cpp for the real one).
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "greentune/core/error.hpp"
#include "greentune/slurm/client.hpp"

namespace fs = std::filesystem;
using namespace greentune::slurm;

TEST(SlurmArraySpec, CompressesAndExpandsRanges) {
  EXPECT_EQ(compress_ids({5, 1, 2, 3, 7, 8, 3}), "1-3,5,7-8");
  EXPECT_EQ(compress_ids({0}), "0");
  EXPECT_EQ(compress_ids({}), "");
  EXPECT_EQ(expand_ids("1-3,5,7-8"), (std::vector<long long>{1, 2, 3, 5, 7, 8}));
  EXPECT_EQ(expand_ids("[0-2,9]%2"), (std::vector<long long>{0, 1, 2, 9}));
  EXPECT_EQ(expand_ids("0-6:3"), (std::vector<long long>{0, 3, 6}));
  EXPECT_THROW(expand_ids("3-1"), greentune::Error);
  EXPECT_THROW(expand_ids("a"), greentune::Error);
  EXPECT_THROW(expand_ids("[1-2"), greentune::Error);
}

TEST(SlurmArraySpec, SplitsLargeStudiesBelowMaxArraySize) {
  auto chunks = split_into_arrays({1, 2, 999, 1000, 1001, 2500}, 1000);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].base, 0);
  EXPECT_EQ(chunks[0].indices, (std::vector<long long>{1, 2, 999}));
  EXPECT_EQ(chunks[1].base, 1000);
  EXPECT_EQ(chunks[1].indices, (std::vector<long long>{0, 1}));
  EXPECT_EQ(chunks[2].base, 2000);
  EXPECT_EQ(chunks[2].task_ids(), (std::vector<long long>{2500}));
  for (const auto& c : chunks)
    for (long long i : c.indices) EXPECT_LT(i, 1000);
}

TEST(SlurmBatchScript, HasArrayExclusivePartitionExtraArgsAndTaskCommand) {
  BatchScript b;
  b.study_dir = "/shared/my study";
  b.log_dir = "/shared/my study/slurm/logs";
  b.chunk = ArrayChunk{0, {1, 2, 3, 5}};
  b.study_name = "demo";
  b.options.partition = "gpu";
  b.options.sbatch_args = {"--time=01:00:00", "--gres=gpu:1"};
  b.options.max_parallel = 2;
  b.options.greentune_bin = "/opt/greentune/bin/greentune";
  std::string s = make_batch_script(b);
  EXPECT_EQ(s.rfind("#!/bin/sh\n", 0), 0u);
  EXPECT_NE(s.find("#SBATCH --array=1-3,5%2\n"), std::string::npos);
  EXPECT_NE(s.find("#SBATCH --exclusive\n"), std::string::npos);
  EXPECT_NE(s.find("#SBATCH --partition=gpu\n"), std::string::npos);
  EXPECT_NE(s.find("#SBATCH --time=01:00:00\n#SBATCH --gres=gpu:1\n"), std::string::npos);
  EXPECT_NE(s.find("#SBATCH --output=\"/shared/my study/slurm/logs/%A_%a.out\"\n"), std::string::npos);
  EXPECT_NE(s.find("#SBATCH --chdir=\"/shared/my study\"\n"), std::string::npos);
  EXPECT_NE(s.find("task=$((0 + SLURM_ARRAY_TASK_ID))\n"), std::string::npos);
  EXPECT_NE(s.find("exec '/opt/greentune/bin/greentune' run-task --study-dir '/shared/my study' --task \"$task\"\n"),
            std::string::npos);
  // #SBATCH lines must all come before the first command
  EXPECT_LT(s.rfind("#SBATCH"), s.find("task="));

  b.options.exclusive = false;
  b.options.partition.clear();
  b.options.run_task_args = {"--cooldown-s", "0"};
  b.chunk = ArrayChunk{1000, {0, 7}};
  s = make_batch_script(b);
  EXPECT_EQ(s.find("--exclusive"), std::string::npos);
  EXPECT_EQ(s.find("--partition"), std::string::npos);
  EXPECT_NE(s.find("task=$((1000 + SLURM_ARRAY_TASK_ID))"), std::string::npos);
  EXPECT_NE(s.find("--task \"$task\" '--cooldown-s' '0'\n"), std::string::npos);
}

TEST(SlurmBatchScript, RejectsRelativePathsAndOddArguments) {
  BatchScript b;
  b.study_dir = "/s";
  b.log_dir = "/s/slurm/logs";
  b.chunk = ArrayChunk{0, {1}};
  b.options.greentune_bin = "greentune";
  EXPECT_THROW(make_batch_script(b), greentune::Error);
  b.options.greentune_bin = "/bin/greentune";
  b.options.sbatch_args = {"time=1"};
  EXPECT_THROW(make_batch_script(b), greentune::Error);
  b.options.sbatch_args = {"--comment=a\nrm -rf /"};
  EXPECT_THROW(make_batch_script(b), greentune::Error);
  b.options.sbatch_args = {};
  b.study_dir = "/s/\"quoted\"";
  EXPECT_THROW(make_batch_script(b), greentune::Error);
  b.study_dir = "/s";
  b.chunk.indices.clear();
  EXPECT_THROW(make_batch_script(b), greentune::Error);
}

TEST(SlurmBatchScript, ShellQuoteSurvivesQuotes) {
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
}

TEST(SlurmParse, SbatchJobId) {
  EXPECT_EQ(parse_sbatch_job_id("1234\n"), 1234);
  EXPECT_EQ(parse_sbatch_job_id("77;cluster2\n"), 77);
  EXPECT_THROW(parse_sbatch_job_id("sbatch: error: Batch job submission failed"), greentune::Error);
}

TEST(SlurmParse, JobStates) {
  EXPECT_EQ(parse_job_state("CANCELLED by 0"), JobState::cancelled);
  EXPECT_EQ(parse_job_state("PENDING"), JobState::pending);
  EXPECT_EQ(parse_job_state("COMPLETING"), JobState::running);
  EXPECT_EQ(parse_job_state("PREEMPTED"), JobState::preempted);
  EXPECT_EQ(parse_job_state("NODE_FAIL"), JobState::failed);
  EXPECT_EQ(parse_job_state("OUT_OF_MEMORY"), JobState::failed);
  EXPECT_EQ(parse_job_state("TIMEOUT"), JobState::timeout);
  EXPECT_EQ(parse_job_state("REQUEUED"), JobState::pending);
  EXPECT_EQ(parse_job_state("COMPLETED"), JobState::completed);
  EXPECT_EQ(parse_job_state("WEIRD"), JobState::unknown);
}

TEST(SlurmParse, SqueueLinesAsPrintedBySlurm22) {
  // squeue -h -r -t all -o '%F|%K|%T|%r|%N' on the test cluster (real output)
  std::string text =
      "1|N/A|COMPLETED|None|vm\n"
      "6|0|FAILED|NonZeroExitCode|vm\n"
      "6|2|RUNNING|None|vm\n"
      "6|1|CANCELLED|None|vm\n"
      "9|3-5%2|PENDING|JobArrayTaskLimit|\n"
      "slurm_load_jobs error: something\n";
  auto st = parse_squeue(text);
  ASSERT_EQ(st.size(), 7u);
  EXPECT_EQ(st[0].job_id, 1);
  EXPECT_EQ(st[0].array_index, -1);
  EXPECT_EQ(st[1].state, JobState::failed);
  EXPECT_EQ(st[1].reason, "NonZeroExitCode");
  EXPECT_EQ(st[2].state, JobState::running);
  EXPECT_EQ(st[2].node, "vm");
  EXPECT_EQ(st[3].state, JobState::cancelled);
  EXPECT_EQ(st[4].job_id, 9);
  EXPECT_EQ(st[4].array_index, 3);
  EXPECT_EQ(st[6].array_index, 5);
  EXPECT_EQ(st[6].state, JobState::pending);
}

TEST(SlurmParse, SacctLines) {
  std::string text =
      "40_1|COMPLETED|0:0|node01\n"
      "40_1.batch|COMPLETED|0:0|node01\n"
      "40_2|CANCELLED by 1000|0:15|node02\n"
      "40_[3-4]|PENDING|0:0|None assigned\n"
      "41|PREEMPTED|0:0|node03\n";
  auto st = parse_sacct(text);
  ASSERT_EQ(st.size(), 5u);
  EXPECT_EQ(st[0].array_index, 1);
  EXPECT_EQ(st[0].node, "node01");
  EXPECT_EQ(st[1].state, JobState::cancelled);
  EXPECT_EQ(st[1].reason, "exit 0:15");
  EXPECT_EQ(st[2].array_index, 3);
  EXPECT_EQ(st[3].array_index, 4);
  EXPECT_TRUE(st[3].node.empty());
  EXPECT_EQ(st[4].job_id, 41);
  EXPECT_EQ(st[4].state, JobState::preempted);
}

TEST(SlurmTasks, ClassifiesFromResultsSubmissionsAndQueue) {
  std::vector<Submission> subs = {{10, 0, {1, 2, 3, 4, 5, 6}, "", ""}, {20, 0, {5}, "", ""}};
  QueryResult q;
  auto put = [&](long long job, long long idx, const std::string& state, const std::string& node = "n1") {
    TaskJobState s;
    s.job_id = job;
    s.array_index = idx;
    s.raw_state = state;
    s.state = parse_job_state(state);
    s.node = node;
    q.states[{job, idx}] = s;
  };
  put(10, 1, "COMPLETED");
  put(10, 2, "RUNNING");
  put(10, 3, "PENDING", "");
  put(10, 4, "CANCELLED by 0");
  put(10, 5, "FAILED");
  put(20, 5, "RUNNING", "n2");  // resubmitted and now running
  put(10, 6, "COMPLETED");      // exit 0 but no result file
  auto t = classify_tasks({1, 2, 3, 4, 5, 6, 7, 8}, {1, 8}, subs, q);
  ASSERT_EQ(t.size(), 8u);
  EXPECT_EQ(t[0].phase, TaskPhase::done);
  EXPECT_EQ(t[1].phase, TaskPhase::running);
  EXPECT_EQ(t[1].node, "n1");
  EXPECT_EQ(t[2].phase, TaskPhase::pending);
  EXPECT_EQ(t[3].phase, TaskPhase::failed);
  EXPECT_NE(t[3].detail.find("CANCELLED"), std::string::npos);
  EXPECT_EQ(t[4].phase, TaskPhase::running);
  EXPECT_EQ(t[4].job_id, 20);
  EXPECT_EQ(t[4].node, "n2");
  EXPECT_EQ(t[5].phase, TaskPhase::failed);
  EXPECT_NE(t[5].detail.find("without writing a result"), std::string::npos);
  EXPECT_EQ(t[6].phase, TaskPhase::unsubmitted);  // 7: never submitted
  EXPECT_EQ(t[7].phase, TaskPhase::done);         // 8: result exists (e.g. ran locally)

  // A submitted element Slurm has forgotten, without a result, is failed (to resubmit).
  QueryResult empty;
  auto f = classify_tasks({3}, {}, subs, empty);
  EXPECT_EQ(f[0].phase, TaskPhase::failed);
  EXPECT_NE(f[0].detail.find("left the queue"), std::string::npos);
}

TEST(SlurmSubmissions, RoundTripThroughTheStudyFolder) {
  fs::path dir = fs::temp_directory_path() / ("gt-slurm-subs-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  EXPECT_TRUE(read_submissions(dir.string()).empty());
  append_submission(dir.string(), {11, 0, {1, 2, 3, 7}, "2026-01-01T00:00:00Z", "/x/a.sh"});
  append_submission(dir.string(), {12, 1000, {0, 1}, "", "/x/b.sh"});
  auto s = read_submissions(dir.string());
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].job_id, 11);
  EXPECT_EQ(s[0].indices, (std::vector<long long>{1, 2, 3, 7}));
  EXPECT_EQ(s[0].submitted_at, "2026-01-01T00:00:00Z");
  EXPECT_EQ(s[1].task_ids(), (std::vector<long long>{1000, 1001}));
  EXPECT_FALSE(s[1].submitted_at.empty());
  {
    std::ofstream(dir / "slurm" / "submissions.jsonl", std::ios::app) << "{not json\n";
  }
  EXPECT_THROW(read_submissions(dir.string()), greentune::Error);
  fs::remove_all(dir);
}
