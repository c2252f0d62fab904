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
#include <utility>
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

// Integral of power samples (t_s, watts) by the trapezoid rule over their real timestamps.
double trapezoid_j(const std::vector<std::pair<double, double>>& samples);

// Picks GPUs from `all`: by `requested` ids (UUID, UUID prefix, PCI bus id, NVML index) if
// any, else by CUDA_VISIBLE_DEVICES (`cuda_visible` null = unset), else all. Throws
// meter_error for an id that matches no GPU. `note` receives assumptions made.
std::vector<GpuInfo> select_gpus(const std::vector<GpuInfo>& all, const std::vector<std::string>& requested,
                                 const char* cuda_visible, std::string* note);

std::unique_ptr<EnergyMeter> open_nvml_meter(const MeterOptions& options);

}  // namespace greentune::energy
