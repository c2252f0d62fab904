#pragma once
// `greentune tune`: search for the configuration with the lowest objective (energy or time) whose
// performance is non-inferior to the original's, confirm it against the original, and report.
//
// A tune run is a study directory (study/study_directory.hpp): DIR/study.db holds every
// configuration, task and run; DIR/study.toml the tune file verbatim. The plan grows batch by
// batch: a batch of proposals is written to the database (pending) in one transaction before any
// of it runs, and every task goes through exec::execute_task, its result file and the store, as
// in a study. Proposals are a pure function of the seed and the measurements stored, so after an
// interruption (even SIGKILL) `--resume DIR` re-runs only what was in flight and continues with
// the same decisions.
//
// Runs' operator column: "original" (the original during the search), "search" (proposals),
// "confirm" (both sides of the confirmation). Configurations: "original" (id 1) and "tune"
// (mutant = proposal number).
//
// --executor slurm: each batch (search proposals, confirmation pairs) is submitted as one Slurm
// job array of `greentune run-task` elements; tune waits for it, stores the result files in its
// database, and proposes the next batch. Interrupted (even by SIGKILL), `--resume DIR` waits for
// the jobs already submitted (found again by the job ids in DIR/slurm/submissions.jsonl) and
// submits only what has neither a result nor a live job.
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "greentune/slurm/script.hpp"
#include "greentune/tune/tune_definition.hpp"

namespace greentune::store {
class StudyStore;
}

namespace greentune::tune {

struct TuneOptions {
  std::string tune_file;
  std::string out_dir;             // new directory; empty: ./greentune-tune-<name>-<UTC time>
  std::string resume;              // tune directory (or its study.db) to continue
  bool dry_run = false;
  bool json = false;               // the summary as one JSON object on stdout
  // local or slurm (each batch one job array: tune/tune_task.hpp); empty: local, or with
  // --resume the executor the run used (a run that submitted to Slurm has DIR/slurm/).
  std::string executor;
  slurm::SlurmOptions slurm; // executor slurm: partition, sbatch args, --exclusive, throttle
  double slurm_poll_s = 3;         // executor slurm: how often Slurm is asked while a batch runs
  std::string greentune_bin;
  std::string meter_override;
  std::optional<double> cooldown_s;
  std::vector<std::string> from;   // --from: warm-start directories, added to [tune] from (a new run only)
  bool quiet = false;              // no per-run lines
  std::ostream* out = nullptr;     // default std::cout
  std::ostream* err = nullptr;     // default std::cerr
};

// Exit code: 0 when the search ended (budget spent or nothing left to try), 130 when interrupted.
int run_tune(const TuneOptions& options);

// The summary of a tune directory as the --json object (also used by tests and the report).
nlohmann::json tune_summary(const std::string& dir_or_db);
// The same from `st`, the tune run's database already open (`greentune report` opens it once).
nlohmann::json tune_summary(const std::string& dir_or_db, store::StudyStore& st);
std::string describe_summary(const nlohmann::json& summary);  // terminal text

}  // namespace greentune::tune
