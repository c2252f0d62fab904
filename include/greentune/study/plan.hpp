#pragma once
// The plan of a study: every configuration (original + mutants), and every task and run, in
// execution order. Pure function of the definition (the seed fixes mutants and order).
#include <string>
#include <vector>

#include "greentune/study/study_definition.hpp"

namespace greentune::study {

struct PlannedConfiguration {
  long long id = 0;                // 1-based
  std::string model;
  std::string op = "original";     // original | hyperparameter name
  int mutant = 0;                  // 0 = original
  Configuration hp;
};

struct PlannedRun {
  long long id = 0;                // 1-based, in execution order
  long long task_id = 0;
  int job = 1;
  long long configuration_id = 0;
  std::string model;
  Scenario scenario = Scenario::single;
  std::string corunner, op;
  long long repetition = 1;
};

struct PlannedTask {
  long long id = 0;                // 1-based, in execution order
  Scenario scenario = Scenario::single;
  std::string corunner;            // label ("" | model | symmetric:k)
  ScenarioKind scenario_kind = ScenarioKind::single;
  std::string corunner_model;      // parallel: the co-runner's model name
  int jobs = 1;
  std::vector<long long> run_ids;
};

struct Plan {
  std::vector<PlannedConfiguration> configurations;
  std::vector<PlannedTask> tasks;
  std::vector<PlannedRun> runs;
};

Plan make_plan(const StudyDefinition& study);
// Estimated seconds for the whole plan (runs scale with epochs; cool-down included);
// 0 when no model has an estimate.
double estimate_plan_seconds(const StudyDefinition& study, const Plan& plan);
// Text for --dry-run: models, operators with their mutant values, counts, estimate.
std::string describe_plan(const StudyDefinition& study, const Plan& plan);

}  // namespace greentune::study
