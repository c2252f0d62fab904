#pragma once
// Slurm batch scripts (the slurm area: a study's or a tune run's tasks as job arrays). A study's
// tasks (exec/task.hpp: one run, or a parallel set that must share a node) become the elements of
// a job array. Array element i runs
//     <absolute greentune> run-task --study-dir <DIR> --task <base + i>
// on whatever node Slurm picks; the task writes its result into DIR/results/ (shared file
// system), and `greentune collect DIR` (or a waiting `greentune tune`) stores it.
//
// Pure (text in, text out): unit-tested without a cluster.
#include <string>
#include <vector>

namespace greentune::slurm {

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

}  // namespace greentune::slurm
