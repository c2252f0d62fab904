#pragma once
// The backend interface behind MeterSession. One object per backend kind (rapl, perf,
// nvml, estimate); each measures whole-machine energy for the domains it provides.
// The list of backends lives in one place: registry.cpp.
//
// Threading: begin() and end() run on the caller's thread while the sampler is stopped;
// sample() runs on the sampler thread between them. No two calls overlap.
#include <optional>
#include <string>
#include <vector>

#include "greentune/energy/meter.hpp"

namespace greentune::energy {

// Window state shared with backends at end(): what the estimate model needs.
struct WindowContext {
  double duration_s = 0;
  double machine_cpu_s = 0;  // busy CPU seconds of all CPUs in the window
};

class EnergyMeter {
 public:
  virtual ~EnergyMeter() = default;
  virtual std::string name() const = 0;                 // "rapl", "perf", "nvml", "estimate"
  virtual std::vector<EnergyDomain> domains() const = 0;  // subset of cpu_package, dram, gpu
  // What its readings and samples are: rapl, perf, nvml-energy or nvml-power, estimated.
  virtual EnergySource source() const = 0;
  // One-line description of what was found (zones, events, GPUs, model figures).
  virtual std::string describe() const = 0;
  // Window start; t_s is seconds on the session clock (monotonic).
  virtual void begin(double t_s) = 0;
  // Periodic read by the sampler: appends power samples (t_s relative to begin is set by
  // the caller) and keeps counters from wrapping unnoticed.
  virtual void sample(double t_s, std::vector<PowerSample>& out) = 0;
  // Window end: one reading per domain in domains().
  virtual std::vector<DomainReading> end(double t_s, const WindowContext& window) = 0;
};

}  // namespace greentune::energy
