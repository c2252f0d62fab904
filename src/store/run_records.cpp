#include "greentune/store/run_records.hpp"

#include "greentune/core/number_format.hpp"
#include "greentune/store/study_store.hpp"

namespace greentune::store {
namespace {
std::string it_id(Statement& s) { return std::to_string(s.column_int(0)); }
}  // namespace

std::vector<RunRecord> load_run_records(const std::string& db_path) {
  StudyStore store = StudyStore::open(db_path);
  return load_run_records(store);
}

std::vector<RunRecord> load_run_records(StudyStore& store) {
  const std::string& db_path = store.path();
  Database& db = store.db();
  std::map<long long, Configuration> configs;
  {
    auto s = db.prepare("SELECT configuration_id, name, value FROM configuration_values");
    while (s.step()) configs[s.column_int(0)][s.column_text(1)] = s.column_double(2);
  }
  // The performance metric's name and direction, from the study's models table (a model
  // missing there keeps the defaults: unnamed, higher-is-better).
  std::map<std::string, ModelRow> models;
  for (ModelRow& m : store.models()) models.emplace(m.name, std::move(m));
  std::vector<RunRecord> out;
  std::map<long long, size_t> index;
  for (const RunRow& r : store.runs()) {
    RunRecord rec;
    rec.model = r.model;
    rec.scenario = r.scenario;
    rec.corunner = r.corunner;
    rec.op = r.op;
    rec.repetition = r.repetition;
    rec.hp = configs[r.configuration_id];
    rec.duration_s = r.duration_s;
    rec.performance = r.performance;
    if (auto m = models.find(r.model); m != models.end()) {
      rec.performance_metric = m->second.metric;
      rec.higher_is_better = m->second.higher_is_better;
    }
    rec.status = r.status;
    rec.node = r.node;
    rec.extra["run_id"] = std::to_string(r.id);
    rec.extra["task_id"] = std::to_string(r.task_id);
    rec.extra["job"] = std::to_string(r.job);
    rec.extra["status_reason"] = r.reason;
    rec.extra["started_at"] = r.started_at;
    rec.extra["finished_at"] = r.finished_at;
    rec.extra["attempts"] = std::to_string(r.attempts);
    rec.extra["exit_code"] = r.exit_code ? std::to_string(*r.exit_code) : "";
    index[r.id] = out.size();
    out.push_back(std::move(rec));
  }
  {
    auto s = db.prepare("SELECT run_id, domain, joules, source, attributed_j, flagged, note FROM run_energy");
    while (s.step()) {
      auto it = index.find(s.column_int(0));
      if (it == index.end()) continue;
      RunRecord& rec = out[it->second];
      std::string domain = s.column_text(1);
      std::optional<double> j = s.column_optional_double(2);
      bool flagged = s.column_int(5) != 0;
      if (flagged) j.reset();  // a flagged (implausible) reading is not a number to analyse
      const std::string source = s.column_text(3);
      if (auto d = parse_energy_domain(domain)) {
        EnergyReading& reading = rec.reading(*d);
        reading.joules = j;
        reading.source = energy_source_from(source, db_path + ": run " + it_id(s) + ": " + domain + " source");
      } else {
        // a domain this version does not know: kept verbatim
        if (j) rec.extra[domain + "_j"] = format_exact(*j);
        rec.extra[domain + "_source"] = source;
      }
      if (!s.is_null(4)) rec.extra[domain + "_attributed_j"] = format_exact(s.column_double(4));
      if (flagged) rec.extra[domain + "_flagged"] = "1";
      std::string note = s.column_text(6);
      if (!note.empty()) rec.extra[domain + "_note"] = note;
    }
  }
  {
    auto s = db.prepare("SELECT run_id, key, value FROM run_details");
    while (s.step()) {
      auto it = index.find(s.column_int(0));
      if (it == index.end()) continue;
      out[it->second].extra[s.column_text(1)] = s.column_text(2);
    }
  }
  return out;
}

std::map<std::string, std::map<std::string, std::string>> load_node_environments(const std::string& db_path) {
  StudyStore store = StudyStore::open(db_path);
  return load_node_environments(store);
}

std::map<std::string, std::map<std::string, std::string>> load_node_environments(StudyStore& store) {
  return store.environments();
}

std::map<std::string, std::string> load_environment(const std::string& db_path) {
  StudyStore store = StudyStore::open(db_path);
  return load_environment(store);
}

std::map<std::string, std::string> load_environment(StudyStore& store) {
  auto envs = store.environments();
  std::map<std::string, std::string> out;
  // The node with the most runs (ties: alphabetical); else the first recorded node.
  std::string main_node;
  std::string nodes;
  {
    auto s = store.db().prepare(
        "SELECT node, count(*) AS n FROM runs WHERE node IS NOT NULL AND node != '' GROUP BY node "
        "ORDER BY n DESC, node");
    while (s.step()) {
      std::string n = s.column_text(0);
      if (main_node.empty()) main_node = n;
      nodes += (nodes.empty() ? "" : ",") + n;
    }
  }
  if (main_node.empty() && !envs.empty()) main_node = envs.begin()->first;
  if (envs.count(main_node)) out = envs[main_node];
  if (nodes.find(',') != std::string::npos) out["nodes"] = nodes;
  for (const auto& [k, v] : store.all_meta()) {
    if (k == "definition") continue;  // the whole study file: see meta, not environment
    out["study." + k] = v;
  }
  return out;
}

std::vector<PowerPoint> load_power_series(const std::string& db_path, long long run_id) {
  StudyStore store = StudyStore::open(db_path);
  std::vector<PowerPoint> out;
  for (const auto& s : store.samples_of(run_id)) out.push_back({s.t_s, s.domain, s.watts, s.source});
  return out;
}

std::map<long long, std::vector<PowerPoint>> load_all_power_series(const std::string& db_path) {
  StudyStore store = StudyStore::open(db_path);
  return load_all_power_series(store);
}

std::map<long long, std::vector<PowerPoint>> load_all_power_series(StudyStore& store) {
  const std::string& db_path = store.path();
  std::map<long long, std::vector<PowerPoint>> out;
  auto s = store.db().prepare("SELECT run_id, t_s, domain, watts, source FROM power_samples ORDER BY run_id, t_s, rowid");
  while (s.step()) {
    // the message (naming the database and the run) is built only for text that does not parse
    const std::string domain = s.column_text(2), source = s.column_text(4);
    auto d = parse_energy_domain(domain);
    auto src = parse_energy_source(source);
    if (!d) d = energy_domain_from(domain, db_path + ": run " + it_id(s) + ": sample domain");
    if (!src) src = energy_source_from(source, db_path + ": run " + it_id(s) + ": sample source");
    out[s.column_int(0)].push_back({s.column_double(1), *d, s.column_double(3), *src});
  }
  return out;
}

}  // namespace greentune::store
