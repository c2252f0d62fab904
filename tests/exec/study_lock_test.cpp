// One runner per study directory: the file lock itself, and a second runner, a collect and a
// status beside a running `greentune study` (the real executable).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "greentune/core/error.hpp"
#include "greentune/core/file_lock.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/exec/status.hpp"
#include "greentune/exec/study_lock.hpp"
#include "greentune/store/study_store.hpp"
#include "test_util.hpp"

using namespace greentune;
using greentune::testing::make_temp_dir;
using greentune::testing::write_text;

TEST(FileLock, SecondHolderIsRefusedAndSeesTheFirstOnesRecord) {
  std::string dir = make_temp_dir("lock");
  std::string path = dir + "/x.lock";
  FileLock a = FileLock::try_lock(path, "first holder", "runner");
  ASSERT_TRUE(a.held());
  LockHolder h;
  FileLock b = FileLock::try_lock(path, "second holder", "runner", &h);  // another open file description
  EXPECT_FALSE(b.held());
  EXPECT_EQ(h.pid, ::getpid());
  EXPECT_EQ(h.host, hostname());
  EXPECT_EQ(h.what, "first holder");
  EXPECT_FALSE(h.since.empty());
  auto seen = FileLock::holder(path);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->what, "first holder");
  EXPECT_NE(seen->describe().find("first holder (pid " + std::to_string(::getpid()) + " on " + hostname()),
            std::string::npos)
      << seen->describe();
  a.release();
  EXPECT_FALSE(FileLock::holder(path).has_value()) << "a record without a lock is stale";
  FileLock c = FileLock::try_lock(path, "third holder", "runner");
  EXPECT_TRUE(c.held());
}

TEST(FileLock, AHolderKilledWithSigkillLeavesNoLock) {
  std::string dir = make_temp_dir("lock-kill");
  std::string path = dir + "/x.lock";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    FileLock l = FileLock::try_lock(path, "child", "runner");
    char c = l.held() ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    ::pause();
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  auto h = FileLock::holder(path);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->pid, child);
  EXPECT_FALSE(FileLock::try_lock(path, "parent", "runner").held());
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_FALSE(FileLock::holder(path).has_value());
  EXPECT_TRUE(FileLock::try_lock(path, "parent", "runner").held());
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST(StudyLock, SecondRunnerCollectAndSubmissionAreRefusedWhileAStudyRuns) {
  // Every run waits for the file 'go', created once the checks below are done, so the study is
  // still running while they look at it however fast the machine is.
  const char* model = R"SH(#!/bin/sh
while [ ! -e "$(dirname "$0")/go" ]; do sleep 0.02; done
echo "accuracy: $1"
)SH";
  std::string dir = greentune::testing::study_folder("one-runner", greentune::testing::one_model_study(R"T(
name = "one-runner"
repetitions = 2
cooldown = 0
meter = "estimate"
governor = "keep"
order = "grouped"
)T"), model);
  std::string out = dir + "/out";
  auto first = greentune::testing::start_study(dir, out);
  const bool running =
      greentune::testing::wait_for_counts(out, [](const store::StatusCounts& c) { return c.running == 1; });
  ASSERT_TRUE(running) << read_file(dir + "/first.err");

  const std::string holder = "greentune study (pid " + std::to_string(first->pid()) + " on " + hostname();
  // A second runner: refused in one line naming the holder; nothing is touched (the run in
  // flight stays running, its attempt is not reset).
  SubprocessResult second = greentune::testing::run_greentune({"study", "--resume", out, "--progress", "log"});
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.stderr_text.find(out + " is in use by " + holder), std::string::npos) << second.stderr_text;
  EXPECT_EQ(std::count(second.stderr_text.begin(), second.stderr_text.end(), '\n'), 1) << second.stderr_text;
  EXPECT_EQ(second.stdout_text, "");
  {
    store::StudyStore st = store::StudyStore::open(out + "/study.db");
    EXPECT_EQ(st.counts().running, 1) << "the second runner reset the first one's run";
  }
  // collect racing the runner, and a Slurm submission of the same folder.
  SubprocessResult collect = greentune::testing::run_greentune({"collect", out});
  EXPECT_NE(collect.exit_code, 0);
  EXPECT_NE(collect.stderr_text.find("is in use by " + holder), std::string::npos) << collect.stderr_text;
  EXPECT_THROW(exec::lock_study(out, "test", exec::kRoleSubmit), Error);
  // status says who holds it.
  SubprocessResult status = greentune::testing::run_greentune({"status", out});
  EXPECT_EQ(status.exit_code, 0) << status.stderr_text;
  EXPECT_NE(status.stdout_text.find("runner: " + holder), std::string::npos) << status.stdout_text;

  write_text(dir + "/go", "", false);
  SubprocessResult r1 = first->wait();
  ASSERT_EQ(r1.exit_code, 0) << read_file(dir + "/first.err");
  store::StudyStore st = store::StudyStore::open(out + "/study.db");
  for (const auto& r : st.runs()) {
    EXPECT_EQ(r.status, RunStatus::succeeded) << r.id << " " << r.reason;
    EXPECT_EQ(r.attempts, 1) << "run " << r.id << " ran twice";
  }
  // Done: nobody holds it, and a resume is accepted (nothing left to run).
  EXPECT_FALSE(exec::study_status(out).runner.has_value());
  SubprocessResult again = greentune::testing::run_greentune({"study", "--resume", out, "--progress", "log"});
  EXPECT_EQ(again.exit_code, 0) << again.stderr_text;
}
