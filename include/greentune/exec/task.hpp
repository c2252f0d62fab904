#pragma once
// Executing one task of a study on this machine, shared by the local executor and the Slurm
// executor (`greentune run-task`).
//
// A task is "execute run(s) N of study S": one run (scenario single, or parallel with a
// co-runner loop), or the k runs of a symmetric parallel set, which must share a node.
// Tasks and runs are numbered from 1 in execution order (study/plan.hpp). The study directory
// and the result files are in study/.
#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "greentune/exec/run_progress.hpp"
#include "greentune/study/study_directory.hpp"
#include "greentune/study/task_result.hpp"

namespace greentune::exec {

// exec runs what study/ describes: its types are used here unqualified.
using study::CooldownDefinition;
using study::LoadedStudy;
using study::ModelDefinition;
using study::Plan;
using study::PlannedConfiguration;
using study::PlannedRun;
using study::PlannedTask;
using study::ScenarioDefinition;
using study::StudyDefinition;
using study::StudyPaths;
using study::TaskResult;

// The runs of a task still running, as SessionHooks::watch / ExecuteOptions::watch see them
// (about every 100 ms): the place to observe a run's live progress and to stop it.
struct RunWatch {
  struct Run {
    long long run_id = 0;
    double elapsed_s = 0;       // since the run started
    std::string stdout_log;     // what the run has printed so far (its progress reports)
    // Its reports so far (exec/run_progress.hpp), each with the energy the meter had seen when
    // it was read (single-run tasks; the whole task's window otherwise).
    std::vector<ProgressPoint> curve;
  };
  std::vector<Run> runs;
  // Runs to stop now, with why: each child is terminated, and its outcome has the status
  // `pruned`, the reason why, and the details "stopped" = why and "pruned_at_epoch" (the last
  // epoch reported when the stop was sent).
  std::vector<std::pair<long long, std::string>> stop;
};

// The options of one task. Built by the execution core (exec/session.hpp) only.
struct ExecuteOptions {
  std::string greentune_bin;        // for built-in models; empty: $GREENTUNE_BIN, else this executable
  double idle_baseline_w = -1;      // until-idle cool-down: measured baseline (< 0: measure now)
  std::string governor_state;       // GovernorGuard::state() of the caller, recorded as "governor"
  std::function<void(const std::string&)> log;  // one line per event (may be empty)
  // Called when each run starts (run id, human description), e.g. to mark it running.
  std::function<void(long long, const std::string&)> on_run_start;
  std::function<void(RunWatch&)> watch;        // may be empty
  const std::atomic<bool>* cancel = nullptr;  // set -> children stopped, throws Cancelled
};

// Thrown by execute_task when options.cancel was set: nothing was measured.
struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("cancelled") {}
};

// Executes one task on this machine: metered child processes, timeout, statuses (no cool-down:
// the session's). Never touches the database. A run that fails is a result (status failed/diverged/timeout),
// not an exception; exceptions mean the task could not be executed at all.
TaskResult execute_task(const LoadedStudy& study, long long task_id, const ExecuteOptions& options);

}  // namespace greentune::exec
