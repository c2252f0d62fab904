#pragma once
// Internals of the analysis shared by its files: runs grouped by (model, scenario, co-runner),
// samples of one metric, and the thread pool over groups.
#include <algorithm>
#include <cstdint>
#include <array>
#include <atomic>
#include <exception>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "greentune/analysis/analysis.hpp"
#include "greentune/analysis/run_table.hpp"

namespace greentune::analysis::detail {

constexpr std::array<Metric, kMetricCount> kMetrics = {Metric::cpu_package_j, Metric::dram_j,   Metric::gpu_j,
                                                       Metric::total_j,       Metric::duration_s, Metric::performance};
constexpr std::array<Metric, 3> kComponents = {Metric::cpu_package_j, Metric::dram_j, Metric::gpu_j};

// Values of one hyperparameter column, ascending, with the runs that have each (as a
// std::map<double, runs> would order them).
using ValueRuns = std::vector<std::pair<double, std::vector<std::size_t>>>;

// The runs of one operator in a group (succeeded, input order).
struct OperatorRuns {
  std::string name;                // the hyperparameter the operator mutates
  std::size_t column = 0;          // its column in RunTable::hp (hp_names.size(): none)
  std::vector<std::size_t> runs;
  ValueRuns values;                // the runs by value (by_value), once the analysis has sorted them
};

struct Group {
  std::string model, corunner;
  Scenario scenario = Scenario::single;  // its text (to_string) only in rows and messages
  std::uint32_t model_id = 0, corunner_id = 0;
  std::vector<std::size_t> all;        // every run of the group (any status), input order
  std::vector<std::size_t> original;   // succeeded original runs
  std::vector<OperatorRuns> by_operator;  // succeeded mutant runs, by operator name
  bool has_original_row = false;
  bool higher_is_better = true;        // the model's performance direction
  std::uint32_t performance_metric = 0;  // its name's text id (first non-empty one)
};

inline void by_value(const RunTable& t, std::size_t column, const std::vector<std::size_t>& runs, ValueRuns& out) {
  out.clear();
  const std::size_t w = t.hp_names.size();
  std::vector<std::pair<double, std::size_t>> pairs;
  pairs.reserve(runs.size());
  for (std::size_t i : runs) pairs.emplace_back(t.hp[i * w + column], i);
  // Stable: equal values keep input order, and the first one's value names them (as a map's key).
  std::stable_sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [v, i] : pairs) {
    if (out.empty() || out.back().first < v) out.emplace_back(v, std::vector<std::size_t>());
    out.back().second.push_back(i);
  }
}

// What one group contributes; groups are analysed in parallel and merged in group order.
// Its comparison rows, counted beforehand (count_comparisons), are written in place in the
// result: `comparisons` points at the group's first one.
struct GroupOutput {
  CorrelationRow* correlations = nullptr;  // counted beforehand too (count_correlations)
  std::size_t n_correlations = 0, correlations_counted = 0;
  ComparisonRow* comparisons = nullptr;
  std::size_t n_comparisons = 0, comparisons_counted = 0;
  std::vector<GreenerRow> greener;
  std::vector<std::string> notes;
  // This group's share of the strength summary and trade-off grids: one entry per
  // (hyperparameter column, metric) it has, summed over groups by those small integers.
  struct BinPart {
    std::size_t column = 0;
    Metric metric = Metric::total_j;
    std::array<std::size_t, stats::kStrengthBins> counts{};
    std::size_t undefined = 0;
  };
  struct GridPart {
    std::size_t column = 0;
    Metric metric = Metric::total_j;
    std::array<std::array<std::size_t, 3>, 3> counts{};
    bool estimated = false;
  };
  std::vector<BinPart> bins;
  std::vector<GridPart> grids;
};

// One metric's values over some runs (absent values skipped), and whether one was estimated.
struct Sample {
  std::vector<double> values;
  bool estimated = false;
};
inline void sample(const std::vector<RunValues>& values, const std::vector<std::size_t>& runs, Metric metric, Sample& s) {
  s.values.clear();
  s.estimated = false;
  const auto m = static_cast<std::size_t>(metric);
  for (std::size_t i : runs) {
    const auto& v = values[i];
    if (!v.present[m]) continue;
    s.values.push_back(v.value[m]);
    s.estimated = s.estimated || v.estimated[m];
  }
}

// How many comparison rows Analyzer::compare writes for group g: one per operator, mutant
// value and metric that both the original's runs and that value's runs have (op.values filled). (A group whose
// hyperparameter columns are missing throws in the analysis; its count does not matter.)
inline std::size_t count_comparisons(const Group& g, const RunTable& t, const std::vector<RunValues>& values) {
  if (g.original.empty()) return 0;
  std::array<bool, kMetricCount> original_has{};
  for (std::size_t i : g.original)
    for (std::size_t m = 0; m < kMetricCount; ++m) original_has[m] = original_has[m] || values[i].present[m];
  std::size_t count = 0;
  for (const auto& op : g.by_operator) {
    if (op.column >= t.hp_names.size()) continue;
    for (const auto& [value, runs] : op.values) {
      std::array<bool, kMetricCount> has{};
      for (std::size_t i : runs)
        for (std::size_t m = 0; m < kMetricCount; ++m) has[m] = has[m] || values[i].present[m];
      for (std::size_t m = 0; m < kMetricCount; ++m) count += original_has[m] && has[m];
    }
  }
  return count;
}

// How many correlation rows Analyzer::correlate writes for group g: one per operator and
// metric with at least two values among the original's and the operator's runs.
inline std::size_t count_correlations(const Group& g, const RunTable& t, const std::vector<RunValues>& values) {
  if (g.original.empty()) return 0;
  std::array<std::size_t, kMetricCount> original_n{};
  for (std::size_t i : g.original)
    for (std::size_t m = 0; m < kMetricCount; ++m) original_n[m] += values[i].present[m];
  std::size_t count = 0;
  for (const auto& op : g.by_operator) {
    if (op.column >= t.hp_names.size()) continue;
    auto n = original_n;
    for (std::size_t i : op.runs)
      for (std::size_t m = 0; m < kMetricCount; ++m) n[m] += values[i].present[m];
    for (std::size_t m = 0; m < kMetricCount; ++m) count += n[m] >= 2;
  }
  return count;
}

// Threads for `runs` runs: as asked, else one per core (none for small inputs), at most `items`.
inline std::size_t analysis_threads(const AnalysisOptions& options, std::size_t runs, std::size_t items) {
  std::size_t threads = options.threads > 0 ? static_cast<std::size_t>(options.threads)
                                            : std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()),
                                                                    std::max<std::size_t>(1, runs / 5000));
  return std::min<std::size_t>({threads, 64, std::max<std::size_t>(1, items)});
}

// fn(i) for i in [0, n) on `threads` threads; an exception lands in errors[i] (rethrow the
// first in index order for a deterministic error).
template <class Fn>
void parallel_for(std::size_t n, std::size_t threads, std::vector<std::exception_ptr>& errors, Fn&& fn) {
  errors.assign(n, nullptr);
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < n; i = next++) {
      try {
        fn(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  if (threads <= 1) {
    worker();
    return;
  }
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
}

// RQ3: each parallel group against its model's (first) single group: correlations side by
// side and the energy of the same configuration alone and beside the co-runner. In steps, so
// that the analysis can run each beside its other work: the constructor pairs the groups;
// count_energy(k) counts pair k's energy rows, place_energy() gives each pair its place in
// result.parallel_energy (sized to its return value by the caller), energy(k) writes them
// there; correlations(k) computes the correlations side by side (once result.correlations
// holds every group's rows, group i's in correlation_range[i]), and finish() moves those
// into the result.
class ParallelVsSingle {
 public:
  ParallelVsSingle(const std::vector<Group>& groups, const RunTable& runs, const std::vector<RunValues>& values,
                   const AnalysisOptions& options);
  std::size_t pairs() const { return pairs_.size(); }
  void count_energy(std::size_t k);
  std::size_t place_energy();
  void energy(std::size_t k, AnalysisResult& result);
  void correlations(std::size_t k, const std::vector<CorrelationRow>& rows,
                    const std::vector<std::pair<std::size_t, std::size_t>>& correlation_range);
  void finish(AnalysisResult& result);

 private:
  template <class Fn>
  void each_configuration(std::size_t k, Fn&& fn);
  const std::vector<Group>& groups_;
  const RunTable& runs_;
  const std::vector<RunValues>& values_;
  const AnalysisOptions& options_;
  std::vector<std::pair<std::size_t, std::size_t>> pairs_;  // (parallel group, single group)
  std::vector<std::size_t> energy_at_;  // counts, then (place_energy) pair k's first row
  std::vector<std::vector<ParallelCorrelationRow>> correlations_;
};

}  // namespace greentune::analysis::detail
