#pragma once
// `greentune analyze (DB | --runs FILE.csv) [...]`: what the subcommand does once its flags
// are parsed. Tests call run_analyze() in-process.
#include <iosfwd>
#include <string>

#include "greentune/analysis/analysis.hpp"

namespace greentune::analysis {

struct AnalyzeRequest {
  std::string database;  // positional: a study database (or a CSV, detected by content)
  std::string runs_csv;  // --runs FILE.csv
  AnalysisOptions options;
  bool json = false;     // one JSON object instead of tables
};

// Loads, analyses and prints to `out`; returns the exit code (0). Throws greentune::Error.
int run_analyze(const AnalyzeRequest& request, std::ostream& out);

}  // namespace greentune::analysis
