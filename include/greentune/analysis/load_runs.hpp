#pragma once
// Loading runs for analysis and reports: a study database (SQLite, detected by its header
// bytes) or a runs interchange CSV.
#include <functional>
#include <iosfwd>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "greentune/core/run_record.hpp"

namespace greentune::store {
class StudyStore;
}

namespace greentune::analysis {

struct LoadedRuns {
  std::vector<RunRecord> runs;
  std::string path;
  std::string kind;  // "database" or "csv"
  // Where run i came from: "runs.csv:12" or "study.db run 7" (built on demand; pass it to
  // analysis::analyze for error messages that name the line).
  std::function<std::string(std::size_t)> origins;
  std::string origin(std::size_t i) const { return origins ? origins(i) : std::string(); }
};

// force_csv: read `path` as CSV whatever its first bytes. Throws io_error when the file is
// missing, input_error (file:line: column) for bad CSV content.
LoadedRuns load_runs(const std::string& path, bool force_csv = false);
// The runs of an open study database (its path as given when it was opened).
LoadedRuns load_runs(store::StudyStore& store);

// Keeps only the runs measured on `nodes` (hostnames; empty keeps all). Energy from
// different hardware must not be mixed silently: with no selection and runs from several
// nodes, a one-line warning naming them goes to `warn`. A node with no run is an input_error.
void select_nodes(LoadedRuns& loaded, const std::vector<std::string>& nodes, std::ostream* warn);

// The check both select_nodes share, given the nodes `seen` in the runs of `path`: with no
// `nodes`, warns (to `warn`, when not null) if runs come from several nodes and returns false
// (keep every run); otherwise throws input_error naming a requested node that no run has, and
// returns true (keep the runs of `nodes`).
bool check_node_selection(const std::string& path, const std::set<std::string>& seen,
                          const std::vector<std::string>& nodes, std::ostream* warn);

// True when the file starts with the SQLite header ("SQLite format 3\0").
bool is_sqlite_file(const std::string& path);

}  // namespace greentune::analysis
