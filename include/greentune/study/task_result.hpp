#pragma once
// A task's result file (DIR/results/task-<N>.json): what one execution of a task measured, written
// by the node that ran it and merged into the database by the local executor or `greentune collect`.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "greentune/store/study_store.hpp"
#include "greentune/study/study_directory.hpp"

namespace greentune::study {

struct TaskResult {
  std::string study_id;
  long long task_id = 0;
  std::string result_id;            // unique per execution (hostname, time, pid, random)
  std::string node;                 // hostname
  std::map<std::string, std::string> environment;  // the node's facts (exec/environment.hpp)
  std::string started_at, finished_at;
  std::vector<store::RunOutcome> runs;              // one per run of the task
};

nlohmann::json to_json(const TaskResult& r);
TaskResult task_result_from_json(const nlohmann::json& j);  // throws input_error
// Atomic write (temp file in the same folder, fsync, rename) to paths.result_file(id).
std::string write_task_result(const StudyPaths& paths, const TaskResult& r);
TaskResult read_task_result(const std::string& file);    // throws input_error / io_error
// Task ids that have a result file in DIR/results.
std::vector<long long> result_task_ids(const StudyPaths& paths);

struct StoreSummary {
  int stored = 0, unchanged = 0, superseded = 0;
};
// Idempotent: storing the same result twice changes nothing. Records the node's environment.
StoreSummary store_task_result(store::StudyStore& store, const TaskResult& r);

}  // namespace greentune::study
