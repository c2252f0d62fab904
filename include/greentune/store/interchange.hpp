#pragma once
// The runs interchange format: CSV (RFC 4180 quoting), one row per run, header required.
//   model, scenario (single|parallel), corunner, operator, repetition, hp.<name>...,
//   cpu_package_j, dram_j, gpu_j, duration_s, performance, [performance_metric],
//   [higher_is_better], [status], [node], extra...
// Empty cell = not measured (or, for hp.<name>, not a hyperparameter of that model).
// higher_is_better (1/0; true/false also read) is the direction of the model's performance
// metric, performance_metric its name. Both are per model: a row that leaves them empty
// takes its model's; rows of one model that disagree are an input_error. Without the
// column (older files) every model is higher-is-better.
// Numbers are written with format_exact, so a value read back is bit-for-bit the same.
// status (pending|running|succeeded|failed|diverged|timeout; empty: succeeded), scenario and
// <domain>_source (rapl|perf|nvml-energy|nvml-power|estimated; empty: not recorded) take
// those spellings only (core/run_model.hpp); anything else is an input_error naming the cell.
// Unknown columns are kept verbatim in RunRecord::extra and written back.
// Bad input throws input_error "FILE:LINE: column 'NAME': ..." (one line).
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "greentune/core/run_record.hpp"

namespace greentune::store {

std::vector<RunRecord> read_runs_csv(const std::string& path);
std::vector<RunRecord> read_runs_csv(std::istream& in, const std::string& name);

// Runs with the line each one starts on, for error messages further down the pipeline.
struct RunsTable {
  std::vector<RunRecord> runs;
  std::vector<long long> lines;
};
RunsTable read_runs_table(std::string_view text, const std::string& name);
RunsTable read_runs_table_file(const std::string& path);

// Columns: the fixed ones, hp.<name> for the union of hyperparameter names (sorted),
// the measurements, performance_metric, higher_is_better, status, node, then the union of
// extra keys (sorted).
void write_runs_csv(std::ostream& out, const std::vector<RunRecord>& runs);

// The extra columns of `runs` in the order write_runs_csv writes them (sorted): the keys of
// RunRecord::extra, and "<domain>_source" for each domain some run records a source for.
std::vector<std::string> extra_columns(const std::vector<RunRecord>& runs);
// A run's text in one of those columns (empty: no value).
std::string_view extra_cell(const RunRecord& run, const std::string& column);

// The fixed columns every runs file must have.
const std::vector<std::string>& required_run_columns();

}  // namespace greentune::store
