#pragma once
// The study's analyses on a set of runs (RunRecord, the interchange format):
//   RQ1/RQ3  correlations between each hyperparameter and each metric, per group
//            (model, scenario, corunner), with a strength-bin summary;
//   RQ2      win-tie-loss of every mutant value against the original, trade-off grids
//            (energy outcome x performance outcome, summed over models), and the list of
//            greener mutants without performance loss (mean saving + bootstrap interval);
//   parallel vs single: correlations side by side and energy of the same configuration
//            alone and beside a co-runner.
// Only runs with status "succeeded" are used. Metric values that are missing are left out
// (never taken as 0); energy values whose source is an estimate are left out unless
// AnalysisOptions::include_estimated (and rows that used one are flagged `estimated`).
// Energy and time are lower-is-better; performance follows each model's direction
// (RunRecord::higher_is_better): a win is a significantly better value in that direction.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "greentune/core/run_record.hpp"
#include "greentune/stats/stats.hpp"

namespace greentune::analysis {

// Metrics in output order. total_j = sum of the energy components measured in the group.
enum class Metric { cpu_package_j = 0, dram_j, gpu_j, total_j, duration_s, performance };
constexpr std::size_t kMetricCount = 6;
const char* to_string(Metric metric);
bool is_energy(Metric metric);           // cpu_package_j, dram_j, gpu_j, total_j
// Direction of a metric: energy and time are lower-is-better; performance is what the
// model's metric says (performance_higher_is_better).
bool higher_is_better(Metric metric, bool performance_higher_is_better);

// The performance metric of one model: its name (empty when the input does not name it)
// and direction.
struct PerformanceMetric {
  std::string model;
  std::string metric;
  bool higher_is_better = true;
};
// "val_loss (lower is better)"; "performance (higher is better)" when unnamed.
std::string describe(const PerformanceMetric& metric);
// One line for many models, grouped by metric and direction, a few names each:
// "val_loss (lower is better) for ext; test_accuracy (higher is better) for a, b, c and 5 more".
std::string describe(const std::vector<PerformanceMetric>& metrics);

enum class Outcome { win = 0, tie, loss };
constexpr std::array<Outcome, 3> kOutcomes = {Outcome::win, Outcome::tie, Outcome::loss};  // in output order
const char* to_string(Outcome outcome);

struct AnalysisOptions {
  stats::TestKind test = stats::TestKind::mann_whitney;
  double alpha = 0.05;        // tie when p > alpha
  double negligible = 0.147;  // ... or |Cliff's delta| < negligible
  stats::StrengthThresholds strength;  // bins of the correlation summary (Spearman's rho)
  int bootstrap_resamples = 1000;
  double bootstrap_confidence = 0.95;
  std::uint64_t bootstrap_seed = 1;
  bool include_estimated = false;  // use energy values whose source is an estimate
  int threads = 0;                 // groups analysed in parallel; 0: one per core (results identical)
  std::vector<std::string> nodes;  // analyse only runs measured on these hosts (empty: all; see select_nodes)
};

struct CorrelationRow {
  std::string model;
  Scenario scenario = Scenario::single;
  std::string corunner, hyperparameter;
  Metric metric = Metric::total_j;
  std::size_t n = 0;
  double spearman_rho = 0, spearman_p = 1;
  double pearson_r = 0, pearson_p = 1;
  bool defined = true;    // false: a constant input (rho = r = 0, p = 1)
  stats::StrengthBin strength = stats::StrengthBin::negligible;  // of spearman_rho
  bool estimated = false;  // some values came from an estimate (include_estimated only)
};

struct ComparisonRow {
  std::string model;
  Scenario scenario = Scenario::single;
  std::string corunner, hyperparameter;
  double value = 0;           // the mutant's value of `hyperparameter`
  double original_value = 0;  // the original's value
  Metric metric = Metric::total_j;
  // Static text (string literals: no copy per row, half the size of a std::string).
  std::string_view test;      // mann-whitney | t-test | welch
  std::string_view method;    // exact | asymptotic | student | welch | degenerate
  double p = 1;
  double cliffs_delta = 0;    // mutant against original
  Outcome outcome = Outcome::tie;
  std::size_t n_mutant = 0, n_original = 0;
  double mean_mutant = 0, mean_original = 0;
  bool estimated = false;
  bool higher_is_better = false;  // direction of `metric` for this model (win = better)
};

// counts[energy outcome][performance outcome], both indexed win, tie, loss.
struct TradeoffGrid {
  Scenario scenario = Scenario::single;
  std::string hyperparameter;
  Metric metric = Metric::total_j;  // an energy metric
  std::array<std::array<std::size_t, 3>, 3> counts{};
  bool estimated = false;  // some counted comparison used estimated energy (include_estimated only)
  std::size_t total() const;
};

// A mutant that wins on an energy metric and does not lose on performance.
struct GreenerRow {
  std::string model;
  Scenario scenario = Scenario::single;
  std::string corunner, hyperparameter;
  double value = 0, original_value = 0;
  Metric metric = Metric::total_j;
  double saving_percent = 0, saving_low = 0, saving_high = 0;  // bootstrap interval
  double p = 1, cliffs_delta = 0;
  Outcome performance_outcome = Outcome::tie;
  double performance_change = 0;  // mean(mutant) - mean(original), raw (see the direction)
  bool estimated = false;
  bool performance_higher_is_better = true;
};

// Correlation counts per strength bin, for one scenario, hyperparameter and metric
// (summed over models and co-runners).
struct StrengthSummaryRow {
  Scenario scenario = Scenario::single;
  std::string hyperparameter;
  Metric metric = Metric::total_j;
  std::array<std::size_t, stats::kStrengthBins> counts{};  // indexed by StrengthBin
  std::size_t undefined = 0;  // correlations of a constant input (not binned)
};

struct ParallelCorrelationRow {
  std::string model, corunner, hyperparameter;
  Metric metric = Metric::total_j;
  double single_rho = 0, single_p = 1, parallel_rho = 0, parallel_p = 1;
  stats::StrengthBin single_strength = stats::StrengthBin::negligible;
  stats::StrengthBin parallel_strength = stats::StrengthBin::negligible;
  bool bin_changed = false, sign_changed = false;
  bool estimated = false;  // either correlation used estimated energy (include_estimated only)
};

// The same configuration (the original, or one mutant value) alone and beside a co-runner.
struct ParallelEnergyRow {
  std::string model, corunner;
  std::string hyperparameter;  // empty for the original configuration
  double value = 0;            // the mutant's value (0 for the original)
  std::string configuration;   // "original" or "<hyperparameter>=<value>"
  Metric metric = Metric::total_j;  // energy metrics and duration_s
  std::size_t n_single = 0, n_parallel = 0;
  double mean_single = 0, mean_parallel = 0;
  double change_percent = 0;  // 100 * (parallel - single) / single
  double p = 1;               // the chosen test, parallel against single
  bool estimated = false;     // some values are estimates (include_estimated only)
};

// One run's metric values as the analysis uses them, after the estimate policy: an energy
// value from an estimate is absent unless include_estimated (then it is marked estimated).
// total_j is the one definition of a run's total energy: the sum of the energy domains its
// group (model, scenario, co-runner) measured, absent when the run lacks one of them.
struct RunValues {
  std::array<double, kMetricCount> value{};
  std::array<bool, kMetricCount> present{};
  std::array<bool, kMetricCount> estimated{};
  std::optional<double> get(Metric m) const {
    const auto i = static_cast<std::size_t>(m);
    return present[i] ? std::optional<double>(value[i]) : std::nullopt;
  }
  bool is_estimated(Metric m) const { return estimated[static_cast<std::size_t>(m)]; }
};

struct AnalysisResult {
  AnalysisOptions options;
  std::size_t runs_total = 0, runs_used = 0;
  std::size_t runs_not_succeeded = 0;     // failed, diverged, timeout, unfinished: left out
  std::size_t runs_pruned = 0;            // pruned by tune (not in runs_not_succeeded): left out
  std::size_t estimated_values = 0;       // energy values from an estimate (used or left out)
  std::vector<std::string> notes;         // one line each: what was left out and why
  std::vector<PerformanceMetric> performance_metrics;  // one per model, by model name
  // The model's performance metric (a default, higher-is-better one for an unknown model).
  PerformanceMetric performance_metric(const std::string& model) const;

  std::vector<CorrelationRow> correlations;
  std::vector<StrengthSummaryRow> strength_summary;
  std::vector<ComparisonRow> comparisons;
  std::vector<TradeoffGrid> tradeoffs;
  std::vector<GreenerRow> greener;
  std::vector<ParallelCorrelationRow> parallel_correlations;
  std::vector<ParallelEnergyRow> parallel_energy;
  // The values of each input run (same index as the runs given to analyze()); all absent for
  // a run that did not succeed. What the report draws per run.
  std::vector<RunValues> run_values;
};

// `origins[i]` says where runs[i] came from (e.g. "runs.csv:12"), used in error messages;
// empty: "run #i". Throws input_error for a group without an original, a run without a
// value for the hyperparameter its operator mutates, or runs of one model that disagree on
// the direction of its performance metric.
AnalysisResult analyze(const std::vector<RunRecord>& runs, const AnalysisOptions& options);
AnalysisResult analyze(const std::vector<RunRecord>& runs, const AnalysisOptions& options,
                       const std::vector<std::string>& origins);
using OriginFn = std::function<std::string(std::size_t)>;
AnalysisResult analyze(const std::vector<RunRecord>& runs, const AnalysisOptions& options, const OriginFn& origins);
// The same on runs in columns (run_table.hpp; what `greentune analyze` uses): the same result.
struct RunTable;
AnalysisResult analyze(const RunTable& runs, const AnalysisOptions& options, const OriginFn& origins);

// Stable field names (issue 5): correlations, comparisons, tradeoffs, greener,
// strength_summary, parallel_vs_single {correlations, energy}, options, input, notes,
// performance_metrics [{model, metric, higher_is_better}]; comparisons carry
// higher_is_better (the row metric's direction), greener performance_higher_is_better.
nlohmann::json to_json(const AnalysisResult& result);
// The same document as to_json(result), streamed row by row (one row per line): what
// `greentune analyze --json` prints; fast and small in memory for millions of runs.
void write_json(std::ostream& out, const AnalysisResult& result);
// JSON name of a strength bin: strong_negative, weak_negative, negligible, weak_positive,
// strong_positive.
const char* strength_key(stats::StrengthBin bin);
// Human-readable tables (what `greentune analyze` prints without --json).
std::string format_text(const AnalysisResult& result);
// The same text written to `out` as it is formatted (in parallel for large tables).
void write_text(std::ostream& out, const AnalysisResult& result);

}  // namespace greentune::analysis
