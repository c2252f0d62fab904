#pragma once
// Estimation when no sensor exists (most VMs, this machine): a linear model of CPU time.
//
//   cpu_package_W(t) = idle_w + core_active_w * busy_cpus(t)
//   dram_W           = dram_w_per_gb * installed_GB            (constant)
//
// busy_cpus(t) comes from /proc/stat (all CPUs, every process), so the estimate is a
// whole-machine figure like a RAPL reading; attribution to the run is done by CPU-time
// share as for measured energy. Every value it produces has source "estimated".
//
// Defaults (override with MeterOptions::estimate_* or the --estimate-* flags):
//   core_active_w  = 12 W per fully busy logical CPU  (order of a server core's share of
//                    its package TDP: e.g. a 165 W, 14-core part; Green Algorithms uses
//                    about 12 W per core when the CPU is unknown)
//   idle_w         = 2 W per online logical CPU (package idle floor)
//   dram_w_per_gb  = 0.375 W per GB                (about 3 W per 8 GB DIMM)
// These are rough: an estimate ranks runs by CPU time, it does not measure a machine.
#include <memory>
#include <string>

#include "greentune/energy/backend.hpp"

namespace greentune::energy {

struct EstimateModel {
  static constexpr double kDefaultCoreActiveW = 12.0;
  static constexpr double kDefaultIdleWPerCpu = 2.0;
  static constexpr double kDefaultDramWPerGb = 0.375;

  double core_active_w = kDefaultCoreActiveW;
  double idle_w = 0;  // whole package(s)
  double dram_w_per_gb = kDefaultDramWPerGb;
  double memory_gb = 0;
  int cpus = 1;

  // Defaults for this machine, with the options' overrides (values < 0 mean default).
  static EstimateModel from_options(const MeterOptions& options);
  double package_w(double busy_cpus) const { return idle_w + core_active_w * busy_cpus; }
  double dram_w() const { return dram_w_per_gb * memory_gb; }
};

// `why_no_sensor` is appended to every note (e.g. "rapl: no powercap zones; perf: ...").
std::unique_ptr<EnergyMeter> make_estimate_meter(const MeterOptions& options, std::string why_no_sensor);

}  // namespace greentune::energy
