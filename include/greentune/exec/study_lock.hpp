#pragma once
// One runner per study directory.
//
//   DIR/runner.lock          held (core/file_lock.hpp) by whatever writes the study's database
//                            or executes its tasks here: the local runner (`greentune study`,
//                            `--resume`, `greentune tune`), a Slurm submission, `greentune
//                            collect`. A second one is refused before it touches anything.
//   DIR/locks/task-<N>.lock  held by `greentune run-task` while it executes task N, so a
//                            duplicated array element (or a hand-started copy) is refused.
//
// The kernel drops a lock with its process (SIGKILL, crash, power cut): a stale lock never
// blocks. docs/studies.md says what holds on shared storage (NFS).
#include <optional>
#include <string>

#include "greentune/core/file_lock.hpp"
#include "greentune/study/study_directory.hpp"

namespace greentune::exec {

// Roles in the holder record.
inline constexpr const char* kRoleRunner = "runner";    // executes tasks and writes the database
inline constexpr const char* kRoleSubmit = "submit";    // submits to Slurm (collects first)
inline constexpr const char* kRoleCollect = "collect";  // merges result files into the database
inline constexpr const char* kRoleTask = "run-task";    // executes one task (Slurm element)

std::string study_lock_path(const std::string& dir);
std::string task_lock_path(const study::StudyPaths& paths, long long task_id);

// The environment variable that marks every process a runner starts (directly or not) with
// "<study folder>|<host>|<pid>|<since>" of that runner.
inline constexpr const char* kRunnerMarkEnv = "GREENTUNE_RUNNER";

// Takes DIR/runner.lock for `what` (e.g. "greentune study --resume") or throws a runtime
// error naming the holder: "DIR is in use by greentune study (pid 12 on node1, since ...)".
// For the runner role, it then stops what the previous runner of DIR on this machine left
// running (processes still carrying its GREENTUNE_RUNNER mark: the children of an external
// command whose runner was killed; one line on stderr says how many), and marks this
// process's environment, so that its children carry this runner's mark.
FileLock lock_study(const std::string& dir, const std::string& what, const std::string& role = kRoleRunner);
// Takes DIR/locks/task-<N>.lock or throws naming the holder.
FileLock lock_task(const study::StudyPaths& paths, long long task_id, const std::string& what);
// Who holds DIR/runner.lock now (nullopt: nobody).
std::optional<LockHolder> study_lock_holder(const std::string& dir);

}  // namespace greentune::exec
