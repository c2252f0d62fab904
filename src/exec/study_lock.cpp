#include "greentune/exec/study_lock.hpp"

#include <stdlib.h>

#include <filesystem>
#include <iostream>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/processes.hpp"

namespace greentune::exec {

namespace {

// The mark of one runner of one study: the study folder and the runner's own lock record.
std::string runner_mark(const std::string& dir, const LockHolder& h) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::weakly_canonical(dir, ec);
  return (ec ? dir : abs.string()) + "|" + h.host + "|" + std::to_string(h.pid) + "|" + h.since;
}

// A runner that ended without stopping its tasks (SIGKILL, a crash) can leave processes behind:
// its direct children die with it (Subprocess's die_with_parent), but what they started (an
// external command's own children, a shell's pipeline) lives on and would load the machine
// under the next runner's measurements. They carry the dead runner's mark: stop them.
void stop_leftovers(const std::string& dir, const FileLock& lock) {
  const auto& prev = lock.previous();
  if (!prev || prev->host != hostname() || prev->pid == lock.record().pid) return;
  const int n = kill_processes_with_env(kRunnerMarkEnv, runner_mark(dir, *prev));
  if (n > 0)
    std::cerr << "greentune: " << dir << ": stopped " << n << (n == 1 ? " process" : " processes")
              << " left running by the previous runner, " << prev->describe() << "\n";
}

}  // namespace

std::string study_lock_path(const std::string& dir) { return dir + "/runner.lock"; }

std::string task_lock_path(const study::StudyPaths& paths, long long task_id) {
  return paths.dir + "/locks/task-" + std::to_string(task_id) + ".lock";
}

FileLock lock_study(const std::string& dir, const std::string& what, const std::string& role) {
  LockHolder h;
  FileLock lock = FileLock::try_lock(study_lock_path(dir), what, role, &h);
  if (!lock.held()) {
    std::string hint = h.pid > 0 ? "; wait for it to finish, or stop it (kill " + std::to_string(h.pid) +
                                       (h.host.empty() || h.host == hostname() ? "" : " on " + h.host) + ")"
                                 : "";
    throw runtime_error(dir + " is in use by " + h.describe() + hint);
  }
  if (role == kRoleRunner) {
    stop_leftovers(dir, lock);
    // Every process this runner starts from now on inherits its mark.
    ::setenv(kRunnerMarkEnv, runner_mark(dir, lock.record()).c_str(), 1);
  }
  return lock;
}

FileLock lock_task(const study::StudyPaths& paths, long long task_id, const std::string& what) {
  make_directories(paths.dir + "/locks");
  LockHolder h;
  FileLock lock = FileLock::try_lock(task_lock_path(paths, task_id), what, kRoleTask, &h);
  if (!lock.held())
    throw runtime_error("task " + std::to_string(task_id) + " of " + paths.dir + " is already running: " +
                        h.describe());
  return lock;
}

std::optional<LockHolder> study_lock_holder(const std::string& dir) { return FileLock::holder(study_lock_path(dir)); }

}  // namespace greentune::exec
