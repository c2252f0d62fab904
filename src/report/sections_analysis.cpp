// Report sections drawn from the analysis: correlations, trade-off grids, comparisons,
// parallel vs single, greener configurations.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "greentune/core/number_format.hpp"
#include "greentune/report/svg.hpp"
#include "sections.hpp"

namespace greentune::report::detail {
namespace {

using analysis::Metric;

const Metric kAllMetrics[] = {Metric::cpu_package_j, Metric::dram_j, Metric::gpu_j,
                              Metric::total_j,       Metric::duration_s, Metric::performance};

// The scenarios that occur in `rows`, single first.
template <typename Rows>
std::vector<Scenario> scenarios_of(const Rows& rows) {
  std::set<Scenario> set;
  for (const auto& r : rows) set.insert(r.scenario);
  return {set.begin(), set.end()};  // the enum's order: single, parallel
}

std::string strength_class(stats::StrengthBin b) {
  switch (b) {
    case stats::StrengthBin::strong_positive: return "strong-pos";
    case stats::StrengthBin::strong_negative: return "strong-neg";
    default: return "";
  }
}

// Why an energy chart may be missing: estimated energy left out of the analysis.
std::string estimate_hint(const ReportInput& in) {
  const auto& a = in.analysis;
  if (a.estimated_values == 0 || a.options.include_estimated) return {};
  return fmt::format(" {} energy value(s) are estimates and were left out; run with --include-estimated to "
                     "analyse them.", a.estimated_values);
}

}  // namespace

// Why energy is estimated, what that means, and how to get real readings.
std::string estimated_energy_explanation() {
  return "<p class=\"estimate-note\">" +
         html_escape(
             "Energy here is estimated, not measured: no energy meter was readable on the machine that ran the "
             "study (most virtual machines have none), so greentune modelled power from CPU time. The outcomes "
             "show how the estimate moves with the hyperparameters (mostly through run time), not what the "
             "hardware drew; they are labelled \"estimated\" wherever they appear and are included only because "
             "the analysis was asked to (--include-estimated). For real readings: let greentune read RAPL "
             "(run as root, or `sudo chmod o+r /sys/class/powercap/intel-rapl:*/energy_uj`, which the kernel "
             "restricts since CVE-2020-8694), run on a bare-metal machine rather than a VM, or on an NVIDIA GPU "
             "(NVML); `greentune meters` shows what this machine can measure.") +
         "</p>\n";
}

// ---- correlations ----

// One scenario's heatmap: rows model x hyperparameter (x co-runner), columns metrics.
std::string correlation_heatmap(const ReportInput& in, Scenario scenario) {
  const auto& a = in.analysis;
  const std::string scen = to_string(scenario);
  std::set<std::string> corunners;
  for (const auto& c : a.correlations)
    if (c.scenario == scenario) corunners.insert(c.corunner);
  const bool one_corunner = corunners.size() == 1;
  auto row_label = [&](const analysis::CorrelationRow& c) {
    std::string label = c.model + " \u00b7 " + c.hyperparameter;
    if (!one_corunner && !c.corunner.empty()) label += " (with " + c.corunner + ")";
    return label;
  };
  std::set<Metric> metrics;
  std::vector<std::string> rows;
  std::map<std::string, std::size_t> row_index;
  for (const auto& c : a.correlations) {
    if (c.scenario != scenario) continue;
    metrics.insert(c.metric);
    std::string label = row_label(c);
    if (!row_index.count(label)) {
      row_index[label] = rows.size();
      rows.push_back(label);
    }
  }
  std::size_t hidden_rows = 0;
  if (rows.size() > in.max_heatmap_rows) {
    hidden_rows = rows.size() - in.max_heatmap_rows;
    rows.resize(in.max_heatmap_rows);
  }
  svg::HeatmapData h;
  h.title = "Spearman's rho, " + scen + " scenario";
  h.legend_label = "Spearman's rho";
  h.row_labels = rows;
  std::vector<Metric> cols;
  for (Metric m : kAllMetrics)
    if (metrics.count(m)) {
      cols.push_back(m);
      h.column_labels.push_back(metric_name(m));
    }
  h.values.assign(rows.size(), std::vector<std::optional<double>>(cols.size()));
  h.tooltips.assign(rows.size(), std::vector<std::string>(cols.size()));
  h.marks.assign(rows.size(), std::vector<std::string>(cols.size()));
  for (const auto& c : a.correlations) {
    if (c.scenario != scenario) continue;
    std::string label = row_label(c);
    std::size_t i = row_index[label];
    if (i >= rows.size()) continue;
    std::size_t j = static_cast<std::size_t>(std::find(cols.begin(), cols.end(), c.metric) - cols.begin());
    h.values[i][j] = c.defined ? std::optional<double>(c.spearman_rho) : std::nullopt;
    h.marks[i][j] = std::string(c.spearman_p < a.options.alpha ? "*" : "") + (c.estimated ? "\u2020" : "");
    h.tooltips[i][j] = fmt::format("rho {} (p {}), r {} (p {}), n {}, {}{}", svg::format_value(c.spearman_rho),
                                   svg::format_value(c.spearman_p, 2), svg::format_value(c.pearson_r),
                                   svg::format_value(c.pearson_p, 2), c.n, stats::to_string(c.strength),
                                   c.estimated ? ", from estimated energy" : "");
    if (c.metric == Metric::performance) h.tooltips[i][j] += ", " + performance_label(in, c.model);
    if (!c.defined) h.tooltips[i][j] = fmt::format("constant input (n {}): no correlation", c.n);
  }
  std::string heading = scen + " scenario";
  if (one_corunner && !corunners.begin()->empty()) heading += " (co-runner: " + *corunners.begin() + ")";
  const bool estimated = std::any_of(a.correlations.begin(), a.correlations.end(),
                                     [&](const auto& c) { return c.scenario == scenario && c.estimated; });
  h.title = "Spearman's rho, " + heading + (estimated ? " (\u2020 estimated energy)" : "");
  return "<h3>" + html_escape(heading) + "</h3>\n" +
            (hidden_rows ? notice(fmt::format("The heatmap shows the first {} rows; {} more are in the "
                                              "table below and in correlations.csv.",
                                              rows.size(), hidden_rows))
                         : std::string()) +
            figure(svg::heatmap(h), "Hover a cell for rho, Pearson's r, p-values and n. Grey n/a: not measured, left out (an estimate) or a constant input.");
}

Section correlation_section(const ReportInput& in) {
  Section s{"correlations", "Correlations between hyperparameters and energy (RQ1)", {}, {}};
  const auto& a = in.analysis;
  if (a.correlations.empty()) {
    s.html += notice("No correlations could be computed: the input has no group with an original and "
                     "mutants that succeeded and have measured values." + estimate_hint(in));
    return s;
  }
  s.html += paragraph(
      "Spearman's rho between each hyperparameter and each metric, over the original's and that "
      "hyperparameter's mutants' runs. Red: the metric grows with the hyperparameter; blue: it falls. "
      "* marks p < alpha; \u2020 marks a value computed from estimated energy.");
  if (std::any_of(a.correlations.begin(), a.correlations.end(), [](const auto& c) { return c.estimated; }))
    s.html += estimated_energy_explanation();
  if (any_lower_is_better(in))
    s.html += paragraph("For performance, a positive rho means the metric grows with the hyperparameter, which is "
                        "good only for a higher-is-better metric. Performance metrics: " +
                        performance_directions(in) + ".");

  for (const Scenario scenario : scenarios_of(a.correlations)) s.html += correlation_heatmap(in, scenario);

  // Strength summary (the paper's tables).
  Table st{"Correlations per strength bin of Spearman's rho (counted over models)",
           {"scenario", "hyperparameter", "metric", "strong negative", "weak negative", "negligible",
            "weak positive", "strong positive"},
           {}};
  for (const auto& r : a.strength_summary) {
    std::vector<Cell> row{std::string(to_string(r.scenario)), r.hyperparameter, metric_name(r.metric)};
    for (std::size_t b = 0; b < stats::kStrengthBins; ++b) row.push_back(count_cell(r.counts[b]));
    st.rows.push_back(std::move(row));
  }
  if (!st.rows.empty()) {
    s.html += details(fmt::format("Strength summary: correlations per bin, counted over models ({} rows)", st.rows.size()),
                      table_html(st));
    s.tables.push_back({"strength_summary", st});
  }

  Table t{"All correlations", {"model", "scenario", "co-runner", "hyperparameter", "metric", "n",
                               "Spearman rho", "p", "Pearson r", "p", "strength", "values"}, {}};
  for (const auto& c : a.correlations) {
    Cell rho = num_cell(c.spearman_rho);
    rho.css_class += " " + strength_class(c.strength);
    t.rows.push_back({c.model, std::string(to_string(c.scenario)), c.corunner, c.hyperparameter, metric_cell(in, c.metric, c.model),
                      count_cell(c.n), rho, p_cell(c.spearman_p), num_cell(c.pearson_r), p_cell(c.pearson_p),
                      std::string(c.defined ? stats::to_string(c.strength) : "constant input"),
                      Cell(c.estimated ? "estimate" : "measured", c.estimated ? "estimated" : "measured",
                           c.estimated ? "est" : "")});
  }
  s.html += details(fmt::format("All {} correlations (table)", t.rows.size()), table_html(t));
  s.tables.push_back({"correlations", t});
  return s;
}

// ---- trade-off grids ----

Section tradeoff_section(const ReportInput& in) {
  Section s{"tradeoffs", "Energy vs performance trade-offs (RQ2)", {}, {}};
  const auto& a = in.analysis;
  s.html +=
      "<p>Each grid counts the mutants of one hyperparameter, over all models, by two outcomes against "
      "the original: the rows say whether the mutant used <b>less</b> (win), <b>about the same</b> (tie) or "
      "<b>more</b> (loss) energy; the columns whether its performance was better (win), the same (tie) or "
      "worse (loss), better meaning higher for a higher-is-better metric and lower for a lower-is-better "
      "one. The <span style=\"color:#1a9850;font-weight:600\">green frame</span> holds the greener "
      "mutants that lose no performance; the bottom-right cell holds mutants that are worse on both.</p>\n";
  if (!a.performance_metrics.empty())
    s.html += paragraph("Performance metrics: " + performance_directions(in) + ".");
  if (a.tradeoffs.empty()) {
    s.html += notice("No trade-off grid: no mutant could be compared with its original on both an energy "
                     "metric and performance." + estimate_hint(in));
    return s;
  }
  bool any_estimated = false;
  for (const auto& g : a.tradeoffs) any_estimated = any_estimated || g.estimated;
  if (any_estimated) s.html += estimated_energy_explanation();
  Table t{"Trade-off grids", {"scenario", "hyperparameter", "metric", "energy"}, {}};
  static const char* kO[] = {"win", "tie", "loss"};
  for (const char* e : kO)
    for (const char* p : kO) t.columns.push_back(fmt::format("energy {} / perf {}", e, p));
  for (const Scenario scenario : scenarios_of(a.tradeoffs)) {
    const std::string scen = to_string(scenario);
    s.html += "<h3>" + html_escape(scen) + " scenario</h3>\n";
    std::vector<std::string> hps;
    for (const auto& g : a.tradeoffs)
      if (g.scenario == scenario && std::find(hps.begin(), hps.end(), g.hyperparameter) == hps.end())
        hps.push_back(g.hyperparameter);
    for (const auto& hp : hps) {
      s.html += "<div class=\"grid-row\">\n";
      for (Metric m : kAllMetrics) {
        for (const auto& g : a.tradeoffs) {
          if (g.scenario != scenario || g.hyperparameter != hp || g.metric != m) continue;
          svg::TradeoffGridData d;
          const char* est = g.estimated ? " (estimated)" : "";
          d.title = fmt::format("{} \u00b7 {} \u00b7 {}{}", scen, hp, metric_name(m), est);
          d.energy_label = metric_name(m) + est;
          for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) d.counts[i][j] = static_cast<int>(g.counts[i][j]);
          s.html += figure(svg::tradeoff_grid(d),
                           fmt::format("{}: {} by {}{}", scen, hp, metric_name(m),
                                       g.estimated ? " \u2014 from estimated energy, not measured" : ""));
          std::vector<Cell> row{std::string(to_string(g.scenario)), g.hyperparameter, metric_name(g.metric),
                                g.estimated ? Cell("estimate", "estimated", "est") : Cell("measured")};
          for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) row.push_back(count_cell(g.counts[i][j]));
          t.rows.push_back(std::move(row));
        }
      }
      s.html += "</div>\n";
    }
  }
  s.tables.push_back({"tradeoffs", t});
  return s;
}

// ---- comparisons ----

Section comparison_section(const ReportInput& in) {
  Section s{"comparisons", "Win-tie-loss of every mutant", {}, {}};
  const auto& a = in.analysis;
  if (a.comparisons.empty()) {
    s.html += notice("No mutant could be compared with its original.");
    return s;
  }
  std::size_t wins = 0, losses = 0;
  for (const auto& c : a.comparisons) {
    wins += c.outcome == analysis::Outcome::win;
    losses += c.outcome == analysis::Outcome::loss;
  }
  s.html += paragraph(fmt::format(
      "{} comparisons ({} test): {} wins, {} losses, {} ties. For energy and time a win is significantly "
      "lower; for performance significantly better in the direction of the model's metric (column "
      "\"better\"). Cliff's delta is mutant against original.",
      a.comparisons.size(), stats::to_string(a.options.test), wins, losses, a.comparisons.size() - wins - losses));
  Table t{"Every mutant against the original",
          {"model", "scenario", "co-runner", "hyperparameter", "value", "original", "metric", "better", "n",
           "mean (mutant)", "mean (original)", "change %", "p", "Cliff's delta", "outcome", "values"},
          {}};
  for (const auto& c : a.comparisons) {
    double change = c.mean_original != 0 ? 100 * (c.mean_mutant - c.mean_original) / c.mean_original : 0;
    t.rows.push_back({c.model, std::string(to_string(c.scenario)), c.corunner, c.hyperparameter, num_cell(c.value, 4),
                      num_cell(c.original_value, 4), metric_cell(in, c.metric, c.model),
                      std::string(c.higher_is_better ? "higher" : "lower"),
                      Cell(fmt::format("{}/{}", c.n_mutant, c.n_original), fmt::format("{}/{}", c.n_mutant, c.n_original), "num"),
                      num_cell(c.mean_mutant), num_cell(c.mean_original), num_cell(change, 3), p_cell(c.p),
                      num_cell(c.cliffs_delta, 3), outcome_cell(c.outcome),
                      Cell(c.estimated ? "estimate" : "measured", c.estimated ? "estimated" : "measured",
                           c.estimated ? "est" : "")});
  }
  s.html += details(fmt::format("All {} comparisons (table)", t.rows.size()), table_html(t));
  s.tables.push_back({"comparisons", t});
  return s;
}

// ---- parallel vs single ----

Section parallel_section(const ReportInput& in) {
  Section s{"parallel", "Parallel vs single (RQ3)", {}, {}};
  const auto& a = in.analysis;
  if (a.parallel_correlations.empty() && a.parallel_energy.empty()) {
    s.html += notice("No model was measured both alone and beside a co-runner, so there is no "
                     "parallel-vs-single comparison.");
    return s;
  }
  if (!a.parallel_correlations.empty()) {
    s.html += paragraph(
        "Spearman's rho of the same model and hyperparameter measured alone (hollow) and beside a co-runner "
        "(filled). Highlighted rows changed strength bin or sign.");
    std::set<std::string> corunners;
    for (const auto& r : a.parallel_correlations) corunners.insert(r.corunner);
    const bool one_corunner = corunners.size() == 1;
    std::vector<Metric> metrics;
    for (Metric m : kAllMetrics)
      for (const auto& r : a.parallel_correlations)
        if (r.metric == m && analysis::is_energy(m)) {
          metrics.push_back(m);
          break;
        }
    s.html += "<div class=\"charts\">\n";
    for (Metric m : metrics) {
      svg::DumbbellData d;
      const bool est = std::any_of(a.parallel_correlations.begin(), a.parallel_correlations.end(),
                                   [&](const auto& r) { return r.metric == m && r.estimated; });
      d.title = "Spearman's rho, " + metric_name(m) + ": alone vs in parallel" + (est ? " (estimated energy)" : "");
      d.a_label = "single";
      d.b_label = one_corunner && !corunners.begin()->empty() ? "beside " + *corunners.begin() : "parallel";
      d.x_label = "Spearman's rho (" + metric_name(m) + ")";
      for (const auto& r : a.parallel_correlations) {
        if (r.metric != m) continue;
        std::string label = r.model + " \u00b7 " + r.hyperparameter;
        if (!one_corunner && !r.corunner.empty()) label += " (with " + r.corunner + ")";
        d.rows.push_back({label, r.single_rho, r.parallel_rho, r.bin_changed || r.sign_changed});
      }
      s.html += figure(svg::dumbbell(d), metric_name(m) + (est ? " \u2014 from estimated energy, not measured" : ""));
    }
    s.html += "</div>\n";
    Table t{"Correlations alone and in parallel",
            {"model", "co-runner", "hyperparameter", "metric", "rho single", "p", "rho parallel", "p",
             "strength single", "strength parallel", "changed", "energy"},
            {}};
    for (const auto& r : a.parallel_correlations) {
      std::string changed = r.sign_changed && r.bin_changed ? "sign and bin" : r.sign_changed ? "sign"
                            : r.bin_changed ? "bin" : "";
      t.rows.push_back({r.model, r.corunner, r.hyperparameter, metric_name(r.metric), num_cell(r.single_rho),
                        p_cell(r.single_p), num_cell(r.parallel_rho), p_cell(r.parallel_p),
                        std::string(stats::to_string(r.single_strength)),
                        std::string(stats::to_string(r.parallel_strength)),
                        Cell(changed, changed, changed.empty() ? "" : "changed"),
                        r.estimated ? Cell("estimate", "estimated", "est") : Cell("measured")});
    }
    s.html += details(fmt::format("All {} correlation pairs (table)", t.rows.size()), table_html(t));
    s.tables.push_back({"parallel_correlations", t});
  }
  if (!a.parallel_energy.empty()) {
    Table t{"The same configuration alone and beside a co-runner",
            {"model", "co-runner", "configuration", "metric", "n single", "n parallel", "mean single",
             "mean parallel", "change %", "p", "energy"},
            {}};
    for (const auto& r : a.parallel_energy) {
      std::string config = r.hyperparameter.empty() ? "original" : r.hyperparameter + "=" + value_text(r.value);
      std::string config_raw = r.configuration.empty() ? config : r.configuration;
      Cell change = num_cell(r.change_percent, 3);
      if (r.p <= a.options.alpha) change.css_class += r.change_percent > 0 ? " loss" : " win";
      t.rows.push_back({r.model, r.corunner, Cell(config, config_raw), metric_name(r.metric), count_cell(r.n_single),
                        count_cell(r.n_parallel), num_cell(r.mean_single), num_cell(r.mean_parallel), change,
                        p_cell(r.p), r.estimated ? Cell("estimate", "estimated", "est") : Cell("measured")});
    }
    s.html += "<h3>Energy alone and in parallel</h3>\n";
    s.html += paragraph("Whole-machine figures of the same configuration; a coloured change is significant at alpha.");
    s.html += table_html(t);
    s.tables.push_back({"parallel_energy", t});
  }
  return s;
}

// ---- greener configurations ----

Section greener_section(const ReportInput& in) {
  Section s{"greener", "Greener configurations", {}, {}};
  const auto& a = in.analysis;
  s.html += paragraph(
      "Mutants that used significantly less energy than the original without a significant loss of "
      "performance (a significantly worse value in the direction of the model's metric, shown in column "
      "\"performance metric\"), largest mean saving first. The interval is a bootstrap confidence interval of the saving.");
  if (a.greener.empty()) {
    s.html += notice("No mutant used significantly less energy without losing performance (with the chosen "
                     "test, alpha and negligible-effect threshold)." + estimate_hint(in));
    return s;
  }
  auto rows = a.greener;
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& x, const auto& y) { return x.saving_percent > y.saving_percent; });
  Table t{"Greener mutants without performance loss",
          {"model", "scenario", "co-runner", "change", "metric", "saving %", "CI low %", "CI high %", "p",
           "Cliff's delta", "performance", "performance change", "performance metric", "values"},
          {}};
  for (const auto& g : rows) {
    std::string change = g.hyperparameter + " " + value_text(g.original_value) + " \u2192 " + value_text(g.value);
    t.rows.push_back({g.model, std::string(to_string(g.scenario)), g.corunner, Cell(change, g.hyperparameter + "=" + format_exact(g.value)),
                      metric_name(g.metric), Cell(svg::format_value(g.saving_percent, 3), format_exact(g.saving_percent), "num win"),
                      num_cell(g.saving_low, 3), num_cell(g.saving_high, 3),
                      p_cell(g.p), num_cell(g.cliffs_delta, 3), outcome_cell(g.performance_outcome),
                      num_cell(g.performance_change, 3),
                      Cell(performance_label(in, g.model), performance_label(in, g.model)),
                      Cell(g.estimated ? "estimate" : "measured", g.estimated ? "estimated" : "measured",
                           g.estimated ? "est" : "")});
  }
  svg::IntervalChartData chart;
  chart.title = "Mean energy saving of the greener mutants, with bootstrap intervals";
  chart.x_label = "energy saving against the original (%)";
  const std::size_t kMaxRows = 40;
  for (const auto& g : rows) {
    if (chart.rows.size() == kMaxRows) break;
    std::string label = fmt::format("{} \u00b7 {} \u00b7 {} {} \u2192 {} \u00b7 {}", g.model, std::string(to_string(g.scenario)), g.hyperparameter,
                                    value_text(g.original_value), value_text(g.value), metric_name(g.metric));
    chart.rows.push_back({label + (g.estimated ? " \u2020" : ""), g.saving_percent, g.saving_low, g.saving_high, g.estimated});
  }
  s.html += figure(svg::interval_chart(chart),
                   rows.size() > kMaxRows ? fmt::format("The {} largest savings of {}; all are in the table.", kMaxRows, rows.size())
                                          : std::string("Hollow squares and \u2020: computed from estimated energy."));
  s.html += table_html(t);
  s.tables.push_back({"greener", t});
  return s;
}

}  // namespace greentune::report::detail
