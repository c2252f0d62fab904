#pragma once
// A study on a Slurm cluster: the study folder lives on a shared file system; its tasks
// (exec/task.hpp) are submitted as job arrays (slurm/client.hpp); each array element runs
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
#include "greentune/exec/task.hpp"
#include "greentune/slurm/client.hpp"

namespace greentune::slurm {

// ---- `greentune collect`: exec/results.hpp ----

// ---- the Slurm options a study (or a tune run) was submitted with ----
// Kept in its database (meta slurm_options) so that a --resume without options reuses them.
void save_slurm_options(store::StudyStore& st, const SlurmOptions& o);
// Replaces o's partition, sbatch args, exclusive and throttle by the recorded ones unless
// explicit_options (an unreadable record changes nothing).
void reuse_slurm_options(store::StudyStore& st, SlurmOptions& o, bool explicit_options);
// Were any of those options given (not all defaults)?
bool slurm_options_given(const SlurmOptions& o);

// ---- submission (new study and --resume) ----
struct SlurmStudyOptions {
  exec::StudyRunOptions run;            // study_file / out_dir / resume / dry_run / meter / cool-down
  SlurmOptions slurm;
};
struct SlurmSubmitReport {
  std::string dir;
  long long tasks = 0;
  long long done = 0;             // tasks with every run stored (or a result file)
  long long active = 0;           // still pending/running in Slurm: left alone
  std::vector<long long> submitted;
  std::vector<Submission> submissions;
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
                                    const SlurmOptions& options = {});
// `greentune study --executor local`: with --resume, check_local_resume (its note goes to
// options.err, default std::cerr) before run_study(). Returns run_study's exit code.
int run_study_here(const exec::StudyRunOptions& options, bool ignore_slurm_jobs,
                   const SlurmOptions& slurm_options = {});

// ---- Slurm side of `greentune status` ----
struct SlurmTaskSummary {
  bool slurm_study = false;       // the folder has Slurm submissions
  bool tune = false;              // a tune run's folder (its batches so far are its tasks)
  long long unsubmitted = 0, pending = 0, running = 0, done = 0, failed = 0;
  std::vector<TaskStatus> tasks;
  std::string note;
  std::string error;              // Slurm could not be asked (e.g. not on a login node)
};
// Classifies every task from the result files, the database and squeue/sacct.
SlurmTaskSummary slurm_task_summary(const std::string& dir_or_db, const SlurmOptions& options = {});
// Lines for `greentune status`: counts, running and failed tasks; empty for a local study.
std::string format_slurm_summary(const SlurmTaskSummary& s, const std::string& dir);

}  // namespace greentune::slurm
