#include "greentune/exec/study_lock.hpp"

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"

namespace greentune::exec {

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
