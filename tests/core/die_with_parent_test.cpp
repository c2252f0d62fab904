// A child started through Subprocess does not outlive the process that started it, even when
// that process is killed with SIGKILL (no destructor runs): an orphaned training would keep
// loading the machine while the next runner measures.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "greentune/core/subprocess.hpp"

using namespace greentune;

namespace {

// True while `pid` exists and is not a zombie.
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

// Starts `sleep 30` through Subprocess in a forked intermediate process, kills the intermediate
// with SIGKILL and returns the sleep's pid.
pid_t orphan_of_killed_parent(bool die_with_parent) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  pid_t middle = ::fork();
  if (middle == 0) {
    ::close(fds[0]);
    SubprocessOptions so;
    so.argv = {"sleep", "30"};
    so.die_with_parent = die_with_parent;
    Subprocess child(so);
    child.start();
    pid_t pid = child.pid();
    (void)!::write(fds[1], &pid, sizeof pid);
    for (;;) ::pause();
  }
  ::close(fds[1]);
  pid_t sleeper = -1;
  if (::read(fds[0], &sleeper, sizeof sleeper) != sizeof sleeper) sleeper = -1;
  ::close(fds[0]);
  ::kill(middle, SIGKILL);
  int status = 0;
  ::waitpid(middle, &status, 0);
  return sleeper;
}

bool gone_within(pid_t pid, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (!alive(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return !alive(pid);
}

}  // namespace

TEST(Subprocess, ChildDiesWhenItsParentIsKilledWithSigkill) {
  pid_t sleeper = orphan_of_killed_parent(true);
  ASSERT_GT(sleeper, 0);
  EXPECT_TRUE(gone_within(sleeper, std::chrono::seconds(5))) << "sleep " << sleeper << " outlived its parent";
  if (alive(sleeper)) ::kill(sleeper, SIGKILL);
}

TEST(Subprocess, WithoutDieWithParentTheChildIsOrphaned) {
  // The control: the same sequence without the option leaves the child running, so the test
  // above sees the option's effect and not some other way the child could end.
  pid_t sleeper = orphan_of_killed_parent(false);
  ASSERT_GT(sleeper, 0);
  EXPECT_FALSE(gone_within(sleeper, std::chrono::milliseconds(300)));
  ::kill(sleeper, SIGKILL);
}
