#pragma once
// Runs in columns, as the analysis reads them: repeated text (models, co-runners, operators,
// metric names, nodes) is stored once and referred to by id, hyperparameters are one row of
// doubles per run, and a run's measurements are one small record. A million runs take about
// 100 MB instead of the gigabytes of RunRecords, and are read from a runs CSV without one
// allocation per row (load_run_table). analyze() on RunRecords converts them to this table.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "greentune/core/run_record.hpp"

namespace greentune::analysis {

// A run's measured values: energy per domain (EnergyDomain order), duration, performance.
struct RunMeasures {
  static constexpr std::size_t kDuration = 3, kPerformance = 4;
  std::array<double, 5> value{};
  std::uint8_t present = 0;    // bit i: value[i] was measured
  std::uint8_t estimated = 0;  // bit d: energy domain d's source is an estimate
  bool has(std::size_t i) const { return (present >> i) & 1u; }
  bool is_estimated(std::size_t d) const { return (estimated >> d) & 1u; }
};

struct RunTable {
  static constexpr std::uint32_t kEmpty = 0, kOriginal = 1;  // text ids of "" and "original"

  // Text by id, each text once (text[0] = "", text[1] = "original").
  std::vector<std::string> text{"", "original"};
  const std::string& str(std::uint32_t id) const { return text[id]; }

  // Hyperparameter columns; run i's value of column c is hp[i * hp_names.size() + c] when
  // hp_present[same index] (a run without a value for a column: not a hyperparameter of it).
  std::vector<std::string> hp_names;
  std::vector<double> hp;
  std::vector<std::uint8_t> hp_present;
  // The column of a hyperparameter name, or hp_names.size() when there is none.
  std::size_t hp_column(const std::string& name) const;

  // One entry per run.
  std::vector<std::uint32_t> model, corunner, op, performance_metric, node;  // text ids
  std::vector<Scenario> scenario;
  std::vector<RunStatus> status;
  std::vector<std::uint8_t> higher_is_better;
  std::vector<RunMeasures> measures;
  // Where the table came from RunRecords: each run's "run_id" extra value, if it has one
  // (empty when no run has one); error messages name runs by it.
  std::vector<std::optional<std::string>> run_id;

  std::size_t size() const { return model.size(); }
  // The runs `keep` (indices) in that order.
  RunTable subset(const std::vector<std::size_t>& keep) const;
};

RunTable to_run_table(const std::vector<RunRecord>& runs);

// A runs file read for the analysis, with where each run came from (as LoadedRuns).
struct LoadedTable {
  RunTable table;
  std::string path;
  std::string kind;  // "database" or "csv"
  std::function<std::string(std::size_t)> origins;
};

// As load_runs() (same files, same errors), into a table. A runs CSV without quotes or
// carriage returns is parsed here in parallel parts straight into the columns; any other
// CSV, and any CSV this reader finds a problem in, is read by store::read_runs_table, whose
// result (or error message) is then the answer: the two readers accept the same files with
// the same values.
LoadedTable load_run_table(const std::string& path, bool force_csv = false);
// As select_nodes() on LoadedRuns.
void select_nodes(LoadedTable& loaded, const std::vector<std::string>& nodes, std::ostream* warn);

}  // namespace greentune::analysis
