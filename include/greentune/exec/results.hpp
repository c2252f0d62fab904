#pragma once
// Result files into the database: `greentune collect`, and the local runner's recovery of
// results written by a runner killed before it stored them. One policy for bad files: a
// result file that cannot be read, or that belongs to another study or task, is skipped and
// named (file: why); everything else is stored, and the file is left where it is.
#include <map>
#include <string>
#include <vector>

#include "greentune/store/study_store.hpp"
#include "greentune/study/study_directory.hpp"

namespace greentune::exec {

struct CollectReport {
  int files = 0;          // result files read
  int stored = 0;         // runs newly stored
  int unchanged = 0;      // runs already stored with that result
  int superseded = 0;     // runs that already had another final result (kept as they were)
  std::vector<std::string> bad_files;  // "FILE: why" (skipped, nothing else lost)
  std::map<std::string, long long> runs_by_node;  // finished runs per hostname (whole database)
  // Set when finished runs come from nodes whose hardware differs (CPU model, cores, GPU):
  // one line naming them, so energy from different machines is never mixed silently.
  std::string mixed_hardware;
};

// Does the task have runs, all with a final status in the database?
bool task_done(store::StudyStore& st, long long task_id);

// Stores the results/task-*.json files (unfinished_only: only those of tasks with a run that
// is not final in the database). Takes no lock: the caller holds the study's.
CollectReport merge_results(const study::StudyPaths& paths, store::StudyStore& st, bool unfinished_only = false);

// `greentune collect`: takes the study's lock (exec/study_lock.hpp; refused while a runner or
// a submission holds it), merges every results/task-*.json into DIR/study.db, marks the
// study finished when every run is. Idempotent: running it twice changes nothing.
CollectReport collect_results(const std::string& dir_or_db);
std::string format_collect(const CollectReport& r, const std::string& dir);

}  // namespace greentune::exec
