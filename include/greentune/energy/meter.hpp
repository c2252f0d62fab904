#pragma once
// The metering contract used by `greentune measure` and by the study runner (exec/).
// Backends (rapl, perf, nvml, estimate) sit behind it; see registry.hpp for the list.
//
//   energy::MeterSession meter(options);   // probes backends; throws meter_error if the
//                                          // user explicitly asked for one that is missing
//   meter.begin();                          // window start (starts the background sampler)
//   meter.track(child_pid, "run");          // attribute this process tree's CPU time
//   ... child runs ...
//   energy::Measurement m = meter.end();    // window end
//
// A missing reading is std::nullopt, never 0 J. Every value carries its source.
// Domains and sources are the typed run model's (core/run_model.hpp): a meter only ever
// reports cpu_package, dram and gpu (RAPL's psys, core and uncore zones are not counted, see
// rapl.hpp). Text exists only where a reading is printed or stored, through to_string().
#include <sys/types.h>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "greentune/core/run_model.hpp"

namespace greentune::energy {

struct DomainReading {
  EnergyDomain domain = EnergyDomain::cpu_package;
  std::optional<double> joules;             // whole-machine energy in the window; empty = unavailable
  EnergySource source = EnergySource::unknown;  // unknown: no backend measures the domain
  std::optional<double> attributed_joules;  // share attributed to the tracked "run" tree (CPU-time share)
  bool flagged = false;                     // implausible value: not to be stored as a number
  std::string note;                         // why unavailable / why flagged / what was estimated
  // With an idle baseline (MeterSession::measure_idle): the domain's idle power and the
  // energy above it (joules - idle_w * duration_s). Empty without a baseline.
  std::optional<double> idle_w;
  std::optional<double> net_joules;
};

struct PowerSample {
  double t_s = 0;        // seconds since begin()
  EnergyDomain domain = EnergyDomain::cpu_package;
  double watts = 0;
  EnergySource source = EnergySource::unknown;
};

struct Measurement {
  double duration_s = 0;
  std::vector<DomainReading> domains;
  std::vector<PowerSample> samples;               // background sampler's time series
  std::map<std::string, double> cpu_s_by_label;  // CPU seconds (user+sys) of each tracked tree
  double machine_cpu_s = 0;                       // all CPUs' busy seconds in the window (/proc/stat)
  std::optional<double> idle_baseline_w;          // when an idle baseline was measured
                                                  // (sum of the domains' idle power)
  // Added by the energy area (extensions, nothing above renamed):
  double idle_baseline_s = 0;         // length of the idle measurement (0 = none)
  std::vector<std::string> backends;  // backends used, e.g. {"rapl", "nvml"}
  std::vector<std::string> notes;     // fallbacks and warnings, one sentence each
  double sampler_cpu_s = 0;           // CPU time used by the background sampler thread
  int sampler_ticks = 0;              // how many times the sampler ran

  const DomainReading* find(EnergyDomain domain) const;
  // CPU-time attribution, the one place it is computed: the share of the machine's busy CPU
  // time used by the tree tracked as `label` (0 when unknown, at most 1), and that share of
  // a CPU-side domain's energy (empty for gpu and for a domain without a reading).
  double cpu_share(const std::string& label) const;
  std::optional<double> attributed_joules(const DomainReading& d, const std::string& label) const;
};

struct MeterOptions {
  std::string meter = "auto";        // auto | rapl | perf | nvml | estimate | none (comma list allowed)
  int interval_ms = 100;             // background sampler interval
  std::string powercap_root;         // default /sys/class/powercap (env GREENTUNE_POWERCAP_ROOT)
  std::string nvml_library;          // default libnvidia-ml.so.1 (env GREENTUNE_NVML_LIBRARY)
  std::vector<std::string> gpus;     // UUIDs or PCI bus ids; empty = visible GPUs
  // Estimation model (used when no sensor exists); documented defaults in estimate.hpp.
  double estimate_core_active_w = -1;  // < 0: default
  double estimate_idle_w = -1;
  double estimate_dram_w_per_gb = -1;
  double max_power_w_per_socket = 1000;  // plausibility ceiling
  // Added by the energy area:
  std::string perf_sysfs_root;       // default /sys (power PMU files; env GREENTUNE_PERF_SYSFS_ROOT)
  std::string proc_root;             // default /proc (process CPU time, /proc/stat)
  double max_gpu_power_w = 1500;     // plausibility ceiling per GPU
  std::size_t max_samples = 200000;  // power samples kept; beyond, the series is thinned 2:1
};

class MeterSession {
 public:
  explicit MeterSession(const MeterOptions& options);
  ~MeterSession();
  MeterSession(const MeterSession&) = delete;
  MeterSession& operator=(const MeterSession&) = delete;

  void begin();
  void track(pid_t pid, const std::string& label = "run");
  Measurement end();
  // Names and sources of the backends in use, e.g. {"estimate"}.
  std::vector<std::string> backends() const;

  // Reads the tracked process trees now. Call it after a tracked child has exited and
  // before reaping it (see exited_unreaped() in process_tree.hpp), so that its last CPU
  // time is kept; otherwise up to one sampler interval of it can be missed.
  void refresh();

  // The energy of each measured domain since begin(), integrated from the power samples taken
  // so far (so at most one sampler interval behind), and the time of the last sample; for live
  // progress (the energy of each epoch a run reports). Its source is the domain's, labelled as
  // integrated from samples; `estimated` when any domain is estimated. Empty outside a window.
  struct SoFar {
    double t_s = 0;                              // seconds since begin() of the last sample
    std::map<EnergyDomain, double> joules;       // per domain
    bool estimated = false;
    double total_j() const;
  };
  SoFar energy_so_far();

  // Measures idle power for `seconds` (call before begin(), with the machine quiet); end()
  // then also reports each domain's idle_w and net_joules. Returns the summed idle watts.
  double measure_idle(double seconds);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace greentune::energy
