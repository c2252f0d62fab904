#pragma once
// What Slurm says about a study's tasks: job states from squeue and sacct, the submissions a study
// has made, and each task's phase from those and its result files. Pure: unit-tested without a
// cluster (slurm/client.hpp asks the real commands).
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "greentune/slurm/script.hpp"

namespace greentune::slurm {

// ---- states ----
enum class JobState {
  pending,     // PENDING, REQUEUED, REQUEUE_HOLD, RESIZING, SUSPENDED, CONFIGURING
  running,     // RUNNING, COMPLETING, STAGE_OUT, SIGNALING
  completed,   // COMPLETED (exit 0)
  failed,      // FAILED, BOOT_FAIL, DEADLINE, OUT_OF_MEMORY, NODE_FAIL, SPECIAL_EXIT
  cancelled,   // CANCELLED (by a user or an administrator)
  timeout,     // TIMEOUT
  preempted,   // PREEMPTED
  unknown,
};
JobState parse_job_state(const std::string& text);  // "CANCELLED by 0" -> cancelled
const char* job_state_name(JobState s);
bool is_active(JobState s);  // pending or running

struct TaskJobState {
  long long job_id = 0;         // the array's job id (%F / the part before '_')
  long long array_index = -1;   // -1 when not an array element
  JobState state = JobState::unknown;
  std::string raw_state;        // as Slurm printed it
  std::string reason;           // squeue's %r, or sacct's exit code
  std::string node;
};

// squeue -h -r -t all -o '%F|%K|%T|%r|%N' lines.
std::vector<TaskJobState> parse_squeue(const std::string& text);
// sacct -n -P -X -o JobID,State,ExitCode,NodeList lines (JobID "123_4"; a pending array's
// unexpanded "123_[5-9]" line yields one entry per index).
std::vector<TaskJobState> parse_sacct(const std::string& text);

// ---- the submissions a study has made (DIR/slurm/submissions.jsonl, one JSON per line) ----
struct Submission {
  long long job_id = 0;
  long long base = 0;
  std::vector<long long> indices;
  std::string submitted_at;
  std::string script;   // path of the batch script
  std::vector<long long> task_ids() const;
};
// ---- asking Slurm ----
struct QueryResult {
  // Latest known state per (job id, array index).
  std::map<std::pair<long long, long long>, TaskJobState> states;
  bool sacct_available = false;
  std::string note;  // e.g. "sacct unavailable: Slurm accounting storage is disabled"
};

// ---- what each task is doing, from the result files, the submissions and Slurm ----
enum class TaskPhase {
  unsubmitted,  // never submitted (or only in a submission Slurm never accepted)
  pending,      // queued in Slurm
  running,      // running in Slurm
  done,         // its result is in the results folder or the database
  failed,       // its job element ended without a result (failed, cancelled, preempted,
                // timeout, node failure, or vanished): `study --resume` submits it again
};
const char* task_phase_name(TaskPhase p);

struct TaskStatus {
  long long task_id = 0;
  TaskPhase phase = TaskPhase::unsubmitted;
  long long job_id = 0;         // latest submission's job (0 when unsubmitted)
  std::string slurm_state;      // raw Slurm state when known
  std::string node;
  std::string detail;           // one line: why failed, etc.
};

// Pure: classifies every task. done: tasks that have a result. The latest submission of a
// task decides; a submitted element Slurm no longer knows about and without a result is
// failed ("left the queue without a result").
std::vector<TaskStatus> classify_tasks(const std::vector<long long>& task_ids,
                                       const std::vector<long long>& done,
                                       const std::vector<Submission>& submissions,
                                       const QueryResult& slurm);

}  // namespace greentune::slurm
