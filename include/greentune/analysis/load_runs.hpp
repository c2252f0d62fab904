#pragma once
// Loading runs for analysis and reports: a study database (SQLite, detected by its header
// bytes) or a runs interchange CSV.
#include <string>
#include <vector>

#include "greentune/core/run_record.hpp"

namespace greentune::analysis {

struct LoadedRuns {
  std::vector<RunRecord> runs;
  std::vector<std::string> origins;  // where each run came from ("runs.csv:12", "study.db run 7")
  std::string kind;                  // "database" or "csv"
};

// force_csv: read `path` as CSV whatever its first bytes. Throws io_error when the file is
// missing, input_error (file:line: column) for bad CSV content.
LoadedRuns load_runs(const std::string& path, bool force_csv = false);

// True when the file starts with the SQLite header ("SQLite format 3\0").
bool is_sqlite_file(const std::string& path);

}  // namespace greentune::analysis
