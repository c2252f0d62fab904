// The tune report (report/tune_report.hpp): a tune summary as a report page (report/report.hpp),
// with its tables also written as Markdown and CSV.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "greentune/core/error.hpp"
#include "greentune/report/document.hpp"
#include "greentune/report/report.hpp"
#include "greentune/report/svg.hpp"
#include "greentune/report/tune_report.hpp"

namespace greentune::report {

namespace {

using nlohmann::json;
namespace s = svg;

std::string hp_text(const json& hp) {
  std::string t;
  for (const auto& [k, v] : hp.items()) t += (t.empty() ? "" : " ") + k + "=" + s::format_value(v.get<double>(), 6);
  return t;
}

std::string num(const json& v, int digits = 4) { return v.is_number() ? s::format_value(v.get<double>(), digits) : "n/a"; }
std::string raw(const json& v) { return v.is_number() ? fmt::format("{}", v.get<double>()) : ""; }
Cell num_cell(const json& v, int digits = 4) { return Cell(num(v, digits), raw(v), "num"); }

// "12.3 [10.1, 14.5]" from a value and its [low, high] array.
std::string interval(const json& r, const char* key, const char* ci, int digits = 4) {
  if (!r.contains(key) || !r[key].is_number()) return "n/a";
  std::string t = s::format_value(r[key].get<double>(), digits);
  if (r.contains(ci) && r[ci].is_array())
    t += " [" + s::format_value(r[ci][0].get<double>(), digits) + ", " + s::format_value(r[ci][1].get<double>(), digits) + "]";
  return t;
}

std::string unit(const json& j) { return j["objective_unit"].get<std::string>(); }
std::string tag(const json& j) { return j["estimated"].get<bool>() ? " (estimated)" : ""; }

std::string pareto_svg(const json& j) {
  const double W = 640, H = 400, L = 70, R = 620, T = 30, B = 350;
  std::vector<double> xs, ys;
  for (const auto& c : j["configurations"])
    if (c["objective_mean"].is_number() && c["performance_mean"].is_number()) {
      xs.push_back(c["objective_mean"].get<double>());
      ys.push_back(c["performance_mean"].get<double>());
    }
  s::Canvas c(W, H, "Pareto plot: " + j["objective"].get<std::string>() + " vs " + j["metric"].get<std::string>(),
              "every evaluated configuration; the original and the recommendation are marked");
  if (xs.empty()) return c.str();
  s::Scale x = s::Scale::fit(xs, L, R), y = s::Scale::fit(ys, B, T);
  s::x_axis(c, x, B, T, j["objective"].get<std::string>() + " (" + unit(j) + (j["estimated"].get<bool>() ? ", estimated)" : ")"));
  s::y_axis(c, y, L, R, j["metric"].get<std::string>());
  std::vector<std::pair<double, double>> front;
  for (const auto& p : j["pareto"])
    front.emplace_back(x(p["objective_mean"].get<double>()), y(p["performance_mean"].get<double>()));
  if (front.size() > 1) c.polyline(front, s::series_color(1), 1.5);
  long long rec = j["recommended"]["configuration"].get<long long>();
  for (const auto& cfg : j["configurations"]) {
    if (!cfg["objective_mean"].is_number() || !cfg["performance_mean"].is_number()) continue;
    double px = x(cfg["objective_mean"].get<double>()), py = y(cfg["performance_mean"].get<double>());
    std::string tip = hp_text(cfg["hyperparameters"]) + fmt::format(" ({} runs)", cfg["succeeded"].get<long long>());
    bool orig = cfg["original"].get<bool>();
    bool is_rec = cfg["configuration"].get<long long>() == rec && !orig;
    std::string fill = orig ? s::kHighlight : is_rec ? s::series_color(2) : cfg["pareto"].get<bool>() ? s::series_color(1) : "#999999";
    c.circle(px, py, orig || is_rec ? 6 : 3.5, fill, "", tip);
    if (orig) c.text(px + 8, py - 6, "original", "start", 11);
    if (is_rec) c.text(px + 8, py + 14, "recommended", "start", 11);
  }
  return c.str();
}

std::string convergence_svg(const json& j) {
  const double W = 640, H = 300, L = 70, R = 620, T = 30, B = 250;
  std::vector<double> xs, ys;
  for (const auto& p : j["convergence"])
    if (p["best_feasible_objective"].is_number()) {
      xs.push_back(p["run"].get<double>());
      ys.push_back(p["best_feasible_objective"].get<double>());
    }
  s::Canvas c(W, H, "Convergence: best feasible " + j["objective"].get<std::string>() + " over the search's runs");
  if (xs.empty()) return c.str();
  s::Scale x = s::Scale::fit(xs, L, R), y = s::Scale::fit(ys, B, T);
  s::x_axis(c, x, B, T, "runs (search phase, original included)");
  s::y_axis(c, y, L, R, "best feasible " + j["objective"].get<std::string>() + " (" + unit(j) + ")");
  std::vector<std::pair<double, double>> pts;
  for (size_t i = 0; i < xs.size(); ++i) pts.emplace_back(x(xs[i]), y(ys[i]));
  c.polyline(pts, s::series_color(0), 2);
  return c.str();
}

Section recommendation_section(const json& j) {
  const json& r = j["recommended"];
  Section sec{"recommendation", "Recommendation", "", {}};
  if (!j["finished"].get<bool>())
    sec.html += notice("This tune run has not finished (it is running, or was interrupted: continue it with greentune tune "
                       "--resume " + j["directory"].get<std::string>() + "). Everything below is provisional.");
  if (j["estimated"].get<bool>())
    sec.html += notice("Energy is estimated (no energy sensor on this machine): every energy figure is an estimate.");
  bool orig = r["is_original"].get<bool>();
  std::string verdict = r["verdict"].get<std::string>();
  if (r.contains("reason") && !r["reason"].get<std::string>().empty()) verdict += " (" + r["reason"].get<std::string>() + ")";
  Table t{"The recommended configuration against the original (fresh interleaved confirmation runs)", {"", "value"}, {}};
  t.rows.push_back({"configuration", hp_text(r["hyperparameters"]) + (orig ? " (the original)" : "")});
  t.rows.push_back({"verdict", verdict});
  if (!orig) {
    t.rows.push_back({"energy saving per training, J" + tag(j) + " [95% CI]", interval(r, "energy_saving_j", "energy_saving_ci")});
    t.rows.push_back({"energy saving, % [95% CI]", interval(r, "energy_saving_percent", "energy_saving_percent_ci", 3)});
    t.rows.push_back({j["metric"].get<std::string>() + " change [95% CI]", interval(r, "performance_change", "performance_change_ci")});
    t.rows.push_back({"non-inferior (margin " + num(r["margin"]) + ")", r["non_inferior"].get<bool>() ? "yes" : "no"});
    t.rows.push_back({"non-inferiority p (one-sided Welch)", num(r["non_inferiority_p"], 3)});
    t.rows.push_back({"saving p (one-sided Welch)", num(r["saving_p"], 3)});
    t.rows.push_back({"level of the deciding look (its share of alpha)", num(r["level"], 3)});
  }
  t.rows.push_back({"energy of the whole tune run" + tag(j), s::format_value(j["search_energy_j"].get<double>(), 4) + " J"});
  t.rows.push_back({"payback", j["payback_trainings"].is_number()
                                   ? fmt::format("after {} trainings with the recommended configuration",
                                                 j["payback_trainings"].get<long long>())
                                   : std::string("none (no confirmed saving)")});
  sec.html += table_html(t);
  sec.tables.push_back({"tune-recommendation", t});
  return sec;
}

Section confirmation_section(const json& j) {
  Section sec{"confirmation", "Confirmation against the original", "", {}};
  if (j["candidates"].empty()) {
    sec.html += notice(j["finished"].get<bool>()
                           ? "No evaluated configuration was predicted both feasible and greener than the original, so "
                             "nothing was confirmed: the recommendation is to keep the original."
                           : "No candidate is being confirmed yet (the search is still running).");
    return sec;
  }
  sec.html += paragraph(
      "Each candidate was re-run against the original in interleaved pairs (ABBA order, with the study's cool-down). "
      "Only these fresh runs enter the test; a candidate is confirmed when both one-sided Welch tests (performance "
      "non-inferior within the margin, and a lower " + j["objective"].get<std::string>() +
      ") are significant at the level of the look. Each candidate has a planned number of pairs and a share of alpha "
      "(the shares sum to at most alpha); looks before the planned pairs share a tenth of it, the final look the rest. "
      "A candidate is rejected at its final look, or earlier when it is significantly worse or its conditional power is "
      "below 5%.");
  Table t{"", {"configuration", "hyperparameters", "runs (candidate / original)", "pairs planned", "energy saving J" + tag(j) + " [95% CI]",
               "saving %", j["metric"].get<std::string>() + " change [95% CI]", "non-inferiority p", "saving p", "level",
               "verdict"}, {}};
  for (const auto& c : j["candidates"]) {
    std::string verdict = c["verdict"].get<std::string>();
    if (!c["reason"].get<std::string>().empty()) verdict += ": " + c["reason"].get<std::string>();
    t.rows.push_back({Cell(std::to_string(c["configuration"].get<long long>())), hp_text(c["hyperparameters"]),
                      fmt::format("{} / {}", c["runs"]["candidate"].get<long long>(), c["runs"]["original"].get<long long>()),
                      c["pairs_planned"].is_number() ? Cell(std::to_string(c["pairs_planned"].get<long long>())) : Cell("-"),
                      interval(c, "energy_saving_j", "energy_saving_ci"),
                      c.contains("energy_saving_percent") ? num_cell(c["energy_saving_percent"], 3) : Cell("n/a"),
                      interval(c, "performance_change", "performance_change_ci"), num_cell(c["non_inferiority_p"], 3),
                      num_cell(c["saving_p"], 3), num_cell(c["level"], 3), verdict});
  }
  sec.html += table_html(t);
  sec.tables.push_back({"tune-confirmation", t});
  return sec;
}

Table configurations_table(const json& j, const json& list, const std::string& caption) {
  long long rec = j["recommended"]["configuration"].get<long long>();
  Table t{caption, {"configuration", "role", "hyperparameters", "runs", "succeeded",
                    j["objective"].get<std::string>() + " mean (" + unit(j) + ")" + tag(j),
                    j["metric"].get<std::string>() + " mean", "feasible", "Pareto"}, {}};
  for (const auto& c : list) {
    long long id = c["configuration"].get<long long>();
    std::string role = c["original"].get<bool>() ? "original" : id == rec ? "recommended" : "searched";
    for (const auto& cand : j["candidates"])
      if (cand["configuration"].get<long long>() == id && id != rec) role = "candidate (" + cand["verdict"].get<std::string>() + ")";
    t.rows.push_back({Cell(std::to_string(id)), role, hp_text(c["hyperparameters"]),
                      Cell(std::to_string(c["runs"].get<long long>())), Cell(std::to_string(c["succeeded"].get<long long>())),
                      num_cell(c["objective_mean"]), num_cell(c["performance_mean"]), c["feasible"].get<bool>() ? "yes" : "no",
                      c["pareto"].get<bool>() ? "yes" : "no"});
  }
  return t;
}

std::string subtitle(const json& j) {
  return fmt::format("model {}, objective {}, performance {} ({} is better), margin {} at alpha {}; {} runs ({} search, {} "
                     "original, {} confirmation){}",
                     j["model"].get<std::string>(), j["objective"].get<std::string>(), j["metric"].get<std::string>(),
                     j["higher_is_better"].get<bool>() ? "higher" : "lower",
                     j["margin"].is_string() ? j["margin"].get<std::string>() : num(j["margin"]), num(j["alpha"], 3),
                     j["runs"]["total"].get<long long>(), j["runs"]["search"].get<long long>(),
                     j["runs"]["original"].get<long long>(), j["runs"]["confirm"].get<long long>(),
                     j["finished"].get<bool>() ? "" : "; not finished");
}

std::vector<Section> tune_sections(const json& j) {
  std::vector<Section> out;
  out.push_back(recommendation_section(j));
  out.push_back(confirmation_section(j));
  Section p{"pareto", "Pareto front", "", {}};
  p.html += figure(pareto_svg(j), "Mean " + j["objective"].get<std::string>() + " and mean " + j["metric"].get<std::string>() +
                                      " of every evaluated configuration (all its runs); the line joins the Pareto front.");
  Table pt = configurations_table(j, j["pareto"], "Configurations on the Pareto front, lowest " +
                                                     j["objective"].get<std::string>() + " first");
  p.html += table_html(pt);
  p.tables.push_back({"tune-pareto", pt});
  out.push_back(p);
  Section c{"convergence", "Convergence", "", {}};
  c.html += figure(convergence_svg(j), "The lowest mean " + j["objective"].get<std::string>() +
                                           " among configurations whose mean performance so far clears the threshold, "
                                           "after each search-phase run.");
  out.push_back(c);
  Section all{"configurations", "Every configuration", "", {}};
  Table at = configurations_table(j, j["configurations"], "");
  all.html += table_html(at);
  all.tables.push_back({"tune-configurations", at});
  out.push_back(all);
  Section m{"method", "Method", "", {}};
  m.html += paragraph(
      "A tune run has three phases (the runs' operator column in the database): original (the original configuration "
      "during the search), search (configurations proposed by constrained Bayesian optimisation: Gaussian processes of "
      "log objective and performance) and confirm (both sides of the confirmation). Feasible means a mean performance "
      "at least the original's search-phase mean minus the margin. docs/tune.md describes the method.");
  out.push_back(m);
  return out;
}

std::string page_title(const json& j, const std::string& title) {
  return title.empty() ? "greentune tune: " + j["name"].get<std::string>() : title;
}

Page tune_page(const json& j, const std::string& title) {
  Page page;
  page.title = page_title(j, title);
  page.subtitle = subtitle(j);
  page.markdown_intro = "Charts are in report.html; every table below is also a CSV file in this folder, and "
                        "summary.json holds everything.\n";
  page.sections = tune_sections(j);
  page.markdown_every_section = false;
  return page;
}

}  // namespace

std::string tune_report_html(const json& j, const std::string& title) { return page_html(tune_page(j, title)); }

TuneReportFiles write_tune_report(const json& j, const std::string& out_dir, const std::string& title) {
  ReportFiles written = write_page(tune_page(j, title), out_dir);
  TuneReportFiles files;
  files.html_path = written.html_path;
  files.markdown_path = written.markdown_path;
  files.csv_paths = written.csv_paths;
  files.json_path = (std::filesystem::path(out_dir) / "summary.json").string();
  write_report_file(files.json_path, j.dump(2) + "\n");
  return files;
}

}  // namespace greentune::report
