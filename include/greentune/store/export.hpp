#pragma once
// `greentune export DB --format csv|json`: the runs table of a study database.
//   csv:  the runs interchange format (store/interchange.hpp), one row per run.
//   json: {"study": {meta...}, "environment": {node: {...}}, "runs": [{model, scenario,
//          corunner, operator, repetition, hp: {...}, cpu_package_j, dram_j, gpu_j,
//          duration_s, performance, performance_metric, higher_is_better (true/false),
//          status, node, extra: {...}}]} (null = not measured).
#include <iosfwd>
#include <string>

namespace greentune::store {

// format: csv | json. status_filter: empty = all runs, else only runs with that status.
void export_runs(const std::string& db_path, const std::string& format, std::ostream& out,
                 const std::string& status_filter = "");

}  // namespace greentune::store
