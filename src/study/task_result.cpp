#include "greentune/study/task_result.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <algorithm>
#include <sstream>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/json_integer.hpp"

namespace greentune::study {

using nlohmann::json;


// ---- results ----

static json outcome_to_json(const store::RunOutcome& o) {
  json energy = json::array();
  for (const auto& d : o.energy) {
    energy.push_back({{"domain", to_string(d.domain)},
                      {"joules", d.joules ? json(*d.joules) : json(nullptr)},
                      {"source", to_string(d.source)},
                      {"attributed_j", d.attributed_j ? json(*d.attributed_j) : json(nullptr)},
                      {"flagged", d.flagged},
                      {"note", d.note}});
  }
  // Samples as columns (compact): t_s, domain, watts, source.
  json t = json::array(), dom = json::array(), w = json::array(), src = json::array();
  for (const auto& s : o.samples) {
    t.push_back(s.t_s);
    dom.push_back(to_string(s.domain));
    w.push_back(s.watts);
    src.push_back(to_string(s.source));
  }
  return {{"run_id", o.run_id},
          {"result_id", o.result_id},
          {"status", to_string(o.status)},
          {"reason", o.reason},
          {"started_at", o.started_at},
          {"finished_at", o.finished_at},
          {"node", o.node},
          {"duration_s", o.duration_s ? json(*o.duration_s) : json(nullptr)},
          {"performance", o.performance ? json(*o.performance) : json(nullptr)},
          {"exit_code", o.exit_code ? json(*o.exit_code) : json(nullptr)},
          {"energy", energy},
          {"samples", {{"t_s", t}, {"domain", dom}, {"watts", w}, {"source", src}}},
          {"details", o.details}};
}

static std::optional<double> opt_number(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return j.at(key).get<double>();
}

static store::RunOutcome outcome_from_json(const json& j) {
  store::RunOutcome o;
  o.run_id = json_integer<long long>(j.at("run_id"), "run_id");
  o.result_id = j.at("result_id").get<std::string>();
  o.status = run_status_from(j.at("status").get<std::string>(), "run " + std::to_string(o.run_id) + ": status");
  o.reason = j.value("reason", std::string());
  o.started_at = j.value("started_at", std::string());
  o.finished_at = j.value("finished_at", std::string());
  o.node = j.value("node", std::string());
  o.duration_s = opt_number(j, "duration_s");
  o.performance = opt_number(j, "performance");
  if (j.contains("exit_code") && !j.at("exit_code").is_null())
    o.exit_code = json_integer<long long>(j.at("exit_code"), "exit_code");
  for (const auto& e : j.at("energy")) {
    store::DomainEnergy d;
    d.domain = energy_domain_from(e.at("domain").get<std::string>(), "run " + std::to_string(o.run_id) + ": energy domain");
    d.joules = opt_number(e, "joules");
    d.source = energy_source_from(e.value("source", std::string()), "run " + std::to_string(o.run_id) + ": energy source");
    d.attributed_j = opt_number(e, "attributed_j");
    d.flagged = e.value("flagged", false);
    d.note = e.value("note", std::string());
    o.energy.push_back(d);
  }
  if (j.contains("samples")) {
    const json& s = j.at("samples");
    const json &t = s.at("t_s"), &domain = s.at("domain"), &watts = s.at("watts"), &source = s.at("source");
    if (!t.is_array() || domain.size() != t.size() || watts.size() != t.size() || source.size() != t.size())
      throw input_error("run " + std::to_string(o.run_id) +
                        ": samples: t_s, domain, watts and source are not arrays of one length");
    for (size_t i = 0; i < t.size(); ++i)
      o.samples.push_back({t.at(i).get<double>(),
                           energy_domain_from(domain.at(i).get<std::string>(), "run " + std::to_string(o.run_id) + ": samples: domain"),
                           watts.at(i).get<double>(),
                           energy_source_from(source.at(i).get<std::string>(), "run " + std::to_string(o.run_id) + ": samples: source")});
  }
  if (j.contains("details")) o.details = j.at("details").get<std::map<std::string, std::string>>();
  if (!is_final(o.status))
    throw input_error("run " + std::to_string(o.run_id) + ": status '" + to_string(o.status) + "' is not a final status");
  return o;
}

json to_json(const TaskResult& r) {
  json runs = json::array();
  for (const auto& o : r.runs) runs.push_back(outcome_to_json(o));
  return {{"format", "greentune-task-result"},
          {"version", 1},
          {"study_id", r.study_id},
          {"task_id", r.task_id},
          {"result_id", r.result_id},
          {"node", r.node},
          {"environment", r.environment},
          {"started_at", r.started_at},
          {"finished_at", r.finished_at},
          {"runs", runs}};
}

TaskResult task_result_from_json(const json& j) {
  TaskResult r;
  try {
    if (j.value("format", std::string()) != "greentune-task-result")
      throw input_error("not a greentune task result (format field)");
    r.study_id = j.at("study_id").get<std::string>();
    r.task_id = json_integer<long long>(j.at("task_id"), "task_id");
    r.result_id = j.at("result_id").get<std::string>();
    r.node = j.value("node", std::string());
    if (j.contains("environment")) r.environment = j.at("environment").get<std::map<std::string, std::string>>();
    r.started_at = j.value("started_at", std::string());
    r.finished_at = j.value("finished_at", std::string());
    for (const auto& o : j.at("runs")) r.runs.push_back(outcome_from_json(o));
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
