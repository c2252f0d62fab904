#pragma once
// Running a study's tasks on a Slurm cluster: batch-script generation, submission, and
// reading back what Slurm knows about each task (squeue, and sacct where accounting exists).
//
// A study's tasks (exec/task.hpp: one run, or a parallel set that must share a node) become
// the elements of a job array. Array element i runs
//     <absolute greentune> run-task --study-dir <DIR> --task <base + i>
// on whatever node Slurm picks; the task writes its result into DIR/results/ (shared file
// system), and `greentune collect DIR` merges results into the database.
//
// Everything here except SlurmClient is pure (text in, text out), so it is unit-tested
// without a cluster; SlurmClient runs the real commands.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace greentune::exec::slurm {

struct SlurmOptions {
  std::string partition;                 // empty: the cluster's default partition
  std::vector<std::string> sbatch_args;  // extra sbatch options, verbatim ("--time=02:00:00")
  bool exclusive = true;                 // --exclusive: no foreign job shares a measured node
  int max_parallel = 0;                  // array throttle (--array=...%N); 0: no limit
  std::string job_name = "greentune";
  std::string greentune_bin;             // absolute path; empty: this executable
  std::vector<std::string> run_task_args;  // appended to `greentune run-task ...` (quoted)
  // The commands (a test or a site can point them elsewhere).
  std::string sbatch = "sbatch";
  std::string squeue = "squeue";
  std::string sacct = "sacct";
  std::string scancel = "scancel";
  std::string scontrol = "scontrol";
};

// ---- array specs ----
// "1-3,5,7-8" from ids (sorted and de-duplicated first).
std::string compress_ids(std::vector<long long> ids);
// Inverse of compress_ids; also accepts squeue's "[1-3,5]" and a "%N" throttle suffix.
// Throws input_error on malformed text.
std::vector<long long> expand_ids(const std::string& spec);

// One sbatch submission covers the task ids base + index for index in indices; indices stay
// below max_array_size (Slurm's MaxArraySize), so big studies become several arrays.
struct ArrayChunk {
  long long base = 0;
  std::vector<long long> indices;
  std::vector<long long> task_ids() const;
};
std::vector<ArrayChunk> split_into_arrays(std::vector<long long> task_ids, long long max_array_size);

// ---- the batch script ----
struct BatchScript {
  std::string study_dir;    // absolute
  std::string log_dir;      // absolute; %A_%a.out / .err land here
  ArrayChunk chunk;
  SlurmOptions options;     // greentune_bin must be absolute here
  std::string study_name;   // for the job name and the header comment
};
std::string make_batch_script(const BatchScript& spec);
// Quotes a word for POSIX sh ('...' with embedded quotes escaped).
std::string shell_quote(const std::string& word);

// "123" or "123;cluster" (sbatch --parsable) -> 123; throws runtime_error otherwise.
long long parse_sbatch_job_id(const std::string& output);

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
std::string slurm_dir(const std::string& study_dir);          // DIR/slurm
std::vector<Submission> read_submissions(const std::string& study_dir);
void append_submission(const std::string& study_dir, const Submission& s);

// ---- asking Slurm ----
struct QueryResult {
  // Latest known state per (job id, array index).
  std::map<std::pair<long long, long long>, TaskJobState> states;
  bool sacct_available = false;
  std::string note;  // e.g. "sacct unavailable: Slurm accounting storage is disabled"
};

class SlurmClient {
 public:
  explicit SlurmClient(SlurmOptions options);
  // sbatch --parsable SCRIPT; returns the job id. Throws runtime_error with sbatch's message.
  long long submit(const std::string& script_path, const std::string& working_dir);
  // squeue for active and recently finished elements, sacct (when it works) for the rest.
  QueryResult query(const std::vector<long long>& job_ids);
  // scancel JOB or JOB_INDEX.
  void cancel(long long job_id, std::optional<long long> array_index = std::nullopt);
  // The cluster's MaxArraySize (scontrol show config); 1001 (Slurm's default) when unknown.
  long long max_array_size();
  const SlurmOptions& options() const { return options_; }

 private:
  SlurmOptions options_;
};

// Submits task_ids as job array(s): writes DIR/slurm/submit-<time>-<k>.sh per array (logs in
// DIR/slurm/logs/), runs sbatch, appends each accepted submission to submissions.jsonl.
// max_array_size 0: ask the cluster. Throws runtime_error when sbatch refuses (earlier
// arrays of the same call stay submitted and recorded).
std::vector<Submission> submit_tasks(SlurmClient& client, const std::string& study_dir,
                                     const std::string& study_name, const std::vector<long long>& task_ids,
                                     long long max_array_size = 0);

// Are the Slurm client commands installed (sbatch on PATH)?
bool slurm_available(const SlurmOptions& options = {});

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

}  // namespace greentune::exec::slurm
