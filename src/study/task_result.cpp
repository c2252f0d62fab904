#include "greentune/study/task_result.hpp"

#include <dirent.h>

#include <algorithm>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/json_integer.hpp"
#include "greentune/core/json_types.hpp"

// The result file through nlohmann's conversions: a run outcome's fields by name (enums as their
// text, empty optionals as null), its power samples as four columns (t_s, domain, watts,
// source: compact), integers read with json_integer (a float such as 1e300 is an input error,
// not undefined behaviour). Keys are written in name order (nlohmann's objects are sorted),
// so the file is byte for byte what earlier versions wrote.
namespace greentune::store {

using nlohmann::json;

// Optional fields read with their defaults; "domain" is required (checked by the reader below).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DomainEnergy, domain, joules, source, attributed_j, flagged, note)

static json sample_columns(const std::vector<PowerSampleRow>& samples) {
  json t = json::array(), domain = json::array(), watts = json::array(), source = json::array();
  for (const auto& s : samples) {
    t.push_back(s.t_s);
    domain.push_back(s.domain);
    watts.push_back(s.watts);
    source.push_back(s.source);
  }
  return {{"t_s", t}, {"domain", domain}, {"watts", watts}, {"source", source}};
}

static std::vector<PowerSampleRow> samples_from_columns(const json& c) {
  const auto t = c.at("t_s").get<std::vector<double>>();
  const auto domain = c.at("domain").get<std::vector<EnergyDomain>>();
  const auto watts = c.at("watts").get<std::vector<double>>();
  const auto source = c.at("source").get<std::vector<EnergySource>>();
  if (domain.size() != t.size() || watts.size() != t.size() || source.size() != t.size())
    throw input_error("samples: t_s, domain, watts and source are not arrays of one length");
  std::vector<PowerSampleRow> out;
  for (size_t i = 0; i < t.size(); ++i) out.push_back({t[i], domain[i], watts[i], source[i]});
  return out;
}

void to_json(json& j, const RunOutcome& o) {
  j = {{"run_id", o.run_id},         {"result_id", o.result_id},     {"status", o.status},
       {"reason", o.reason},         {"started_at", o.started_at},   {"finished_at", o.finished_at},
       {"node", o.node},             {"duration_s", o.duration_s},   {"performance", o.performance},
       {"exit_code", o.exit_code},   {"energy", o.energy},           {"samples", sample_columns(o.samples)},
       {"details", o.details}};
}

void from_json(const json& j, RunOutcome& o) {
  o.run_id = json_integer<long long>(j.at("run_id"), "run_id");
  try {
    o.result_id = j.at("result_id").get<std::string>();
    o.status = j.at("status").get<RunStatus>();
    o.reason = j.value("reason", std::string());
    o.started_at = j.value("started_at", std::string());
    o.finished_at = j.value("finished_at", std::string());
    o.node = j.value("node", std::string());
    o.duration_s = j.value("duration_s", std::optional<double>());
    o.performance = j.value("performance", std::optional<double>());
    if (j.contains("exit_code") && !j.at("exit_code").is_null())
      o.exit_code = json_integer<long long>(j.at("exit_code"), "exit_code");
    for (const json& e : j.at("energy")) {
      if (!e.is_object() || !e.contains("domain")) throw input_error("energy: an entry without a domain");
      o.energy.push_back(e.get<DomainEnergy>());
    }
    if (j.contains("samples")) o.samples = samples_from_columns(j.at("samples"));
    o.details = j.value("details", std::map<std::string, std::string>());
  } catch (const Error& e) {
    throw input_error("run " + std::to_string(o.run_id) + ": " + e.what());
  }
  if (!is_final(o.status))
    throw input_error("run " + std::to_string(o.run_id) + ": status '" + to_string(o.status) +
                      "' is not a final status");
}

}  // namespace greentune::store

namespace greentune::study {

using nlohmann::json;

static constexpr const char* kFormat = "greentune-task-result";

json to_json(const TaskResult& r) {
  return {{"format", kFormat},           {"version", 1},          {"study_id", r.study_id},
          {"task_id", r.task_id},        {"result_id", r.result_id}, {"node", r.node},
          {"environment", r.environment}, {"started_at", r.started_at}, {"finished_at", r.finished_at},
          {"runs", r.runs}};
}

TaskResult task_result_from_json(const json& j) {
  TaskResult r;
  try {
    if (j.value("format", std::string()) != kFormat) throw input_error("not a greentune task result (format field)");
    r.study_id = j.at("study_id").get<std::string>();
    r.task_id = json_integer<long long>(j.at("task_id"), "task_id");
    r.result_id = j.at("result_id").get<std::string>();
    r.node = j.value("node", std::string());
    r.environment = j.value("environment", std::map<std::string, std::string>());
    r.started_at = j.value("started_at", std::string());
    r.finished_at = j.value("finished_at", std::string());
    r.runs = j.at("runs").get<std::vector<store::RunOutcome>>();
  } catch (const json::exception& e) {
    throw input_error(std::string("task result: ") + e.what());
  }
  return r;
}
std::string write_task_result(const StudyPaths& paths, const TaskResult& r) {
  make_directories(paths.results_dir());
  std::string file = paths.result_file(r.task_id);
  write_file_atomic(file, to_json(r).dump() + "\n");
  return file;
}

TaskResult read_task_result(const std::string& file) {
  std::string text = read_file(file);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw input_error(file + ": not valid JSON: " + e.what());
  }
  try {
    return task_result_from_json(j);
  } catch (const Error& e) {
    throw input_error(file + ": " + e.what());
  }
}

std::vector<long long> result_task_ids(const StudyPaths& paths) {
  std::vector<long long> ids;
  DIR* d = opendir(paths.results_dir().c_str());
  if (!d) return ids;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind("task-", 0) == 0 && n.size() > 10 && n.substr(n.size() - 5) == ".json") {
      std::string num = n.substr(5, n.size() - 10);
      if (!num.empty() && num.find_first_not_of("0123456789") == std::string::npos) ids.push_back(std::stoll(num));
    }
  }
  closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

StoreSummary store_task_result(store::StudyStore& st, const TaskResult& r) {
  auto sid = st.meta("study_id");
  if (sid && *sid != r.study_id)
    throw input_error("result of task " + std::to_string(r.task_id) + " belongs to study " + r.study_id +
                      ", not to " + st.path() + " (study " + *sid + ")");
  StoreSummary s;
  if (!r.node.empty() && !r.environment.empty()) {
    auto envs = st.environments();
    bool changed = true;
    auto it = envs.find(r.node);
    if (it != envs.end()) {
      changed = false;
      for (const auto& [k, v] : r.environment)
        if (!it->second.count(k) || it->second.at(k) != v) changed = true;
    }
    if (changed) st.set_environment(r.node, r.environment);
  }
  for (const auto& o : r.runs) {
    auto run = st.run(o.run_id);
    if (!run || run->task_id != r.task_id)
      throw input_error("result of task " + std::to_string(r.task_id) + " names run " + std::to_string(o.run_id) +
                        ", which is not part of that task in " + st.path());
    switch (st.store_outcome(o)) {
      case store::StoreResult::stored: ++s.stored; break;
      case store::StoreResult::unchanged: ++s.unchanged; break;
      case store::StoreResult::superseded: ++s.superseded; break;
    }
  }
  return s;
}

}  // namespace greentune::study
