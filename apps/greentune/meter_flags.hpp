#pragma once
// Flags shared by `measure` and `meters` (owned by the energy area).
#include <CLI/CLI.hpp>

#include "greentune/energy/estimate.hpp"
#include "greentune/energy/meter.hpp"

namespace greentune::app {

inline void add_meter_source_flags(CLI::App* sub, energy::MeterOptions& o) {
  o.powercap_root = "/sys/class/powercap";
  o.perf_sysfs_root = "/sys";
  o.nvml_library = "libnvidia-ml.so.1";
  sub->add_option("--powercap-root", o.powercap_root, "Root of the powercap sysfs tree (RAPL zones)")
      ->envname("GREENTUNE_POWERCAP_ROOT")
      ->capture_default_str();
  sub->add_option("--perf-sysfs-root", o.perf_sysfs_root, "sysfs root holding bus/event_source/devices/power")
      ->envname("GREENTUNE_PERF_SYSFS_ROOT")
      ->capture_default_str();
  sub->add_option("--nvml-library", o.nvml_library, "NVML library to dlopen")
      ->envname("GREENTUNE_NVML_LIBRARY")
      ->capture_default_str();
  sub->add_option("--gpu", o.gpus, "GPUs to meter: UUIDs, UUID prefixes, PCI bus ids or NVML indices (default: CUDA_VISIBLE_DEVICES, else all)")
      ->envname("GREENTUNE_GPUS")
      ->delimiter(',')
      ->default_str("visible GPUs");
}

inline void add_meter_flags(CLI::App* sub, energy::MeterOptions& o) {
  sub->add_option("--meter", o.meter, "auto | none | comma list of rapl, perf, nvml, estimate (an explicit one that is missing is an error)")
      ->envname("GREENTUNE_METER")
      ->capture_default_str();
  sub->add_option("--interval", o.interval_ms, "Sampler interval in ms (power time series; counter wrap checks)")
      ->envname("GREENTUNE_METER_INTERVAL_MS")
      ->check(CLI::Range(1, 60000))
      ->capture_default_str();
  add_meter_source_flags(sub, o);
  sub->add_option("--estimate-core-w", o.estimate_core_active_w, "Estimation: W per fully busy logical CPU")
      ->envname("GREENTUNE_ESTIMATE_CORE_W")
      ->check(CLI::Range(0.0, 1e4))
      ->default_str(std::to_string(energy::EstimateModel::kDefaultCoreActiveW).substr(0, 4));
  sub->add_option("--estimate-idle-w", o.estimate_idle_w, "Estimation: package idle W for the whole machine")
      ->envname("GREENTUNE_ESTIMATE_IDLE_W")
      ->check(CLI::Range(0.0, 1e5))
      ->default_str("2 W x online CPUs");
  sub->add_option("--estimate-dram-w-per-gb", o.estimate_dram_w_per_gb, "Estimation: DRAM W per GB installed")
      ->envname("GREENTUNE_ESTIMATE_DRAM_W_PER_GB")
      ->check(CLI::Range(0.0, 1e3))
      ->default_str("0.375");
  sub->add_option("--max-power-per-socket", o.max_power_w_per_socket,
                  "Plausibility ceiling (W per socket): larger CPU readings are flagged, not stored")
      ->envname("GREENTUNE_MAX_POWER_PER_SOCKET")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

}  // namespace greentune::app
