#pragma once
// NVIDIA GPUs through NVML, loaded at run time with dlopen (building never needs CUDA).
//
// Energy: deltas of nvmlDeviceGetTotalEnergyConsumption (mJ, Volta and newer) -> source
// "nvml-energy"; otherwise the trapezoid integral of nvmlDeviceGetPowerUsage samples over
// their real timestamps -> source "nvml-power" (power is itself a ~1 s average on recent
// GPUs, so short windows are rough).
//
// Which GPUs: MeterOptions::gpus (UUIDs, UUID prefixes, or PCI bus ids) if given; else
// the GPUs CUDA_VISIBLE_DEVICES makes visible (UUIDs, or indices taken in PCI bus order
// as NVML numbers them); else all of them.
#include <memory>
#include <string>
#include <vector>

#include "greentune/energy/backend.hpp"

namespace greentune::energy {

struct GpuInfo {
  unsigned index = 0;  // NVML index
  std::string uuid;
  std::string pci_bus_id;
  std::string name;
  bool energy_counter = false;  // nvmlDeviceGetTotalEnergyConsumption supported
};

// Lists the GPUs NVML reports (all of them, not only the selected ones).
std::vector<GpuInfo> list_nvml_gpus(const MeterOptions& options);

std::unique_ptr<EnergyMeter> open_nvml_meter(const MeterOptions& options);

}  // namespace greentune::energy
