#pragma once
// The one list of energy backends (registry.cpp) and how MeterOptions::meter picks them.
//
//   auto      rapl for CPU package + DRAM, else perf; nvml for GPUs when present;
//             estimate for the CPU domains when neither rapl nor perf works.
//   NAME,...  exactly these (rapl | perf | nvml | estimate); one that is unavailable is a
//             meter_error naming why. `none` measures duration and CPU time only.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "greentune/energy/backend.hpp"

namespace greentune::energy {

struct BackendEntry {
  const char* name;
  const char* domains;      // for listings: "cpu_package, dram"
  const char* description;
  // Opens the backend or throws meter_error saying why it is unavailable here.
  std::function<std::unique_ptr<EnergyMeter>(const MeterOptions&)> open;
};

// The backends in preference order. Static data, built once; no self-registration.
const std::vector<BackendEntry>& backend_registry();

struct BackendStatus {
  std::string name;
  std::string domains;
  bool available = false;
  std::string detail;  // what was found, or why it is unavailable
};

// Probes every backend (opens and closes it). Used by `greentune meters`.
std::vector<BackendStatus> probe_backends(const MeterOptions& options);

struct OpenedMeters {
  std::vector<std::unique_ptr<EnergyMeter>> meters;
  // For each domain that no opened meter provides: why (used as the reading's note).
  std::vector<std::pair<EnergyDomain, std::string>> missing;
  std::vector<std::string> notes;  // fallbacks taken
};

// Applies the selection rules above. Throws usage_error for an unknown name or two
// backends claiming one domain, meter_error for an explicitly requested missing backend.
OpenedMeters open_meters(const MeterOptions& options);

// Fills in unset roots from the environment and the defaults:
// powercap_root  <- GREENTUNE_POWERCAP_ROOT   or /sys/class/powercap
// perf_sysfs_root<- GREENTUNE_PERF_SYSFS_ROOT or /sys
// nvml_library   <- GREENTUNE_NVML_LIBRARY    or libnvidia-ml.so.1
// proc_root      <- /proc
MeterOptions resolve_defaults(MeterOptions options);

}  // namespace greentune::energy
