#pragma once
// A study on a Slurm cluster: the study folder lives on a shared file system; its tasks
// (exec/task.hpp) are submitted as job arrays (exec/slurm.hpp); each array element runs
// `greentune run-task`, which executes one task on its node and writes the task's result
// file atomically; `greentune collect` merges result files into the database; `greentune
// study --resume DIR --executor slurm` re-submits what failed or was preempted.
//
// Only the submitting/collecting machine writes the database (SQLite is not safe on network
// file systems across hosts); nodes only read study.toml / study.json / plan.json and write
// results/task-<N>.json.
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "greentune/exec/local_executor.hpp"
#include "greentune/exec/results.hpp"
#include "greentune/exec/slurm.hpp"
#include "greentune/exec/task.hpp"

namespace greentune::exec {

// ---- `greentune run-task` ----
struct RunTaskOptions {
  std::string study_dir;
  long long task_id = 0;
  std::string greentune_bin;          // for built-in models; empty: this executable
  std::string meter_override;
  std::optional<double> cooldown_s;   // replaces the study's cool-down with a fixed one
  bool cooldown = true;               // cool down BEFORE the task (see below)
  bool force = false;                 // run even when the task already has a result
  // How the study folder is read (empty: study::load_study_directory). A tune run's folder is
  // read by tune::load_tune_directory_for_tasks (the app chooses; exec does not know tune).
  std::function<LoadedStudy(const StudyPaths&)> load;
};
// Executes one task on this machine and writes DIR/results/task-<N>.json (atomically).
// The cool-down comes first: on a cluster the node may just have finished any job, and
// --exclusive keeps it ours while it cools. A task that already has a result is not run
// again (a re-queued or duplicated array element does nothing) unless force is set.
// Runs that fail are results; an exception means the task could not be executed.
// Slurm facts (job id, array index, partition, cluster) go into every run's details.
// Returns 0.
int run_task(const RunTaskOptions& options, std::ostream& out);

// ---- `greentune collect`: exec/results.hpp ----

// ---- the Slurm options a study (or a tune run) was submitted with ----
// Kept in its database (meta slurm_options) so that a --resume without options reuses them.
void save_slurm_options(store::StudyStore& st, const slurm::SlurmOptions& o);
// Replaces o's partition, sbatch args, exclusive and throttle by the recorded ones unless
// explicit_options (an unreadable record changes nothing).
void reuse_slurm_options(store::StudyStore& st, slurm::SlurmOptions& o, bool explicit_options);
// Were any of those options given (not all defaults)?
bool slurm_options_given(const slurm::SlurmOptions& o);

// ---- submission (new study and --resume) ----
struct SlurmStudyOptions {
  StudyRunOptions run;            // study_file / out_dir / resume / dry_run / meter / cool-down
  slurm::SlurmOptions slurm;
};
struct SlurmSubmitReport {
  std::string dir;
  long long tasks = 0;
  long long done = 0;             // tasks with every run stored (or a result file)
  long long active = 0;           // still pending/running in Slurm: left alone
  std::vector<long long> submitted;
  std::vector<slurm::Submission> submissions;
  std::string note;               // e.g. sacct unavailable
  std::vector<std::string> bad_files;  // result files skipped by the collection first (exec/results.hpp)
};
// A new study: plans it, creates its folder (on the shared file system), submits every task.
// --resume: collects result files, then submits every task that has neither a stored result
// nor a pending/running array element (failed, cancelled, preempted, timed out, lost). A task
// is never submitted while another element of it is queued or running, and run-task skips a
// task whose result exists, so no run is duplicated.
SlurmSubmitReport submit_study_to_slurm(const SlurmStudyOptions& options);
// Exit code for `greentune study --executor slurm`: prints what was submitted and what to do next.
int run_study_on_slurm(const SlurmStudyOptions& options);

// ---- a local `greentune study --resume` of a study that was submitted to Slurm ----
// Running a task here while Slurm still has it queued or running trains it twice, and both
// measurements contend for the machines (the database keeps one result, but the work and the
// energy are wasted). So a local resume asks Slurm first.
struct LocalResumeCheck {
  bool slurm_study = false;              // the folder has Slurm submissions
  long long pending = 0, running = 0;    // tasks Slurm lists as queued / running
  std::vector<long long> active_jobs;    // the job ids of those tasks
  std::string note;                      // one line for stderr (empty: nothing to say)
};
// Throws usage_error (one line: how many tasks, which jobs, what to do instead) when tasks of
// the study are pending or running in Slurm, unless ignore_slurm_jobs (the user knows those
// jobs are dead). Allowed, with a note: Slurm cannot be asked (no squeue, no controller), the
// submitted tasks are no longer known to Slurm, or ignore_slurm_jobs overrode a refusal.
// Nothing is written.
LocalResumeCheck check_local_resume(const std::string& dir_or_db, bool ignore_slurm_jobs,
                                    const slurm::SlurmOptions& options = {});
// `greentune study --executor local`: with --resume, check_local_resume (its note goes to
// options.err, default std::cerr) before run_study(). Returns run_study's exit code.
int run_study_here(const StudyRunOptions& options, bool ignore_slurm_jobs,
                   const slurm::SlurmOptions& slurm_options = {});

// ---- Slurm side of `greentune status` ----
struct SlurmTaskSummary {
  bool slurm_study = false;       // the folder has Slurm submissions
  bool tune = false;              // a tune run's folder (its batches so far are its tasks)
  long long unsubmitted = 0, pending = 0, running = 0, done = 0, failed = 0;
  std::vector<slurm::TaskStatus> tasks;
  std::string note;
  std::string error;              // Slurm could not be asked (e.g. not on a login node)
};
// Classifies every task from the result files, the database and squeue/sacct.
SlurmTaskSummary slurm_task_summary(const std::string& dir_or_db, const slurm::SlurmOptions& options = {});
// Lines for `greentune status`: counts, running and failed tasks; empty for a local study.
std::string format_slurm_summary(const SlurmTaskSummary& s, const std::string& dir);

}  // namespace greentune::exec
