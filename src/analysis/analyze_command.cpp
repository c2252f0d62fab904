#include "greentune/analysis/analyze_command.hpp"

#include <ostream>

#include "greentune/analysis/load_runs.hpp"
#include "greentune/core/error.hpp"

namespace greentune::analysis {

int run_analyze(const AnalyzeRequest& request, std::ostream& out) {
  if (request.database.empty() == request.runs_csv.empty())
    throw usage_error("analyze needs exactly one input: a study database (DB) or --runs FILE.csv");
  const bool csv = !request.runs_csv.empty();
  const auto loaded = load_runs(csv ? request.runs_csv : request.database, csv);
  const auto result = analyze(loaded.runs, request.options, loaded.origins);
  if (request.json)
    write_json(out, result);
  else
    out << format_text(result);
  return 0;
}

}  // namespace greentune::analysis
