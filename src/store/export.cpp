#include "greentune/store/export.hpp"

#include <map>
#include <ostream>

#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/store/interchange.hpp"
#include "greentune/store/run_records.hpp"
#include "greentune/store/study_store.hpp"

namespace greentune::store {

using nlohmann::json;

static json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

namespace {

// A tune run's runs (meta kind = tune) as the interchange format reads runs, so that `analyze
// --runs` and `report --runs` take the export (docs/tune.md): tune's phase (original, search,
// confirm) moves from the operator column to the extra column tune_phase; configuration 1 is the
// original (operator "original") and every other configuration a mutant of the synthetic
// hyperparameter tune_configuration (its configuration id, column hp.tune_configuration; the
// real hyperparameters keep their columns). Every run also gets extra column configuration_id.
constexpr const char* kTunePhaseColumn = "tune_phase";
constexpr const char* kTuneConfigurationHyperparameter = "tune_configuration";

void as_tune_runs(StudyStore& st, std::vector<RunRecord>& runs) {
  std::map<std::string, long long> configuration_of;  // run id (text, as in extra) -> configuration id
  for (const auto& r : st.runs()) configuration_of[std::to_string(r.id)] = r.configuration_id;
  for (auto& r : runs) {
    auto it = configuration_of.find(r.extra["run_id"]);
    if (it == configuration_of.end()) continue;
    const long long c = it->second;
    r.extra[kTunePhaseColumn] = r.op;
    r.extra["configuration_id"] = std::to_string(c);
    r.hp[kTuneConfigurationHyperparameter] = static_cast<double>(c);
    r.op = c == 1 ? "original" : kTuneConfigurationHyperparameter;
  }
}

}  // namespace

void export_runs(const std::string& db_path, const std::string& format, std::ostream& out,
                 const std::string& status_filter) {
  if (format != "csv" && format != "json")
    throw usage_error("--format: expected csv or json, got '" + format + "'");
  std::vector<RunRecord> runs = load_run_records(db_path);
  StudyStore st = StudyStore::open(db_path);
  if (st.meta("kind").value_or("") == "tune") as_tune_runs(st, runs);
  if (!status_filter.empty()) {
    const RunStatus wanted = run_status_from(status_filter, "--status");
    std::vector<RunRecord> kept;
    for (auto& r : runs)
      if (r.status == wanted) kept.push_back(std::move(r));
    runs.swap(kept);
  }
  if (format == "csv") {
    write_runs_csv(out, runs);
    return;
  }
  json j;
  j["study"] = st.all_meta();
  j["environment"] = st.environments();
  json arr = json::array();
  for (const auto& r : runs) {
    json hp = json::object();
    for (const auto& [k, v] : r.hp) hp[k] = v;
    json extra = r.extra;
    for (auto d : kEnergyDomains)
      if (r.reading(d).source != EnergySource::unknown) extra[source_column(d)] = to_string(r.reading(d).source);
    arr.push_back({{"model", r.model},
                   {"scenario", to_string(r.scenario)},
                   {"corunner", r.corunner},
                   {"operator", r.op},
                   {"repetition", r.repetition},
                   {"hp", hp},
                   {"cpu_package_j", opt(r.reading(EnergyDomain::cpu_package).joules)},
                   {"dram_j", opt(r.reading(EnergyDomain::dram).joules)},
                   {"gpu_j", opt(r.reading(EnergyDomain::gpu).joules)},
                   {"duration_s", opt(r.duration_s)},
                   {"performance", opt(r.performance)},
                   {"performance_metric", r.performance_metric},
                   {"higher_is_better", r.higher_is_better},
                   {"status", to_string(r.status)},
                   {"node", r.node},
                   {"extra", extra}});
  }
  j["runs"] = arr;
  out << j.dump(1) << "\n";
}

}  // namespace greentune::store
