#pragma once
// The perf `power` PMU (perf_event_open), as `perf stat -e power/energy-pkg/` uses it.
#include <memory>
#include <string>
#include <vector>

#include "greentune/energy/backend.hpp"

namespace greentune::energy {

struct PerfPowerEvent {
  std::string event;     // energy-pkg | energy-ram
  EnergyDomain domain = EnergyDomain::cpu_package;  // cpu_package | dram
  unsigned long long config = 0;
  double scale = 0;      // joules per count (from <event>.scale)
  std::string unit;      // from <event>.unit ("Joules")
};

struct PerfPowerPmu {
  int type = -1;                  // devices/power/type
  std::vector<int> cpus;          // devices/power/cpumask: one CPU per socket
  std::vector<PerfPowerEvent> events;
  std::vector<std::string> missing;  // events not present, with why
};

// Reads <sysfs_root>/bus/event_source/devices/power/. Throws meter_error if absent/unusable.
PerfPowerPmu scan_perf_power(const std::string& sysfs_root);

std::unique_ptr<EnergyMeter> open_perf_meter(const MeterOptions& options);

}  // namespace greentune::energy
