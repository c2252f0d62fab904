#include "prune_hook.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

namespace greentune::tune {

LearningCurve stored_curve(const std::map<std::string, std::string>& details, int planned_epochs,
                           const std::string& objective) {
  LearningCurve c;
  c.planned_epochs = planned_epochs;
  auto it = details.find("progress");
  if (it == details.end()) return c;
  const auto j = nlohmann::json::parse(it->second, nullptr, false);
  if (!j.is_array()) return c;
  for (const auto& p : j) {
    const double cost = objective == "time" ? p.value("t_s", 0.0) : p.value("energy_j", 0.0);
    c.points.push_back({p.value("epoch", 0), p.value("metric", 0.0), cost});
  }
  return c;
}

PruneHook pruning_hook(const TuneState& s, store::StudyStore& st) {
  PruneHook hook;
  if (s.def.prune && !*s.def.prune) return hook;
  const auto& model = s.def.model();
  if (!model.defaults.count("epochs")) return hook;
  const bool higher = model.higher_is_better;
  // Cost pruning compares like with like: whole-machine energy or time, as the curve records.
  const bool cost_comparable = s.def.objective == "energy" || s.def.objective == "time";

  PruningReference ref;
  const double thr = s.threshold();  // oriented
  if (std::isnan(thr)) return hook;  // no original measured yet
  ref.threshold = higher ? thr : -thr;
  std::vector<double> orig;
  for (const auto* r : s.runs_of(1, "original", true)) orig.push_back(*r->performance);
  if (orig.size() >= 2) {
    double mean = 0, ss = 0;
    for (double v : orig) mean += v / static_cast<double>(orig.size());
    for (double v : orig) ss += (v - mean) * (v - mean);
    ref.noise_sd = std::sqrt(ss / static_cast<double>(orig.size() - 1));
  }
  // Complete curves, and the best safely feasible configuration (its mean performance clears
  // the threshold by two noise sds).
  std::map<long long, std::pair<std::vector<double>, std::vector<double>>> by_config;  // perf, objective
  for (const auto& r : s.runs) {
    if (!r.ok() || (r.op != "original" && r.op != "search")) continue;
    const auto& hp = s.configuration(r.configuration_id).hp;
    const int epochs = static_cast<int>(std::lround(hp.at("epochs")));
    LearningCurve c = stored_curve(st.details_of(r.id), epochs, s.def.objective);
    if (!c.points.empty()) ref.complete.push_back(std::move(c));
    if (r.objective) {
      by_config[r.configuration_id].first.push_back(s.oriented(*r.performance));
      by_config[r.configuration_id].second.push_back(*r.objective);
    }
  }
  if (cost_comparable)
    for (const auto& [id, v] : by_config) {
      double p = 0, o = 0;
      for (double x : v.first) p += x / static_cast<double>(v.first.size());
      for (double x : v.second) o += x / static_cast<double>(v.second.size());
      if (p >= thr + 2 * ref.noise_sd && (!ref.best_feasible_cost || o < *ref.best_feasible_cost))
        ref.best_feasible_cost = o;
    }
  PruningOptions options;
  options.higher_is_better = higher;
  std::map<long long, int> search_runs;  // run id -> planned epochs
  for (const auto& r : s.runs)
    if (!r.final() && r.op == "search")
      search_runs[r.id] = static_cast<int>(std::lround(s.configuration(r.configuration_id).hp.at("epochs")));
  hook.planned_epochs = search_runs;
  auto decisions = hook.decisions;
  const bool time_cost = s.def.objective == "time";
  hook.on_progress = [ref, options, search_runs, decisions, time_cost](
                         long long run_id, const std::vector<exec::ProgressPoint>& points) -> std::string {
    auto it = search_runs.find(run_id);
    if (it == search_runs.end()) return "";  // the original's and confirmation runs are never pruned
    LearningCurve c;
    c.planned_epochs = it->second;
    for (const auto& p : points) c.points.push_back({p.epoch, p.metric, time_cost ? p.t_s : p.energy_j});
    PruneDecision d = decide(c, ref, options);
    if (!d.stop()) return "";
    (*decisions)[run_id] = d;
    return d.reason;
  };
  return hook;
}

}  // namespace greentune::tune
