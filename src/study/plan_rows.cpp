#include "greentune/study/plan_rows.hpp"

#include <map>

namespace greentune::study {

store::ConfigurationRow configuration_row(const PlannedConfiguration& c) {
  return {c.id, c.model, c.op, c.mutant, c.hp};
}

store::TaskRow task_row(const PlannedTask& t) { return {t.id, t.scenario, t.corunner, t.jobs}; }

store::RunRow run_row(const PlannedRun& r) {
  store::RunRow row;
  row.id = r.id;
  row.task_id = r.task_id;
  row.job = r.job;
  row.configuration_id = r.configuration_id;
  row.model = r.model;
  row.scenario = r.scenario;
  row.corunner = r.corunner;
  row.op = r.op;
  row.repetition = r.repetition;
  return row;
}

void add_plan(store::StudyStore& st, const Plan& plan) {
  for (const auto& c : plan.configurations) st.add_configuration(configuration_row(c));
  for (const auto& t : plan.tasks) st.add_task(task_row(t));
  for (const auto& r : plan.runs) st.add_run(run_row(r));
}

Plan plan_from_rows(const std::vector<store::ConfigurationRow>& configurations,
                    const std::vector<store::TaskRow>& tasks, const std::vector<store::RunRow>& runs) {
  Plan plan;
  for (const auto& c : configurations) plan.configurations.push_back({c.id, c.model, c.op, c.mutant, c.hp});
  std::map<long long, size_t> task_index;
  for (const auto& t : tasks) {
    PlannedTask pt;
    pt.id = t.id;
    pt.scenario = t.scenario;
    pt.corunner = t.corunner;
    pt.jobs = t.jobs;
    if (t.scenario == Scenario::parallel) {
      const bool symmetric = t.corunner.rfind("symmetric:", 0) == 0;
      pt.scenario_kind = symmetric ? ScenarioKind::symmetric : ScenarioKind::parallel;
      if (!symmetric) pt.corunner_model = t.corunner;
    }
    task_index[t.id] = plan.tasks.size();
    plan.tasks.push_back(pt);
  }
  for (const auto& r : runs) {
    plan.runs.push_back({r.id, r.task_id, r.job, r.configuration_id, r.model, r.scenario, r.corunner, r.op, r.repetition});
    if (auto it = task_index.find(r.task_id); it != task_index.end()) plan.tasks[it->second].run_ids.push_back(r.id);
  }
  return plan;
}

}  // namespace greentune::study
