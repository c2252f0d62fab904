// Report sections drawn from the raw runs: energy and performance per mutant (box plots)
// and power over time.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include <fmt/format.h>

#include "greentune/core/number_format.hpp"
#include "greentune/stats/stats.hpp"
#include "greentune/report/svg.hpp"
#include "sections.hpp"

namespace greentune::report::detail {
namespace {

using analysis::Metric;

// The analysis's values of one run (all absent when the analysis did not see it).
analysis::RunValues values_of(const ReportInput& in, const RunRecord* r) {
  const auto i = static_cast<std::size_t>(r - in.runs.data());
  return i < in.analysis.run_values.size() ? in.analysis.run_values[i] : analysis::RunValues{};
}

bool any_estimated_energy(const RunRecord& r) {
  for (const auto& e : r.energy)
    if (e.joules && e.estimated()) return true;
  return false;
}

double mean_or_nan(const std::vector<double>& v) { return v.empty() ? NAN : stats::mean(v); }
double median_or_nan(const std::vector<double>& v) { return v.empty() ? NAN : svg::box_stats(v).median; }

using GroupKey = std::tuple<std::string, Scenario, std::string>;  // model, scenario, corunner

std::map<GroupKey, std::vector<const RunRecord*>> succeeded_groups(const std::vector<RunRecord>& runs) {
  std::map<GroupKey, std::vector<const RunRecord*>> groups;
  for (const auto& r : runs)
    if (r.status == RunStatus::succeeded) groups[{r.model, r.scenario, r.corunner}].push_back(&r);
  return groups;
}

// Groups in reading order: by model, the single scenario before the parallel ones (the
// enum's order), then by co-runner: the map's own order.
std::vector<std::pair<GroupKey, std::vector<const RunRecord*>>> ordered(
    std::map<GroupKey, std::vector<const RunRecord*>> groups) {
  return {std::make_move_iterator(groups.begin()), std::make_move_iterator(groups.end())};
}

// Configurations of one operator in a group: value -> runs; the original's runs under its
// own value of the hyperparameter (or first, when it has none).
struct Config {
  double value = NAN;
  bool original = false;
  std::vector<const RunRecord*> runs;
};

std::vector<Config> configs_of(const std::vector<const RunRecord*>& runs, const std::string& op) {
  std::map<double, Config> by_value;
  Config orig_no_value;
  orig_no_value.original = true;
  for (const RunRecord* r : runs) {
    bool is_orig = r->op == "original";
    if (!is_orig && r->op != op) continue;
    auto it = r->hp.find(op);
    if (it == r->hp.end()) {
      if (is_orig) orig_no_value.runs.push_back(r);
      continue;
    }
    Config& c = by_value[it->second];
    c.value = it->second;
    c.original = c.original || is_orig;
    c.runs.push_back(r);
  }
  std::vector<Config> out;
  if (!orig_no_value.runs.empty()) out.push_back(orig_no_value);
  for (auto& [v, c] : by_value) out.push_back(std::move(c));
  return out;
}

}  // namespace

Section boxplot_section(const ReportInput& in) {
  Section s{"per-mutant", "Energy and performance per mutant", {}, {}};
  s.html += paragraph(
      "One box per configuration (the original in orange, mutants sorted by value), drawn from the raw "
      "succeeded runs: the box spans the middle half of the runs, the thick line is the median, whiskers "
      "reach the furthest run within 1.5 times the box height, and every run is a dot. Energy is the "
      "analysis's total_j of each run: the sum of the energy components measured in its model and scenario, "
      "estimates included only when the analysis includes them (--include-estimated).");
  auto groups = ordered(succeeded_groups(in.runs));
  Table t{"Per configuration",
          {"model", "scenario", "co-runner", "hyperparameter", "value", "original", "runs", "median energy J",
           "mean energy J", "energy", "median performance", "mean performance", "performance metric",
           "median duration s"},
          {}};
  bool any = false;
  std::size_t drawn_groups = 0, skipped_groups = 0;
  for (const auto& [key, runs] : groups) {
    const auto& [model, sc, corunner] = key;
    const std::string scenario = to_string(sc);
    std::set<std::string> ops;
    for (const RunRecord* r : runs)
      if (r->op != "original") ops.insert(r->op);
    if (ops.empty()) continue;
    const bool draw = drawn_groups < in.max_box_groups;
    if (draw) {
      ++drawn_groups;
    } else {
      ++skipped_groups;
    }
    if (draw) s.html += "<h3>" + html_escape(group_label(model, sc, corunner)) + "</h3>\n";
    for (const auto& op : ops) {
      svg::BoxPlotData energy, perf;
      bool any_est = false;
      for (const auto& c : configs_of(runs, op)) {
        std::string label = c.original ? (std::isnan(c.value) ? "original" : value_text(c.value) + " (orig)")
                                       : value_text(c.value);
        svg::BoxGroup ge{label, {}, c.original}, gp{label, {}, c.original};
        std::vector<double> durations;
        bool est = false, left_out = false;
        for (const RunRecord* r : c.runs) {
          const analysis::RunValues v = values_of(in, r);
          if (auto e = v.get(Metric::total_j)) {
            ge.values.push_back(*e);
            est = est || v.is_estimated(Metric::total_j);
          } else if (any_estimated_energy(*r) && !in.analysis.options.include_estimated) {
            left_out = true;
          }
          if (auto p = v.get(Metric::performance)) gp.values.push_back(*p);
          if (auto d = v.get(Metric::duration_s)) durations.push_back(*d);
        }
        any_est = any_est || est;
        auto opt_cell = [](double v) { return std::isnan(v) ? Cell("") : num_cell(v, 4); };
        t.rows.push_back({model, scenario, corunner, op,
                          std::isnan(c.value) ? Cell("") : Cell(value_text(c.value), format_exact(c.value), "num"),
                          c.original ? "yes" : "", count_cell(c.runs.size()), opt_cell(median_or_nan(ge.values)),
                          opt_cell(mean_or_nan(ge.values)),
                          ge.values.empty() ? (left_out ? Cell("estimate, left out", "estimated-left-out", "est")
                                                        : Cell("missing"))
                          : est             ? Cell("estimate", "estimated", "est")
                                            : Cell("measured"),
                          opt_cell(median_or_nan(gp.values)), opt_cell(mean_or_nan(gp.values)),
                          performance_label(in, model), opt_cell(median_or_nan(durations))});
        energy.groups.push_back(std::move(ge));
        perf.groups.push_back(std::move(gp));
      }
      energy.title = fmt::format("{}: total energy by {}{}", group_label(model, sc, corunner), op,
                                 any_est ? " (estimated)" : "");
      energy.y_label = any_est ? "energy, estimated (J)" : "energy (J)";
      energy.x_label = op + (any_est ? " (energy estimated)" : "");
      perf.x_label = op;
      perf.title = fmt::format("{}: performance by {}", group_label(model, sc, corunner), op);
      perf.y_label = runs.empty() ? std::string("performance") : performance_label(in, model);
      any = true;
      if (!draw) continue;
      s.html += "<div class=\"charts\">\n";
      s.html += figure(svg::box_plot(energy),
                       fmt::format("Total energy per {} value{}", op, any_est ? " \u2014 estimated, not measured" : ""));
      s.html += figure(svg::box_plot(perf), fmt::format("Performance per {} value", op));
      s.html += "</div>\n";
    }
  }
  if (skipped_groups > 0)
    s.html += notice(fmt::format("Box plots are drawn for the first {} model/scenario groups; {} more are in "
                                 "configurations.csv (--box-groups raises the limit).",
                                 drawn_groups, skipped_groups));
  if (!any) {
    s.html += notice("No succeeded runs of mutants: there is nothing to draw.");
    return s;
  }
  s.tables.push_back({"configurations", t});
  return s;
}

// ---- power over time ----

namespace {

using GroupList = std::vector<std::pair<GroupKey, std::vector<const RunRecord*>>>;

struct PowerCandidate {
  long long id;
  std::string label;
};

// Runs to draw, per group: the original's first run, then each operator's lowest and highest
// value; groups take turns so that every group is shown within the budget (in.max_power_runs).
std::vector<std::vector<PowerCandidate>> pick_power_runs(const ReportInput& in, const GroupList& groups) {
  std::set<long long> with_samples;
  for (const auto& [id, pts] : in.power)
    if (!pts.empty()) with_samples.insert(id);
  auto id_of = [](const RunRecord* r) -> std::optional<long long> {
    auto it = r->extra.find("run_id");
    if (it == r->extra.end()) return std::nullopt;
    return parse_integer(it->second);
  };
  std::vector<std::vector<PowerCandidate>> candidates(groups.size());
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    const auto& runs = groups[gi].second;
    auto add = [&](const RunRecord* r, const std::string& label) {
      auto id = id_of(r);
      if (id && with_samples.count(*id)) candidates[gi].push_back({*id, label});
    };
    for (const RunRecord* r : runs)
      if (r->op == "original" && id_of(r) && with_samples.count(*id_of(r))) {
        add(r, "original");
        break;
      }
    std::map<std::string, std::pair<const RunRecord*, const RunRecord*>> extremes;
    for (const RunRecord* r : runs) {
      if (r->op == "original" || !r->hp.count(r->op) || !id_of(r) || !with_samples.count(*id_of(r))) continue;
      auto& [lo, hi] = extremes[r->op];
      if (!lo || r->hp.at(r->op) < lo->hp.at(r->op)) lo = r;
      if (!hi || r->hp.at(r->op) > hi->hp.at(r->op)) hi = r;
    }
    for (const auto& [op, lohi] : extremes) {
      add(lohi.first, op + "=" + value_text(lohi.first->hp.at(op)));
      if (lohi.second != lohi.first) add(lohi.second, op + "=" + value_text(lohi.second->hp.at(op)));
    }
  }
  std::vector<std::vector<PowerCandidate>> picked(groups.size());
  std::size_t n_picked = 0;
  for (std::size_t round = 0; n_picked < in.max_power_runs; ++round) {
    bool any = false;
    for (std::size_t gi = 0; gi < groups.size() && n_picked < in.max_power_runs; ++gi) {
      if (round >= candidates[gi].size()) continue;
      picked[gi].push_back(candidates[gi][round]);
      ++n_picked;
      any = true;
    }
    if (!any) break;
  }
  return picked;
}

// One group's picked runs: a line chart per energy domain, and a row per series in t.
std::map<EnergyDomain, svg::LineChartData> power_charts(const ReportInput& in, const GroupList::value_type& group,
                                                        const std::vector<PowerCandidate>& picked, Table& t) {
  const auto& [model, sc, corunner] = group.first;
  const std::string scenario = to_string(sc);
  std::map<EnergyDomain, svg::LineChartData> charts;  // by domain
  for (const auto& cand : picked) {
    std::map<EnergyDomain, std::pair<svg::Series, std::string>> series;  // domain -> (series, source)
    for (const auto& p : in.power.at(cand.id)) {
      auto& [sr, source] = series[p.domain];
      if (sr.label.empty()) {
        bool est = is_estimated(p.source);
        sr.label = cand.label + (est ? " (estimated)" : "");
        sr.dashed = est;
        sr.highlight = cand.label == "original";
        source = to_string(p.source);
      }
      sr.points.emplace_back(p.t_s, p.watts);
    }
    for (auto& [d, entry] : series) {
      const std::string domain = to_string(d);
      auto& [sr, source] = entry;
      double energy = 0;
      for (std::size_t k = 1; k < sr.points.size(); ++k)
        energy += (sr.points[k].first - sr.points[k - 1].first) *
                  (sr.points[k].second + sr.points[k - 1].second) / 2;
      std::vector<double> w;
      for (const auto& pt : sr.points) w.push_back(pt.second);
      t.rows.push_back({count_cell(static_cast<std::size_t>(cand.id)), model, scenario, corunner, cand.label,
                        domain, Cell(source, source, sr.dashed ? "est" : ""), count_cell(sr.points.size()),
                        num_cell(sr.points.back().first - sr.points.front().first), num_cell(mean_or_nan(w)),
                        num_cell(energy)});
      auto& chart = charts[d];
      if (chart.title.empty()) {
        chart.title = group_label(model, sc, corunner) + ": " + domain + " power";
        chart.x_label = "time since the run's meter window began (s)";
        chart.y_label = domain + " power (W)";
      }
      chart.series.push_back(std::move(sr));
    }
  }
  return charts;
}

}  // namespace

Section power_section(const ReportInput& in) {
  Section s{"power", "Power over time", {}, {}};
  if (!in.from_database) {
    s.html += notice("Power samples are not available for a runs CSV input: they are recorded only in a "
                     "study database.");
    return s;
  }
  if (in.power.empty()) {
    s.html += notice("The study database holds no power samples.");
    return s;
  }
  auto groups = ordered(succeeded_groups(in.runs));
  const std::vector<std::vector<PowerCandidate>> picked = pick_power_runs(in, groups);
  std::size_t n_picked = 0;
  for (const auto& p : picked) n_picked += p.size();
  if (n_picked == 0) {
    s.html += notice("No succeeded run has power samples.");
    return s;
  }
  s.html += paragraph(fmt::format(
      "Power samples of {} run(s) (at most {}): for each model and scenario the original's first run and the "
      "runs with the lowest and highest value of each mutated hyperparameter. The original is drawn thicker "
      "in orange. Dashed lines are estimates, not measurements.",
      n_picked, in.max_power_runs));
  Table t{"Power samples drawn",
          {"run id", "model", "scenario", "co-runner", "run", "domain", "source", "samples", "duration s",
           "mean W", "energy J (trapezoid)"},
          {}};
  s.html += "<div class=\"charts\">\n";
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    if (picked[gi].empty()) continue;
    for (const auto& [d, chart] : power_charts(in, groups[gi], picked[gi], t))
      s.html += figure(svg::line_chart(chart), chart.title);
  }
  s.html += "</div>\n";
  s.html += details(fmt::format("Samples drawn ({} series)", t.rows.size()), table_html(t));
  s.tables.push_back({"power_series", t});
  return s;
}

}  // namespace greentune::report::detail
