#include "greentune/energy/perf_power.hpp"

#include "greentune/core/error.hpp"

namespace greentune::energy {
std::unique_ptr<EnergyMeter> open_perf_meter(const MeterOptions&) {
  throw meter_error("perf backend: not built yet in this version");
}
}  // namespace greentune::energy
