#include "greentune/energy/nvml.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <fmt/format.h>

#include "greentune/core/error.hpp"
#include "greentune/core/subprocess.hpp"

namespace greentune::energy {

double trapezoid_j(const std::vector<std::pair<double, double>>& s) {
  double j = 0;
  for (size_t i = 1; i < s.size(); ++i) j += 0.5 * (s[i - 1].second + s[i].second) * (s[i].first - s[i - 1].first);
  return j;
}

namespace {

// ---- the NVML C API, declared here (no CUDA headers needed) ----
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
constexpr nvmlReturn_t kNvmlSuccess = 0;
struct NvmlPciInfo {  // nvmlPciInfo_t (v3): legacy id, domain, bus, device, ids, busId
  char bus_id_legacy[16];
  unsigned int domain, bus, device, pci_device_id, pci_subsystem_id;
  char bus_id[32];
  char reserved[64];  // slack in case a driver writes more
};

class NvmlLibrary {
 public:
  explicit NvmlLibrary(const std::string& path) : path_(path) {
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) {
      const char* err = dlerror();
      throw meter_error("cannot load " + path + " (" + (err ? err : "dlopen failed") +
                        "): no NVIDIA driver here, or set GREENTUNE_NVML_LIBRARY");
    }
    try {
      bind(init_, "nvmlInit_v2");
      bind(shutdown_, "nvmlShutdown");
      bind(error_string_, "nvmlErrorString");
      bind(get_count_, "nvmlDeviceGetCount_v2");
      bind(get_handle_, "nvmlDeviceGetHandleByIndex_v2");
      bind(get_uuid_, "nvmlDeviceGetUUID");
      bind(get_power_, "nvmlDeviceGetPowerUsage");
    } catch (...) {
      dlclose(handle_);
      throw;
    }
    get_name_ = reinterpret_cast<decltype(get_name_)>(dlsym(handle_, "nvmlDeviceGetName"));
    get_pci_ = reinterpret_cast<decltype(get_pci_)>(dlsym(handle_, "nvmlDeviceGetPciInfo_v3"));
    get_energy_ = reinterpret_cast<decltype(get_energy_)>(dlsym(handle_, "nvmlDeviceGetTotalEnergyConsumption"));
    nvmlReturn_t r = init_();
    if (r != kNvmlSuccess) {
      std::string msg = "nvmlInit failed: " + error(r);
      dlclose(handle_);
      throw meter_error(msg + " (" + path + ")");
    }
  }
  ~NvmlLibrary() {
    shutdown_();
    dlclose(handle_);
  }
  NvmlLibrary(const NvmlLibrary&) = delete;
  NvmlLibrary& operator=(const NvmlLibrary&) = delete;

  std::string error(nvmlReturn_t r) const {
    const char* s = error_string_ ? error_string_(r) : nullptr;
    return fmt::format("{} (NVML error {})", s ? s : "unknown", r);
  }

  std::vector<GpuInfo> list() const {
    unsigned count = 0;
    nvmlReturn_t r = get_count_(&count);
    if (r != kNvmlSuccess) throw meter_error("nvmlDeviceGetCount failed: " + error(r));
    std::vector<GpuInfo> out;
    for (unsigned i = 0; i < count; ++i) {
      GpuInfo g;
      g.index = i;
      nvmlDevice_t d = device(i);
      char buf[128] = {0};
      if (get_uuid_(d, buf, sizeof(buf)) == kNvmlSuccess) g.uuid = buf;
      if (get_name_ && get_name_(d, buf, sizeof(buf)) == kNvmlSuccess) g.name = buf;
      NvmlPciInfo pci{};
      if (get_pci_ && get_pci_(d, &pci) == kNvmlSuccess) g.pci_bus_id = std::string(pci.bus_id, strnlen(pci.bus_id, 32));
      unsigned long long mj = 0;
      g.energy_counter = get_energy_ && get_energy_(d, &mj) == kNvmlSuccess;
      out.push_back(g);
    }
    return out;
  }

  nvmlDevice_t device(unsigned index) const {
    nvmlDevice_t d = nullptr;
    nvmlReturn_t r = get_handle_(index, &d);
    if (r != kNvmlSuccess) throw meter_error(fmt::format("nvmlDeviceGetHandleByIndex({}) failed: {}", index, error(r)));
    return d;
  }
  // mJ; returns false when unsupported/failing
  bool energy_mj(nvmlDevice_t d, unsigned long long& mj, nvmlReturn_t* r = nullptr) const {
    nvmlReturn_t rc = get_energy_ ? get_energy_(d, &mj) : 3;
    if (r) *r = rc;
    return rc == kNvmlSuccess;
  }
  bool power_w(nvmlDevice_t d, double& w, nvmlReturn_t* r = nullptr) const {
    unsigned mw = 0;
    nvmlReturn_t rc = get_power_(d, &mw);
    if (r) *r = rc;
    w = mw / 1000.0;
    return rc == kNvmlSuccess;
  }
  const std::string& path() const { return path_; }

 private:
  template <typename F>
  void bind(F& fn, const char* symbol) {
    fn = reinterpret_cast<F>(dlsym(handle_, symbol));
    if (!fn) throw meter_error(std::string(path_) + " has no " + symbol + " (driver too old?)");
  }
  std::string path_;
  void* handle_ = nullptr;
  nvmlReturn_t (*init_)() = nullptr;
  nvmlReturn_t (*shutdown_)() = nullptr;
  const char* (*error_string_)(nvmlReturn_t) = nullptr;
  nvmlReturn_t (*get_count_)(unsigned*) = nullptr;
  nvmlReturn_t (*get_handle_)(unsigned, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*get_uuid_)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*get_name_)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*get_pci_)(nvmlDevice_t, NvmlPciInfo*) = nullptr;
  nvmlReturn_t (*get_energy_)(nvmlDevice_t, unsigned long long*) = nullptr;
  nvmlReturn_t (*get_power_)(nvmlDevice_t, unsigned*) = nullptr;
};

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// "3b:00.0", "0000:3B:00.0", "00000000:3b:00.0" -> "00000000:3B:00.0"
std::string normalize_bus_id(const std::string& id) {
  std::string s = upper(id);
  auto first = s.find(':');
  if (first == std::string::npos) return s;
  if (s.find(':', first + 1) == std::string::npos) s = "0:" + s;  // no domain
  first = s.find(':');
  std::string domain = s.substr(0, first);
  if (domain.size() < 8) domain = std::string(8 - domain.size(), '0') + domain;
  return domain + s.substr(first);
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string list_found(const std::vector<GpuInfo>& all) {
  std::string s;
  for (const auto& g : all) s += fmt::format("{}{} {} ({})", s.empty() ? "" : ", ", g.index, g.uuid, g.pci_bus_id);
  return s.empty() ? "none" : s;
}

const GpuInfo* match(const std::vector<GpuInfo>& all, const std::string& id) {
  if (all_digits(id)) {
    unsigned idx = static_cast<unsigned>(std::stoul(id));
    for (const auto& g : all)
      if (g.index == idx) return &g;
    return nullptr;
  }
  if (id.rfind("GPU-", 0) == 0) {
    const GpuInfo* found = nullptr;
    for (const auto& g : all) {
      if (g.uuid.rfind(id, 0) == 0) {
        if (found) return nullptr;  // ambiguous prefix
        found = &g;
      }
    }
    return found;
  }
  if (id.find(':') != std::string::npos) {
    std::string want = normalize_bus_id(id);
    for (const auto& g : all)
      if (normalize_bus_id(g.pci_bus_id) == want) return &g;
  }
  return nullptr;
}

}  // namespace

std::vector<GpuInfo> select_gpus(const std::vector<GpuInfo>& all, const std::vector<std::string>& requested,
                                 const char* cuda_visible, std::string* note) {
  std::vector<GpuInfo> out;
  auto add = [&](const GpuInfo& g) {
    for (const auto& o : out)
      if (o.index == g.index) return;
    out.push_back(g);
  };
  if (!requested.empty()) {
    for (const auto& id : requested) {
      const GpuInfo* g = match(all, id);
      if (!g) throw meter_error("--gpu " + id + ": no such GPU (found: " + list_found(all) + ")");
      add(*g);
    }
    return out;
  }
  if (cuda_visible) {
    std::string text = cuda_visible;
    std::stringstream ss(text);
    std::string item;
    bool used_index = false;
    while (std::getline(ss, item, ',')) {
      auto b = item.find_first_not_of(" "), e = item.find_last_not_of(" ");
      if (b == std::string::npos) break;
      item = item.substr(b, e - b + 1);
      if (item.rfind("MIG-", 0) == 0) {
        if (note) *note += "CUDA_VISIBLE_DEVICES names a MIG instance (" + item + "): not metered separately; ";
        continue;
      }
      const GpuInfo* g = match(all, item);
      if (!g) break;  // CUDA stops at the first invalid entry too
      used_index = used_index || all_digits(item);
      add(*g);
    }
    if (out.empty())
      throw meter_error("CUDA_VISIBLE_DEVICES='" + text + "' makes no GPU visible (found: " + list_found(all) + ")");
    const char* order = std::getenv("CUDA_DEVICE_ORDER");
    if (used_index && (!order || std::string(order) != "PCI_BUS_ID") && note)
      *note += "CUDA_VISIBLE_DEVICES indices taken in PCI bus order (NVML's); set CUDA_DEVICE_ORDER=PCI_BUS_ID "
               "or use GPU UUIDs to be sure; ";
    return out;
  }
  return all;
}

std::vector<GpuInfo> list_nvml_gpus(const MeterOptions& options) {
  NvmlLibrary lib(options.nvml_library.empty() ? "libnvidia-ml.so.1" : options.nvml_library);
  return lib.list();
}

namespace {

class NvmlMeter final : public EnergyMeter {
 public:
  NvmlMeter(std::unique_ptr<NvmlLibrary> lib, std::vector<GpuInfo> gpus, std::string note, const MeterOptions& o)
      : lib_(std::move(lib)), note_(std::move(note)), ceiling_w_(o.max_gpu_power_w) {
    for (auto& g : gpus) {
      Gpu d;
      d.info = g;
      d.handle = lib_->device(g.index);
      double w = 0;
      nvmlReturn_t r = 0;
      if (!g.energy_counter && !lib_->power_w(d.handle, w, &r))
        throw meter_error(fmt::format("GPU {} ({}) reports neither total energy nor power usage: {}", g.index, g.uuid,
                                      lib_->error(r)));
      gpus_.push_back(std::move(d));
    }
  }

  std::string name() const override { return "nvml"; }
  std::vector<EnergyDomain> domains() const override { return {EnergyDomain::gpu}; }
  // nvml-power when any GPU has no energy counter (all are then integrated from power).
  EnergySource source() const override {
    for (const auto& g : gpus_)
      if (!g.info.energy_counter) return EnergySource::nvml_power;
    return EnergySource::nvml_energy;
  }
  std::string describe() const override {
    std::string s = lib_->path() + ":";
    for (const auto& g : gpus_)
      s += fmt::format(" GPU {} {} {} [{}] via {};", g.info.index, g.info.name, g.info.uuid, g.info.pci_bus_id,
                       g.info.energy_counter ? "total-energy counter" : "power samples");
    return s + (note_.empty() ? "" : " " + note_);
  }

  void begin(double t_s) override {
    for (auto& g : gpus_) {
      g.failed.clear();
      g.samples.clear();
      g.total_j = 0;
      g.started = false;
      read(g, t_s, nullptr);
      if (!g.failed.empty()) throw meter_error(g.failed);
    }
  }

  void sample(double t_s, std::vector<PowerSample>& out) override {
    double watts = 0;
    bool any = false;
    for (auto& g : gpus_) {
      double w = 0;
      if (read(g, t_s, &w)) {
        watts += w;
        any = true;
      }
    }
    if (any) out.push_back(PowerSample{t_s, EnergyDomain::gpu, watts, source()});
  }

  std::vector<DomainReading> end(double t_s, const WindowContext& w) override {
    for (auto& g : gpus_) read(g, t_s, nullptr);
    DomainReading r;
    r.domain = EnergyDomain::gpu;
    r.source = source();
    std::string problems, per_gpu;
    double j = 0;
    for (auto& g : gpus_) {
      if (!g.failed.empty()) {
        problems += (problems.empty() ? "" : "; ") + g.failed;
        continue;
      }
      double gj = g.info.energy_counter ? g.total_j : trapezoid_j(g.samples);
      j += gj;
      per_gpu += fmt::format("{}{}: {:.3f} J", per_gpu.empty() ? "" : ", ", g.info.uuid, gj);
    }
    if (!problems.empty()) {
      r.note = "unavailable: " + problems;
      return {r};
    }
    double limit = ceiling_w_ * static_cast<double>(gpus_.size()) * (w.duration_s + 0.05);
    if (j > limit) {
      r.flagged = true;
      r.note = fmt::format("flagged as implausible, not stored: {:.1f} J in {:.3f} s is above {} GPU(s) x {:g} W", j,
                           w.duration_s, gpus_.size(), ceiling_w_);
      return {r};
    }
    r.joules = j;
    r.note = per_gpu;
    if (r.source == EnergySource::nvml_power)
      r.note += "; trapezoid over sampled power at real timestamps (power is a ~1 s average on recent GPUs)";
    else if (w.duration_s < 1.0)
      r.note += "; window under 1 s: the energy counter updates about every 100 ms";
    if (!note_.empty()) r.note += "; " + note_;
    return {r};
  }

 private:
  struct Gpu {
    GpuInfo info;
    nvmlDevice_t handle = nullptr;
    unsigned long long last_mj = 0;
    double last_t = 0;
    double total_j = 0;
    bool started = false;
    std::vector<std::pair<double, double>> samples;  // power mode: (t_s, W)
    std::string failed;
  };

  // Reads one GPU; returns its power over the last interval (or now) in *w.
  bool read(Gpu& g, double /*t_s*/, double* w) {
    if (!g.failed.empty()) return false;
    nvmlReturn_t r = 0;
    if (g.info.energy_counter) {
      unsigned long long mj = 0;
      bool ok = lib_->energy_mj(g.handle, mj, &r);
      double now = monotonic_seconds();
      if (!ok) {
        g.failed = fmt::format("GPU {} energy counter: {}", g.info.uuid, lib_->error(r));
        return false;
      }
      bool first = !g.started;
      g.started = true;
      if (!first) {
        if (mj < g.last_mj) {
          g.failed = fmt::format("GPU {} energy counter went backwards", g.info.uuid);
          return false;
        }
        double d = static_cast<double>(mj - g.last_mj) / 1000.0;
        g.total_j += d;
        if (w && now > g.last_t) *w = d / (now - g.last_t);
      }
      g.last_mj = mj;
      g.last_t = now;
      return !first && w;
    }
    double p = 0;
    bool ok = lib_->power_w(g.handle, p, &r);
    double now = monotonic_seconds();
    if (!ok) {
      g.failed = fmt::format("GPU {} power usage: {}", g.info.uuid, lib_->error(r));
      return false;
    }
    g.samples.emplace_back(now, p);
    if (w) *w = p;
    return true;
  }

  std::unique_ptr<NvmlLibrary> lib_;
  std::string note_;
  double ceiling_w_;
  std::vector<Gpu> gpus_;
};

}  // namespace

std::unique_ptr<EnergyMeter> open_nvml_meter(const MeterOptions& options) {
  auto lib = std::make_unique<NvmlLibrary>(options.nvml_library.empty() ? "libnvidia-ml.so.1" : options.nvml_library);
  std::vector<GpuInfo> all = lib->list();
  if (all.empty()) throw meter_error("NVML reports no GPU (" + lib->path() + ")");
  std::string note;
  std::vector<GpuInfo> chosen = select_gpus(all, options.gpus, std::getenv("CUDA_VISIBLE_DEVICES"), &note);
  if (!note.empty() && note.size() >= 2) note.resize(note.size() - 2);
  return std::make_unique<NvmlMeter>(std::move(lib), std::move(chosen), note, options);
}

}  // namespace greentune::energy
