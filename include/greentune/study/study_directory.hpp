#pragma once
// The study directory: where a study's definition, plan, database, result files and logs live.
//
//   DIR/study.db              the SQLite database (store/study_store.hpp), one per study
//   DIR/study.toml            the study definition, verbatim copy of the file given
//   DIR/study.json            {"study_id", "name", "source", "base_dir"}: how to re-read it
//   DIR/plan.json             every task with its runs and full configurations (exact)
//   DIR/results/task-<N>.json one TaskResult per executed task (study/task_result.hpp), written
//                             atomically (results/.task-<N>.json.<random>.tmp, then rename)
//   DIR/logs/run-<ID>.out/.err  each run's child stdout / stderr
// Executing a task (exec/task.hpp) only reads study.toml, study.json and plan.json, so it runs on
// any node that sees DIR (a shared file system); only the local executor and `greentune collect`
// write the database.
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "greentune/study/plan.hpp"
#include "greentune/study/study_definition.hpp"

namespace greentune::study {

struct StudyPaths {
  std::string dir;
  std::string db() const { return dir + "/study.db"; }
  std::string definition() const { return dir + "/study.toml"; }
  std::string info() const { return dir + "/study.json"; }
  std::string plan() const { return dir + "/plan.json"; }
  std::string results_dir() const { return dir + "/results"; }
  std::string logs_dir() const { return dir + "/logs"; }
  std::string result_file(long long task_id) const;
  // Accepts the study directory or its study.db; throws io_error when neither.
  static StudyPaths from_path(const std::string& dir_or_db);
};

// A study directory, loaded: its definition, plan and id.
struct LoadedStudy {
  StudyPaths paths;
  std::string study_id;
  StudyDefinition definition;
  Plan plan;
  const PlannedTask& task(long long task_id) const;      // throws input_error if unknown
  const PlannedRun& run(long long run_id) const;
  const PlannedConfiguration& configuration(long long id) const;
};

// Creates DIR (must not hold a study yet): database with the plan and models, copies of the
// definition, plan.json, results/ and logs/. Returns the loaded study.
LoadedStudy create_study_directory(const StudyDefinition& study, const std::string& dir);
LoadedStudy load_study_directory(const StudyPaths& paths);

// DIR/info.json (written by create_study_directory): the study's id, the name of its source file
// and the folder its relative paths start from. Throws io_error naming the file.
struct StudyInfo {
  std::string study_id;
  std::string source;
  std::string base_dir;
};
StudyInfo read_study_info(const StudyPaths& paths);
// A plan as plan.json holds it: every configuration, task and run, exactly. plan_from_json
// throws nlohmann::json's exceptions or greentune's input_error for a field that is missing or
// of the wrong type; the caller names the file. (A tune run's tune-plan.json has the same form.)
nlohmann::json plan_to_json(const Plan& plan);
Plan plan_from_json(const nlohmann::json& j);

}  // namespace greentune::study
