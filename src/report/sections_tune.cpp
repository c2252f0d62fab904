#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

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
  s::x_axis(c, x, B, T, j["objective"].get<std::string>() + " (" + j["objective_unit"].get<std::string>() +
                            (j["estimated"].get<bool>() ? ", estimated)" : ")"));
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
  s::y_axis(c, y, L, R, "best feasible " + j["objective"].get<std::string>());
  std::vector<std::pair<double, double>> pts;
  for (size_t i = 0; i < xs.size(); ++i) pts.emplace_back(x(xs[i]), y(ys[i]));
  c.polyline(pts, s::series_color(0), 2);
  return c.str();
}

std::string interval(const json& r, const char* key, const char* ci) {
  if (!r.contains(key) || !r[key].is_number()) return "n/a";
  std::string t = s::format_value(r[key].get<double>(), 4);
  if (r.contains(ci) && r[ci].is_array())
    t += " [" + s::format_value(r[ci][0].get<double>(), 4) + ", " + s::format_value(r[ci][1].get<double>(), 4) + "]";
  return t;
}

}  // namespace

std::string tune_report_html(const json& j) {
  const json& r = j["recommended"];
  std::string h = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>greentune tune: " +
                  s::escape(j["name"].get<std::string>()) +
                  "</title><style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
                  "td,th{padding:.2rem .6rem;text-align:left}</style></head><body>";
  h += "<h1>greentune tune: " + s::escape(j["name"].get<std::string>()) + "</h1>";
  if (j["estimated"].get<bool>())
    h += "<p><strong>Energy is estimated</strong> (no energy sensor on this machine): every energy figure is an estimate.</p>";
  h += "<h2>Recommendation</h2><table>";
  h += "<tr><th>configuration</th><td>" + s::escape(hp_text(r["hyperparameters"])) + "</td></tr>";
  h += "<tr><th>verdict</th><td>" + s::escape(r["verdict"].get<std::string>()) + "</td></tr>";
  h += "<tr><th>energy saving per training, J [95% CI]</th><td>" + interval(r, "energy_saving_j", "energy_saving_ci") + "</td></tr>";
  h += "<tr><th>" + s::escape(j["metric"].get<std::string>()) + " change [95% CI]</th><td>" +
       interval(r, "performance_change", "performance_change_ci") + "</td></tr>";
  h += "<tr><th>non-inferior</th><td>" + std::string(r["non_inferior"].get<bool>() ? "yes" : "no") + "</td></tr>";
  h += "<tr><th>search energy</th><td>" + s::format_value(j["search_energy_j"].get<double>(), 4) + " J</td></tr>";
  h += "<tr><th>payback</th><td>" +
       (j["payback_trainings"].is_number() ? std::to_string(j["payback_trainings"].get<long long>()) + " trainings"
                                           : std::string("none (no saving)")) +
       "</td></tr></table>";
  h += "<h2>Pareto plot</h2>" + pareto_svg(j);
  h += "<h2>Convergence</h2>" + convergence_svg(j);
  h += "</body></html>\n";
  return h;
}

}  // namespace greentune::report
