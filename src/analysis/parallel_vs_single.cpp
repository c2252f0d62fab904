// RQ3: parallel against single (see groups.hpp).
#include <algorithm>
#include <iterator>
#include <map>

#include "greentune/core/number_format.hpp"
#include "greentune/stats/stats.hpp"
#include "groups.hpp"

namespace greentune::analysis::detail {
namespace {

// The same configuration alone and beside a co-runner: one row per metric measured in both.
void energy_side_by_side(const std::vector<RunValues>& values, const AnalysisOptions& options, const Group& prl,
                         const std::string& hp, double value, const std::vector<std::size_t>& single_runs,
                         const std::vector<std::size_t>& parallel_runs, std::vector<ParallelEnergyRow>& out) {
  const std::string configuration = hp.empty() ? std::string("original") : hp + "=" + format_exact(value);
  for (auto metric : kMetrics) {
    if (metric == Metric::performance) continue;
    thread_local Sample a, b;
    sample(values, single_runs, metric, a);
    sample(values, parallel_runs, metric, b);
    if (a.values.empty() || b.values.empty()) continue;
    ParallelEnergyRow row;
    row.model = prl.model;
    row.corunner = prl.corunner;
    row.hyperparameter = hp;
    row.value = hp.empty() ? 0 : value;
    row.configuration = configuration;
    row.metric = metric;
    row.n_single = a.values.size();
    row.n_parallel = b.values.size();
    row.mean_single = stats::mean(a.values);
    row.mean_parallel = stats::mean(b.values);
    row.change_percent = row.mean_single == 0 ? 0 : 100 * (row.mean_parallel - row.mean_single) / row.mean_single;
    row.p = stats::two_sample_test(options.test, b.values, a.values).p;
    row.estimated = a.estimated || b.estimated;
    out.push_back(std::move(row));
  }
}

// Correlations side by side: the parallel group's rows (result rows [pb, pe)) each against the
// single group's row (in [sb, se)) of the same hyperparameter and metric.
void correlations_side_by_side(const std::vector<CorrelationRow>& rows, std::pair<std::size_t, std::size_t> single,
                               std::pair<std::size_t, std::size_t> parallel, std::vector<ParallelCorrelationRow>& out) {
  const auto [sb, se] = single;
  const auto [pb, pe] = parallel;
  for (std::size_t k = pb; k < pe; ++k) {
    const CorrelationRow& c = rows[k];
    const CorrelationRow* match = nullptr;
    for (std::size_t j = sb; j < se && !match; ++j) {
      const CorrelationRow& s = rows[j];
      if (s.metric == c.metric && s.hyperparameter == c.hyperparameter) match = &s;
    }
    if (!match) continue;
    const CorrelationRow& s = *match;
    ParallelCorrelationRow row;
    row.model = c.model;
    row.corunner = c.corunner;
    row.hyperparameter = c.hyperparameter;
    row.metric = c.metric;
    row.single_rho = s.spearman_rho;
    row.single_p = s.spearman_p;
    row.parallel_rho = c.spearman_rho;
    row.parallel_p = c.spearman_p;
    row.single_strength = s.strength;
    row.parallel_strength = c.strength;
    row.bin_changed = s.strength != c.strength;
    row.sign_changed = (s.spearman_rho > 0 && c.spearman_rho < 0) || (s.spearman_rho < 0 && c.spearman_rho > 0);
    row.estimated = s.estimated || c.estimated;
    out.push_back(std::move(row));
  }
}

}  // namespace

void parallel_vs_single(const std::vector<Group>& groups,
                        const std::vector<std::pair<std::size_t, std::size_t>>& correlation_range,
                        const RunTable& runs, const std::vector<RunValues>& values,
                        const AnalysisOptions& options, AnalysisResult& result) {
  // The single-scenario group of each model (the first, normally the only one).
  std::map<std::string, std::size_t> single;
  for (std::size_t i = 0; i < groups.size(); ++i)
    if (groups[i].scenario == Scenario::single && !single.count(groups[i].model)) single[groups[i].model] = i;

  // Each parallel group against its model's single group, in parallel: correlations side by
  // side, and the same configuration alone and beside a co-runner. (A group without original
  // runs has no correlation rows either.)
  std::vector<std::pair<std::size_t, std::size_t>> pairs;  // (parallel group, single group)
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (groups[i].scenario != Scenario::parallel) continue;
    auto it = single.find(groups[i].model);
    if (it == single.end()) continue;
    if (groups[it->second].original.empty() || groups[i].original.empty()) continue;
    pairs.emplace_back(i, it->second);
  }
  std::vector<std::vector<ParallelEnergyRow>> rows(pairs.size());
  std::vector<std::vector<ParallelCorrelationRow>> correlation_rows(pairs.size());
  std::vector<std::exception_ptr> errors;
  parallel_for(pairs.size(), analysis_threads(options, runs.size(), pairs.size()), errors, [&](std::size_t k) {
    const Group& g = groups[pairs[k].first];
    const Group& s = groups[pairs[k].second];
    correlations_side_by_side(result.correlations, correlation_range[pairs[k].second], correlation_range[pairs[k].first],
                              correlation_rows[k]);
    energy_side_by_side(values, options, g, "", 0, s.original, g.original, rows[k]);
    ValueRuns sv, pv;
    for (const auto& op : g.by_operator) {
      auto sit = std::find_if(s.by_operator.begin(), s.by_operator.end(),
                              [&](const OperatorRuns& o) { return o.name == op.name; });
      if (sit == s.by_operator.end()) continue;
      by_value(runs, sit->column, sit->runs, sv);
      by_value(runs, op.column, op.runs, pv);
      for (const auto& [value, pr] : pv) {
        const double v = value;
        auto vit = std::lower_bound(sv.begin(), sv.end(), v, [](const auto& e, double x) { return e.first < x; });
        if (vit != sv.end() && !(v < vit->first))
          energy_side_by_side(values, options, g, op.name, value, vit->second, pr, rows[k]);
      }
    }
  });
  std::size_t n = 0, nc = 0;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    if (errors[k]) std::rethrow_exception(errors[k]);
    n += rows[k].size();
    nc += correlation_rows[k].size();
  }
  result.parallel_energy.reserve(n);
  for (auto& r : rows) std::move(r.begin(), r.end(), std::back_inserter(result.parallel_energy));
  result.parallel_correlations.reserve(nc);
  for (auto& r : correlation_rows) std::move(r.begin(), r.end(), std::back_inserter(result.parallel_correlations));
}

}  // namespace greentune::analysis::detail
