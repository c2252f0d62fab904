#pragma once
// `greentune run-task`: what each Slurm array element runs (and what can be run by hand or by
// another scheduler): one task of a study or of a tune run on this machine.
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "greentune/exec/task.hpp"

namespace greentune::slurm {

struct RunTaskOptions {
  std::string study_dir;
  long long task_id = 0;
  std::string greentune_bin;          // for built-in models; empty: this executable
  std::string meter_override;
  std::optional<double> cooldown_s;   // replaces the study's cool-down with a fixed one
  bool cooldown = true;               // cool down BEFORE the task (see below)
  bool force = false;                 // run even when the task already has a result
  // How the study folder is read (empty: study::load_study_directory). A tune run's folder is
  // read by tune::load_tune_directory_for_tasks (the app chooses; slurm does not know tune).
  std::function<exec::LoadedStudy(const exec::StudyPaths&)> load;
};
// Executes one task on this machine and writes DIR/results/task-<N>.json (atomically).
// The cool-down comes first: on a cluster the node may just have finished any job, and
// --exclusive keeps it ours while it cools. A task that already has a result is not run
// again (a re-queued or duplicated array element does nothing) unless force is set.
// Runs that fail are results; an exception means the task could not be executed.
// Slurm facts (job id, array index, partition, cluster) go into every run's details.
// Returns 0.
int run_task(const RunTaskOptions& options, std::ostream& out);

}  // namespace greentune::slurm
