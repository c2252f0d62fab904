#include "greentune/energy/rapl.hpp"

#include "greentune/core/error.hpp"

namespace greentune::energy {
std::unique_ptr<EnergyMeter> open_rapl_meter(const MeterOptions&) {
  throw meter_error("rapl backend: not built yet in this version");
}
}  // namespace greentune::energy
