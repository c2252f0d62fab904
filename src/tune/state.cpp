#include "state.hpp"

#include "run_objective.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/exec/overrides.hpp"
#include "greentune/study/plan_rows.hpp"

namespace greentune::tune {

using nlohmann::json;

const store::ConfigurationRow& TuneState::configuration(long long id) const {
  for (const auto& c : configurations)
    if (c.id == id) return c;
  throw data_error("tune: no configuration " + std::to_string(id));
}

std::vector<const RunData*> TuneState::runs_of(long long cid, const std::string& op, bool ok_only) const {
  std::vector<const RunData*> out;
  for (const auto& r : runs)
    if (r.configuration_id == cid && (op.empty() || r.op == op) && (!ok_only || r.ok())) out.push_back(&r);
  return out;
}

long long TuneState::runs_in(const std::string& op) const {
  long long n = 0;
  for (const auto& r : runs) n += r.op == op;
  return n;
}

double TuneState::energy_spent_j() const {
  double j = 0;
  for (const auto& r : runs)
    if (r.final() && r.energy_j) j += *r.energy_j;
  return j;
}

double TuneState::hours_spent() const {
  double s = 0;
  for (const auto& r : runs)
    if (r.final() && r.duration_s) s += *r.duration_s + (study.definition.cooldown.mode == CooldownMode::fixed ? study.definition.cooldown.seconds : 0);
  return s / 3600;
}

bool TuneState::any_estimated() const {
  for (const auto& r : runs)
    if (r.estimated) return true;
  return false;
}

double TuneState::original_mean_performance(bool confirm_phase_too) const {
  double sum = 0;
  int n = 0;
  for (const auto* r : runs_of(1, "", true))
    if (confirm_phase_too || r->op == "original") sum += oriented(*r->performance), ++n;
  return n ? sum / n : NAN;
}

double TuneState::threshold() const {
  double mean = original_mean_performance(false);
  double orig = def.model().higher_is_better ? mean : -mean;
  return mean - def.margin_for(orig);
}

SearchInput TuneState::search_input() const {
  SearchInput in;
  in.space = def.space;
  in.original = configuration(1).hp;
  in.threshold = threshold();
  in.initial = def.initial;
  in.seed = def.seed;
  for (const auto& w : warm.observations) {
    Observation o;
    o.hp = w.hp;
    o.objective = w.objective;
    if (w.performance) o.performance = oriented(*w.performance);
    in.observations.push_back(o);
  }
  for (const auto& r : runs) {
    if (!r.final() || (r.op != "original" && r.op != "search")) continue;
    Observation o;
    o.hp = configuration(r.configuration_id).hp;
    o.objective = r.objective;
    if (r.ok()) o.performance = oriented(*r.performance);
    if (r.status == RunStatus::pruned) {
      // What its partial curve showed: at best this performance, at least this cost (what it
      // used so far would make it look cheap).
      o.objective = r.cost_bound;
      if (r.metric_bound && r.pruned_infeasible) o.performance = oriented(*r.metric_bound);
      else o.performance_unknown = true;  // stopped for its cost: its metric says nothing yet
    }
    in.observations.push_back(o);
  }
  return in;
}

long long confirm_reserve_runs(const TuneDefinition& d) {
  if (!d.budget_runs || d.confirm_fraction <= 0) return 0;
  auto r = static_cast<long long>(std::llround(d.confirm_fraction * static_cast<double>(*d.budget_runs)));
  return std::max<long long>(r, 2LL * d.confirm_min);
}

std::optional<long long> search_run_budget(const TuneDefinition& d) {
  if (!d.budget_runs) return std::nullopt;
  return std::max<long long>(0, *d.budget_runs - confirm_reserve_runs(d));
}

study::Plan tune_plan(const TuneDefinition& d, const std::vector<store::ConfigurationRow>& configurations,
                      const std::vector<store::TaskRow>& tasks, const std::vector<store::RunRow>& runs) {
  study::Plan plan = study::plan_from_rows(configurations, tasks, runs);
  // exec describes a run as "original" or "<op>=<value>" (op a hyperparameter of the
  // configuration); the database keeps tune's phase (original | search | confirm) instead.
  for (auto& pr : plan.runs) pr.op = pr.configuration_id == 1 ? "original" : d.space.front().name;
  return plan;
}

TuneState load_tune_state(const study::StudyPaths& paths, store::StudyStore& st) {
  TuneState s;
  s.study.paths = paths;
  json info;
  try {
    info = json::parse(read_file(paths.info()));
    s.study.study_id = info.at("study_id").get<std::string>();
  } catch (const json::exception& e) {
    throw io_error(paths.info() + ": " + e.what());
  }
  if (st.meta("kind").value_or("") != "tune")
    throw input_error(paths.dir + " is a study, not a tune directory (continue it with greentune study --resume)");
  s.def = parse_tune(read_file(paths.definition()), info.value("source", std::string("study.toml")),
                     info.value("base_dir", std::string()));
  s.study.definition = s.def.study;
  exec::apply_overrides(s.study.definition, exec::recorded_overrides(st));
  s.configurations = st.configurations();
  const std::vector<store::RunRow> rows = st.runs();
  s.study.plan = tune_plan(s.def, s.configurations, st.tasks(), rows);
  const std::string& objective = s.def.objective;
  for (const auto& r : rows) {
    RunData d;
    d.id = r.id;
    d.task_id = r.task_id;
    d.configuration_id = r.configuration_id;
    d.op = r.op;
    d.status = r.status;
    d.performance = r.performance;
    d.duration_s = r.duration_s;
    if (d.final()) {
      const RunObjective o = run_objective(st.energy_of(r.id), r.duration_s, objective);
      d.objective = o.objective;
      d.energy_j = o.energy_j;
      d.estimated = o.estimated;
    }
    if (d.status == RunStatus::pruned) {
      const auto details = st.details_of(r.id);
      if (auto it = details.find("pruned_metric_bound"); it != details.end()) d.metric_bound = parse_double(it->second);
      if (auto it = details.find("pruned_cost_projection"); it != details.end()) d.cost_bound = parse_double(it->second);
      if (auto it = details.find("pruned_because"); it != details.end()) d.pruned_infeasible = it->second == "infeasible";
    }
    s.runs.push_back(d);
  }
  if (auto c = st.meta("tune.candidates")) {
    for (const auto& e : json::parse(*c)) {
      s.candidates.push_back(e.at("configuration").get<long long>());
      s.candidate_first_run.push_back(e.at("first_run").get<long long>());
      s.candidate_pairs.push_back(e.value("pairs", 0));
      s.candidate_level.push_back(e.value("level", 0.0));
    }
  }
  if (auto l = st.meta("tune.looks")) s.looks = std::stoi(*l);
  if (auto w = st.meta(kWarmStartMetaKey))
    s.warm = warm_start_from_json(json::parse(*w), st.path() + ": meta " + kWarmStartMetaKey);
  return s;
}

ConfirmationData confirmation_data(const TuneState& s, long long candidate_id) {
  // A candidate's confirmation runs (both sides) lie from its first run to the next candidate's.
  ConfirmationData d;
  auto it = std::find(s.candidates.begin(), s.candidates.end(), candidate_id);
  if (it == s.candidates.end()) return d;
  size_t k = static_cast<size_t>(it - s.candidates.begin());
  long long first = s.candidate_first_run[k];
  long long last = k + 1 < s.candidates.size() ? s.candidate_first_run[k + 1] : LLONG_MAX;
  for (const auto& r : s.runs) {
    if (r.op != "confirm" || !r.ok() || r.id < first || r.id >= last) continue;
    bool cand = r.configuration_id == candidate_id;
    if (!cand && r.configuration_id != 1) continue;
    (cand ? d.candidate_performance : d.original_performance).push_back(*r.performance);
    if (r.objective) (cand ? d.candidate_objective : d.original_objective).push_back(*r.objective);
    if (r.energy_j) (cand ? d.candidate_energy : d.original_energy).push_back(*r.energy_j);
  }
  return d;
}

size_t TuneState::candidate_index(long long configuration_id) const {
  auto it = std::find(candidates.begin(), candidates.end(), configuration_id);
  if (it == candidates.end()) throw data_error("tune: configuration " + std::to_string(configuration_id) + " is no candidate");
  return static_cast<size_t>(it - candidates.begin());
}

SequentialLook look_at(const TuneState& s, long long candidate_id) {
  ConfirmationData d = confirmation_data(s, candidate_id);
  SequentialLook l;
  const size_t k = s.candidate_index(candidate_id);
  const int pairs = s.candidate_pairs[k];
  l.level = pairs > 0 ? planned_levels(s.candidate_level[k], pairs, s.def.confirm_min).first : s.def.alpha / std::max(1, s.looks);
  size_t m = static_cast<size_t>(s.def.confirm_min);
  if (pairs > 0) {
    // Every planned pair has run but some runs failed: the final look cannot be taken.
    size_t done = 0;
    for (const auto* r : s.runs_of(candidate_id, "confirm", false)) done += r->final() && r->id >= s.candidate_first_run[k];
    size_t ok = std::min(std::min(d.candidate_performance.size(), d.original_performance.size()),
                         std::min(d.candidate_objective.size(), d.original_objective.size()));
    if (done >= static_cast<size_t>(pairs) && ok < static_cast<size_t>(pairs)) {
      l.verdict = Verdict::rejected;
      l.reason = std::to_string(static_cast<size_t>(pairs) - ok) + " confirmation pair(s) failed";
      return l;
    }
  }
  if (d.candidate_performance.size() < m || d.original_performance.size() < m || d.candidate_objective.size() < 2 ||
      d.original_objective.size() < 2) {
    l.reason = "too few runs";
    return l;
  }
  double orig = 0;
  for (double v : d.original_performance) orig += v;
  orig /= static_cast<double>(d.original_performance.size());
  if (pairs > 0)
    return planned_look(d.candidate_performance, d.original_performance, d.candidate_objective, d.original_objective,
                        s.def.margin_for(orig), s.def.model().higher_is_better, s.candidate_level[k], pairs,
                        s.def.confirm_min);
  return sequential_look(d.candidate_performance, d.original_performance, d.candidate_objective,
                         d.original_objective, s.def.margin_for(orig), s.def.model().higher_is_better, s.def.alpha,
                         s.looks);
}

}  // namespace greentune::tune
