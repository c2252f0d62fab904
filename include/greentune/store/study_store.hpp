#pragma once
// The study database: one SQLite file (WAL) per study.
//
// Tables (schema version 1):
//   meta(key, value)                     study name, id, seed, definition (TOML text), created_at,
//                                        finished_at, greentune_version, schema_version
//   environment(node, key, value)        per node: cpu_model, cpu_cores, kernel, governor,
//                                        governor_set, torch_version, gpu, gpu_driver, meters,
//                                        hostname, ...
//   models(name, kind, metric, higher_is_better, command)
//   configurations(id, model, operator, mutant)      operator "original" has mutant 0
//   configuration_values(configuration_id, name, value REAL)   full configuration, exact
//   tasks(id, scenario, corunner, jobs)  one task = one run, or the k jobs of a parallel set
//   runs(id, task_id, job, configuration_id, model, scenario, corunner, operator, repetition,
//        status, reason, attempts, started_at, finished_at, node, duration_s, performance,
//        exit_code, result_id)
//        status lifecycle: pending -> running -> succeeded | failed | diverged | timeout | pruned
//        (pruned: stopped early by tune; the status is text, so no schema change was needed);
//        a run left "running" by a killed runner goes back to pending on resume.
//   run_energy(run_id, domain, joules, source, attributed_j, flagged, note)
//        domain: cpu_package | dram | gpu; NULL joules = not measured (never 0 for missing)
//   run_details(run_id, key, value)      everything else (cpu_s, corunner_overlap_s, ...)
//   power_samples(run_id, t_s, domain, watts, source)
// Timestamps are ISO-8601 UTC text ("2026-11-26T22:10:03.123Z").
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "greentune/core/hyperparameters.hpp"
#include "greentune/core/run_model.hpp"
#include "greentune/store/sqlite.hpp"

namespace greentune::store {

inline constexpr int kSchemaVersion = 1;

struct ModelRow {
  std::string name;
  std::string kind = "builtin";  // builtin | external
  std::string metric;
  bool higher_is_better = true;
  std::string command;           // external command template
};

struct ConfigurationRow {
  long long id = 0;
  std::string model;
  std::string op = "original";
  int mutant = 0;                // 0 for the original, 1..n for mutants
  Configuration hp;
};

struct TaskRow {
  long long id = 0;
  Scenario scenario = Scenario::single;
  std::string corunner;
  int jobs = 1;
};

struct RunRow {
  long long id = 0;
  long long task_id = 0;
  int job = 1;                   // 1..jobs within the task
  long long configuration_id = 0;
  std::string model;
  Scenario scenario = Scenario::single;
  std::string corunner, op = "original";
  long long repetition = 1;
  RunStatus status = RunStatus::pending;
  std::string reason;
  int attempts = 0;
  std::string started_at, finished_at, node;
  std::optional<double> duration_s, performance;
  std::optional<long long> exit_code;
  std::string result_id;
};

struct DomainEnergy {
  EnergyDomain domain = EnergyDomain::cpu_package;
  std::optional<double> joules;       // whole machine, empty = not measured
  EnergySource source = EnergySource::unknown;
  std::optional<double> attributed_j; // this run's process-tree share
  bool flagged = false;
  std::string note;
};

struct PowerSampleRow {
  double t_s = 0;
  EnergyDomain domain = EnergyDomain::cpu_package;
  double watts = 0;
  EnergySource source = EnergySource::unknown;
};

// What a finished run stores (one per run; see exec/task.hpp for where it comes from).
struct RunOutcome {
  long long run_id = 0;
  std::string result_id;              // unique per execution attempt
  RunStatus status = RunStatus::failed;  // a final status: succeeded | failed | diverged | timeout | pruned
  std::string reason;
  std::string started_at, finished_at, node;
  std::optional<double> duration_s, performance;
  std::optional<long long> exit_code;
  std::vector<DomainEnergy> energy;
  std::vector<PowerSampleRow> samples;
  std::map<std::string, std::string> details;
};

struct StatusCounts {
  long long total = 0, pending = 0, running = 0, succeeded = 0, failed = 0, diverged = 0, timeout = 0;
  long long pruned = 0;  // stopped early by tune: done, neither a success nor a failure
  long long done() const { return succeeded + failed + diverged + timeout + pruned; }
};

enum class StoreResult { stored, unchanged, superseded };

class StudyStore {
 public:
  // Creates a new database (fails if the file exists) or opens an existing one (fails with
  // io_error if it is not a greentune study database).
  static StudyStore create(const std::string& path);
  static StudyStore open(const std::string& path);

  StudyStore(StudyStore&&) noexcept;
  ~StudyStore();

  Database& db() { return *db_; }
  const std::string& path() const { return path_; }

  // --- meta & environment ---
  void set_meta(const std::string& key, const std::string& value);
  std::optional<std::string> meta(const std::string& key);
  std::map<std::string, std::string> all_meta();
  void set_environment(const std::string& node, const std::map<std::string, std::string>& env);
  std::map<std::string, std::map<std::string, std::string>> environments();

  // --- plan (written once, in one transaction, by the planner) ---
  void add_model(const ModelRow& m);
  std::vector<ModelRow> models();
  long long add_configuration(const ConfigurationRow& c);  // returns its id
  std::vector<ConfigurationRow> configurations();
  long long add_task(const TaskRow& t);                    // id given in t.id (> 0) or assigned
  long long add_run(const RunRow& r);                      // id given in r.id (> 0) or assigned
  std::vector<TaskRow> tasks();
  std::vector<RunRow> runs();                              // by id
  std::vector<RunRow> runs_of_task(long long task_id);
  std::optional<RunRow> run(long long run_id);
  ConfigurationRow configuration(long long id);

  // --- lifecycle ---
  void mark_running(long long run_id, const std::string& node, const std::string& started_at);
  // Runs left "running" (a killed runner) go back to "pending"; returns how many.
  long long reset_in_flight();
  // Idempotent: storing the same outcome (same result_id) twice changes nothing; an outcome
  // for a run that already has a different final result is ignored (superseded).
  StoreResult store_outcome(const RunOutcome& o);
  StatusCounts counts();
  std::vector<DomainEnergy> energy_of(long long run_id);
  std::map<std::string, std::string> details_of(long long run_id);
  std::vector<PowerSampleRow> samples_of(long long run_id);

 private:
  explicit StudyStore(const std::string& path, bool create);
  void create_schema();
  std::string path_;
  std::unique_ptr<Database> db_;
};

// Current UTC time as ISO-8601 with milliseconds.
std::string utc_now_iso();

}  // namespace greentune::store
