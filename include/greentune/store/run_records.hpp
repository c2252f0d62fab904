#pragma once
// Reading a study database for analysis and reports.
#include <map>
#include <string>
#include <vector>

#include "greentune/core/run_model.hpp"
#include "greentune/core/run_record.hpp"

namespace greentune::store {

class StudyStore;

// Each loader takes a path (and opens the database) or an open store: a reader of several of them
// (the report) opens the database once.

// One RunRecord per run (in run id order), every status (filter on RunRecord::status).
// hp: the run's full configuration (exact values). performance_metric, higher_is_better:
// from the models table. Energies: whole-machine joules, empty
// when not measured. extra columns:
//   run_id, task_id, job, status_reason, started_at, finished_at, exit_code, attempts,
//   <domain>_source (rapl|perf|nvml-energy|nvml-power|estimated), <domain>_attributed_j,
//   <domain>_flagged/<domain>_note when set, cpu_s, machine_cpu_s, corunner_overlap_s,
//   corunner_restarts, corunner_cpu_s, ... (every run_details key, verbatim).
// Pending/running runs are included with status "pending"/"running" and no measurements.
// Throws io_error when the file is missing or is not a study database.
std::vector<RunRecord> load_run_records(const std::string& db_path);
std::vector<RunRecord> load_run_records(StudyStore& store);

// The study's environment: cpu_model, cpu_cores, kernel, governor, torch_version, gpu,
// gpu_driver, meters, hostname, ... of the node that ran the most runs; when runs came from
// several nodes, "nodes" lists them (comma separated). Also study.name, study.seed, ...
// (keys prefixed "study.") from the meta table.
std::map<std::string, std::string> load_environment(const std::string& db_path);
std::map<std::string, std::string> load_environment(StudyStore& store);
// Every node's environment, by hostname.
std::map<std::string, std::map<std::string, std::string>> load_node_environments(const std::string& db_path);
std::map<std::string, std::map<std::string, std::string>> load_node_environments(StudyStore& store);

struct PowerPoint {
  double t_s = 0;  // seconds since the run's meter window began
  EnergyDomain domain = EnergyDomain::cpu_package;
  double watts = 0;
  EnergySource source = EnergySource::unknown;
};
// The power samples of one run, in time order (empty when none were recorded). A sample
// whose domain or source is not one of the typed run model's spellings is an input_error
// naming the database and the run.
std::vector<PowerPoint> load_power_series(const std::string& db_path, long long run_id);
// All runs' samples, by run id.
std::map<long long, std::vector<PowerPoint>> load_all_power_series(const std::string& db_path);
std::map<long long, std::vector<PowerPoint>> load_all_power_series(StudyStore& store);

}  // namespace greentune::store
