#pragma once
// `greentune study`: plan a study, create its directory and database, and execute its tasks
// on this machine, one after another (cool-down between tasks), resumable at any point.
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "greentune/exec/task.hpp"

namespace greentune::exec {

struct StudyRunOptions {
  std::string study_file;          // empty: the embedded default study
  std::string out_dir;             // new study directory; empty: ./greentune-<name>-<UTC time>
  std::string resume;              // study directory or its study.db: continue it
  bool dry_run = false;            // print the plan and the estimate, create nothing
  std::string greentune_bin;       // for built-in models (default: this executable / $GREENTUNE_BIN)
  std::string meter_override;      // replaces the study's meter
  std::optional<double> cooldown_s;  // replaces the study's cool-down with a fixed one
  std::string progress = "auto";   // auto (live line on a terminal, else log lines) | line | log | none
  std::ostream* out = nullptr;     // default std::cout
  std::ostream* err = nullptr;     // default std::cerr
};

// Returns the exit code: 0 when every run has a final status (whatever it is), 130 when
// interrupted (SIGINT/SIGTERM; the run in flight goes back to pending). Throws Error on bad
// input (one line, nothing stored is lost), and when another process holds the study
// (exec/study_lock.hpp: refused before anything is touched). meter_override and cooldown_s
// apply to the parsed definition and are recorded in the database (exec/overrides.hpp).
int run_study(const StudyRunOptions& options);

// Loads the definition the options name (file or embedded default).
StudyDefinition study_definition_for(const StudyRunOptions& options);
// The study directory used when --out is not given.
std::string default_study_dir(const StudyDefinition& study);

// Merges results/task-*.json files the database does not have yet (a runner killed between
// writing a result and storing it); returns how many runs were stored. A bad file is skipped
// and named in *bad_files (exec/results.hpp: the same policy as `greentune collect`).
int merge_result_files(const LoadedStudy& study, store::StudyStore& store,
                       std::vector<std::string>* bad_files = nullptr);

}  // namespace greentune::exec
