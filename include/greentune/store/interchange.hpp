#pragma once
// The runs interchange format: CSV (RFC 4180 quoting), one row per run, header required.
//   model, scenario (single|parallel), corunner, operator, repetition, hp.<name>...,
//   cpu_package_j, dram_j, gpu_j, duration_s, performance, [status], [node], extra...
// Empty cell = not measured (or, for hp.<name>, not a hyperparameter of that model).
// Numbers are written with format_exact, so a value read back is bit-for-bit the same.
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
// the measurements, status, node, then the union of extra keys (sorted).
void write_runs_csv(std::ostream& out, const std::vector<RunRecord>& runs);

// The fixed columns every runs file must have.
const std::vector<std::string>& required_run_columns();

}  // namespace greentune::store
