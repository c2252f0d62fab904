// A tune run's tasks on Slurm nodes (tune/tune_task.hpp): the plan file the nodes read, and the
// tune run as a node loads it.
#include "greentune/tune/tune_task.hpp"

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/tune/tune_definition.hpp"
#include "state.hpp"

namespace greentune::tune {

using nlohmann::json;

std::string tune_plan_file(const std::string& dir) { return dir + "/tune-plan.json"; }

bool is_tune_directory(const std::string& dir_or_db) {
  study::StudyPaths paths;
  try {
    paths = study::StudyPaths::from_path(dir_or_db);
  } catch (const Error&) {
    return false;
  }
  if (!file_exists(paths.definition())) return false;
  try {
    toml::table t = toml::parse(read_file(paths.definition()), paths.definition());
    return t.contains("tune");
  } catch (const toml::parse_error&) {
    return false;  // not ours to judge: the study loader reports the file's error
  }
}

void write_tune_plan(const study::StudyPaths& paths, const TuneDefinition& def, store::StudyStore& st) {
  const study::Plan plan = tune_plan(def, st.configurations(), st.tasks(), st.runs());
  write_file_atomic(tune_plan_file(paths.dir), study::plan_to_json(plan).dump(1) + "\n");
}

study::LoadedStudy load_tune_directory_for_tasks(const study::StudyPaths& paths) {
  study::LoadedStudy ls;
  ls.paths = paths;
  const std::string file = tune_plan_file(paths.dir);
  const study::StudyInfo info = study::read_study_info(paths);
  ls.study_id = info.study_id;
  TuneDefinition def = parse_tune(read_file(paths.definition()), info.source, info.base_dir);
  ls.definition = def.study;
  if (!file_exists(file))
    throw input_error(file + ": missing (" + paths.dir + " is a tune run that has not planned any Slurm batch)");
  try {
    ls.plan = study::plan_from_json(json::parse(read_file(file)));
  } catch (const json::exception& e) {
    throw input_error(file + ": " + e.what());
  } catch (const Error& e) {
    throw input_error(file + ": " + e.what());
  }
  return ls;
}

}  // namespace greentune::tune
