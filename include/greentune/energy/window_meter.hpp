#pragma once
// A meter that runs continuously and answers for any time interval since it started: the
// engine behind the Python module's `Meter.window()` (windows may nest and overlap).
//
//   energy::WindowMeter meter(options);     // opens the backends, starts the sampler
//   double t0 = meter.now();                // a window edge: one clock read, no I/O
//   ... work ...
//   double t1 = meter.now();
//   auto readings = meter.energy(t0, t1);   // joules per domain, each with its source
//
// Every sampler tick appends, per domain, the time, the power over the tick (the backend's
// PowerSample) and the cumulative energy since the start. For counter backends (rapl, perf,
// nvml-energy) the cumulative series is exact at the ticks; nvml-power samples are
// instantaneous and are integrated by the trapezoid rule. Between two ticks the energy is
// interpolated linearly (constant power inside one tick), so each window edge is resolved
// to within one sampler interval. energy() takes a sample first when the sampler has not
// yet passed t1.
//
// The series live in fixed-capacity buffers that never move, so their memory can be shared
// without copies (numpy views): entries [0, size) never change once written. A full buffer
// ends that domain's series (windows reaching past it have no reading, with a note).
#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "greentune/energy/meter.hpp"

namespace greentune::energy {

// One domain's series. Index 0 is the origin (t = 0, cumulative 0, watts NaN); samples
// are indices 1 .. size-1.
struct SeriesView {
  EnergyDomain domain = EnergyDomain::cpu_package;
  EnergySource source = EnergySource::unknown;  // the backend's: rapl | perf | nvml-energy | nvml-power | estimated
  const double* t_s = nullptr;           // seconds since the meter started
  const double* watts = nullptr;         // power over (t[i-1], t[i]] (nvml-power: at t[i])
  const double* cumulative_j = nullptr;  // energy since the start, at t[i]
  std::size_t size = 0;
};

class WindowMeter {
 public:
  // capacity: samples kept per domain (default about 4.8 days at 100 ms).
  explicit WindowMeter(const MeterOptions& options, std::size_t capacity = std::size_t{1} << 22);
  ~WindowMeter();
  WindowMeter(const WindowMeter&) = delete;
  WindowMeter& operator=(const WindowMeter&) = delete;

  // Seconds since the meter started (monotonic clock).
  double now() const;
  // Energy per domain over [t0, t1] (seconds on this meter's clock, 0 <= t0 <= t1 <= now()).
  // Domains that no backend measures come back with no joules and a note saying why.
  // Throws usage_error for an interval outside that range.
  std::vector<DomainReading> energy(double t0, double t1);
  // Takes one sample of every backend now (also done by energy() when needed) and returns
  // its time on this meter's clock: a window edge placed there has no interpolation error
  // for counter backends, at the cost of reading them (see docs/python.md).
  double sample_now();
  // Stops the sampler after one last sample; energy() still answers for earlier times.
  // Called by the destructor. Safe in a forked child (the sampler thread is not joined).
  void stop();
  bool stopped() const;

  std::vector<std::string> backends() const;  // e.g. {"rapl", "nvml"}
  std::vector<EnergyDomain> domains() const;  // measured domains, in the backends' order
  std::vector<std::pair<EnergyDomain, std::string>> missing() const;  // domain -> why not measured
  std::vector<std::string> notes() const;     // fallbacks taken when the backends were opened
  int interval_ms() const;
  std::size_t capacity() const;
  // A stable view of one measured domain's series as it is now (throws usage_error for a
  // domain that is not measured). The pointers stay valid while the meter lives.
  SeriesView series(EnergyDomain domain) const;
  int ticks() const;  // sampler ticks so far (and samples taken by sample_now)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace greentune::energy
