// Names of metrics and outcomes, and AnalysisResult as human-readable tables (the JSON
// document is written by json_writer.cpp).
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "greentune/analysis/analysis.hpp"
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

const char* strength_key(stats::StrengthBin bin) {
  switch (bin) {
    case stats::StrengthBin::strong_negative: return "strong_negative";
    case stats::StrengthBin::weak_negative: return "weak_negative";
    case stats::StrengthBin::negligible: return "negligible";
    case stats::StrengthBin::weak_positive: return "weak_positive";
    case stats::StrengthBin::strong_positive: return "strong_positive";
  }
  return "?";
}

namespace {

constexpr std::array<Outcome, 3> kOutcomes = {Outcome::win, Outcome::tie, Outcome::loss};
constexpr std::array<stats::StrengthBin, stats::kStrengthBins> kBins = {
    stats::StrengthBin::strong_negative, stats::StrengthBin::weak_negative, stats::StrengthBin::negligible,
    stats::StrengthBin::weak_positive, stats::StrengthBin::strong_positive};

// Plain-text table: header plus rows, columns padded to their widest cell.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.size() <= 1; }
  std::string render() const {
    std::vector<std::size_t> width(rows_.front().size(), 0);
    for (const auto& r : rows_)
      for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
    std::string out;
    for (std::size_t k = 0; k < rows_.size(); ++k) {
      std::string line;
      for (std::size_t i = 0; i < rows_[k].size(); ++i) {
        if (i) line += "  ";
        line += rows_[k][i];
        if (i + 1 < rows_[k].size()) line.append(width[i] - rows_[k][i].size(), ' ');
      }
      out += line + "\n";
      if (k == 0) {
        std::size_t total = 0;
        for (auto w : width) total += w + 2;
        out += std::string(total > 2 ? total - 2 : total, '-') + "\n";
      }
    }
    return out;
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string num(double v) { return fmt::format("{:.4g}", v); }
std::string pval(double p) { return p < 1e-4 ? fmt::format("{:.2e}", p) : fmt::format("{:.4f}", p); }
std::string coef(double v) { return fmt::format("{:+.3f}", v); }
std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }
std::string mark(bool estimated) { return estimated ? " (est.)" : ""; }
// The performance metric with its direction ("performance (lower is better)"); others plain.
std::string metric_text(Metric metric, bool higher_is_better) {
  if (metric != Metric::performance) return to_string(metric);
  return higher_is_better ? "performance (higher is better)" : "performance (lower is better)";
}

}  // namespace

std::string format_text(const AnalysisResult& r) {
  const auto& o = r.options;
  std::string out;
  out += fmt::format("greentune analysis: {} runs, {} used; test {}, alpha {}, negligible |delta| < {}\n",
                     r.runs_total, r.runs_used, stats::to_string(o.test), num(o.alpha), num(o.negligible));
  for (const auto& n : r.notes) out += "note: " + n + "\n";
  if (!r.performance_metrics.empty()) out += "performance: " + describe(r.performance_metrics) + "\n";

  out += "\n== Correlations (RQ1; Spearman rho and Pearson r, two-sided p) ==\n";
  Table corr({"model", "scenario", "corunner", "hyperparameter", "metric", "n", "rho", "p", "r", "p(r)", "strength"});
  for (const auto& c : r.correlations)
    corr.add({c.model, c.scenario, or_dash(c.corunner), c.hyperparameter, to_string(c.metric) + mark(c.estimated),
              std::to_string(c.n), c.defined ? coef(c.spearman_rho) : "const", pval(c.spearman_p),
              c.defined ? coef(c.pearson_r) : "const", pval(c.pearson_p),
              c.defined ? stats::to_string(c.strength) : "undefined"});
  out += corr.empty() ? "(none: no hyperparameter has mutant runs with measured metrics)\n" : corr.render();

  out += fmt::format("\n== Correlation strength (Spearman rho; |rho| < {} negligible, >= {} strong) ==\n",
                     num(o.strength.weak), num(o.strength.strong));
  Table bins({"scenario", "hyperparameter", "metric", "strong-", "weak-", "negligible", "weak+", "strong+", "undefined"});
  for (const auto& s : r.strength_summary) {
    std::vector<std::string> row{s.scenario, s.hyperparameter, to_string(s.metric)};
    for (auto c : s.counts) row.push_back(std::to_string(c));
    row.push_back(std::to_string(s.undefined));
    bins.add(std::move(row));
  }
  out += bins.empty() ? "(none)\n" : bins.render();

  out += "\n== Mutants against the original (RQ2; win = lower energy/time, better performance in its metric's "
         "direction) ==\n";
  Table comp({"model", "scenario", "corunner", "hyperparameter", "value", "original", "metric", "n", "mean", "orig.mean",
              "p", "delta", "outcome"});
  for (const auto& c : r.comparisons)
    comp.add({c.model, c.scenario, or_dash(c.corunner), c.hyperparameter, format_exact(c.value),
              format_exact(c.original_value), metric_text(c.metric, c.higher_is_better) + mark(c.estimated),
              fmt::format("{}/{}", c.n_mutant, c.n_original), num(c.mean_mutant), num(c.mean_original), pval(c.p),
              coef(c.cliffs_delta), to_string(c.outcome)});
  out += comp.empty() ? "(none)\n" : comp.render();

  out += "\n== Trade-off grids (mutants counted by energy outcome x performance outcome, summed over models) ==\n";
  if (r.tradeoffs.empty()) out += "(none: needs both an energy metric and performance)\n";
  for (const auto& t : r.tradeoffs) {
    out += fmt::format("\n{} / {} / {}  ({} mutants)\n", t.scenario, t.hyperparameter, to_string(t.metric), t.total());
    Table grid({"energy \\ performance", "win", "tie", "loss"});
    for (auto e : kOutcomes) {
      std::vector<std::string> row{to_string(e)};
      for (auto p : kOutcomes)
        row.push_back(std::to_string(t.counts[static_cast<std::size_t>(e)][static_cast<std::size_t>(p)]));
      grid.add(std::move(row));
    }
    out += grid.render();
  }

  out += fmt::format("\n== Greener mutants without performance loss (saving, {}% bootstrap interval) ==\n",
                     num(100 * o.bootstrap_confidence));
  Table green({"model", "scenario", "corunner", "hyperparameter", "value", "original", "metric", "saving %", "interval",
               "performance"});
  for (const auto& g : r.greener)
    green.add({g.model, g.scenario, or_dash(g.corunner), g.hyperparameter, format_exact(g.value),
               format_exact(g.original_value), to_string(g.metric) + mark(g.estimated),
               fmt::format("{:.1f}", g.saving_percent), fmt::format("[{:.1f}, {:.1f}]", g.saving_low, g.saving_high),
               fmt::format("{} ({:+.4g}, {} is better)", to_string(g.performance_outcome), g.performance_change,
                           g.performance_higher_is_better ? "higher" : "lower")});
  out += green.empty() ? "(none)\n" : green.render();

  if (!r.parallel_correlations.empty() || !r.parallel_energy.empty()) {
    out += "\n== Parallel vs single: correlations (Spearman rho) ==\n";
    Table pc({"model", "corunner", "hyperparameter", "metric", "single", "parallel", "bin single -> parallel", "changed"});
    for (const auto& p : r.parallel_correlations)
      pc.add({p.model, or_dash(p.corunner), p.hyperparameter, to_string(p.metric), coef(p.single_rho),
              coef(p.parallel_rho),
              fmt::format("{} -> {}", stats::to_string(p.single_strength), stats::to_string(p.parallel_strength)),
              p.sign_changed ? "sign" : (p.bin_changed ? "bin" : "")});
    out += pc.empty() ? "(none)\n" : pc.render();
    out += "\n== Parallel vs single: the same configuration alone and beside a co-runner ==\n";
    Table pe({"model", "corunner", "configuration", "metric", "n", "single", "parallel", "change %", "p"});
    for (const auto& p : r.parallel_energy)
      pe.add({p.model, or_dash(p.corunner), p.configuration, to_string(p.metric),
              fmt::format("{}/{}", p.n_single, p.n_parallel), num(p.mean_single), num(p.mean_parallel),
              fmt::format("{:+.1f}", p.change_percent), pval(p.p)});
    out += pe.empty() ? "(none)\n" : pe.render();
  }
  return out;
}

}  // namespace greentune::analysis
