#include "greentune/energy/rapl.hpp"

#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"
#include "sysfs.hpp"

namespace greentune::energy {

using detail::is_directory;
using detail::read_trimmed_or_throw;

// ---- WrappingCounter ----

void WrappingCounter::start(unsigned long long value_uj) {
  last_ = value_uj;
  total_uj_ = 0;
  wraps_ = 0;
  broken_ = false;
}

double WrappingCounter::update(unsigned long long value_uj) {
  double delta;
  if (value_uj >= last_) {
    delta = static_cast<double>(value_uj - last_);
  } else if (max_range_uj_ > 0 && static_cast<double>(last_) <= max_range_uj_) {
    // counted up to max_range, restarted at 0
    delta = (max_range_uj_ - static_cast<double>(last_)) + static_cast<double>(value_uj);
    ++wraps_;
  } else {
    broken_ = true;
    last_ = value_uj;
    return -1;
  }
  last_ = value_uj;
  total_uj_ += delta;
  return delta;
}

// ---- zone enumeration ----

namespace {

// "intel-rapl:0:1" -> {0, 1}; "intel-rapl:1" -> {1}; anything else -> {}
std::vector<int> zone_indices(const std::string& id, const std::string& prefix) {
  std::vector<int> idx;
  if (id.rfind(prefix, 0) != 0) return idx;
  std::string rest = id.substr(prefix.size());
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t colon = rest.find(':', pos);
    std::string part = rest.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos) return {};
    idx.push_back(std::stoi(part));
    if (colon == std::string::npos) break;
    pos = colon + 1;
  }
  return idx;
}

// Collects zone directories (real sysfs lists them flat as symlinks and also nests them).
void collect_zone_dirs(const std::string& dir, int depth, std::map<std::string, std::string>& found) {
  if (depth > 4) return;
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind("intel-rapl", 0) == 0) names.push_back(n);
  }
  closedir(d);
  for (const auto& n : names) {
    std::string path = dir + "/" + n;
    if (!is_directory(path)) continue;
    if (!found.count(n)) found[n] = path;
    collect_zone_dirs(path, depth + 1, found);
  }
}

unsigned long long parse_counter(const std::string& text, const std::string& path) {
  auto v = parse_integer(text);
  if (!v || *v < 0) throw meter_error("unexpected contents in " + path + ": '" + text + "'");
  return static_cast<unsigned long long>(*v);
}

}  // namespace

PowercapLayout scan_powercap(const std::string& root) {
  if (!is_directory(root))
    throw meter_error("no powercap sysfs at " + root +
                      " (no RAPL driver: usual in virtual machines; on bare metal try modprobe intel_rapl_msr)");
  std::map<std::string, std::string> dirs;
  collect_zone_dirs(root, 0, dirs);
  PowercapLayout layout;
  std::set<int> sockets;
  for (const auto& [id, path] : dirs) {
    if (id.rfind("intel-rapl-mmio", 0) == 0) {
      if (id.find(':') != std::string::npos)
        layout.skipped.push_back(id + ": MMIO interface repeats the MSR zones, not counted");
      continue;
    }
    std::vector<int> idx = zone_indices(id, "intel-rapl:");
    if (idx.empty()) continue;  // the control-type directory "intel-rapl" itself
    std::string name = read_trimmed_or_throw(path + "/name");
    PowercapZone z;
    z.id = id;
    z.path = path;
    z.name = name;
    z.socket = idx[0];
    if (idx.size() == 1 && name.rfind("package-", 0) == 0) {
      z.domain = EnergyDomain::cpu_package;
    } else if (idx.size() == 2 && name.rfind("dram", 0) == 0) {
      z.domain = EnergyDomain::dram;
    } else if (name == "psys") {
      layout.skipped.push_back(id + " (psys): whole platform, contains the package, not counted");
      continue;
    } else if (name == "core" || name == "uncore") {
      layout.skipped.push_back(id + " (" + name + "): inside its package, not added to it");
      continue;
    } else {
      layout.skipped.push_back(id + " (" + name + "): not a domain greentune reports");
      continue;
    }
    std::string range_path = path + "/max_energy_range_uj";
    std::string range_text;
    if (detail::read_file(range_path, range_text) == 0) {
      auto v = parse_integer(detail::trim(range_text));
      if (v && *v > 0) z.max_range_uj = static_cast<double>(*v);
    }
    if (z.max_range_uj <= 0) layout.skipped.push_back(id + ": no max_energy_range_uj, a wrap would be flagged");
    // The counter must be readable now; fail early with the fix.
    parse_counter(read_trimmed_or_throw(path + "/energy_uj", detail::rapl_permission_hint()), path + "/energy_uj");
    if (z.domain == EnergyDomain::cpu_package) sockets.insert(z.socket);
    layout.zones.push_back(std::move(z));
  }
  layout.sockets = static_cast<int>(sockets.size());
  if (layout.sockets == 0)
    throw meter_error("no RAPL package zone (intel-rapl:N named package-N) under " + root);
  // A dram zone of a socket without a package zone would be odd; keep it anyway.
  return layout;
}

// ---- the backend ----

namespace {

class RaplMeter final : public EnergyMeter {
 public:
  RaplMeter(PowercapLayout layout, const MeterOptions& o, std::string root)
      : layout_(std::move(layout)), ceiling_w_(o.max_power_w_per_socket), root_(std::move(root)) {}

  std::string name() const override { return "rapl"; }
  std::vector<EnergyDomain> domains() const override { return {EnergyDomain::cpu_package, EnergyDomain::dram}; }
  EnergySource source() const override { return EnergySource::rapl; }
  std::string describe() const override {
    std::string s = fmt::format("powercap {}: {} socket(s);", root_, layout_.sockets);
    for (const auto& z : layout_.zones) s += " " + z.id + "=" + z.name + "->" + to_string(z.domain) + ";";
    if (!has(EnergyDomain::dram)) s += " no DRAM zone (reported unavailable);";
    for (const auto& k : layout_.skipped) s += " skipped " + k + ";";
    return s;
  }

  void begin(double t_s) override {
    counters_.clear();
    failed_.clear();
    flagged_.clear();
    files_.clear();
    for (size_t i = 0; i < layout_.zones.size(); ++i) {
      files_.emplace_back(layout_.zones[i].path + "/energy_uj");
      WrappingCounter c(layout_.zones[i].max_range_uj);
      c.start(read_counter(i));  // throws with the file name on failure
      counters_.push_back(c);
    }
    last_t_ = t_s;
  }

  void sample(double t_s, std::vector<PowerSample>& out) override {
    double dt = t_s - last_t_;
    std::map<EnergyDomain, double> joules;
    update_all(dt, &joules);
    if (dt > 0) {
      for (const auto& [domain, j] : joules) out.push_back(PowerSample{t_s, domain, j / dt, EnergySource::rapl});
    }
    last_t_ = t_s;
  }

  std::vector<DomainReading> end(double t_s, const WindowContext& w) override {
    update_all(t_s - last_t_, nullptr);
    last_t_ = t_s;
    return {reading(EnergyDomain::cpu_package, w), reading(EnergyDomain::dram, w)};
  }

 private:
  bool has(EnergyDomain domain) const {
    return std::any_of(layout_.zones.begin(), layout_.zones.end(), [&](const PowercapZone& z) { return z.domain == domain; });
  }

  // Counters are read through files kept open (pread at 0): one syscall per zone and tick.
  unsigned long long read_counter(size_t i) {
    const PowercapZone& z = layout_.zones[i];
    std::string text;
    int err = files_[i].read(text);
    if (err != 0) read_trimmed_or_throw(files_[i].path(), detail::rapl_permission_hint());  // throws with the reason
    return parse_counter(detail::trim(text), z.path + "/energy_uj");
  }

  void update_all(double dt, std::map<EnergyDomain, double>* joules) {
    for (size_t i = 0; i < layout_.zones.size(); ++i) {
      const auto& z = layout_.zones[i];
      if (failed_.count(z.id)) continue;
      unsigned long long v;
      try {
        v = read_counter(i);
      } catch (const Error& e) {
        failed_[z.id] = e.what();
        continue;
      }
      double d = counters_[i].update(v);
      if (d < 0) {
        flagged_[z.id] = fmt::format("{} went backwards ({} uJ) with no max_energy_range_uj to unwrap it", z.id, v);
        continue;
      }
      // one socket's zone cannot exceed the ceiling over this interval (allow timer slack)
      if (dt > 0 && d / 1e6 > ceiling_w_ * (dt + 0.05) && !flagged_.count(z.id))
        flagged_[z.id] = fmt::format("{} jumped {:.1f} J in {:.3f} s (above {:g} W per socket)", z.id, d / 1e6, dt, ceiling_w_);
      if (joules) (*joules)[z.domain] += d / 1e6;
    }
  }

  DomainReading reading(EnergyDomain domain, const WindowContext& w) const {
    DomainReading r;
    r.domain = domain;
    r.source = EnergySource::rapl;
    if (!has(domain)) {
      r.note = std::string("no RAPL ") + to_string(domain) + " zone on this machine (AMD Zen has no DRAM domain): unavailable, not 0";
      return r;
    }
    double uj = 0;
    int wraps = 0, zones = 0;
    std::string problems;
    for (size_t i = 0; i < layout_.zones.size(); ++i) {
      const auto& z = layout_.zones[i];
      if (z.domain != domain) continue;
      ++zones;
      if (auto f = failed_.find(z.id); f != failed_.end()) problems += (problems.empty() ? "" : "; ") + f->second;
      if (auto f = flagged_.find(z.id); f != flagged_.end()) problems += (problems.empty() ? "" : "; ") + f->second;
      uj += counters_[i].total_uj();
      wraps += counters_[i].wraps();
    }
    double j = uj / 1e6;
    double limit_j = ceiling_w_ * layout_.sockets * (w.duration_s + 0.05);
    if (problems.empty() && j > limit_j)
      problems = fmt::format("{:.1f} J in {:.3f} s is above {} socket(s) x {:g} W", j, w.duration_s, layout_.sockets, ceiling_w_);
    if (!problems.empty()) {
      bool read_failed = false;
      for (const auto& z : layout_.zones)
        if (z.domain == domain && failed_.count(z.id)) read_failed = true;
      r.flagged = !read_failed;
      r.note = (read_failed ? "unavailable: " : "flagged as implausible, not stored: ") + problems;
      return r;
    }
    r.joules = j;
    r.note = fmt::format("sum of {} zone(s)", zones);
    if (wraps > 0) r.note += fmt::format("; {} counter wrap(s) handled", wraps);
    return r;
  }

  PowercapLayout layout_;
  double ceiling_w_;
  std::string root_;
  std::vector<WrappingCounter> counters_;
  std::vector<detail::KeptFile> files_;
  std::map<std::string, std::string> failed_, flagged_;
  double last_t_ = 0;
};

}  // namespace

std::unique_ptr<EnergyMeter> open_rapl_meter(const MeterOptions& options) {
  std::string root = options.powercap_root.empty() ? "/sys/class/powercap" : options.powercap_root;
  PowercapLayout layout = scan_powercap(root);
  // The sampler must read each counter before it can wrap twice: at the ceiling power,
  // one interval must stay below the counter's range.
  for (const auto& z : layout.zones) {
    if (z.max_range_uj > 0 && options.max_power_w_per_socket * options.interval_ms / 1000.0 * 1e6 >= z.max_range_uj)
      throw usage_error(fmt::format("--interval {} ms is too long for {}: its counter could wrap twice between reads",
                                    options.interval_ms, z.id));
  }
  return std::make_unique<RaplMeter>(std::move(layout), options, root);
}

}  // namespace greentune::energy
