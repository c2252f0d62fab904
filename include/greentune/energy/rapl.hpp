#pragma once
// RAPL through the powercap sysfs tree (/sys/class/powercap/intel-rapl:*; AMD too).
#include <memory>
#include <string>
#include <vector>

#include "greentune/energy/backend.hpp"

namespace greentune::energy {

struct PowercapZone {
  std::string id;          // directory name, e.g. "intel-rapl:0:1"
  std::string path;        // directory path
  std::string name;        // contents of `name`: package-0, dram, core, uncore, psys
  EnergyDomain domain = EnergyDomain::cpu_package;  // cpu_package | dram (only zones that are counted)
  int socket = -1;         // N of the top-level intel-rapl:N the zone belongs to
  double max_range_uj = 0; // max_energy_range_uj (0 = unknown)
};

struct PowercapLayout {
  std::vector<PowercapZone> zones;   // counted zones: package-N and dram, one per socket
  std::vector<std::string> skipped;  // zones seen and deliberately not counted, with why
  int sockets = 0;
};

// Enumerates zones under `root`. Throws meter_error when there are no RAPL zones or a
// counted zone's energy_uj cannot be read (permission denied names the file and the fix).
PowercapLayout scan_powercap(const std::string& root);

// Wraparound-aware accumulator for one counter.
class WrappingCounter {
 public:
  explicit WrappingCounter(double max_range_uj = 0) : max_range_uj_(max_range_uj) {}
  void start(unsigned long long value_uj);
  // Returns the delta in uJ since the previous value, or a negative number when the
  // delta cannot be trusted (went backwards with an unknown range).
  double update(unsigned long long value_uj);
  double total_uj() const { return total_uj_; }
  int wraps() const { return wraps_; }
  bool broken() const { return broken_; }

 private:
  double max_range_uj_;
  unsigned long long last_ = 0;
  double total_uj_ = 0;
  int wraps_ = 0;
  bool broken_ = false;
};

// Throws meter_error when unavailable (with the reason).
std::unique_ptr<EnergyMeter> open_rapl_meter(const MeterOptions& options);

}  // namespace greentune::energy
