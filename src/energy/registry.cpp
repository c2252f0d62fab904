// The one list of energy backends. To add a backend: write <name>.cpp with an
// open_<name>_meter(options) that throws meter_error when unavailable, and list it here.
#include "greentune/energy/registry.hpp"

#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "greentune/core/error.hpp"
#include "greentune/energy/estimate.hpp"
#include "greentune/energy/nvml.hpp"
#include "greentune/energy/perf_power.hpp"
#include "greentune/energy/rapl.hpp"

namespace greentune::energy {

const std::vector<BackendEntry>& backend_registry() {
  static const std::vector<BackendEntry> entries = {
      {"rapl", "cpu_package, dram", "Intel/AMD RAPL counters through powercap sysfs", open_rapl_meter},
      {"perf", "cpu_package, dram", "RAPL through the perf `power` PMU (perf_event_open)", open_perf_meter},
      {"nvml", "gpu", "NVIDIA GPUs through NVML (dlopen libnvidia-ml.so.1)", open_nvml_meter},
      {"estimate", "cpu_package, dram", "model from CPU time (no sensor; values labelled estimated)",
       [](const MeterOptions& o) { return make_estimate_meter(o, ""); }},
  };
  return entries;
}

MeterOptions resolve_defaults(MeterOptions o) {
  auto env_or = [](const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return std::string(v && *v ? v : fallback);
  };
  if (o.powercap_root.empty()) o.powercap_root = env_or("GREENTUNE_POWERCAP_ROOT", "/sys/class/powercap");
  if (o.perf_sysfs_root.empty()) o.perf_sysfs_root = env_or("GREENTUNE_PERF_SYSFS_ROOT", "/sys");
  if (o.nvml_library.empty()) o.nvml_library = env_or("GREENTUNE_NVML_LIBRARY", "libnvidia-ml.so.1");
  if (o.proc_root.empty()) o.proc_root = "/proc";
  if (o.interval_ms < 1 || o.interval_ms > 60000)
    throw usage_error("--interval " + std::to_string(o.interval_ms) + ": must be between 1 and 60000 ms");
  if (!(o.max_power_w_per_socket > 0)) throw usage_error("max power per socket must be > 0 W");
  return o;
}

std::vector<BackendStatus> probe_backends(const MeterOptions& options) {
  MeterOptions o = resolve_defaults(options);
  std::vector<BackendStatus> out;
  for (const auto& e : backend_registry()) {
    BackendStatus s{e.name, e.domains, false, ""};
    try {
      auto m = e.open(o);
      s.available = true;
      s.detail = m->describe();
    } catch (const Error& err) {
      s.detail = err.what();
    }
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> names;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b == std::string::npos) continue;
    names.push_back(item.substr(b, e - b + 1));
  }
  return names;
}

const BackendEntry* find_entry(const std::string& name) {
  for (const auto& e : backend_registry())
    if (name == e.name) return &e;
  return nullptr;
}

}  // namespace

OpenedMeters open_meters(const MeterOptions& options) {
  MeterOptions o = resolve_defaults(options);
  OpenedMeters result;
  std::vector<std::string> names = split_names(o.meter);
  if (names.empty()) throw usage_error("--meter: empty (use auto, none, or rapl|perf|nvml|estimate)");
  std::map<EnergyDomain, std::string> why_missing;  // domain -> reason

  auto claim = [&](std::unique_ptr<EnergyMeter> m) {
    for (const auto& d : m->domains())
      for (const auto& other : result.meters)
        for (const auto& od : other->domains())
          if (od == d)
            throw usage_error("--meter " + o.meter + ": " + other->name() + " and " + m->name() +
                              " both measure " + to_string(d) + "; choose one");
    result.meters.push_back(std::move(m));
  };

  if (names.size() == 1 && names[0] == "none") {
    for (EnergyDomain d : kEnergyDomains) result.missing.emplace_back(d, "not metered (--meter none)");
    return result;
  }
  if (names.size() == 1 && names[0] == "auto") {
    std::string cpu_why;
    for (const char* name : {"rapl", "perf"}) {
      try {
        claim(find_entry(name)->open(o));
        break;
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::meter) throw;
        cpu_why += std::string(cpu_why.empty() ? "" : "; ") + name + ": " + e.what();
      }
    }
    bool have_cpu = !result.meters.empty();
    if (!have_cpu) {
      claim(make_estimate_meter(o, cpu_why));
      result.notes.push_back("no CPU energy sensor, CPU package and DRAM are estimated from CPU time (" + cpu_why + ")");
    }
    try {
      claim(find_entry("nvml")->open(o));
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::meter) throw;
      why_missing[EnergyDomain::gpu] = std::string("unavailable: ") + e.what();
    }
  } else {
    for (const auto& name : names) {
      const BackendEntry* entry = find_entry(name);
      if (!entry) throw usage_error("--meter " + name + ": unknown meter (known: auto, none, rapl, perf, nvml, estimate)");
      try {
        claim(entry->open(o));
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::meter) throw;
        throw meter_error("--meter " + name + " was requested but is unavailable: " + e.what());
      }
    }
  }
  for (EnergyDomain d : kEnergyDomains) {
    bool provided = false;
    for (const auto& m : result.meters)
      for (const auto& md : m->domains()) provided = provided || md == d;
    if (provided) continue;
    auto it = why_missing.find(d);
    result.missing.emplace_back(d, it != why_missing.end() ? it->second : "not metered (--meter " + o.meter + ")");
  }
  return result;
}

}  // namespace greentune::energy
