#include "greentune/study/study_directory.hpp"

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
#include "greentune/store/study_store.hpp"
#include "greentune/study/plan_rows.hpp"

#include <nlohmann/json.hpp>

namespace greentune::study {

using nlohmann::json;

std::string StudyPaths::result_file(long long task_id) const {
  return results_dir() + "/task-" + std::to_string(task_id) + ".json";
}

StudyPaths StudyPaths::from_path(const std::string& p) {
  std::string path = p;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (is_directory(path)) {
    if (!file_exists(path + "/study.db") && !file_exists(path + "/plan.json"))
      throw io_error(path + " is not a greentune study directory (no study.db)");
    return StudyPaths{path};
  }
  if (file_exists(path)) {
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
    if (!file_exists(dir + "/plan.json"))
      throw io_error(path + " is not inside a greentune study directory (no plan.json next to it)");
    return StudyPaths{dir};
  }
  throw io_error("no study at " + path);
}

const PlannedTask& LoadedStudy::task(long long id) const {
  if (id < 1 || id > static_cast<long long>(plan.tasks.size()))
    throw input_error("study " + paths.dir + " has no task " + std::to_string(id) + " (tasks 1-" +
                      std::to_string(plan.tasks.size()) + ")");
  return plan.tasks[static_cast<size_t>(id - 1)];
}
const PlannedRun& LoadedStudy::run(long long id) const {
  if (id < 1 || id > static_cast<long long>(plan.runs.size()))
    throw input_error("study " + paths.dir + " has no run " + std::to_string(id));
  return plan.runs[static_cast<size_t>(id - 1)];
}
const PlannedConfiguration& LoadedStudy::configuration(long long id) const {
  if (id < 1 || id > static_cast<long long>(plan.configurations.size()))
    throw input_error("study " + paths.dir + " has no configuration " + std::to_string(id));
  return plan.configurations[static_cast<size_t>(id - 1)];
}

json plan_to_json(const Plan& plan) {
  json cs = json::array(), ts = json::array(), rs = json::array();
  for (const auto& c : plan.configurations) {
    json hp = json::object();
    for (const auto& [k, v] : c.hp) hp[k] = v;
    cs.push_back({{"id", c.id}, {"model", c.model}, {"operator", c.op}, {"mutant", c.mutant}, {"hp", hp}});
  }
  for (const auto& t : plan.tasks)
    ts.push_back({{"id", t.id}, {"scenario", to_string(t.scenario)}, {"corunner", t.corunner},
                  {"scenario_kind", to_string(t.scenario_kind)},
                  {"corunner_model", t.corunner_model}, {"jobs", t.jobs}, {"runs", t.run_ids}});
  for (const auto& r : plan.runs)
    rs.push_back({{"id", r.id}, {"task_id", r.task_id}, {"job", r.job}, {"configuration_id", r.configuration_id},
                  {"model", r.model}, {"scenario", to_string(r.scenario)}, {"corunner", r.corunner}, {"operator", r.op},
                  {"repetition", r.repetition}});
  return {{"configurations", cs}, {"tasks", ts}, {"runs", rs}};
}

Plan plan_from_json(const json& j) {
  Plan plan;
  for (const auto& c : j.at("configurations")) {
    PlannedConfiguration pc;
    pc.id = json_integer<long long>(c.at("id"), "plan configurations[].id");
    pc.model = c.at("model").get<std::string>();
    pc.op = c.at("operator").get<std::string>();
    pc.mutant = json_integer<int>(c.at("mutant"), "plan configurations[].mutant");
    for (const auto& [k, v] : c.at("hp").items()) pc.hp[k] = v.get<double>();
    plan.configurations.push_back(pc);
  }
  for (const auto& t : j.at("tasks")) {
    PlannedTask pt;
    pt.id = json_integer<long long>(t.at("id"), "plan tasks[].id");
    pt.scenario = scenario_from(t.at("scenario").get<std::string>(), "plan tasks[].scenario");
    pt.corunner = t.at("corunner").get<std::string>();
    pt.scenario_kind = scenario_kind_from(t.at("scenario_kind").get<std::string>(), "plan tasks[].scenario_kind");
    pt.corunner_model = t.at("corunner_model").get<std::string>();
    pt.jobs = json_integer<int>(t.at("jobs"), "plan tasks[].jobs");
    for (const auto& id : t.at("runs")) pt.run_ids.push_back(json_integer<long long>(id, "plan tasks[].runs"));
    plan.tasks.push_back(pt);
  }
  for (const auto& r : j.at("runs")) {
    PlannedRun pr;
    pr.id = json_integer<long long>(r.at("id"), "plan runs[].id");
    pr.task_id = json_integer<long long>(r.at("task_id"), "plan runs[].task_id");
    pr.job = json_integer<int>(r.at("job"), "plan runs[].job");
    pr.configuration_id = json_integer<long long>(r.at("configuration_id"), "plan runs[].configuration_id");
    pr.model = r.at("model").get<std::string>();
    pr.scenario = scenario_from(r.at("scenario").get<std::string>(), "plan runs[].scenario");
    pr.corunner = r.at("corunner").get<std::string>();
    pr.op = r.at("operator").get<std::string>();
    pr.repetition = json_integer<long long>(r.at("repetition"), "plan runs[].repetition");
    plan.runs.push_back(pr);
  }
  return plan;
}

LoadedStudy create_study_directory(const StudyDefinition& study, const std::string& dir) {
  make_directories(dir);
  StudyPaths paths{dir};
  if (file_exists(paths.db()) || file_exists(paths.plan()))
    throw io_error(dir + " already holds a study (use --resume " + dir + " to continue it, or another --out)");
  LoadedStudy ls;
  ls.paths = paths;
  ls.study_id = random_id();
  ls.definition = study;
  ls.plan = make_plan(study);
  make_directories(paths.results_dir());
  make_directories(paths.logs_dir());
  write_file_atomic(paths.definition(), study.text);
  write_file_atomic(paths.info(), json{{"study_id", ls.study_id}, {"name", study.name}, {"source", study.source},
                                       {"base_dir", study.base_dir}}.dump(2) + "\n");
  write_file_atomic(paths.plan(), json(plan_to_json(ls.plan)).dump(1) + "\n");

  store::StudyStore st = store::StudyStore::create(paths.db());
  store::Transaction tx(st.db());
  st.set_meta("study_id", ls.study_id);
  st.set_meta("name", study.name);
  st.set_meta("source", study.source);
  st.set_meta("seed", std::to_string(study.seed));
  st.set_meta("definition", study.text);
  st.set_meta("mutants", std::to_string(study.mutants));
  st.set_meta("repetitions", std::to_string(study.repetitions));
  st.set_meta("order", study.order);
  st.set_meta("meter", study.meter);
  st.set_meta("cooldown", study.cooldown.mode == CooldownMode::fixed ? std::to_string(study.cooldown.seconds) + " s" : "until-idle");
  st.set_meta("run_timeout_s", std::to_string(study.run_timeout_s));
#ifdef GREENTUNE_VERSION
  st.set_meta("greentune_version", GREENTUNE_VERSION);
#endif
  auto add_model = [&](const ModelDefinition& m) {
    store::ModelRow row;
    row.name = m.name;
    row.kind = m.is_builtin() ? "builtin" : "external";
    row.metric = m.metric;
    row.higher_is_better = m.higher_is_better;
    row.command = m.command;
    st.add_model(row);
  };
  for (const auto& m : study.models) add_model(m);
  for (const auto& m : study.corunners) add_model(m);
  add_plan(st, ls.plan);
  tx.commit();
  return ls;
}

LoadedStudy load_study_directory(const StudyPaths& paths) {
  LoadedStudy ls;
  ls.paths = paths;
  StudyInfo info = read_study_info(paths);
  ls.study_id = info.study_id;
  ls.definition = parse_study(read_file(paths.definition()), paths.definition(), info.base_dir);
  ls.definition.source = info.source;
  try {
    ls.plan = plan_from_json(json::parse(read_file(paths.plan())));
  } catch (const json::exception& e) {
    throw io_error(paths.plan() + ": " + e.what());
  } catch (const Error& e) {
    throw io_error(paths.plan() + ": " + e.what());
  }
  return ls;
}

StudyInfo read_study_info(const StudyPaths& paths) {
  StudyInfo info;
  try {
    json j = json::parse(read_file(paths.info()));
    info.study_id = j.at("study_id").get<std::string>();
    info.source = j.value("source", std::string("study.toml"));
    info.base_dir = j.value("base_dir", std::string());
  } catch (const json::exception& e) {
    throw io_error(paths.info() + ": " + e.what());
  }
  return info;
}

}  // namespace greentune::study
