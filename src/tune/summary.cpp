#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "greentune/core/format.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/tune/tuner.hpp"
#include "state.hpp"

namespace greentune::tune {

using nlohmann::json;

namespace {

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? NAN : s / static_cast<double>(v.size());
}

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json hp_json(const TuneState& s, const Configuration& hp) {
  json j = json::object();
  for (const auto& dim : s.def.space) j[dim.name] = hp.at(dim.name);
  return j;
}

// Statistics of one confirmed candidate against the original.
json candidate_json(const TuneState& s, long long cid) {
  ConfirmationData d = confirmation_data(s, cid);
  SequentialLook look = look_at(s, cid);
  json j;
  j["configuration"] = cid;
  j["hyperparameters"] = hp_json(s, s.configuration(cid).hp);
  j["runs"] = {{"candidate", d.candidate_performance.size()}, {"original", d.original_performance.size()}};
  j["means"] = {{"candidate_performance", number_or_null(mean(d.candidate_performance))},
                {"original_performance", number_or_null(mean(d.original_performance))},
                {"candidate_objective", number_or_null(mean(d.candidate_objective))},
                {"original_objective", number_or_null(mean(d.original_objective))}};
  j["verdict"] = to_string(look.verdict);
  j["reason"] = look.reason;
  j["level"] = look.level;
  size_t k = s.candidate_index(cid);
  j["pairs_planned"] = s.candidate_pairs[k] > 0 ? json(s.candidate_pairs[k]) : json(nullptr);
  j["alpha_share"] = s.candidate_pairs[k] > 0 ? json(s.candidate_level[k]) : json(nullptr);
  j["non_inferiority_p"] = look.non_inferiority_p;
  j["saving_p"] = look.saving_p;
  j["non_inferior"] = look.non_inferiority_p < look.level;
  if (d.candidate_energy.size() >= 2 && d.original_energy.size() >= 2) {
    Difference e = welch_difference(d.original_energy, d.candidate_energy, 0.95);  // original - candidate
    j["energy_saving_j"] = e.estimate;
    j["energy_saving_ci"] = {e.low, e.high};
    double om = mean(d.original_energy);
    j["energy_saving_percent"] = 100 * e.estimate / om;
    j["energy_saving_percent_ci"] = {100 * e.low / om, 100 * e.high / om};
  } else {
    j["energy_saving_j"] = nullptr;
    j["energy_saving_ci"] = nullptr;
  }
  if (d.candidate_objective.size() >= 2 && d.original_objective.size() >= 2) {
    Difference o = welch_difference(d.original_objective, d.candidate_objective, 0.95);
    j["objective_saving"] = o.estimate;
    j["objective_saving_ci"] = {o.low, o.high};
  }
  if (d.candidate_performance.size() >= 2 && d.original_performance.size() >= 2) {
    Difference p = welch_difference(d.candidate_performance, d.original_performance, 0.95);
    j["performance_change"] = p.estimate;
    j["performance_change_ci"] = {p.low, p.high};
    j["margin"] = s.def.margin_for(mean(d.original_performance));
  } else {
    j["performance_change"] = nullptr;
    j["performance_change_ci"] = nullptr;
  }
  return j;
}

// Every configuration: means over its succeeded runs (all phases), and the Pareto front.
void add_configurations(const TuneState& s, json& j) {
  const double tau = s.threshold();
  json configs = json::array();
  struct Point { long long id; double objective, energy, performance; };
  std::vector<Point> pts;
  for (const auto& c : s.configurations) {
    std::vector<double> ob, en, pf;
    for (const auto* r : s.runs_of(c.id, "", true)) {
      if (r->objective) ob.push_back(*r->objective);
      if (r->energy_j) en.push_back(*r->energy_j);
      pf.push_back(*r->performance);
    }
    json cj = {{"configuration", c.id}, {"original", c.id == 1}, {"hyperparameters", hp_json(s, c.hp)},
               {"runs", s.runs_of(c.id, "", false).size()}, {"succeeded", pf.size()},
               {"objective_mean", number_or_null(mean(ob))}, {"energy_j_mean", number_or_null(mean(en))},
               {"performance_mean", number_or_null(mean(pf))}};
    cj["feasible"] = !pf.empty() && s.oriented(mean(pf)) >= tau;
    configs.push_back(cj);
    if (!ob.empty() && !pf.empty()) pts.push_back({c.id, mean(ob), mean(en), s.oriented(mean(pf))});
  }
  json pareto = json::array();
  for (auto& cj : configs) {
    long long id = cj["configuration"];
    auto it = std::find_if(pts.begin(), pts.end(), [&](const Point& p) { return p.id == id; });
    bool front = it != pts.end();
    if (front)
      for (const auto& q : pts)
        if (q.id != id && q.objective <= it->objective && q.performance >= it->performance &&
            (q.objective < it->objective || q.performance > it->performance))
          front = false;
    cj["pareto"] = front;
    if (front) pareto.push_back(cj);
  }
  std::sort(pareto.begin(), pareto.end(), [](const json& a, const json& b) {
    return a["objective_mean"].get<double>() < b["objective_mean"].get<double>();
  });
  j["configurations"] = configs;
  j["pareto"] = pareto;

}

// Convergence: the best observed objective among configurations whose mean performance so far is
// feasible, after each search-phase run.
json convergence(const TuneState& s) {
  const double tau = s.threshold();
  json conv = json::array();
  std::map<long long, std::pair<std::vector<double>, std::vector<double>>> seen;
  double best = INFINITY;
  long long k = 0;
  for (const auto& r : s.runs) {
    if (!r.final() || r.op == "confirm") continue;
    ++k;
    if (r.ok() && r.objective) {
      auto& v = seen[r.configuration_id];
      v.first.push_back(*r.objective);
      v.second.push_back(s.oriented(*r.performance));
    }
    best = INFINITY;
    for (const auto& [id, v] : seen)
      if (mean(v.second) >= tau) best = std::min(best, mean(v.first));
    conv.push_back({{"run", k}, {"best_feasible_objective", number_or_null(best)}});
  }
  return conv;
}

}  // namespace

json tune_summary(const std::string& dir_or_db) {
  store::StudyStore st = store::StudyStore::open(study::StudyPaths::from_path(dir_or_db).db());
  return tune_summary(dir_or_db, st);
}

json tune_summary(const std::string& dir_or_db, store::StudyStore& st) {
  study::StudyPaths paths = study::StudyPaths::from_path(dir_or_db);
  TuneState s = load_tune_state(paths, st);
  const auto& m = s.def.model();
  json j;
  j["name"] = s.def.study.name;
  j["directory"] = paths.dir;
  j["model"] = m.name;
  j["metric"] = m.metric;
  j["higher_is_better"] = m.higher_is_better;
  j["objective"] = s.def.objective;
  j["objective_unit"] = s.def.objective == "time" ? "s" : "J";
  j["margin"] = s.def.margin_relative ? json(format_exact(s.def.margin * 100) + "%") : json(s.def.margin);
  j["alpha"] = s.def.alpha;
  j["estimated"] = s.any_estimated();
  j["finished"] = st.meta("finished_at").has_value();
  j["budget"] = {{"runs", s.def.budget_runs ? json(*s.def.budget_runs) : json(nullptr)},
                 {"j", s.def.budget_j ? json(*s.def.budget_j) : json(nullptr)},
                 {"h", s.def.budget_h ? json(*s.def.budget_h) : json(nullptr)}};
  json counts = json::object();
  for (const auto& r : s.runs) {
    const std::string status = to_string(r.status);
    counts[status] = counts.value(status, 0) + 1;
  }
  j["runs"] = {{"total", s.runs.size()}, {"original", s.runs_in("original")}, {"search", s.runs_in("search")},
               {"confirm", s.runs_in("confirm")}, {"by_status", counts}, {"pruned", counts.value("pruned", 0)},
               {"warm_start", s.warm.observations.size()}};

  add_configurations(s, j);
  j["convergence"] = convergence(s);

  json tried = json::array();
  json rec;
  for (long long cid : s.candidates) tried.push_back(candidate_json(s, cid));
  for (const auto& c : tried)
    if (c["verdict"] == "confirmed") rec = c;
  if (rec.is_null()) {
    rec = {{"configuration", 1}, {"hyperparameters", hp_json(s, s.configuration(1).hp)}, {"verdict", "keep the original"},
           {"reason", s.candidates.empty() ? "no evaluated configuration was likely feasible and greener"
                                           : "no candidate was confirmed non-inferior and greener"},
           {"energy_saving_j", 0.0}, {"energy_saving_ci", {0.0, 0.0}}, {"performance_change", 0.0},
           {"performance_change_ci", {0.0, 0.0}}, {"non_inferior", true}};
    rec["is_original"] = true;
  } else {
    rec["is_original"] = false;
  }
  rec["estimated"] = s.any_estimated();
  j["recommended"] = rec;
  j["candidates"] = tried;
  double search_j = 0, pruned_j = 0;
  for (const auto& r : s.runs)
    if (r.energy_j) {
      search_j += *r.energy_j;
      if (r.status == RunStatus::pruned) pruned_j += *r.energy_j;
    }
  j["search_energy_j"] = search_j;
  j["pruned_energy_j"] = pruned_j;  // included in search_energy_j (and so in the payback)
  j["search_hours"] = s.hours_spent();
  double saving = rec["energy_saving_j"].is_number() ? rec["energy_saving_j"].get<double>() : 0;
  j["payback_trainings"] = saving > 0 ? json(static_cast<long long>(std::ceil(search_j / saving))) : json(nullptr);
  return j;
}

std::string describe_summary(const json& j) {
  std::ostringstream o;
  bool est = j["estimated"].get<bool>();
  std::string tag = est ? " (estimated)" : "";
  const json& r = j["recommended"];
  o << "tune '" << j["name"].get<std::string>() << "' (" << j["model"].get<std::string>() << ", objective "
    << j["objective"].get<std::string>() << "): " << j["runs"]["total"] << " runs (" << j["runs"]["search"]
    << " search, " << j["runs"]["original"] << " original, " << j["runs"]["confirm"] << " confirmation)\n";
  if (est) o << "energy is ESTIMATED on this machine (no energy sensor): every figure below is an estimate\n";
  o << "recommended: ";
  std::string hp;
  for (const auto& [k, v] : r["hyperparameters"].items()) hp += (hp.empty() ? "" : " ") + k + "=" + format_exact(v.get<double>());
  o << hp << (r["is_original"].get<bool>() ? " (the original)" : "") << " - " << r["verdict"].get<std::string>();
  if (r.contains("reason") && !r["reason"].get<std::string>().empty()) o << " (" << r["reason"].get<std::string>() << ")";
  o << "\n";
  if (!r["is_original"].get<bool>()) {
    if (r["energy_saving_j"].is_number())
      o << fmt::format("  energy saving per training: {}{} ({:.1f}%), 95% CI [{}, {}]\n",
                       format_energy(r["energy_saving_j"].get<double>()), tag, r["energy_saving_percent"].get<double>(),
                       format_energy(r["energy_saving_ci"][0].get<double>()), format_energy(r["energy_saving_ci"][1].get<double>()));
    if (r["performance_change"].is_number())
      o << fmt::format("  {} change: {:+.4g}, 95% CI [{:+.4g}, {:+.4g}] (margin {:.4g})\n", j["metric"].get<std::string>(),
                       r["performance_change"].get<double>(), r["performance_change_ci"][0].get<double>(),
                       r["performance_change_ci"][1].get<double>(), r["margin"].get<double>());
    o << fmt::format("  non-inferior: {} (one-sided Welch p = {:.3g} at level {:.3g}, the look's share of alpha; saving p = {:.3g})\n",
                     r["non_inferior"].get<bool>() ? "yes" : "no", r["non_inferiority_p"].get<double>(),
                     r["level"].get<double>(), r["saving_p"].get<double>());
  }
  for (const auto& c : j["candidates"])
    if (c["configuration"] != r["configuration"])
      o << "  also tried: configuration " << c["configuration"] << ": " << c["verdict"].get<std::string>()
        << (c["reason"].get<std::string>().empty() ? "" : " (" + c["reason"].get<std::string>() + ")") << "\n";
  o << "Pareto front (" << j["objective"].get<std::string>() << " vs " << j["metric"].get<std::string>() << "):\n";
  for (const auto& p : j["pareto"]) {
    std::string h;
    for (const auto& [k, v] : p["hyperparameters"].items()) h += (h.empty() ? "" : " ") + k + "=" + format_exact(v.get<double>());
    double ob = p["objective_mean"].get<double>();
    o << fmt::format("  {:>10}{}  {} {:.4g}  ({} run(s)){}  {}\n",
                     j["objective_unit"] == "s" ? format_duration(ob) : format_energy(ob), tag, j["metric"].get<std::string>(),
                     p["performance_mean"].get<double>(), p["succeeded"].get<long long>(), p["original"].get<bool>() ? " original" : "", h);
  }
  o << "search energy: " << format_energy(j["search_energy_j"].get<double>()) << tag;
  if (j["runs"].value("pruned", 0) > 0)
    o << " (" << format_energy(j["pruned_energy_j"].get<double>()) << " of it on " << j["runs"]["pruned"]
      << " run(s) stopped early by pruning)";
  if (j["runs"].value("warm_start", 0) > 0)
    o << " (plus " << j["runs"]["warm_start"] << " run(s) of earlier studies used at no cost)";
  o << "; ";
  if (j["payback_trainings"].is_number())
    o << "each training with the recommended configuration saves " << format_energy(r["energy_saving_j"].get<double>())
      << "; it pays back after " << j["payback_trainings"] << " trainings\n";
  else
    o << "no saving, so no payback\n";
  o << "directory: " << j["directory"].get<std::string>() << "\n";
  return o.str();
}

}  // namespace greentune::tune
