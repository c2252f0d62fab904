#include "greentune/energy/perf_power.hpp"

#include <errno.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"
#include "sysfs.hpp"

namespace greentune::energy {

using detail::is_directory;
using detail::read_trimmed_or_throw;

namespace {

std::string pmu_dir(const std::string& sysfs_root) { return sysfs_root + "/bus/event_source/devices/power"; }

// "0", "0,18", "0-3,8" -> CPU numbers
std::vector<int> parse_cpu_list(const std::string& text, const std::string& path) {
  std::vector<int> cpus;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item = detail::trim(item);
    if (item.empty()) continue;
    auto dash = item.find('-');
    auto a = parse_integer(item.substr(0, dash));
    auto b = dash == std::string::npos ? a : parse_integer(item.substr(dash + 1));
    if (!a || !b || *a < 0 || *b < *a || *b > 65535) throw meter_error("unexpected cpu list in " + path + ": '" + text + "'");
    for (long long c = *a; c <= *b; ++c) cpus.push_back(static_cast<int>(c));
  }
  return cpus;
}

unsigned long long parse_unsigned(const std::string& text) {
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 0);  // accepts 0x..
  if (errno != 0 || end == text.c_str() || *end != '\0') throw std::invalid_argument(text);
  return v;
}

// "config:0-7" or "config:0-7,32-35" -> places the bits of value into config.
unsigned long long place_bits(const std::string& format, unsigned long long value, const std::string& path) {
  auto colon = format.find(':');
  if (colon == std::string::npos || format.substr(0, colon) != "config")
    throw meter_error("unsupported format in " + path + ": '" + format + "' (only config fields)");
  unsigned long long out = 0;
  int consumed = 0;
  std::stringstream ss(format.substr(colon + 1));
  std::string range;
  while (std::getline(ss, range, ',')) {
    auto dash = range.find('-');
    int lo = std::stoi(range.substr(0, dash));
    int hi = dash == std::string::npos ? lo : std::stoi(range.substr(dash + 1));
    for (int bit = lo; bit <= hi && bit < 64; ++bit, ++consumed)
      if ((value >> consumed) & 1ULL) out |= 1ULL << bit;
  }
  return out;
}

long perf_event_open(perf_event_attr* attr, pid_t pid, int cpu, int group_fd, unsigned long flags) {
  return syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
}

std::string paranoid_level() {
  std::string text;
  if (detail::read_file("/proc/sys/kernel/perf_event_paranoid", text) != 0) return "unknown";
  return detail::trim(text);
}

}  // namespace

PerfPowerPmu scan_perf_power(const std::string& sysfs_root) {
  std::string dir = pmu_dir(sysfs_root);
  if (!is_directory(dir))
    throw meter_error("no perf power PMU at " + dir + " (the kernel exposes no RAPL perf events: usual in virtual machines)");
  PerfPowerPmu pmu;
  std::string type_path = dir + "/type";
  auto type = parse_integer(read_trimmed_or_throw(type_path));
  if (!type || *type < 0) throw meter_error("unexpected contents in " + type_path);
  pmu.type = static_cast<int>(*type);
  std::string mask_text;
  if (detail::read_file(dir + "/cpumask", mask_text) == 0) pmu.cpus = parse_cpu_list(detail::trim(mask_text), dir + "/cpumask");
  if (pmu.cpus.empty()) pmu.cpus = {0};
  for (const auto& [event, domain] : std::vector<std::pair<std::string, EnergyDomain>>{
           {"energy-pkg", EnergyDomain::cpu_package}, {"energy-ram", EnergyDomain::dram}}) {
    std::string path = dir + "/events/" + event;
    std::string spec;
    if (detail::read_file(path, spec) != 0) {
      pmu.missing.push_back(event + ": not offered by this CPU (no " + path + ")");
      continue;
    }
    spec = detail::trim(spec);
    PerfPowerEvent ev;
    ev.event = event;
    ev.domain = domain;
    std::stringstream ss(spec);
    std::string term;
    while (std::getline(ss, term, ',')) {
      term = detail::trim(term);
      if (term.empty()) continue;
      auto eq = term.find('=');
      std::string key = term.substr(0, eq);
      unsigned long long value = 1;
      try {
        if (eq != std::string::npos) value = parse_unsigned(term.substr(eq + 1));
      } catch (const std::exception&) {
        throw meter_error("unexpected term '" + term + "' in " + path);
      }
      std::string format_path = dir + "/format/" + key;
      std::string format;
      if (detail::read_file(format_path, format) == 0) {
        ev.config |= place_bits(detail::trim(format), value, format_path);
      } else if (key == "event") {
        ev.config |= value & 0xff;  // the power PMU's documented layout: config:0-7
      } else {
        throw meter_error("unknown term '" + key + "' in " + path + " (no " + format_path + ")");
      }
    }
    std::string scale_path = path + ".scale";
    auto scale = parse_double(read_trimmed_or_throw(scale_path));
    if (!scale || !(*scale > 0)) throw meter_error("unexpected contents in " + scale_path);
    ev.scale = *scale;
    std::string unit_path = path + ".unit";
    std::string unit;
    ev.unit = detail::read_file(unit_path, unit) == 0 ? detail::trim(unit) : "Joules";
    if (ev.unit != "Joules") throw meter_error("unexpected unit '" + ev.unit + "' in " + unit_path + " (expected Joules)");
    pmu.events.push_back(ev);
  }
  bool has_pkg = false;
  for (const auto& e : pmu.events) has_pkg = has_pkg || e.event == "energy-pkg";
  if (!has_pkg) throw meter_error("the perf power PMU at " + dir + " has no energy-pkg event");
  return pmu;
}

namespace {

class PerfMeter final : public EnergyMeter {
 public:
  PerfMeter(PerfPowerPmu pmu, const MeterOptions& o, std::string dir)
      : pmu_(std::move(pmu)), ceiling_w_(o.max_power_w_per_socket), dir_(std::move(dir)) {
    for (const auto& ev : pmu_.events) {
      for (int cpu : pmu_.cpus) {
        perf_event_attr attr{};
        attr.size = sizeof(attr);
        attr.type = static_cast<__u32>(pmu_.type);
        attr.config = ev.config;
        long fd = perf_event_open(&attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd < 0) {
          int err = errno;
          close_all();
          std::string what = fmt::format("perf_event_open(power/{}/ type {} config {:#x} cpu {}) failed: {}", ev.event,
                                         pmu_.type, ev.config, cpu, std::strerror(err));
          if (err == EACCES || err == EPERM)
            what += fmt::format("; system-wide events need kernel.perf_event_paranoid <= 0 (now {}) or CAP_PERFMON: "
                                "run as root or sudo sysctl kernel.perf_event_paranoid=0",
                                paranoid_level());
          throw meter_error(what);
        }
        fds_.push_back(Fd{static_cast<int>(fd), ev.domain, ev.scale, 0, 0, ""});
      }
    }
  }
  ~PerfMeter() override { close_all(); }

  std::string name() const override { return "perf"; }
  std::vector<EnergyDomain> domains() const override { return {EnergyDomain::cpu_package, EnergyDomain::dram}; }
  EnergySource source() const override { return EnergySource::perf; }
  std::string describe() const override {
    std::string s = fmt::format("{}: type {}, cpus", dir_, pmu_.type);
    for (int c : pmu_.cpus) s += " " + std::to_string(c);
    for (const auto& e : pmu_.events) s += fmt::format("; {} config {:#x} scale {:g} {}", e.event, e.config, e.scale, e.unit);
    for (const auto& m : pmu_.missing) s += "; " + m;
    return s;
  }

  void begin(double t_s) override {
    for (auto& f : fds_) {
      f.failed.clear();
      f.total_j = 0;
      f.last = read_count(f);
      if (!f.failed.empty()) throw meter_error(f.failed);
    }
    last_t_ = t_s;
  }

  void sample(double t_s, std::vector<PowerSample>& out) override {
    std::map<EnergyDomain, double> j = update_all();
    double dt = t_s - last_t_;
    if (dt > 0)
      for (const auto& [domain, joules] : j) out.push_back(PowerSample{t_s, domain, joules / dt, EnergySource::perf});
    last_t_ = t_s;
  }

  std::vector<DomainReading> end(double t_s, const WindowContext& w) override {
    update_all();
    last_t_ = t_s;
    std::vector<DomainReading> out;
    for (EnergyDomain domain : domains()) {
      DomainReading r;
      r.domain = domain;
      r.source = EnergySource::perf;
      int n = 0;
      double j = 0;
      std::string problems;
      for (const auto& f : fds_) {
        if (f.domain != domain) continue;
        ++n;
        j += f.total_j;
        if (!f.failed.empty()) problems += (problems.empty() ? "" : "; ") + f.failed;
      }
      if (n == 0) {
        r.note = std::string("no perf ") + (domain == EnergyDomain::dram ? "energy-ram" : "energy-pkg") +
                 " event on this machine: unavailable, not 0";
      } else if (!problems.empty()) {
        r.note = "unavailable: " + problems;
      } else if (j > ceiling_w_ * static_cast<double>(pmu_.cpus.size()) * (w.duration_s + 0.05)) {
        r.flagged = true;
        r.note = fmt::format("flagged as implausible, not stored: {:.1f} J in {:.3f} s is above {} socket(s) x {:g} W", j,
                             w.duration_s, pmu_.cpus.size(), ceiling_w_);
      } else {
        r.joules = j;
        r.note = fmt::format("perf power PMU, {} socket(s)", pmu_.cpus.size());
      }
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  struct Fd {
    int fd;
    EnergyDomain domain;
    double scale;
    unsigned long long last = 0;
    double total_j = 0;
    std::string failed;
  };

  unsigned long long read_count(Fd& f) {
    unsigned long long v = 0;
    if (::read(f.fd, &v, sizeof(v)) != static_cast<ssize_t>(sizeof(v)))
      f.failed = std::string("reading a perf power counter failed: ") + std::strerror(errno);
    return v;
  }

  std::map<EnergyDomain, double> update_all() {
    std::map<EnergyDomain, double> j;
    for (auto& f : fds_) {
      if (!f.failed.empty()) continue;
      unsigned long long v = read_count(f);
      if (!f.failed.empty()) continue;
      if (v < f.last) {  // perf's 64-bit count never goes back
        f.failed = "perf power counter went backwards";
        continue;
      }
      double d = static_cast<double>(v - f.last) * f.scale;
      f.last = v;
      f.total_j += d;
      j[f.domain] += d;
    }
    return j;
  }

  void close_all() {
    for (auto& f : fds_) ::close(f.fd);
    fds_.clear();
  }

  PerfPowerPmu pmu_;
  double ceiling_w_;
  std::string dir_;
  std::vector<Fd> fds_;
  double last_t_ = 0;
};

}  // namespace

std::unique_ptr<EnergyMeter> open_perf_meter(const MeterOptions& options) {
  std::string root = options.perf_sysfs_root.empty() ? "/sys" : options.perf_sysfs_root;
  PerfPowerPmu pmu = scan_perf_power(root);
  return std::make_unique<PerfMeter>(std::move(pmu), options, pmu_dir(root));
}

}  // namespace greentune::energy
