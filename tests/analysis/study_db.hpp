#pragma once
// Writes a small study database from RunRecords (no training): the plan rows a study
// would have (models, configurations, tasks, runs) and one stored outcome per run (with the
// record's final status).
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "greentune/core/run_record.hpp"
#include "greentune/store/study_store.hpp"

namespace greentune::test {

// Five repetitions of each (epochs, performance) configuration of `model`: the first is the
// original, the others are epochs mutants. Energy ~10 J and time ~2 s per epoch, with a
// little noise; performance rises by 0.001 per repetition.
inline std::vector<RunRecord> epochs_study(const std::string& model,
                                           const std::vector<std::pair<double, double>>& epochs_performance) {
  std::vector<RunRecord> runs;
  const double noise[5] = {-1.0, 0.5, 0.0, 1.5, -0.5};
  for (size_t c = 0; c < epochs_performance.size(); ++c) {
    const auto [epochs, performance] = epochs_performance[c];
    for (int r = 0; r < 5; ++r) {
      RunRecord run;
      run.model = model;
      run.op = c == 0 ? "original" : "epochs";
      run.repetition = r + 1;
      run.hp = {{"epochs", epochs}};
      run.reading(EnergyDomain::cpu_package).joules = 10 * epochs + noise[r];
      run.reading(EnergyDomain::dram).joules = epochs + noise[r] / 10;
      run.duration_s = 2 * epochs + noise[r];
      run.performance = performance + 0.001 * r;
      runs.push_back(run);
    }
  }
  return runs;
}

// models: the rows of the models table (name, metric, direction); every run's model should
// be among them. Runs of the same model, operator and configuration share a configuration.
inline void write_study_db(const std::string& path, const std::vector<RunRecord>& runs,
                           const std::vector<store::ModelRow>& models) {
  auto db = store::StudyStore::create(path);
  for (const auto& m : models) db.add_model(m);
  std::map<std::pair<std::string, Configuration>, long long> config_of;
  std::map<std::string, int> mutants;
  long long id = 0;
  for (const auto& r : runs) {
    auto key = std::make_pair(r.model, r.hp);
    if (!config_of.count(key)) {
      store::ConfigurationRow c;
      c.model = r.model;
      c.op = r.op;
      c.mutant = r.op == "original" ? 0 : ++mutants[r.model];
      c.hp = r.hp;
      config_of[key] = db.add_configuration(c);
    }
    store::TaskRow task;
    store::RunRow row;
    row.task_id = db.add_task(task);
    row.configuration_id = config_of[key];
    row.model = r.model;
    row.op = r.op;
    row.repetition = r.repetition;
    const long long run_id = db.add_run(row);
    db.mark_running(run_id, "node", "2026-01-01T00:00:00Z");
    store::RunOutcome o;
    o.run_id = run_id;
    o.result_id = "r" + std::to_string(++id);
    o.status = r.status;
    o.node = "node";
    o.duration_s = r.duration_s;
    o.performance = r.performance;
    o.exit_code = 0;
    o.energy.push_back({EnergyDomain::cpu_package, r.reading(EnergyDomain::cpu_package).joules, EnergySource::rapl, std::nullopt, false, ""});
    o.energy.push_back({EnergyDomain::dram, r.reading(EnergyDomain::dram).joules, EnergySource::rapl, std::nullopt, false, ""});
    db.store_outcome(o);
  }
}

}  // namespace greentune::test
