// RQ3: parallel against single (see groups.hpp).
#include <algorithm>
#include <iterator>
#include <map>
#include <stdexcept>

#include "greentune/core/number_format.hpp"
#include "greentune/stats/stats.hpp"
#include "groups.hpp"

namespace greentune::analysis::detail {
namespace {

// The same configuration alone and beside a co-runner: one row per metric measured in both.
void energy_side_by_side(const std::vector<RunValues>& values, const AnalysisOptions& options, const Group& prl,
                         const std::string& hp, double value, const std::vector<std::size_t>& single_runs,
                         const std::vector<std::size_t>& parallel_runs, ParallelEnergyRow* out, std::size_t& written,
                         std::size_t counted) {
  const std::string configuration = hp.empty() ? std::string("original") : hp + "=" + format_exact(value);
  for (auto metric : kMetrics) {
    if (metric == Metric::performance) continue;
    thread_local Sample a, b;  // (per thread: the pairs run on the analysis threads)
    sample(values, single_runs, metric, a);
    sample(values, parallel_runs, metric, b);
    if (a.values.empty() || b.values.empty()) continue;
    if (written == counted) throw std::logic_error("analysis: parallel energy rows miscounted");
    ParallelEnergyRow& row = out[written++];
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
  }
}

// How many rows energy_side_by_side writes for these runs: one per metric (performance
// aside) that both have.
std::size_t count_side_by_side(const std::vector<RunValues>& values, const std::vector<std::size_t>& single_runs,
                               const std::vector<std::size_t>& parallel_runs) {
  std::array<bool, kMetricCount> a{}, b{};
  for (std::size_t i : single_runs)
    for (std::size_t m = 0; m < kMetricCount; ++m) a[m] = a[m] || values[i].present[m];
  for (std::size_t i : parallel_runs)
    for (std::size_t m = 0; m < kMetricCount; ++m) b[m] = b[m] || values[i].present[m];
  std::size_t count = 0;
  for (auto metric : kMetrics)
    if (metric != Metric::performance) count += a[static_cast<std::size_t>(metric)] && b[static_cast<std::size_t>(metric)];
  return count;
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

ParallelVsSingle::ParallelVsSingle(const std::vector<Group>& groups, const RunTable& runs,
                                   const std::vector<RunValues>& values, const AnalysisOptions& options)
    : groups_(groups), runs_(runs), values_(values), options_(options) {
  // The single-scenario group of each model (the first, normally the only one).
  std::map<std::string, std::size_t> single;
  for (std::size_t i = 0; i < groups.size(); ++i)
    if (groups[i].scenario == Scenario::single && !single.count(groups[i].model)) single[groups[i].model] = i;
  // Each parallel group against its model's single group. (A group without original runs has
  // no correlation rows either.)
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (groups[i].scenario != Scenario::parallel) continue;
    auto it = single.find(groups[i].model);
    if (it == single.end()) continue;
    if (groups[it->second].original.empty() || groups[i].original.empty()) continue;
    pairs_.emplace_back(i, it->second);
  }
  energy_at_.assign(pairs_.size() + 1, 0);
  correlations_.resize(pairs_.size());
}

// fn(hyperparameter, value, single runs, parallel runs) for each configuration of pair k that
// both groups ran: the original (hyperparameter ""), then each operator's values in order.
template <class Fn>
void ParallelVsSingle::each_configuration(std::size_t k, Fn&& fn) {
  const Group& g = groups_[pairs_[k].first];
  const Group& s = groups_[pairs_[k].second];
  static const std::string none;
  fn(none, 0.0, s.original, g.original);
  for (const auto& op : g.by_operator) {
    auto sit = std::find_if(s.by_operator.begin(), s.by_operator.end(),
                            [&](const OperatorRuns& o) { return o.name == op.name; });
    if (sit == s.by_operator.end()) continue;
    const ValueRuns& sv = sit->values;
    const ValueRuns& pv = op.values;
    for (const auto& [value, pr] : pv) {
      const double v = value;
      auto vit = std::lower_bound(sv.begin(), sv.end(), v, [](const auto& e, double x) { return e.first < x; });
      if (vit != sv.end() && !(v < vit->first)) fn(op.name, value, vit->second, pr);
    }
  }
}

void ParallelVsSingle::count_energy(std::size_t k) {
  std::size_t n = 0;
  each_configuration(k, [&](const std::string&, double, const std::vector<std::size_t>& single_runs,
                            const std::vector<std::size_t>& parallel_runs) {
    n += count_side_by_side(values_, single_runs, parallel_runs);
  });
  energy_at_[k + 1] = n;
}

std::size_t ParallelVsSingle::place_energy() {
  for (std::size_t k = 0; k < pairs_.size(); ++k) energy_at_[k + 1] += energy_at_[k];
  return energy_at_[pairs_.size()];
}

void ParallelVsSingle::energy(std::size_t k, AnalysisResult& result) {
  const Group& g = groups_[pairs_[k].first];
  ParallelEnergyRow* out = result.parallel_energy.data() + energy_at_[k];
  const std::size_t counted = energy_at_[k + 1] - energy_at_[k];
  std::size_t written = 0;
  each_configuration(k, [&](const std::string& hp, double value, const std::vector<std::size_t>& single_runs,
                            const std::vector<std::size_t>& parallel_runs) {
    energy_side_by_side(values_, options_, g, hp, value, single_runs, parallel_runs, out, written, counted);
  });
  if (written != counted) throw std::logic_error("analysis: parallel energy rows miscounted");
}

void ParallelVsSingle::correlations(std::size_t k, const std::vector<CorrelationRow>& rows,
                                    const std::vector<std::pair<std::size_t, std::size_t>>& correlation_range) {
  correlations_side_by_side(rows, correlation_range[pairs_[k].second], correlation_range[pairs_[k].first],
                            correlations_[k]);
}

void ParallelVsSingle::finish(AnalysisResult& result) {
  std::size_t nc = 0;
  for (const auto& r : correlations_) nc += r.size();
  result.parallel_correlations.reserve(nc);
  for (auto& r : correlations_) std::move(r.begin(), r.end(), std::back_inserter(result.parallel_correlations));
  correlations_ = {};
}

}  // namespace greentune::analysis::detail
