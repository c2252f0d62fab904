#pragma once
// The plan as rows of the study database and back: the one mapping between study/plan.hpp and
// the configurations, tasks and runs tables (store/study_store.hpp). Studies write their plan
// through it; tune runs, which plan as they go, read theirs back through it.
#include <vector>

#include "greentune/store/study_store.hpp"
#include "greentune/study/plan.hpp"

namespace greentune::study {

store::ConfigurationRow configuration_row(const PlannedConfiguration& c);
store::TaskRow task_row(const PlannedTask& t);
store::RunRow run_row(const PlannedRun& r);
// Adds every configuration, task and run of the plan (inside the caller's transaction).
void add_plan(store::StudyStore& st, const Plan& plan);

// The plan that the rows describe: configurations, tasks (each with its runs' ids, in id order)
// and runs. The database keeps no scenario kind or co-runner model: a parallel task is symmetric
// when its co-runner label is "symmetric:k", else it runs beside the model its label names.
Plan plan_from_rows(const std::vector<store::ConfigurationRow>& configurations,
                    const std::vector<store::TaskRow>& tasks, const std::vector<store::RunRow>& runs);

}  // namespace greentune::study
