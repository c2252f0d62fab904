// RQ1-RQ3 on a set of runs. See analysis.hpp for what is computed; analysis_output.cpp
// renders the result as JSON and text tables.
#include "greentune/analysis/analysis.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <iterator>
#include <thread>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"

namespace greentune::analysis {

const char* to_string(Metric metric) {
  switch (metric) {
    case Metric::cpu_package_j: return "cpu_package_j";
    case Metric::dram_j: return "dram_j";
    case Metric::gpu_j: return "gpu_j";
    case Metric::total_j: return "total_j";
    case Metric::duration_s: return "duration_s";
    case Metric::performance: return "performance";
  }
  return "?";
}

bool is_energy(Metric metric) {
  return metric == Metric::cpu_package_j || metric == Metric::dram_j || metric == Metric::gpu_j ||
         metric == Metric::total_j;
}

bool higher_is_better(Metric metric, bool performance_higher_is_better) {
  return metric == Metric::performance && performance_higher_is_better;
}

std::string describe(const PerformanceMetric& metric) {
  return (metric.metric.empty() ? std::string("performance") : metric.metric) +
         (metric.higher_is_better ? " (higher is better)" : " (lower is better)");
}

std::string describe(const std::vector<PerformanceMetric>& metrics) {
  std::map<std::pair<std::string, bool>, std::vector<const PerformanceMetric*>> groups;
  for (const auto& m : metrics) groups[{m.metric, !m.higher_is_better}].push_back(&m);
  std::string out;
  for (const auto& [key, models] : groups) {
    out += (out.empty() ? "" : "; ") + describe(*models.front());
    if (groups.size() == 1 && models.size() > 4) {
      out += fmt::format(" for all {} models", models.size());
      continue;
    }
    out += " for ";
    const std::size_t shown = models.size() > 4 ? 3 : models.size();
    for (std::size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + models[i]->model;
    if (shown < models.size()) out += fmt::format(" and {} more", models.size() - shown);
  }
  return out;
}

PerformanceMetric AnalysisResult::performance_metric(const std::string& model) const {
  auto it = std::lower_bound(performance_metrics.begin(), performance_metrics.end(), model,
                             [](const PerformanceMetric& m, const std::string& name) { return m.model < name; });
  if (it != performance_metrics.end() && it->model == model) return *it;
  PerformanceMetric unknown;
  unknown.model = model;
  return unknown;
}

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::win: return "win";
    case Outcome::tie: return "tie";
    case Outcome::loss: return "loss";
  }
  return "?";
}

std::size_t TradeoffGrid::total() const {
  std::size_t n = 0;
  for (const auto& row : counts)
    for (auto c : row) n += c;
  return n;
}

namespace {

constexpr std::array<Metric, kMetricCount> kMetrics = {Metric::cpu_package_j, Metric::dram_j,   Metric::gpu_j,
                                                       Metric::total_j,       Metric::duration_s, Metric::performance};
constexpr std::array<Metric, 3> kComponents = {Metric::cpu_package_j, Metric::dram_j, Metric::gpu_j};
constexpr std::array<const char*, 3> kComponentSource = {"cpu_package_source", "dram_source", "gpu_source"};

bool is_estimate_label(const std::string& source) {
  std::string lower(source);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("estimat") != std::string::npos;
}

std::optional<double> component_value(const RunRecord& r, std::size_t component) {
  switch (component) {
    case 0: return r.cpu_package_j;
    case 1: return r.dram_j;
    default: return r.gpu_j;
  }
}

bool component_estimated(const RunRecord& r, std::size_t component) {
  if (r.extra.empty()) return false;
  auto it = r.extra.find(kComponentSource[component]);
  return it != r.extra.end() && is_estimate_label(it->second);
}

// One run's metric values after the estimate policy (nullopt = not measured or left out).
struct RunValues {
  std::array<double, kMetricCount> value{};
  std::array<bool, kMetricCount> present{};
  std::array<bool, kMetricCount> estimated{};
};

struct Group {
  std::string model, scenario, corunner;
  std::vector<std::size_t> all;        // every run of the group (any status), input order
  std::vector<std::size_t> original;   // succeeded original runs
  std::map<std::string, std::vector<std::size_t>> by_operator;  // succeeded mutant runs
  bool has_original_row = false;
  bool higher_is_better = true;        // the model's performance direction
  std::string performance_metric;      // its name (first non-empty one)
};

// What one group contributes; groups are analysed in parallel and merged in group order.
struct GroupOutput {
  std::vector<CorrelationRow> correlations;
  std::vector<ComparisonRow> comparisons;
  std::vector<GreenerRow> greener;
  std::vector<std::string> notes;
  std::exception_ptr error;
};

struct Sample {
  std::vector<double> values;
  bool estimated = false;
};

std::uint64_t fnv1a(const std::string& text, std::uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

class Analyzer {
 public:
  Analyzer(const std::vector<RunRecord>& runs, const AnalysisOptions& options, const OriginFn& origins)
      : runs_(runs), options_(options), origins_(origins) {}

  AnalysisResult run() {
    validate_options();
    result_.options = options_;
    result_.runs_total = runs_.size();
    build_groups();
    compute_values();
    analyze_groups();
    summarise();
    parallel_vs_single();
    return std::move(result_);
  }

 private:
  std::string origin(std::size_t i) const {
    if (origins_) {
      std::string where = origins_(i);
      if (!where.empty()) return where;
    }
    const auto& extra = runs_[i].extra;
    auto it = extra.find("run_id");
    if (it != extra.end()) return "run " + it->second;
    return "run #" + std::to_string(i + 1);
  }

  std::string group_name(const Group& g) const {
    std::string s = "model '" + g.model + "' (" + g.scenario;
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
    std::unordered_map<std::string, std::size_t> index;
    std::string key;
    for (std::size_t i = 0; i < runs_.size(); ++i) {
      const auto& r = runs_[i];
      key.clear();
      key.append(r.model).push_back('\x1f');
      key.append(r.scenario).push_back('\x1f');
      key.append(r.corunner);
      auto [it, inserted] = index.emplace(key, groups_.size());
      if (inserted) groups_.push_back(Group{r.model, r.scenario, r.corunner, {}, {}, {}, false, r.higher_is_better, {}});
      Group& g = groups_[it->second];
      if (r.higher_is_better != g.higher_is_better) direction_conflict(i, g.all.front());
      if (g.performance_metric.empty()) g.performance_metric = r.performance_metric;
      g.all.push_back(i);
      if (r.op == "original") g.has_original_row = true;
      if (r.status != "succeeded") {
        ++result_.runs_not_succeeded;
        continue;
      }
      ++result_.runs_used;
      if (r.op == "original")
        g.original.push_back(i);
      else
        g.by_operator[r.op].push_back(i);
    }
    // One direction per model, across its scenarios and co-runners.
    std::map<std::string, const Group*> first_of_model;
    for (const auto& g : groups_) {
      auto [it, inserted] = first_of_model.emplace(g.model, &g);
      if (!inserted && it->second->higher_is_better != g.higher_is_better)
        direction_conflict(g.all.front(), it->second->all.front());
    }
    for (const auto& [model, g] : first_of_model) {
      PerformanceMetric m;
      m.model = model;
      m.higher_is_better = g->higher_is_better;
      for (const auto& other : groups_)
        if (other.model == model && !other.performance_metric.empty()) {
          m.metric = other.performance_metric;
          break;
        }
      result_.performance_metrics.push_back(std::move(m));
    }
    for (const auto& g : groups_) {
      if (!g.has_original_row)
        throw input_error(origin(g.all.front()) + ": " + group_name(g) +
                          " has no 'original' runs to compare its mutants with");
    }
    std::sort(groups_.begin(), groups_.end(), [](const Group& a, const Group& b) {
      return std::tie(a.model, a.scenario, a.corunner) < std::tie(b.model, b.scenario, b.corunner);
    });
    if (result_.runs_not_succeeded > 0)
      result_.notes.push_back(fmt::format("{} of {} runs did not succeed (failed, diverged, timeout, ...) and are left out",
                                          result_.runs_not_succeeded, result_.runs_total));
  }

  // Metric values per run, with total_j = sum of the components measured in the run's group.
  void compute_values() {
    values_.resize(runs_.size());
    std::size_t estimated_left_out = 0, estimated_used = 0, incomplete_totals = 0;
    for (const auto& g : groups_) {
      std::array<bool, 3> measured{};  // component measured in some run of the group
      for (std::size_t i : g.all) {
        if (runs_[i].status != "succeeded") continue;
        const auto& r = runs_[i];
        RunValues& v = values_[i];
        for (std::size_t c = 0; c < 3; ++c) {
          auto value = component_value(r, c);
          if (!value) continue;
          const bool est = component_estimated(r, c);
          if (est) {
            ++result_.estimated_values;
            if (!options_.include_estimated) {
              ++estimated_left_out;
              continue;
            }
            ++estimated_used;
          }
          const auto m = static_cast<std::size_t>(kComponents[c]);
          v.value[m] = *value;
          v.present[m] = true;
          v.estimated[m] = est;
          measured[c] = true;
        }
        const auto d = static_cast<std::size_t>(Metric::duration_s);
        if (r.duration_s) v.value[d] = *r.duration_s, v.present[d] = true;
        const auto p = static_cast<std::size_t>(Metric::performance);
        if (r.performance) v.value[p] = *r.performance, v.present[p] = true;
      }
      const auto t = static_cast<std::size_t>(Metric::total_j);
      for (std::size_t i : g.all) {
        if (runs_[i].status != "succeeded") continue;
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
          v.value[t] = total;
          v.present[t] = true;
          v.estimated[t] = est;
        } else if (!complete) {
          ++incomplete_totals;
        }
      }
    }
    if (estimated_left_out > 0)
      result_.notes.push_back(fmt::format(
          "{} energy values came from an estimate, not a measurement, and are left out "
          "(use --include-estimated to analyse them)",
          estimated_left_out));
    if (estimated_used > 0)
      result_.notes.push_back(fmt::format(
          "{} energy values are estimates, not measurements (--include-estimated); rows using them are "
          "marked estimated",
          estimated_used));
    if (incomplete_totals > 0)
      result_.notes.push_back(fmt::format(
          "{} runs lack one of their group's measured energy components and have no total_j", incomplete_totals));
  }

  Sample sample(const std::vector<std::size_t>& runs, Metric metric) const {
    Sample s;
    const auto m = static_cast<std::size_t>(metric);
    s.values.reserve(runs.size());
    for (std::size_t i : runs) {
      const auto& v = values_[i];
      if (!v.present[m]) continue;
      s.values.push_back(v.value[m]);
      s.estimated = s.estimated || v.estimated[m];
    }
    return s;
  }

  double hp_value(std::size_t run, const std::string& hp, const Group& g) const {
    auto it = runs_[run].hp.find(hp);
    if (it == runs_[run].hp.end())
      throw input_error(origin(run) + ": run of " + group_name(g) + " (operator '" + runs_[run].op +
                        "') has no value for hyperparameter '" + hp + "' (column hp." + hp + ")");
    return it->second;
  }

  [[noreturn]] void direction_conflict(std::size_t here, std::size_t first) const {
    const auto dir = [](bool higher) { return higher ? "higher-is-better" : "lower-is-better"; };
    throw input_error(origin(here) + ": model '" + runs_[here].model + "' has a " +
                      dir(runs_[here].higher_is_better) + " performance metric here but a " +
                      dir(runs_[first].higher_is_better) + " one at " + origin(first) + " (one direction per model)");
  }

  // Win when the mutant is significantly better in the metric's direction.
  Outcome outcome(double p, double delta, bool metric_higher_is_better) const {
    if (p > options_.alpha || std::fabs(delta) < options_.negligible) return Outcome::tie;
    const bool mutant_higher = delta > 0;
    return mutant_higher == metric_higher_is_better ? Outcome::win : Outcome::loss;
  }

  void analyze_groups() {
    std::vector<GroupOutput> outputs(groups_.size());
    // Explicit: as asked; automatic: one per core, none for small inputs.
    std::size_t threads = options_.threads > 0
                              ? static_cast<std::size_t>(options_.threads)
                              : std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()),
                                                      std::max<std::size_t>(1, runs_.size() / 5000));
    threads = std::min<std::size_t>({threads, 64, std::max<std::size_t>(1, groups_.size())});
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t i = next++; i < groups_.size(); i = next++) {
        try {
          analyze_group(groups_[i], outputs[i]);
        } catch (...) {
          outputs[i].error = std::current_exception();
        }
      }
    };
    if (threads <= 1) {
      worker();
    } else {
      std::vector<std::thread> pool;
      for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
      for (auto& t : pool) t.join();
    }
    std::size_t nc = 0, nm = 0, ng = 0;
    for (const auto& o : outputs) {
      if (o.error) std::rethrow_exception(o.error);  // the first group's error, deterministically
      nc += o.correlations.size(), nm += o.comparisons.size(), ng += o.greener.size();
    }
    result_.correlations.reserve(nc);
    result_.comparisons.reserve(nm);
    result_.greener.reserve(ng);
    for (auto& o : outputs) {
      std::move(o.correlations.begin(), o.correlations.end(), std::back_inserter(result_.correlations));
      std::move(o.comparisons.begin(), o.comparisons.end(), std::back_inserter(result_.comparisons));
      std::move(o.greener.begin(), o.greener.end(), std::back_inserter(result_.greener));
      std::move(o.notes.begin(), o.notes.end(), std::back_inserter(result_.notes));
      o = GroupOutput();
    }
  }

  void analyze_group(const Group& g, GroupOutput& out) {
    if (g.original.empty()) {
      out.notes.push_back(origin(g.all.front()) + ": " + group_name(g) +
                              " has no succeeded original run; its mutants are not compared");
      return;
    }
    std::array<Sample, kMetricCount> original_samples;
    for (auto m : kMetrics) original_samples[static_cast<std::size_t>(m)] = sample(g.original, m);

    for (const auto& [hp, mutant_runs] : g.by_operator) {
      // The original's value of this hyperparameter: one value across its runs.
      const double original_value = hp_value(g.original.front(), hp, g);
      for (std::size_t i : g.original) {
        const double v = hp_value(i, hp, g);
        if (v != original_value)
          throw input_error(origin(i) + ": original runs of " + group_name(g) + " disagree on hp." + hp + " (" +
                            format_exact(v) + " here, " + format_exact(original_value) + " at " +
                            origin(g.original.front()) + ")");
      }
      // Mutant values, sorted, with their runs.
      std::map<double, std::vector<std::size_t>> by_value;
      for (std::size_t i : mutant_runs) by_value[hp_value(i, hp, g)].push_back(i);

      correlate(g, hp, original_value, mutant_runs, out);
      compare(g, hp, original_value, by_value, original_samples, out);
    }
  }

  void correlate(const Group& g, const std::string& hp, double original_value,
                 const std::vector<std::size_t>& mutant_runs, GroupOutput& out) {
    std::vector<double> x, y;
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
      for (std::size_t i : mutant_runs) add(i, runs_[i].hp.at(hp));
      if (x.size() < 2) continue;  // metric not measured in this group (or one point)
      CorrelationRow row;
      row.model = g.model;
      row.scenario = g.scenario;
      row.corunner = g.corunner;
      row.hyperparameter = hp;
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
      out.correlations.push_back(std::move(row));
    }
  }

  std::uint64_t row_seed(const Group& g, const std::string& hp, double value, const char* what) const {
    std::uint64_t h = fnv1a(g.model);
    h = fnv1a(g.scenario, h ^ 0x1f);
    h = fnv1a(g.corunner, h ^ 0x1f);
    h = fnv1a(hp, h ^ 0x1f);
    h = fnv1a(format_exact(value), h ^ 0x1f);
    h = fnv1a(what, h ^ 0x1f);
    return h ^ options_.bootstrap_seed;
  }

  void compare(const Group& g, const std::string& hp, double original_value,
               const std::map<double, std::vector<std::size_t>>& by_value,
               const std::array<Sample, kMetricCount>& original_samples, GroupOutput& out) {
    const auto perf = static_cast<std::size_t>(Metric::performance);
    for (const auto& [value, runs] : by_value) {
      std::array<std::optional<std::size_t>, kMetricCount> row_of;  // comparison row per metric
      std::array<Sample, kMetricCount> mutant_samples;
      for (auto metric : kMetrics) {
        const auto m = static_cast<std::size_t>(metric);
        const Sample& o = original_samples[m];
        mutant_samples[m] = sample(runs, metric);
        const Sample& s = mutant_samples[m];
        if (o.values.empty() || s.values.empty()) continue;
        ComparisonRow row;
        row.model = g.model;
        row.scenario = g.scenario;
        row.corunner = g.corunner;
        row.hyperparameter = hp;
        row.value = value;
        row.original_value = original_value;
        row.metric = metric;
        row.test = stats::to_string(options_.test);
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
        row_of[m] = out.comparisons.size();
        out.comparisons.push_back(std::move(row));
      }
      // Greener: an energy win without a performance loss (performance must be compared).
      if (!row_of[perf]) continue;
      const ComparisonRow perf_row = out.comparisons[*row_of[perf]];
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
        std::vector<std::vector<double>> o, s;
        for (auto metric : wins) {
          o.push_back(original_samples[static_cast<std::size_t>(metric)].values);
          s.push_back(mutant_samples[static_cast<std::size_t>(metric)].values);
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

  void summarise() {
    // Strength bins per (scenario, hyperparameter, metric).
    std::map<std::tuple<std::string, std::string, std::size_t>, StrengthSummaryRow> bins;
    for (const auto& c : result_.correlations) {
      auto& row = bins[{c.scenario, c.hyperparameter, static_cast<std::size_t>(c.metric)}];
      row.scenario = c.scenario;
      row.hyperparameter = c.hyperparameter;
      row.metric = c.metric;
      if (!c.defined) {
        ++row.undefined;
        continue;
      }
      ++row.counts[static_cast<std::size_t>(c.strength)];
    }
    for (auto& [k, row] : bins) result_.strength_summary.push_back(std::move(row));

    // Trade-off grids: each mutant's energy outcome against its performance outcome.
    std::map<std::tuple<std::string, std::string, std::size_t>, TradeoffGrid> grids;
    std::map<std::tuple<std::string, std::string, std::string, std::string, double>, Outcome> perf;
    for (const auto& c : result_.comparisons)
      if (c.metric == Metric::performance)
        perf[{c.model, c.scenario, c.corunner, c.hyperparameter, c.value}] = c.outcome;
    for (const auto& c : result_.comparisons) {
      if (!is_energy(c.metric)) continue;
      auto it = perf.find({c.model, c.scenario, c.corunner, c.hyperparameter, c.value});
      if (it == perf.end()) continue;
      auto& grid = grids[{c.scenario, c.hyperparameter, static_cast<std::size_t>(c.metric)}];
      grid.scenario = c.scenario;
      grid.hyperparameter = c.hyperparameter;
      grid.metric = c.metric;
      ++grid.counts[static_cast<std::size_t>(c.outcome)][static_cast<std::size_t>(it->second)];
    }
    for (auto& [k, grid] : grids) result_.tradeoffs.push_back(std::move(grid));
  }

  void parallel_vs_single() {
    // Single-scenario groups by model (normally one, with an empty co-runner).
    std::map<std::string, const Group*> single;
    for (const auto& g : groups_)
      if (g.scenario == "single" && !single.count(g.model)) single[g.model] = &g;

    // Correlations side by side.
    std::map<std::tuple<std::string, std::string, std::size_t>, const CorrelationRow*> single_corr;
    for (const auto& c : result_.correlations)
      if (c.scenario == "single" && c.corunner == single_corunner(c.model, single))
        single_corr[{c.model, c.hyperparameter, static_cast<std::size_t>(c.metric)}] = &c;
    for (const auto& c : result_.correlations) {
      if (c.scenario != "parallel") continue;
      auto it = single_corr.find({c.model, c.hyperparameter, static_cast<std::size_t>(c.metric)});
      if (it == single_corr.end()) continue;
      const CorrelationRow& s = *it->second;
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
      result_.parallel_correlations.push_back(std::move(row));
    }

    // The same configuration alone and beside a co-runner.
    for (const auto& g : groups_) {
      if (g.scenario != "parallel") continue;
      auto it = single.find(g.model);
      if (it == single.end()) continue;
      const Group& s = *it->second;
      if (s.original.empty() || g.original.empty()) continue;
      energy_side_by_side(g, s, "", 0, s.original, g.original);
      for (const auto& [hp, prl_runs] : g.by_operator) {
        auto sit = s.by_operator.find(hp);
        if (sit == s.by_operator.end()) continue;
        std::map<double, std::vector<std::size_t>> sv, pv;
        for (std::size_t i : sit->second) sv[runs_[i].hp.at(hp)].push_back(i);
        for (std::size_t i : prl_runs) pv[runs_[i].hp.at(hp)].push_back(i);
        for (const auto& [value, pr] : pv) {
          auto vit = sv.find(value);
          if (vit != sv.end()) energy_side_by_side(g, s, hp, value, vit->second, pr);
        }
      }
    }
  }

  static std::string single_corunner(const std::string& model, const std::map<std::string, const Group*>& single) {
    auto it = single.find(model);
    return it == single.end() ? std::string() : it->second->corunner;
  }

  void energy_side_by_side(const Group& prl, const Group& sgl, const std::string& hp, double value,
                           const std::vector<std::size_t>& single_runs, const std::vector<std::size_t>& parallel_runs) {
    (void)sgl;
    const std::string configuration = hp.empty() ? std::string("original") : hp + "=" + format_exact(value);
    for (auto metric : kMetrics) {
      if (metric == Metric::performance) continue;
      Sample a = sample(single_runs, metric), b = sample(parallel_runs, metric);
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
      row.p = stats::two_sample_test(options_.test, b.values, a.values).p;
      result_.parallel_energy.push_back(std::move(row));
    }
  }

  const std::vector<RunRecord>& runs_;
  const AnalysisOptions& options_;
  const OriginFn& origins_;
  std::vector<Group> groups_;
  std::vector<RunValues> values_;
  AnalysisResult result_;
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
  return Analyzer(runs, options, origins).run();
}

}  // namespace greentune::analysis
