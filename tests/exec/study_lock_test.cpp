// One runner per study directory: the file lock itself, and a second runner, a collect and a
// status beside a running `greentune study` (the real executable).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <regex>
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

namespace {

// Whether `pid` is a live process (not gone, not a zombie waiting to be reaped).
bool alive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

bool wait_until(const std::function<bool()>& done, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace

TEST(StudyLock, ResumeStopsWhatAKilledRunnerLeftRunning) {
  // While DIR/hang exists, the model starts a background child (as a user's script may start
  // workers) and waits for it. The runner's direct child dies with a SIGKILLed runner; this
  // grandchild does not, and would load the machine under the resumed study's runs.
  const char* model = R"SH(#!/bin/sh
d="$(dirname "$0")"
if [ -e "$d/hang" ]; then
  sleep 300 &
  echo $! > "$d/leftover.tmp" && mv "$d/leftover.tmp" "$d/leftover.pid"
  wait
fi
echo "accuracy: $1"
)SH";
  std::string dir = greentune::testing::study_folder("leftovers", greentune::testing::one_model_study(R"T(
name = "leftovers"
repetitions = 1
cooldown = 0
meter = "estimate"
governor = "keep"
)T"), model);
  write_text(dir + "/hang", "", false);
  std::string out = dir + "/out";
  auto first = greentune::testing::start_study(dir, out);
  ASSERT_TRUE(wait_until([&] { return file_exists(dir + "/leftover.pid"); }, 60)) << read_file(dir + "/first.err");
  const pid_t leftover = static_cast<pid_t>(std::stol(read_file(dir + "/leftover.pid")));
  ::kill(first->pid(), SIGKILL);
  first->wait();
  // The premise: the model's own child outlived the killed runner.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(alive(leftover)) << "the grandchild died with the runner: nothing left to stop";

  // Controls: a process carrying another runner's mark, and one with no mark, are not touched.
  SubprocessOptions other;
  other.argv = {"sleep", "300"};
  other.env[exec::kRunnerMarkEnv] = out + "|" + hostname() + "|1|another runner";
  other.stdout_to = other.stderr_to = "";
  Subprocess other_runner(other);
  other_runner.start();
  SubprocessOptions plain = other;
  plain.env.clear();
  Subprocess unmarked(plain);
  unmarked.start();

  std::remove((dir + "/hang").c_str());
  SubprocessResult resumed = greentune::testing::run_greentune({"study", "--resume", out, "--progress", "log"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.stderr_text;
  // The model's shell and its sleep (how many depends on whether /bin/sh forks for the script).
  const std::regex said(out + ": stopped [0-9]+ process(es)? left running by the previous runner, greentune study \\(pid " +
                        std::to_string(first->pid()) + " ");
  EXPECT_TRUE(std::regex_search(resumed.stderr_text, said)) << resumed.stderr_text;
  EXPECT_TRUE(wait_until([&] { return !alive(leftover); }, 5)) << "the leftover of the killed runner still runs";
  EXPECT_TRUE(other_runner.running()) << "a process of another runner was stopped";
  EXPECT_TRUE(unmarked.running()) << "an unmarked process was stopped";
  other_runner.terminate();
  unmarked.terminate();
  store::StudyStore st = store::StudyStore::open(out + "/study.db");
  for (const auto& r : st.runs()) EXPECT_EQ(r.status, RunStatus::succeeded) << r.id << " " << r.reason;
}
