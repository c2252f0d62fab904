#pragma once
// A batch of tasks run through Slurm and waited for (a tune run's search proposals or
// confirmation pairs; `greentune tune --executor slurm`, tune/tune_task.hpp says how the nodes
// see a tune run). The caller writes what the nodes read before each batch.
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "greentune/slurm/client.hpp"
#include "greentune/store/study_store.hpp"
#include "greentune/study/study_directory.hpp"
#include "greentune/study/task_result.hpp"

namespace greentune::slurm {

struct BatchOptions {
  SlurmOptions slurm;                // run_task_args included
  std::string name;                  // the run's name (job names)
  double poll_s = 3;                 // how often Slurm is asked while waiting (result files: more often)
  int max_lost = 3;                  // a task that leaves Slurm without a result this often stops the caller
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(const std::string&)> log;                 // submissions, waits, lost elements
  std::function<void(const study::TaskResult&)> on_result;     // each task's result, once stored
};

// Runs `tasks` (each with a run that is not final in the database) through Slurm and returns when
// each one's result is stored. The tasks that have neither a result file nor an element queued or
// running in Slurm (DIR/slurm/submissions.jsonl and squeue/sacct: a job submitted before an
// interruption is found again by its recorded id) are submitted as one job array; result files are
// stored in the database as they appear. An element that leaves Slurm without a result is
// submitted again, up to max_lost times in this call (then a runtime_error names the task and its
// log). Throws exec::Cancelled when *cancel is set: what was submitted stays in Slurm and the next
// call waits for it.
void run_batch(const study::StudyPaths& paths, store::StudyStore& st, const std::vector<long long>& tasks,
               const BatchOptions& options);

// Job ids of DIR's recorded submissions that Slurm still lists as pending or running for any
// of `tasks` (the tasks' latest submissions only). Throws when Slurm cannot be asked.
std::vector<long long> active_slurm_jobs(const study::StudyPaths& paths, const std::vector<long long>& tasks,
                                         const SlurmOptions& options);

}  // namespace greentune::slurm
