// AnalysisResult as JSON (stable field names) and as human-readable tables.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "greentune/analysis/analysis.hpp"
#include "greentune/core/number_format.hpp"

namespace greentune::analysis {
namespace {

using nlohmann::json;

}  // namespace

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

nlohmann::json to_json(const AnalysisResult& r) {
  json out;
  const auto& o = r.options;
  out["options"] = {{"test", stats::to_string(o.test)},
                    {"alpha", o.alpha},
                    {"negligible", o.negligible},
                    {"strength_thresholds", {{"weak", o.strength.weak}, {"strong", o.strength.strong}}},
                    {"bootstrap", {{"resamples", o.bootstrap_resamples},
                                   {"confidence", o.bootstrap_confidence},
                                   {"seed", o.bootstrap_seed}}},
                    {"include_estimated", o.include_estimated}};
  out["input"] = {{"runs", r.runs_total},
                  {"used", r.runs_used},
                  {"not_succeeded", r.runs_not_succeeded},
                  {"estimated_values", r.estimated_values}};
  out["notes"] = r.notes;
  json perf = json::array();
  for (const auto& m : r.performance_metrics)
    perf.push_back({{"model", m.model}, {"metric", m.metric}, {"higher_is_better", m.higher_is_better}});
  out["performance_metrics"] = std::move(perf);

  json corr = json::array();
  for (const auto& c : r.correlations)
    corr.push_back({{"model", c.model},
                    {"scenario", c.scenario},
                    {"corunner", c.corunner},
                    {"hyperparameter", c.hyperparameter},
                    {"metric", to_string(c.metric)},
                    {"n", c.n},
                    {"spearman_rho", c.spearman_rho},
                    {"spearman_p", c.spearman_p},
                    {"pearson_r", c.pearson_r},
                    {"pearson_p", c.pearson_p},
                    {"defined", c.defined},
                    {"strength", strength_key(c.strength)},
                    {"estimated", c.estimated}});
  out["correlations"] = std::move(corr);

  json summary = json::array();
  for (const auto& s : r.strength_summary) {
    json counts = json::object();
    for (auto b : kBins) counts[strength_key(b)] = s.counts[static_cast<std::size_t>(b)];
    summary.push_back({{"scenario", s.scenario},
                       {"hyperparameter", s.hyperparameter},
                       {"metric", to_string(s.metric)},
                       {"counts", counts},
                       {"undefined", s.undefined}});
  }
  out["strength_summary"] = std::move(summary);

  json comp = json::array();
  for (const auto& c : r.comparisons)
    comp.push_back({{"model", c.model},
                    {"scenario", c.scenario},
                    {"corunner", c.corunner},
                    {"hyperparameter", c.hyperparameter},
                    {"value", c.value},
                    {"original_value", c.original_value},
                    {"metric", to_string(c.metric)},
                    {"test", c.test},
                    {"method", c.method},
                    {"p", c.p},
                    {"cliffs_delta", c.cliffs_delta},
                    {"outcome", to_string(c.outcome)},
                    {"higher_is_better", c.higher_is_better},
                    {"n_mutant", c.n_mutant},
                    {"n_original", c.n_original},
                    {"mean_mutant", c.mean_mutant},
                    {"mean_original", c.mean_original},
                    {"estimated", c.estimated}});
  out["comparisons"] = std::move(comp);

  json trade = json::array();
  for (const auto& t : r.tradeoffs) {
    json counts = json::object();
    for (auto e : kOutcomes) {
      json row = json::object();
      for (auto p : kOutcomes) row[to_string(p)] = t.counts[static_cast<std::size_t>(e)][static_cast<std::size_t>(p)];
      counts[to_string(e)] = row;
    }
    trade.push_back({{"scenario", t.scenario},
                     {"hyperparameter", t.hyperparameter},
                     {"metric", to_string(t.metric)},
                     {"counts", counts},  // counts[energy outcome][performance outcome]
                     {"total", t.total()}});
  }
  out["tradeoffs"] = std::move(trade);

  json green = json::array();
  for (const auto& g : r.greener)
    green.push_back({{"model", g.model},
                     {"scenario", g.scenario},
                     {"corunner", g.corunner},
                     {"hyperparameter", g.hyperparameter},
                     {"value", g.value},
                     {"original_value", g.original_value},
                     {"metric", to_string(g.metric)},
                     {"saving_percent", g.saving_percent},
                     {"saving_ci_low", g.saving_low},
                     {"saving_ci_high", g.saving_high},
                     {"confidence", r.options.bootstrap_confidence},
                     {"p", g.p},
                     {"cliffs_delta", g.cliffs_delta},
                     {"performance_outcome", to_string(g.performance_outcome)},
                     {"performance_change", g.performance_change},
                     {"performance_higher_is_better", g.performance_higher_is_better},
                     {"estimated", g.estimated}});
  out["greener"] = std::move(green);

  json pc = json::array();
  for (const auto& p : r.parallel_correlations)
    pc.push_back({{"model", p.model},
                  {"corunner", p.corunner},
                  {"hyperparameter", p.hyperparameter},
                  {"metric", to_string(p.metric)},
                  {"single_rho", p.single_rho},
                  {"single_p", p.single_p},
                  {"parallel_rho", p.parallel_rho},
                  {"parallel_p", p.parallel_p},
                  {"single_strength", strength_key(p.single_strength)},
                  {"parallel_strength", strength_key(p.parallel_strength)},
                  {"bin_changed", p.bin_changed},
                  {"sign_changed", p.sign_changed}});
  json pe = json::array();
  for (const auto& p : r.parallel_energy)
    pe.push_back({{"model", p.model},
                  {"corunner", p.corunner},
                  {"configuration", p.configuration},
                  {"hyperparameter", p.hyperparameter},
                  {"value", p.value},
                  {"metric", to_string(p.metric)},
                  {"n_single", p.n_single},
                  {"n_parallel", p.n_parallel},
                  {"mean_single", p.mean_single},
                  {"mean_parallel", p.mean_parallel},
                  {"change_percent", p.change_percent},
                  {"p", p.p}});
  out["parallel_vs_single"] = {{"correlations", std::move(pc)}, {"energy", std::move(pe)}};
  return out;
}

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
