#pragma once
// The task model shared by the local executor and the Slurm executor.
//
// A task is "execute run(s) N of study S": one run (scenario single, or parallel with a
// co-runner loop), or the k runs of a symmetric parallel set, which must share a node.
// Tasks and runs are numbered from 1 in execution order (plan.hpp).
//
// Study directory layout (created by create_study_directory):
//   DIR/study.db              the SQLite database (store/study_store.hpp), one per study
//   DIR/study.toml            the study definition, verbatim copy of the file given
//   DIR/study.json            {"study_id", "name", "source", "base_dir"}: how to re-read it
//   DIR/plan.json             every task with its runs and full configurations (exact)
//   DIR/results/task-<N>.json one TaskResult per executed task, written atomically
//                             (results/.task-<N>.json.<random>.tmp, then rename)
//   DIR/logs/run-<ID>.out/.err  each run's child stdout / stderr
// A task never writes the database itself: execute_task() only reads study.toml, study.json
// and plan.json, so it runs on any node that sees DIR (a shared file system). The local
// executor and `greentune collect` call store_task_result() to merge results idempotently.
#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "greentune/exec/plan.hpp"
#include "greentune/exec/study_definition.hpp"
#include "greentune/store/study_store.hpp"

namespace greentune::exec {

struct StudyPaths {
  std::string dir;
  std::string db() const { return dir + "/study.db"; }
  std::string definition() const { return dir + "/study.toml"; }
  std::string info() const { return dir + "/study.json"; }
  std::string plan() const { return dir + "/plan.json"; }
  std::string results_dir() const { return dir + "/results"; }
  std::string logs_dir() const { return dir + "/logs"; }
  std::string result_file(long long task_id) const;
  // Accepts the study directory or its study.db; throws io_error when neither.
  static StudyPaths from_path(const std::string& dir_or_db);
};

// A study directory, loaded: its definition, plan and id.
struct LoadedStudy {
  StudyPaths paths;
  std::string study_id;
  StudyDefinition definition;
  Plan plan;
  const PlannedTask& task(long long task_id) const;      // throws input_error if unknown
  const PlannedRun& run(long long run_id) const;
  const PlannedConfiguration& configuration(long long id) const;
};

// Creates DIR (must not hold a study yet): database with the plan and models, copies of the
// definition, plan.json, results/ and logs/. Returns the loaded study.
LoadedStudy create_study_directory(const StudyDefinition& study, const std::string& dir);
LoadedStudy load_study_directory(const StudyPaths& paths);

struct TaskResult {
  std::string study_id;
  long long task_id = 0;
  std::string result_id;            // unique per execution (hostname, time, pid, random)
  std::string node;                 // hostname
  std::map<std::string, std::string> environment;  // the node's facts (environment.hpp)
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

struct ExecuteOptions {
  std::string greentune_bin;        // for built-in models; empty: $GREENTUNE_BIN, else this executable
  bool cooldown_after = true;       // cool down after the task (as the study says)
  double idle_baseline_w = -1;      // until-idle cool-down: measured baseline (< 0: measure now)
  std::string meter_override;       // replaces the study's meter when not empty
  std::string governor_state;       // GovernorGuard::state() of the caller, recorded as "governor"
  std::function<void(const std::string&)> log;  // one line per event (may be empty)
  // Called when each run starts (run id, human description), e.g. to mark it running.
  std::function<void(long long, const std::string&)> on_run_start;
  const std::atomic<bool>* cancel = nullptr;  // set -> children stopped, throws Cancelled
};

// Thrown by execute_task when options.cancel was set: nothing was measured.
struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("cancelled") {}
};

// Executes one task on this machine: metered child processes, timeout, statuses, cool-down.
// Never touches the database. A run that fails is a result (status failed/diverged/timeout),
// not an exception; exceptions mean the task could not be executed at all.
TaskResult execute_task(const LoadedStudy& study, long long task_id, const ExecuteOptions& options);

struct StoreSummary {
  int stored = 0, unchanged = 0, superseded = 0;
};
// Idempotent: storing the same result twice changes nothing. Records the node's environment.
StoreSummary store_task_result(store::StudyStore& store, const TaskResult& r);

}  // namespace greentune::exec
