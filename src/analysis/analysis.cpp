// RQ1-RQ3 on a set of runs. See analysis.hpp for what is computed; analysis_output.cpp
// renders the result as JSON and text tables.
#include "greentune/analysis/analysis.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <future>
#include <iterator>
#include <thread>
#include <utility>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/analysis/run_table.hpp"
#include "groups.hpp"

namespace greentune::analysis {

namespace {

using namespace detail;

std::uint64_t fnv1a(std::string_view text, std::uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// fn() on a thread of its own beside the caller's work when `on_thread` (the sizing of a large
// result array: one serial pass of page faults and constructors, while the analysis threads
// compute), else when waited for. get() waits and rethrows fn's exception.
template <class Fn>
std::future<void> beside(bool on_thread, Fn&& fn) {
  return std::async(on_thread ? std::launch::async : std::launch::deferred, std::forward<Fn>(fn));
}

class Analyzer {
 public:
  Analyzer(const RunTable& runs, const AnalysisOptions& options, const OriginFn& origins)
      : runs_(runs), options_(options), origins_(origins), hp_width_(runs.hp_names.size()) {}

  AnalysisResult run() {
    validate_options();
    result_.options = options_;
    result_.runs_total = runs_.size();
    {
      // The run values (tens of MB) are sized beside the grouping.
      const bool on_thread = analysis_threads(options_, runs_.size(), runs_.size()) > 1;
      auto sizing = beside(on_thread, [&] { values_.resize(runs_.size()); });
      build_groups();
      sizing.get();
    }
    compute_values();
    analyze_groups();
    result_.run_values = std::move(values_);
    return std::move(result_);
  }

 private:
  std::string origin(std::size_t i) const {
    if (origins_) {
      std::string where = origins_(i);
      if (!where.empty()) return where;
    }
    if (i < runs_.run_id.size() && runs_.run_id[i]) return "run " + *runs_.run_id[i];
    return "run #" + std::to_string(i + 1);
  }

  std::string group_name(const Group& g) const {
    std::string s = "model '" + g.model + "' (" + to_string(g.scenario);
    if (!g.corunner.empty()) s += ", co-runner '" + g.corunner + "'";
    return s + ")";
  }

  void validate_options() const {
    if (!(options_.alpha > 0 && options_.alpha < 1)) throw usage_error("--alpha must be in (0, 1)");
    if (!(options_.negligible >= 0 && options_.negligible <= 1)) throw usage_error("--negligible must be in [0, 1]");
    const auto& s = options_.strength;
    if (!(s.weak > 0 && s.weak <= s.strong && s.strong <= 1))
      throw usage_error("strength thresholds must satisfy 0 < weak <= strong <= 1");
    if (options_.bootstrap_resamples < 0) throw usage_error("bootstrap resamples must be >= 0");
    if (!(options_.bootstrap_confidence > 0 && options_.bootstrap_confidence < 1))
      throw usage_error("bootstrap confidence must be in (0, 1)");
  }

  void build_groups() {
    std::unordered_map<std::uint64_t, std::size_t> index;
    // Runs of one group usually come together: the previous run's group is tried first.
    std::uint64_t previous = ~std::uint64_t{0};
    std::size_t group = 0;
    OperatorRuns* operator_runs = nullptr;  // the list of the previous run's operator in this group
    std::uint32_t operator_id = 0;
    constexpr std::size_t kRoom = 256;
    std::size_t last_operator_runs = 0;  // room reserved for a new operator's runs
    const auto& t = runs_;
    for (std::size_t i = 0; i < t.size(); ++i) {
      const std::uint64_t key = (std::uint64_t{t.model[i]} << 32) | (std::uint64_t{t.corunner[i]} << 1) |
                                static_cast<std::uint64_t>(t.scenario[i] == Scenario::parallel);
      if (key != previous) {
        auto [it, inserted] = index.emplace(key, groups_.size());
        if (inserted) {
          Group g;
          // Groups are usually alike: room for as many runs as the last new group had so far
          // (at most kRoom: a large group before small ones costs little).
          if (!groups_.empty()) g.all.reserve(std::min(groups_.back().all.size(), kRoom));
          g.model = t.str(t.model[i]);
          g.scenario = t.scenario[i];
          g.corunner = t.str(t.corunner[i]);
          g.model_id = t.model[i];
          g.corunner_id = t.corunner[i];
          g.higher_is_better = t.higher_is_better[i];
          groups_.push_back(std::move(g));
        }
        group = it->second;
        operator_runs = nullptr;
        previous = key;
      }
      Group& g = groups_[group];
      if (static_cast<bool>(t.higher_is_better[i]) != g.higher_is_better) direction_conflict(i, g.all.front());
      if (g.performance_metric == RunTable::kEmpty) g.performance_metric = t.performance_metric[i];
      g.all.push_back(i);
      const std::uint32_t op = t.op[i];
      if (op == RunTable::kOriginal) g.has_original_row = true;
      if (t.status[i] != RunStatus::succeeded) {
        // Pruned (stopped early by tune) is neither a success nor a failure: counted apart.
        ++(t.status[i] == RunStatus::pruned ? result_.runs_pruned : result_.runs_not_succeeded);
        continue;
      }
      ++result_.runs_used;
      if (op == RunTable::kOriginal) {
        g.original.push_back(i);
      } else {
        if (!operator_runs || operator_id != op) {
          const std::string& name = t.str(op);
          auto it = std::find_if(g.by_operator.begin(), g.by_operator.end(),
                                 [&](const OperatorRuns& o) { return o.name == name; });
          if (it == g.by_operator.end()) {
            g.by_operator.push_back(OperatorRuns{name, t.hp_column(name), {}, {}});
            it = g.by_operator.end() - 1;
            it->runs.reserve(last_operator_runs);
          }
          operator_id = op;
          operator_runs = &*it;
        }
        operator_runs->runs.push_back(i);
        last_operator_runs = std::min(std::max(last_operator_runs, operator_runs->runs.size()), kRoom);
      }
    }
    for (auto& g : groups_)
      std::sort(g.by_operator.begin(), g.by_operator.end(),
                [](const OperatorRuns& a, const OperatorRuns& b) { return a.name < b.name; });
    // One direction per model, across its scenarios and co-runners.
    std::map<std::string, const Group*> first_of_model;
    for (const auto& g : groups_) {
      auto [it, inserted] = first_of_model.emplace(g.model, &g);
      if (!inserted && it->second->higher_is_better != g.higher_is_better)
        direction_conflict(g.all.front(), it->second->all.front());
    }
    // The metric's name: the first group's (in input order) of the model that names one.
    std::unordered_map<std::uint32_t, std::uint32_t> metric_of_model;
    for (const auto& g : groups_)
      if (g.performance_metric != RunTable::kEmpty) metric_of_model.emplace(g.model_id, g.performance_metric);
    for (const auto& [model, g] : first_of_model) {
      PerformanceMetric m;
      m.model = model;
      m.higher_is_better = g->higher_is_better;
      auto it = metric_of_model.find(g->model_id);
      if (it != metric_of_model.end()) m.metric = runs_.str(it->second);
      result_.performance_metrics.push_back(std::move(m));
    }
    for (const auto& g : groups_) {
      if (!g.has_original_row)
        throw input_error(origin(g.all.front()) + ": " + group_name(g) +
                          " has no 'original' runs to compare its mutants with");
    }
    // Ordered by the scenario's text (parallel before single), as the output always was.
    std::sort(groups_.begin(), groups_.end(), [](const Group& a, const Group& b) {
      const std::string_view sa = to_string(a.scenario), sb = to_string(b.scenario);
      return std::tie(a.model, sa, a.corunner) < std::tie(b.model, sb, b.corunner);
    });
    if (result_.runs_not_succeeded > 0)
      result_.notes.push_back(fmt::format("{} of {} runs did not succeed (failed, diverged, timeout, ...) and are left out",
                                          result_.runs_not_succeeded, result_.runs_total));
    if (result_.runs_pruned > 0)
      result_.notes.push_back(fmt::format("{} of {} runs were pruned (stopped early by tune: neither a success nor a "
                                          "failure; they did not train to the end) and are left out",
                                          result_.runs_pruned, result_.runs_total));
  }

  // Metric values per run, with total_j = sum of the components measured in the run's group;
  // groups in parallel (each writes its own runs' values; values_ is sized already).
  void compute_values() {
    struct Counts {
      std::size_t estimated = 0, left_out = 0, used = 0, incomplete = 0;
    };
    std::vector<Counts> counts(groups_.size());
    std::vector<std::exception_ptr> errors;
    parallel_for(groups_.size(), analysis_threads(options_, runs_.size(), groups_.size()), errors,
                 [&](std::size_t k) { group_values(groups_[k], counts[k]); });
    Counts total;
    for (std::size_t k = 0; k < groups_.size(); ++k) {
      if (errors[k]) std::rethrow_exception(errors[k]);
      total.estimated += counts[k].estimated, total.left_out += counts[k].left_out;
      total.used += counts[k].used, total.incomplete += counts[k].incomplete;
    }
    result_.estimated_values += total.estimated;
    if (total.left_out > 0)
      result_.notes.push_back(fmt::format(
          "{} energy values came from an estimate, not a measurement, and are left out "
          "(use --include-estimated to analyse them)",
          total.left_out));
    if (total.used > 0)
      result_.notes.push_back(fmt::format(
          "{} energy values are estimates, not measurements (--include-estimated); rows using them are "
          "marked estimated",
          total.used));
    if (total.incomplete > 0)
      result_.notes.push_back(fmt::format(
          "{} runs lack one of their group's measured energy components and have no total_j", total.incomplete));
  }

  template <class Counts>
  void group_values(const Group& g, Counts& counts) {
    const auto& t = runs_;
    std::array<bool, 3> measured{};  // component measured in some run of the group
    for (std::size_t i : g.all) {
      if (t.status[i] != RunStatus::succeeded) continue;
      const RunMeasures& r = t.measures[i];
      RunValues& v = values_[i];
      for (std::size_t c = 0; c < 3; ++c) {
        if (!r.has(c)) continue;
        const double* value = &r.value[c];
        const bool est = r.is_estimated(c);
        if (est) {
          ++counts.estimated;
          if (!options_.include_estimated) {
            ++counts.left_out;
            continue;
          }
          ++counts.used;
        }
        const auto m = static_cast<std::size_t>(kComponents[c]);
        v.value[m] = *value;
        v.present[m] = true;
        v.estimated[m] = est;
        measured[c] = true;
      }
      const auto d = static_cast<std::size_t>(Metric::duration_s);
      if (r.has(RunMeasures::kDuration)) v.value[d] = r.value[RunMeasures::kDuration], v.present[d] = true;
      const auto p = static_cast<std::size_t>(Metric::performance);
      if (r.has(RunMeasures::kPerformance)) v.value[p] = r.value[RunMeasures::kPerformance], v.present[p] = true;
    }
    const auto tj = static_cast<std::size_t>(Metric::total_j);
    for (std::size_t i : g.all) {
      if (t.status[i] != RunStatus::succeeded) continue;
      RunValues& v = values_[i];
      bool complete = true, any = false, est = false;
      double total = 0;
      for (std::size_t c = 0; c < 3; ++c) {
        if (!measured[c]) continue;
        const auto m = static_cast<std::size_t>(kComponents[c]);
        if (!v.present[m]) {
          complete = false;
          break;
        }
        any = true;
        total += v.value[m];
        est = est || v.estimated[m];
      }
      if (complete && any) {
        v.value[tj] = total;
        v.present[tj] = true;
        v.estimated[tj] = est;
      } else if (!complete) {
        ++counts.incomplete;
      }
    }
  }

  void sample(const std::vector<std::size_t>& runs, Metric metric, Sample& s) const {
    detail::sample(values_, runs, metric, s);
  }

  // The run's value of hyperparameter column `column` (named `hp`).
  double hp_value(std::size_t run, const std::string& hp, std::size_t column, const Group& g) const {
    if (column >= hp_width_ || !runs_.hp_present[run * hp_width_ + column])
      throw input_error(origin(run) + ": run of " + group_name(g) + " (operator '" + runs_.str(runs_.op[run]) +
                        "') has no value for hyperparameter '" + hp + "' (column hp." + hp + ")");
    return runs_.hp[run * hp_width_ + column];
  }

  [[noreturn]] void direction_conflict(std::size_t here, std::size_t first) const {
    const auto dir = [](bool higher) { return higher ? "higher-is-better" : "lower-is-better"; };
    throw input_error(origin(here) + ": model '" + runs_.str(runs_.model[here]) + "' has a " +
                      dir(runs_.higher_is_better[here]) + " performance metric here but a " +
                      dir(runs_.higher_is_better[first]) + " one at " + origin(first) + " (one direction per model)");
  }

  // Win when the mutant is significantly better in the metric's direction.
  Outcome outcome(double p, double delta, bool metric_higher_is_better) const {
    if (p > options_.alpha || std::fabs(delta) < options_.negligible) return Outcome::tie;
    const bool mutant_higher = delta > 0;
    return mutant_higher == metric_higher_is_better ? Outcome::win : Outcome::loss;
  }

  void analyze_groups() {
    const std::size_t n = groups_.size();
    const std::size_t threads = analysis_threads(options_, runs_.size(), n);
    const bool on_thread = threads > 1;
    std::vector<GroupOutput> outputs(n);
    std::vector<std::exception_ptr> errors;
    auto rethrow_first = [&] {  // the first group's error, deterministically
      for (const auto& e : errors)
        if (e) std::rethrow_exception(e);
    };
    // The large row arrays (comparisons, correlations, RQ3's energy rows) are counted first,
    // sized on a helper thread beside the analysis threads' work, and written in place.
    ParallelVsSingle pvs(groups_, runs_, values_, options_);
    std::vector<std::size_t> nc(n + 1, 0), nm(n + 1, 0), ng(n + 1, 0);
    // Each operator's runs by value, once (the counts, the comparisons and RQ3 use them).
    parallel_for(n, threads, errors, [&](std::size_t i) {
      for (auto& op : groups_[i].by_operator)
        if (op.column < hp_width_) by_value(runs_, op.column, op.runs, op.values);
      nc[i + 1] = count_correlations(groups_[i], runs_, values_);
    });
    rethrow_first();
    for (std::size_t i = 0; i < n; ++i) nc[i + 1] += nc[i];
    {
      // The correlation rows are sized beside the counting of the others.
      auto sizing = beside(on_thread, [&] { result_.correlations.resize(nc[n]); });
      parallel_for(n + pvs.pairs(), threads, errors, [&](std::size_t i) {
        if (i < n)
          nm[i + 1] = count_comparisons(groups_[i], runs_, values_);
        else
          pvs.count_energy(i - n);
      });
      sizing.get();
      rethrow_first();
    }
    for (std::size_t i = 0; i < n; ++i) nm[i + 1] += nm[i];
    const std::size_t energy_rows = pvs.place_energy();
    {
      // Pass 1: every group's checks and correlations; the comparison rows and RQ3's energy
      // rows are sized beside them.
      auto sizing = beside(on_thread, [&] {
        result_.comparisons.resize(nm[n]);
        result_.parallel_energy.resize(energy_rows);
      });
      for (std::size_t i = 0; i < n; ++i)
        outputs[i].correlations = result_.correlations.data() + nc[i], outputs[i].correlations_counted = nc[i + 1] - nc[i];
      parallel_for(n, threads, errors, [&](std::size_t i) {
        check_and_correlate(groups_[i], outputs[i]);
        if (outputs[i].n_correlations != outputs[i].correlations_counted)
          throw std::logic_error("analysis: correlation rows miscounted");
      });
      sizing.get();
      rethrow_first();
    }
    correlation_range_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      outputs[i].comparisons = result_.comparisons.data() + nm[i], outputs[i].comparisons_counted = nm[i + 1] - nm[i];
      correlation_range_[i] = {nc[i], nc[i + 1]};
    }
    // Pass 2: the comparisons, greener mutants and trade-off grids; RQ3's energy rows and its
    // correlations side by side (every correlation row is in place now).
    const std::size_t pairs = pvs.pairs();
    parallel_for(n + 2 * pairs, threads, errors, [&](std::size_t i) {
      if (i < n) {
        compare_group(groups_[i], outputs[i]);
        if (outputs[i].n_comparisons != outputs[i].comparisons_counted)
          throw std::logic_error("analysis: comparison rows miscounted");
      } else if (i < n + pairs) {
        pvs.energy(i - n, result_);
      } else {
        pvs.correlations(i - n - pairs, result_.correlations, correlation_range_);
      }
    });
    rethrow_first();
    pvs.finish(result_);
    // Each group's greener rows go to their place in the result, groups in parallel.
    for (std::size_t i = 0; i < n; ++i) ng[i + 1] = ng[i] + outputs[i].greener.size();
    result_.greener.resize(ng[n]);
    parallel_for(n, threads, errors, [&](std::size_t i) {
      auto& o = outputs[i];
      std::move(o.greener.begin(), o.greener.end(), result_.greener.begin() + static_cast<std::ptrdiff_t>(ng[i]));
      o.greener = {};
    });
    // Strength bins and trade-off grids per (scenario, hyperparameter, metric), summed over
    // groups in dense arrays indexed by small integers; rows in the order of the scenario's
    // text (parallel before single), the hyperparameter's name and the metric, as always.
    const std::size_t columns = hp_width_;
    auto slot = [&](Scenario s, std::size_t column, Metric m) {
      return (static_cast<std::size_t>(s) * columns + column) * kMetricCount + static_cast<std::size_t>(m);
    };
    std::vector<StrengthSummaryRow> bins(2 * columns * kMetricCount);
    std::vector<TradeoffGrid> grids(bins.size());
    std::vector<std::uint8_t> has_bin(bins.size(), 0), has_grid(bins.size(), 0);
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      auto& o = outputs[i];
      const Scenario scenario = groups_[i].scenario;
      std::move(o.notes.begin(), o.notes.end(), std::back_inserter(result_.notes));
      for (const auto& part : o.bins) {
        const std::size_t k = slot(scenario, part.column, part.metric);
        auto& row = bins[k];
        has_bin[k] = 1;
        for (std::size_t b = 0; b < row.counts.size(); ++b) row.counts[b] += part.counts[b];
        row.undefined += part.undefined;
      }
      for (const auto& part : o.grids) {
        const std::size_t k = slot(scenario, part.column, part.metric);
        auto& grid = grids[k];
        has_grid[k] = 1;
        for (std::size_t e = 0; e < 3; ++e)
          for (std::size_t p = 0; p < 3; ++p) grid.counts[e][p] += part.counts[e][p];
        grid.estimated = grid.estimated || part.estimated;
      }
      o = GroupOutput();
    }
    std::array<Scenario, 2> scenarios = {Scenario::single, Scenario::parallel};
    std::sort(scenarios.begin(), scenarios.end(), [](Scenario a, Scenario b) {
      return std::string_view(to_string(a)) < std::string_view(to_string(b));
    });
    std::vector<std::size_t> by_name(columns);
    for (std::size_t c = 0; c < columns; ++c) by_name[c] = c;
    std::sort(by_name.begin(), by_name.end(),
              [&](std::size_t a, std::size_t b) { return runs_.hp_names[a] < runs_.hp_names[b]; });
    for (Scenario s : scenarios)
      for (std::size_t c : by_name)
        for (auto m : kMetrics) {
          const std::size_t k = slot(s, c, m);
          if (has_bin[k]) {
            StrengthSummaryRow& row = bins[k];
            row.scenario = s, row.hyperparameter = runs_.hp_names[c], row.metric = m;
            result_.strength_summary.push_back(std::move(row));
          }
          if (has_grid[k]) {
            TradeoffGrid& grid = grids[k];
            grid.scenario = s, grid.hyperparameter = runs_.hp_names[c], grid.metric = m;
            result_.tradeoffs.push_back(std::move(grid));
          }
        }
  }

  // Buffers one analysis thread reuses from row to row.
  struct Scratch {
    std::array<Sample, kMetricCount> original_samples, mutant_samples;
    std::vector<double> x, y;
    std::vector<std::vector<double>> boot_original, boot_mutant;
  };

  // Pass 1 of a group: its hyperparameter values checked, its correlations.
  void check_and_correlate(const Group& g, GroupOutput& out) {
    if (g.original.empty()) {
      out.notes.push_back(origin(g.all.front()) + ": " + group_name(g) +
                              " has no succeeded original run; its mutants are not compared");
      return;
    }
    thread_local Scratch scratch;
    Scratch& sc = scratch;
    for (const auto& op : g.by_operator) {
      const std::string& hp = op.name;
      // The original's value of this hyperparameter: one value across its runs.
      const double original_value = hp_value(g.original.front(), hp, op.column, g);
      for (std::size_t i : g.original) {
        const double v = hp_value(i, hp, op.column, g);
        if (v != original_value)
          throw input_error(origin(i) + ": original runs of " + group_name(g) + " disagree on hp." + hp + " (" +
                            format_exact(v) + " here, " + format_exact(original_value) + " at " +
                            origin(g.original.front()) + ")");
      }
      for (std::size_t i : op.runs) hp_value(i, hp, op.column, g);
      correlate(g, op, original_value, sc, out);
    }
  }

  // Pass 2 of a group (checked in pass 1): each mutant value against the original.
  void compare_group(const Group& g, GroupOutput& out) {
    if (g.original.empty()) return;
    thread_local Scratch scratch;
    Scratch& sc = scratch;
    for (auto m : kMetrics) sample(g.original, m, sc.original_samples[static_cast<std::size_t>(m)]);
    for (const auto& op : g.by_operator) {
      const double original_value = runs_.hp[g.original.front() * hp_width_ + op.column];
      compare(g, op.name, op.column, op.values, original_value, sc, out);
    }
  }

  void correlate(const Group& g, const OperatorRuns& op, double original_value, Scratch& sc, GroupOutput& out) {
    std::vector<double>& x = sc.x;
    std::vector<double>& y = sc.y;
    for (auto metric : kMetrics) {
      const auto m = static_cast<std::size_t>(metric);
      x.clear();
      y.clear();
      bool estimated = false;
      auto add = [&](std::size_t i, double hv) {
        const auto& v = values_[i];
        if (!v.present[m]) return;
        x.push_back(hv);
        y.push_back(v.value[m]);
        estimated = estimated || v.estimated[m];
      };
      for (std::size_t i : g.original) add(i, original_value);
      for (std::size_t i : op.runs) add(i, runs_.hp[i * hp_width_ + op.column]);
      if (x.size() < 2) continue;  // metric not measured in this group (or one point)
      if (out.n_correlations == out.correlations_counted) throw std::logic_error("analysis: correlation rows miscounted");
      CorrelationRow& row = out.correlations[out.n_correlations++];
      row.model = g.model;
      row.scenario = g.scenario;
      row.corunner = g.corunner;
      row.hyperparameter = op.name;
      row.metric = metric;
      row.n = x.size();
      auto s = stats::spearman(x, y);
      auto p = stats::pearson(x, y);
      row.spearman_rho = s.coefficient;
      row.spearman_p = s.p;
      row.pearson_r = p.coefficient;
      row.pearson_p = p.p;
      row.defined = s.defined && p.defined;
      row.strength = stats::strength_bin(s.coefficient, options_.strength);
      row.estimated = estimated;
      out.bins.emplace_back();
      auto& bin = out.bins.back();
      bin.column = op.column;
      bin.metric = metric;
      if (!row.defined)
        ++bin.undefined;
      else
        ++bin.counts[static_cast<std::size_t>(row.strength)];
    }
  }

  std::uint64_t row_seed(const Group& g, const std::string& hp, double value, const char* what) const {
    std::uint64_t h = fnv1a(g.model);
    h = fnv1a(to_string(g.scenario), h ^ 0x1f);
    h = fnv1a(g.corunner, h ^ 0x1f);
    h = fnv1a(hp, h ^ 0x1f);
    h = fnv1a(format_exact(value), h ^ 0x1f);
    h = fnv1a(what, h ^ 0x1f);
    return h ^ options_.bootstrap_seed;
  }

  // Each mutant value (`values`: the operator's runs by value) against the original.
  void compare(const Group& g, const std::string& hp, std::size_t column, const ValueRuns& values, double original_value,
               Scratch& sc, GroupOutput& out) {
    const auto perf = static_cast<std::size_t>(Metric::performance);
    const auto& original_samples = sc.original_samples;
    auto& mutant_samples = sc.mutant_samples;
    const char* test_name = stats::to_string(options_.test);
    constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    std::array<std::size_t, kMetricCount> grid_of;  // this hyperparameter's grids in out.grids
    grid_of.fill(kNone);
    for (const auto& [value, runs] : values) {
      std::array<std::optional<std::size_t>, kMetricCount> row_of;  // comparison row per metric
      for (auto metric : kMetrics) {
        const auto m = static_cast<std::size_t>(metric);
        const Sample& o = original_samples[m];
        sample(runs, metric, mutant_samples[m]);
        const Sample& s = mutant_samples[m];
        if (o.values.empty() || s.values.empty()) continue;
        if (out.n_comparisons == out.comparisons_counted) throw std::logic_error("analysis: comparison rows miscounted");
        ComparisonRow& row = out.comparisons[out.n_comparisons++];
        row.model = g.model;
        row.scenario = g.scenario;
        row.corunner = g.corunner;
        row.hyperparameter = hp;
        row.value = value;
        row.original_value = original_value;
        row.metric = metric;
        row.test = test_name;
        auto t = stats::two_sample_test(options_.test, s.values, o.values);
        row.method = t.method;
        row.p = t.p;
        // Mann-Whitney's U of the mutant gives Cliff's delta directly: 2 U / (n_m n_o) - 1.
        row.cliffs_delta =
            options_.test == stats::TestKind::mann_whitney
                ? 2 * t.statistic / (static_cast<double>(s.values.size()) * static_cast<double>(o.values.size())) - 1
                : stats::cliffs_delta(s.values, o.values);
        row.higher_is_better = higher_is_better(metric, g.higher_is_better);
        row.outcome = outcome(row.p, row.cliffs_delta, row.higher_is_better);
        row.n_mutant = s.values.size();
        row.n_original = o.values.size();
        row.mean_mutant = stats::mean(s.values);
        row.mean_original = stats::mean(o.values);
        row.estimated = s.estimated || o.estimated;
        row_of[m] = out.n_comparisons - 1;
      }
      // Trade-off grids: each energy outcome against the performance outcome.
      if (!row_of[perf]) continue;
      struct {
        Outcome outcome;
        double mean_mutant, mean_original;
      } perf_row;
      {
        const ComparisonRow& p = out.comparisons[*row_of[perf]];
        perf_row = {p.outcome, p.mean_mutant, p.mean_original};
      }
      for (auto metric : kMetrics) {
        const auto m = static_cast<std::size_t>(metric);
        if (!is_energy(metric) || !row_of[m]) continue;
        const ComparisonRow& c = out.comparisons[*row_of[m]];
        if (grid_of[m] == kNone) {
          grid_of[m] = out.grids.size();
          out.grids.emplace_back();
          out.grids.back().column = column;
          out.grids.back().metric = metric;
        }
        auto& grid = out.grids[grid_of[m]];
        ++grid.counts[static_cast<std::size_t>(c.outcome)][static_cast<std::size_t>(perf_row.outcome)];
        grid.estimated = grid.estimated || c.estimated;
      }
      // Greener: an energy win without a performance loss (performance must be compared).
      if (perf_row.outcome == Outcome::loss) continue;
      std::vector<Metric> wins;
      for (auto metric : kMetrics) {
        const auto m = static_cast<std::size_t>(metric);
        if (is_energy(metric) && row_of[m] && out.comparisons[*row_of[m]].outcome == Outcome::win)
          wins.push_back(metric);
      }
      if (wins.empty()) continue;
      // One set of resamples for all winning metrics when they cover the same runs (the usual
      // case); otherwise one per metric.
      bool aligned = true;
      for (auto metric : wins) {
        const auto m = static_cast<std::size_t>(metric);
        aligned = aligned && original_samples[m].values.size() == g.original.size() &&
                  mutant_samples[m].values.size() == runs.size();
      }
      std::vector<stats::Interval> intervals;
      if (aligned) {
        auto& o = sc.boot_original;
        auto& s = sc.boot_mutant;
        o.resize(wins.size());
        s.resize(wins.size());
        for (std::size_t w = 0; w < wins.size(); ++w) {
          o[w] = original_samples[static_cast<std::size_t>(wins[w])].values;
          s[w] = mutant_samples[static_cast<std::size_t>(wins[w])].values;
        }
        intervals = stats::bootstrap_saving_percent(o, s, options_.bootstrap_resamples,
                                                    options_.bootstrap_confidence, row_seed(g, hp, value, "energy"));
      } else {
        for (auto metric : wins) {
          const auto m = static_cast<std::size_t>(metric);
          intervals.push_back(stats::bootstrap_saving_percent(original_samples[m].values, mutant_samples[m].values,
                                                              options_.bootstrap_resamples,
                                                              options_.bootstrap_confidence,
                                                              row_seed(g, hp, value, to_string(metric))));
        }
      }
      for (std::size_t w = 0; w < wins.size(); ++w) {
        const auto m = static_cast<std::size_t>(wins[w]);
        const ComparisonRow& c = out.comparisons[*row_of[m]];
        GreenerRow row;
        row.model = g.model;
        row.scenario = g.scenario;
        row.corunner = g.corunner;
        row.hyperparameter = hp;
        row.value = value;
        row.original_value = original_value;
        row.metric = wins[w];
        row.saving_percent = intervals[w].estimate;
        row.saving_low = intervals[w].low;
        row.saving_high = intervals[w].high;
        row.p = c.p;
        row.cliffs_delta = c.cliffs_delta;
        row.performance_outcome = perf_row.outcome;
        row.performance_change = perf_row.mean_mutant - perf_row.mean_original;
        row.performance_higher_is_better = g.higher_is_better;
        row.estimated = c.estimated;
        out.greener.push_back(std::move(row));
      }
    }
  }

  const RunTable& runs_;
  const AnalysisOptions& options_;
  const OriginFn& origins_;
  std::vector<Group> groups_;
  std::vector<RunValues> values_;
  std::vector<std::pair<std::size_t, std::size_t>> correlation_range_;  // per group, in result_.correlations
  AnalysisResult result_;
  std::size_t hp_width_;
};

}  // namespace

AnalysisResult analyze(const std::vector<RunRecord>& runs, const AnalysisOptions& options) {
  return analyze(runs, options, OriginFn());
}

AnalysisResult analyze(const std::vector<RunRecord>& runs, const AnalysisOptions& options,
                       const std::vector<std::string>& origins) {
  return analyze(runs, options, [&origins](std::size_t i) { return i < origins.size() ? origins[i] : std::string(); });
}

AnalysisResult analyze(const std::vector<RunRecord>& runs, const AnalysisOptions& options, const OriginFn& origins) {
  const RunTable table = to_run_table(runs);
  return Analyzer(table, options, origins).run();
}

AnalysisResult analyze(const RunTable& runs, const AnalysisOptions& options, const OriginFn& origins) {
  return Analyzer(runs, options, origins).run();
}

}  // namespace greentune::analysis
