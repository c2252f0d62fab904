// Report sections about the input itself: overview, environment and meter sources, method.
#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "greentune/core/number_format.hpp"
#include "greentune/report/svg.hpp"
#include "sections.hpp"

namespace greentune::report::detail {

// ---- shared formatting helpers ----

std::string metric_name(analysis::Metric m) { return analysis::to_string(m); }

std::string metric_title(analysis::Metric m) {
  switch (m) {
    case analysis::Metric::cpu_package_j: return "CPU package energy (J)";
    case analysis::Metric::dram_j: return "DRAM energy (J)";
    case analysis::Metric::gpu_j: return "GPU energy (J)";
    case analysis::Metric::total_j: return "total energy (J)";
    case analysis::Metric::duration_s: return "duration (s)";
    case analysis::Metric::performance: return "performance";
  }
  return "?";
}

std::string performance_label(const ReportInput& in, const std::string& model) {
  return analysis::describe(in.analysis.performance_metric(model));
}

Cell metric_cell(const ReportInput& in, analysis::Metric m, const std::string& model) {
  if (m != analysis::Metric::performance) return metric_name(m);
  return Cell(performance_label(in, model), metric_name(m));
}

std::string better_text(const ReportInput& in, analysis::Metric m, const std::string& model) {
  const bool higher = m == analysis::Metric::performance && in.analysis.performance_metric(model).higher_is_better;
  return higher ? "higher" : "lower";
}

std::string performance_directions(const ReportInput& in) { return analysis::describe(in.analysis.performance_metrics); }

bool any_lower_is_better(const ReportInput& in) {
  for (const auto& m : in.analysis.performance_metrics)
    if (!m.higher_is_better) return true;
  return false;
}

std::string group_label(const std::string& model, Scenario scenario, const std::string& corunner) {
  if (scenario == Scenario::single) return model + " (single)";
  if (corunner.empty()) return model + " (parallel)";
  return model + " (parallel with " + corunner + ")";
}

std::string value_text(double v) { return svg::format_value(v, 4); }

Cell num_cell(double v, int digits) { return Cell(svg::format_value(v, digits), format_exact(v), "num"); }

Cell p_cell(double p) {
  std::string text = p < 1e-4 ? "<0.0001" : svg::format_value(p, 2);
  return Cell(text, format_exact(p), "num");
}

Cell count_cell(std::size_t n) { return Cell(std::to_string(n), std::to_string(n), "num"); }

Cell outcome_cell(analysis::Outcome o) {
  std::string s = analysis::to_string(o);
  return Cell(s, s, s);
}

std::string details(const std::string& summary, const std::string& inner_html) {
  return "<details><summary>" + html_escape(summary) + "</summary>\n" + inner_html + "</details>\n";
}

std::string estimate_badge() { return "<span class=\"badge est\" title=\"estimated, not measured\">estimate</span>"; }

// ---- overview ----

Section overview_section(const ReportInput& in) {
  Section s{"overview", "Overview", {}, {}};
  const auto& a = in.analysis;
  s.html += paragraph(fmt::format(
      "Input: {} ({}). {} runs read; {} used in the analysis; {} did not succeed (failed, diverged, "
      "timed out or unfinished) and were left out.",
      in.source.empty() ? "(unnamed)" : in.source, in.from_database ? "study database" : "runs CSV",
      in.runs.size(), a.runs_used, a.runs_not_succeeded), "lead");
  if (a.runs_pruned > 0)
    s.html += paragraph(fmt::format(
        "{} run(s) were pruned: tune stopped them early because their learning curves could not reach the "
        "feasible region. A pruned run is neither a success nor a failure; it is left out of the analysis.",
        a.runs_pruned));
  if (a.estimated_values > 0) {
    s.html += "<p class=\"estimate-note\">" +
              html_escape(fmt::format(
                  "{} energy value(s) come from an estimate, not from a meter. ", a.estimated_values)) +
              html_escape(a.options.include_estimated
                              ? "They are included in the analysis (--include-estimated) and marked "
                                "\"estimate\" (or \u2020 in charts) wherever they appear."
                              : "They were left out of the correlations and comparisons; run with "
                                "--include-estimated to analyse them. Charts of raw runs mark them as estimates.") +
              "</p>\n";
  }

  // One row per group: model, scenario, co-runner, operators, configurations, runs by status.
  struct GroupInfo {
    std::set<std::string> ops;
    std::set<std::string> configs;
    std::map<std::string, std::size_t> status;
  };
  std::map<std::tuple<std::string, std::string, std::string>, GroupInfo> groups;
  for (const auto& r : in.runs) {
    auto& g = groups[{r.model, to_string(r.scenario), r.corunner}];
    if (r.op != "original") g.ops.insert(r.op);
    g.configs.insert(r.op + "|" + format_configuration(r.hp));
    g.status[to_string(r.status)]++;
  }
  Table t{"Runs per model and scenario", {"model", "scenario", "co-runner", "mutated hyperparameters",
                                          "configurations", "runs", "statuses"}, {}};
  for (const auto& [key, g] : groups) {
    std::string ops, statuses;
    for (const auto& o : g.ops) ops += (ops.empty() ? "" : ", ") + o;
    std::size_t n = 0;
    for (const auto& [st, c] : g.status) {
      statuses += (statuses.empty() ? "" : ", ") + fmt::format("{} {}", c, st);
      n += c;
    }
    t.rows.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), ops.empty() ? "-" : ops,
                      count_cell(g.configs.size()), count_cell(n), statuses});
  }
  if (t.rows.empty()) {
    s.html += notice("The input holds no runs: there is nothing to report.");
  } else {
    s.html += table_html(t);
    s.tables.push_back({"runs_summary", t});
  }
  if (!a.performance_metrics.empty()) {
    Table pm{"Performance metric per model (win, tie and loss follow its direction; energy and time are "
             "always lower-is-better)",
             {"model", "performance metric", "better"}, {}};
    for (const auto& m : a.performance_metrics) {
      const std::string name = m.metric.empty() ? std::string("(not named)") : m.metric;
      const std::string better = m.higher_is_better ? "higher" : "lower";
      pm.rows.push_back({m.model, Cell(name, m.metric), Cell(better + " is better", better)});
    }
    s.html += table_html(pm);
    s.tables.push_back({"performance_metrics", pm});
  }
  if (!a.notes.empty()) {
    s.html += "<h3>Notes from the analysis</h3>\n<ul>\n";
    for (const auto& n : a.notes) s.html += "<li>" + html_escape(n) + "</li>\n";
    s.html += "</ul>\n";
  }
  return s;
}

// ---- environment and meter sources ----

namespace {

std::string env_list(const std::map<std::string, std::string>& env, bool study_keys) {
  static const std::vector<std::pair<std::string, std::string>> kKnown = {
      {"hostname", "Host"},          {"nodes", "Nodes"},          {"cpu_model", "CPU"},
      {"cpu_cores", "CPU cores"},    {"memory", "Memory"},        {"kernel", "Kernel"},
      {"os", "Operating system"},    {"governor", "CPU governor"}, {"torch_version", "libtorch"},
      {"gpu", "GPU"},                {"gpu_driver", "GPU driver"}, {"meters", "Energy meters"}};
  std::string out = "<dl class=\"env\">\n";
  std::set<std::string> shown;
  auto add = [&](const std::string& label, const std::string& key, const std::string& value) {
    bool est = value.find("estimate") != std::string::npos;
    out += "<dt>" + html_escape(label) + "</dt><dd>" + html_escape(value.empty() ? "(empty)" : value) +
           (est ? " " + estimate_badge() : "") + "</dd>\n";
    shown.insert(key);
  };
  if (!study_keys) {
    for (const auto& [key, label] : kKnown) {
      auto it = env.find(key);
      if (it != env.end()) add(label, key, it->second);
    }
  }
  for (const auto& [key, value] : env) {
    bool is_study = key.rfind("study.", 0) == 0;
    if (is_study != study_keys || shown.count(key)) continue;
    add(is_study ? key.substr(6) : key, key, value);
  }
  out += "</dl>\n";
  return shown.empty() ? std::string() : out;
}

}  // namespace


Section environment_section(const ReportInput& in) {
  Section s{"environment", "Environment and meter sources", {}, {}};
  if (in.environment.empty()) {
    s.html += notice(in.from_database
                         ? "The study database records no environment for this study."
                         : "The machine's environment (CPU, kernel, governor, GPU, libtorch, meters) is not "
                           "available for a runs CSV input: it is recorded only in a study database "
                           "(greentune study). Meter sources below come from the CSV's *_source columns.");
  } else {
    s.html += "<h3>Machine</h3>\n" + env_list(in.environment, false);
    std::string study = env_list(in.environment, true);
    if (!study.empty()) s.html += "<h3>Study</h3>\n" + study;
    Table et{"Environment", {"key", "value"}, {}};
    for (const auto& [k, v] : in.environment) et.rows.push_back({k, v});
    s.tables.push_back({"environment", et});
  }
  if (in.node_environments.size() > 1) {
    std::set<std::string> keys;
    for (const auto& [node, env] : in.node_environments)
      for (const auto& [k, v] : env) keys.insert(k);
    Table nt{"Environment of every node", {"node"}, {}};
    for (const auto& k : keys) nt.columns.push_back(k);
    for (const auto& [node, env] : in.node_environments) {
      std::vector<Cell> row{node};
      for (const auto& k : keys) {
        auto it = env.find(k);
        row.emplace_back(it == env.end() ? "" : it->second);
      }
      nt.rows.push_back(std::move(row));
    }
    s.html += "<h3>Nodes</h3>\n" + table_html(nt);
    s.tables.push_back({"nodes", nt});
  }

  // Meter sources per energy domain, counted over the runs.
  s.html += "<h3>Meter sources</h3>\n";
  struct SourceCount {
    std::size_t runs = 0;
    const char* kind = "";  // estimate | measured | unknown (a value without its source) | missing
  };
  std::map<std::pair<std::string, std::string>, SourceCount> counts;  // by domain and source, as text
  bool any_source = false;
  for (const auto& r : in.runs) {
    for (auto d : kEnergyDomains) {
      const EnergyReading& e = r.reading(d);
      const bool recorded = e.source != EnergySource::unknown;
      any_source = any_source || recorded;
      const std::string src = recorded ? to_string(e.source) : e.joules ? "(not recorded)" : "(not measured)";
      SourceCount& c = counts[{to_string(d), src}];
      ++c.runs;
      c.kind = e.estimated() ? "estimate" : recorded ? "measured" : e.joules ? "unknown" : "missing";
    }
  }
  Table mt{"Where each energy figure came from (runs per domain and source)",
           {"energy domain", "source", "runs", "kind"}, {}};
  for (const auto& [key, c] : counts) {
    const auto& [domain, src] = key;
    const char* est = std::string_view(c.kind) == "estimate" ? "est" : "";
    mt.rows.push_back({domain, Cell(src, src, est), count_cell(c.runs), Cell(c.kind, c.kind, est)});
  }
  if (!any_source) {
    s.html += notice("The runs carry no meter-source columns (<domain>_source): whether their energy was "
                     "measured or estimated is unknown.");
  }
  if (!mt.rows.empty()) {
    s.html += table_html(mt);
    s.tables.push_back({"meter_sources", mt});
  }
  s.html += paragraph(
      "An estimate is a model of power (for example CPU time times a nominal wattage), used where no "
      "meter is readable, such as in most virtual machines. It is marked \"estimate\" wherever it appears "
      "and is kept out of the statistics unless the analysis was run with --include-estimated.");
  return s;
}

// ---- method ----

Section method_section(const ReportInput& in) {
  Section s{"method", "Method", {}, {}};
  const auto& o = in.analysis.options;
  std::string test = stats::to_string(o.test);
  s.html += "<ul>\n";
  auto li = [&](const std::string& text) { s.html += "<li>" + html_escape(text) + "</li>\n"; };
  li("Runs are grouped by model, scenario and co-runner. A hyperparameter's sample is the original's runs "
     "plus the runs of the mutants that change that hyperparameter.");
  li(fmt::format("Correlations: Spearman's rho (average ranks for ties) and Pearson's r, each with a "
                 "two-sided p-value. Strength bins of rho: |rho| < {} negligible, {} <= |rho| < {} weak, "
                 "|rho| >= {} strong.",
                 svg::format_value(o.strength.weak), svg::format_value(o.strength.weak),
                 svg::format_value(o.strength.strong), svg::format_value(o.strength.strong)));
  li(fmt::format("Comparisons: every mutant value against the original with the {} test and Cliff's "
                 "delta. Tie when p > {} or |delta| < {}; otherwise a win is significantly less energy "
                 "or time, or significantly better performance: higher for a higher-is-better metric, "
                 "lower for a lower-is-better one (such as a loss or an error rate).",
                 test, svg::format_value(o.alpha), svg::format_value(o.negligible)));
  if (!in.analysis.performance_metrics.empty()) li("Performance metrics: " + performance_directions(in) + ".");
  li(fmt::format("Energy savings: mean saving in percent of the original's mean, with a {}% bootstrap "
                 "interval ({} resamples, seed {}).",
                 svg::format_value(o.bootstrap_confidence * 100), o.bootstrap_resamples, o.bootstrap_seed));
  li(std::string("Estimated energy values: ") +
     (o.include_estimated ? "included and marked." : "left out of the statistics."));
  li("total_j is the sum of the energy components measured for the group (CPU package, DRAM, GPU); a "
     "missing component is never counted as 0 J.");
  s.html += "</ul>\n";
  return s;
}

}  // namespace greentune::report::detail
