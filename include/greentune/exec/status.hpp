#pragma once
// `greentune status DB`: where a study stands (also one running elsewhere: the database is
// read with SQLite's WAL, so a running study is never blocked).
#include <optional>
#include <string>
#include <vector>

#include "greentune/core/file_lock.hpp"
#include "greentune/store/study_store.hpp"

namespace greentune::exec {

struct RunningRun {
  long long run_id = 0;
  std::string description;   // model operator=value rep N scenario
  std::string node, started_at;
};

struct StudyStatus {
  std::string name, db_path, dir, created_at, finished_at, executor;
  store::StatusCounts counts;
  long long tasks = 0, tasks_done = 0;
  long long result_files = 0;          // results/task-*.json present
  long long result_files_pending = 0;  // of those, not yet in the database (run `collect`)
  double energy_j = 0;                 // measured energy of finished tasks (whole machine, once per task)
  double mean_task_s = 0;              // mean duration of finished tasks
  double eta_s = 0;                    // remaining tasks x (mean task + cool-down); 0 unknown
  std::optional<LockHolder> runner;    // the process holding the study (exec/study_lock.hpp), if any
  std::string overrides;               // recorded command-line overrides ("--cooldown 1"), if any
  std::vector<RunningRun> running;
  std::vector<std::string> recent_failures;  // "run 12: failed (exit code 1: ...)" (never a pruned run)
};

// Accepts the study directory or its study.db. Checks the database first (SQLite's integrity
// check: a damaged one is an io_error, one line).
StudyStatus study_status(const std::string& dir_or_db);
std::string format_status(const StudyStatus& s);

}  // namespace greentune::exec
