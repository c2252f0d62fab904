#include "greentune/store/export.hpp"

#include <ostream>

#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/store/interchange.hpp"
#include "greentune/store/run_records.hpp"
#include "greentune/store/study_store.hpp"

namespace greentune::store {

using nlohmann::json;

static json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

void export_runs(const std::string& db_path, const std::string& format, std::ostream& out,
                 const std::string& status_filter) {
  if (format != "csv" && format != "json")
    throw usage_error("--format: expected csv or json, got '" + format + "'");
  std::vector<RunRecord> runs = load_run_records(db_path);
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
  StudyStore st = StudyStore::open(db_path);
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
