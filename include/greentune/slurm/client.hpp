#pragma once
// Slurm, the client: the submissions record of a study (DIR/slurm/submissions.jsonl) and the
// sbatch, squeue, sacct, scancel and scontrol commands. SlurmClient runs the real commands; the
// text it reads and writes is slurm/script.hpp's and slurm/states.hpp's.
#include <optional>
#include <string>
#include <vector>

#include "greentune/slurm/script.hpp"
#include "greentune/slurm/states.hpp"

namespace greentune::slurm {

// ---- the submissions a study has made (DIR/slurm/submissions.jsonl, one JSON per line) ----
std::string slurm_dir(const std::string& study_dir);          // DIR/slurm
std::vector<Submission> read_submissions(const std::string& study_dir);
void append_submission(const std::string& study_dir, const Submission& s);

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

}  // namespace greentune::slurm
