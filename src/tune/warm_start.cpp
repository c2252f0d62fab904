#include "greentune/tune/warm_start.hpp"

#include <cmath>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/store/integrity.hpp"
#include "greentune/store/study_store.hpp"
#include "greentune/study/study_directory.hpp"
#include "run_objective.hpp"

namespace greentune::tune {

namespace warm_detail {

std::string value_or(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "(not recorded)" : it->second;
}

// The first machine fact or the meters that differ between a node and this machine, as
// "<key> 'theirs' (this machine: 'ours')"; empty when they agree.
std::string machine_difference(const std::map<std::string, std::string>& node,
                               const std::map<std::string, std::string>& here) {
  for (const char* key : kMachineKeys) {
    const std::string theirs = value_or(node, key), ours = value_or(here, key);
    if (theirs != ours) return fmt::format("{} '{}' (this machine: '{}')", key, theirs, ours);
  }
  const std::string theirs = value_or(node, "meters"), ours = value_or(here, "meters");
  if (theirs != ours) return fmt::format("meters '{}' (this tune: '{}')", theirs, ours);
  return "";
}

// Whether a stored configuration is a point of the tune's space: every searched value inside
// its range (or one of its choices), every other hyperparameter of the model at the tune's
// fixed value. Returns why not, or "".
std::string outside_space(const TuneDefinition& def, const Configuration& hp) {
  std::set<std::string> searched;
  for (const auto& d : def.space) {
    searched.insert(d.name);
    auto it = hp.find(d.name);
    if (it == hp.end()) return d.name + " not recorded";
    const double v = it->second;
    if (!d.choices.empty()) {
      bool found = false;
      for (double c : d.choices) found = found || c == v;
      if (!found) return d.name + " = " + format_exact(v) + " is not one of its choices";
    } else if (v < d.min || v > d.max) {
      return d.name + " = " + format_exact(v) + " is outside [" + format_exact(d.min) + ", " + format_exact(d.max) + "]";
    }
  }
  for (const auto& [name, value] : def.model().defaults) {
    if (searched.count(name)) continue;
    auto it = hp.find(name);
    if (it != hp.end() && it->second != value)
      return name + " = " + format_exact(it->second) + " (this tune keeps " + format_exact(value) + ")";
  }
  return "";
}

void load_one(const TuneDefinition& def, const std::string& dir, const std::map<std::string, std::string>& here,
              WarmStart& out) {
  const std::string where = "--from " + dir;
  const study::StudyPaths paths = study::StudyPaths::from_path(dir);
  store::check_database_integrity(paths.db());
  store::StudyStore st = store::StudyStore::open(paths.db());
  const auto& model = def.model();
  std::vector<std::string> names;
  const store::ModelRow* row = nullptr;
  const auto models = st.models();
  for (const auto& m : models) {
    names.push_back(m.name);
    if (m.name == model.name) row = &m;
  }
  if (!row)
    throw input_error(fmt::format("{}: has no model '{}' (it has: {})", where, model.name,
                                  names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
  if (row->metric != model.metric)
    throw input_error(fmt::format("{}: model '{}' measured '{}', this tune measures '{}'", where, model.name,
                                  row->metric, model.metric));
  if (row->higher_is_better != model.higher_is_better)
    throw input_error(fmt::format("{}: model '{}' has '{}' {} is better, this tune the opposite", where, model.name,
                                  row->metric, row->higher_is_better ? "higher" : "lower"));
  const auto environments = st.environments();
  std::map<long long, store::ConfigurationRow> configs;
  for (auto& c : st.configurations()) configs[c.id] = std::move(c);
  long long used = 0, other_scenario = 0, unfinished = 0, pruned = 0, outside = 0;
  std::string first_outside;
  std::set<std::string> checked_nodes;
  for (const auto& r : st.runs()) {
    if (r.model != model.name) continue;
    if (r.scenario != Scenario::single) {
      ++other_scenario;
      continue;
    }
    if (!is_final(r.status)) {
      ++unfinished;
      continue;
    }
    if (r.status == RunStatus::pruned) {
      ++pruned;
      continue;
    }
    if (!checked_nodes.count(r.node)) {
      auto env = environments.find(r.node);
      if (env == environments.end())
        throw input_error(fmt::format("{}: run {} ran on node '{}', which has no environment record", where, r.id,
                                      r.node));
      const std::string diff = machine_difference(env->second, here);
      if (!diff.empty())
        throw input_error(fmt::format("{}: run {} was measured with {}; warm starts take runs of the same machine "
                                      "and meters only",
                                      where, r.id, diff));
      checked_nodes.insert(r.node);
    }
    const Configuration& hp = configs.at(r.configuration_id).hp;
    const std::string why = outside_space(def, hp);
    if (!why.empty()) {
      if (first_outside.empty()) first_outside = "run " + std::to_string(r.id) + ": " + why;
      ++outside;
      continue;
    }
    WarmObservation o;
    o.source = dir + " run " + std::to_string(r.id);
    o.hp = model.defaults;  // the fixed values (equal to the run's, checked above), then the searched ones
    for (const auto& d : def.space) o.hp[d.name] = hp.at(d.name);
    o.status = r.status;
    const RunObjective ob = run_objective(st.energy_of(r.id), r.duration_s, def.objective);
    o.objective = ob.objective;
    o.estimated = ob.estimated;
    if (r.status == RunStatus::succeeded && r.performance && std::isfinite(*r.performance))
      o.performance = r.performance;
    out.observations.push_back(std::move(o));
    ++used;
  }
  std::string note = fmt::format("{}: {} run(s) of '{}' used", where, used, model.name);
  if (other_scenario) note += fmt::format("; {} parallel run(s) left out", other_scenario);
  if (unfinished) note += fmt::format("; {} unfinished left out", unfinished);
  if (pruned) note += fmt::format("; {} pruned left out", pruned);
  if (outside) note += fmt::format("; {} outside this tune's space left out (first: {})", outside, first_outside);
  out.notes.push_back(note);
}

}  // namespace warm_detail

WarmStart load_warm_start(const TuneDefinition& def, const std::vector<std::string>& dirs,
                          const std::map<std::string, std::string>& this_machine) {
  WarmStart out;
  for (const auto& dir : dirs) {
    try {
      warm_detail::load_one(def, dir, this_machine, out);
    } catch (const Error& e) {
      const std::string prefix = "--from " + dir + ": ";
      if (std::string(e.what()).rfind(prefix, 0) == 0) throw;
      throw Error(e.kind(), prefix + e.what());  // a missing or damaged database, said once
    }
  }
  return out;
}

nlohmann::json warm_start_to_json(const WarmStart& w) {
  nlohmann::json obs = nlohmann::json::array();
  for (const auto& o : w.observations) {
    nlohmann::json j = {{"source", o.source}, {"hp", o.hp}, {"status", to_string(o.status)},
                        {"estimated", o.estimated}};
    j["objective"] = o.objective ? nlohmann::json(*o.objective) : nlohmann::json();
    j["performance"] = o.performance ? nlohmann::json(*o.performance) : nlohmann::json();
    obs.push_back(std::move(j));
  }
  return {{"observations", obs}, {"notes", w.notes}};
}

WarmStart warm_start_from_json(const nlohmann::json& j, const std::string& where) {
  WarmStart w;
  try {
    for (const auto& o : j.at("observations")) {
      WarmObservation x;
      x.source = o.at("source").get<std::string>();
      x.hp = o.at("hp").get<Configuration>();
      x.status = run_status_from(o.at("status").get<std::string>(), where + ": status");
      x.estimated = o.at("estimated").get<bool>();
      if (!o.at("objective").is_null()) x.objective = o["objective"].get<double>();
      if (!o.at("performance").is_null()) x.performance = o["performance"].get<double>();
      w.observations.push_back(std::move(x));
    }
    w.notes = j.at("notes").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw input_error(where + ": malformed warm start (" + e.what() + ")");
  }
  return w;
}

}  // namespace greentune::tune
