#include "greentune/energy/nvml.hpp"

#include "greentune/core/error.hpp"

namespace greentune::energy {
std::unique_ptr<EnergyMeter> open_nvml_meter(const MeterOptions&) {
  throw meter_error("nvml backend: not built yet in this version");
}
}  // namespace greentune::energy
