#include "greentune/energy/meter.hpp"

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "greentune/core/error.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/energy/process_tree.hpp"
#include "greentune/energy/registry.hpp"

namespace greentune::energy {

const DomainReading* Measurement::find(EnergyDomain domain) const {
  for (const auto& d : domains)
    if (d.domain == domain) return &d;
  return nullptr;
}

double Measurement::cpu_share(const std::string& label) const {
  auto it = cpu_s_by_label.find(label);
  if (it == cpu_s_by_label.end() || machine_cpu_s <= 0) return 0.0;
  return std::min(1.0, it->second / machine_cpu_s);
}

std::optional<double> Measurement::attributed_joules(const DomainReading& d, const std::string& label) const {
  if (d.domain == EnergyDomain::gpu || !d.joules || !cpu_s_by_label.count(label)) return std::nullopt;
  return *d.joules * cpu_share(label);
}

namespace {
double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}
}  // namespace

struct MeterSession::Impl {
  MeterOptions options;
  OpenedMeters opened;
  std::vector<std::pair<std::string, std::unique_ptr<ProcessTreeCpu>>> trees;  // guarded by trees_mu
  std::mutex trees_mu;
  std::map<EnergyDomain, double> idle_w_by_domain;
  double idle_baseline_s = 0;

  // window state
  bool active = false;
  double t0 = 0;
  double machine_cpu0 = 0;

  // sampler
  std::thread sampler;
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::vector<PowerSample> samples;
  std::size_t stride = 1, tick_count = 0;
  int ticks = 0;
  double sampler_cpu_s = 0;
  std::string sampler_error;

  void tick_locked_free() {
    // called on the sampler thread; backends and trees are only touched here between
    // begin() and end(), so no lock is needed for them; `samples` is guarded by mu.
    double now = monotonic_seconds();
    std::vector<PowerSample> fresh;
    for (auto& m : opened.meters) {
      try {
        m->sample(now, fresh);
      } catch (const std::exception& e) {
        if (sampler_error.empty()) sampler_error = m->name() + ": " + e.what();
      }
    }
    {
      std::lock_guard<std::mutex> lock(trees_mu);
      for (auto& [label, tree] : trees) tree->sample();
    }
    ++ticks;
    if (tick_count++ % stride != 0) return;
    std::lock_guard<std::mutex> lock(mu);
    for (auto& s : fresh) {
      s.t_s = now - t0;
      samples.push_back(std::move(s));
    }
    if (options.max_samples > 0 && samples.size() > options.max_samples) {
      // thin the series 2:1 (keep every other sampler tick) and halve the rate from now on
      std::vector<PowerSample> kept;
      double last_t = -1;
      bool keep = true;
      for (auto& s : samples) {
        if (s.t_s != last_t) {
          keep = !keep || last_t < 0;
          last_t = s.t_s;
        }
        if (keep) kept.push_back(std::move(s));
      }
      samples.swap(kept);
      stride *= 2;
    }
  }

  void run_sampler() {
    auto interval = std::chrono::milliseconds(options.interval_ms);
    auto next = std::chrono::steady_clock::now() + interval;
    std::unique_lock<std::mutex> lock(mu);
    while (!stop) {
      if (cv.wait_until(lock, next, [this] { return stop; })) break;
      lock.unlock();
      tick_locked_free();
      lock.lock();
      next += interval;
      auto now = std::chrono::steady_clock::now();
      if (next < now) next = now + interval;  // fell behind: do not burst
    }
    sampler_cpu_s += thread_cpu_s();  // a fresh thread per start: its clock starts at 0
  }

  void start_sampler() {
    stop = false;
    sampler = std::thread([this] { run_sampler(); });
  }
  void stop_sampler() {
    if (!sampler.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    cv.notify_all();
    sampler.join();
  }
};

MeterSession::MeterSession(const MeterOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->options = resolve_defaults(options);
  impl_->opened = open_meters(impl_->options);
}

MeterSession::~MeterSession() {
  if (impl_) impl_->stop_sampler();
}

std::vector<std::string> MeterSession::backends() const {
  std::vector<std::string> names;
  for (const auto& m : impl_->opened.meters) names.push_back(m->name());
  return names;
}

void MeterSession::begin() {
  Impl& s = *impl_;
  if (s.active) throw runtime_error("energy meter: begin() called twice without end()");
  s.trees.clear();
  s.samples.clear();
  s.stride = 1;
  s.tick_count = 0;
  s.ticks = 0;
  s.sampler_error.clear();
  s.sampler_cpu_s = 0;
  s.t0 = monotonic_seconds();
  s.machine_cpu0 = machine_busy_cpu_s(s.options.proc_root);
  for (auto& m : s.opened.meters) m->begin(s.t0);
  s.active = true;
  s.start_sampler();
}

void MeterSession::track(pid_t pid, const std::string& label) {
  Impl& s = *impl_;
  if (!s.active) throw runtime_error("energy meter: track() outside a begin()/end() window");
  if (pid <= 0) throw runtime_error("energy meter: track(): invalid pid " + std::to_string(pid));
  auto tree = std::make_unique<ProcessTreeCpu>(pid, s.options.proc_root);  // first look, outside the lock
  std::lock_guard<std::mutex> lock(s.trees_mu);
  s.trees.emplace_back(label, std::move(tree));
}

double MeterSession::SoFar::total_j() const {
  double sum = 0;
  for (const auto& [domain, j] : joules) sum += j;
  return sum;
}

MeterSession::SoFar MeterSession::energy_so_far() {
  Impl& s = *impl_;
  SoFar out;
  if (!s.active) return out;
  std::lock_guard<std::mutex> lock(s.mu);
  std::map<EnergyDomain, double> last_t;  // each sample's power covers the time since the previous one
  for (const auto& p : s.samples) {
    double& from = last_t[p.domain];
    out.joules[p.domain] += p.watts * std::max(0.0, p.t_s - from);
    from = p.t_s;
    out.t_s = std::max(out.t_s, p.t_s);
    out.estimated = out.estimated || is_estimated(p.source);
  }
  return out;
}

void MeterSession::refresh() {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.trees_mu);
  for (auto& [label, tree] : s.trees) tree->sample();
}

Measurement MeterSession::end() {
  Impl& s = *impl_;
  if (!s.active) throw runtime_error("energy meter: end() without begin()");
  s.stop_sampler();
  s.active = false;
  // One last tick, so that the power series covers the whole window.
  s.stride = 1;
  s.tick_count = 0;
  s.tick_locked_free();
  --s.ticks;  // not a sampler tick
  double t1 = monotonic_seconds();
  Measurement out;
  out.duration_s = t1 - s.t0;
  out.machine_cpu_s = std::max(0.0, machine_busy_cpu_s(s.options.proc_root) - s.machine_cpu0);
  for (auto& [label, tree] : s.trees) {
    tree->sample();
    out.cpu_s_by_label[label] += tree->cpu_s();
    if (!tree->root_seen())
      out.notes.push_back("process " + std::to_string(tree->root()) + " (" + label +
                          ") had exited before it was tracked: its CPU time is unknown");
  }
  WindowContext window{out.duration_s, out.machine_cpu_s};
  for (auto& m : s.opened.meters) {
    auto readings = m->end(t1, window);
    for (auto& r : readings) out.domains.push_back(std::move(r));
    out.backends.push_back(m->name());
  }
  for (const auto& [domain, why] : s.opened.missing) {
    DomainReading r;
    r.domain = domain;
    r.note = why;
    out.domains.push_back(std::move(r));
  }
  // fixed order: cpu_package, dram, gpu (the enum's order)
  std::stable_sort(out.domains.begin(), out.domains.end(),
                   [](const DomainReading& a, const DomainReading& b) { return a.domain < b.domain; });

  // attribution by CPU-time share of the "run" tree (CPU-side domains only)
  for (auto& r : out.domains) r.attributed_joules = out.attributed_joules(r, "run");
  // idle baseline
  if (s.idle_baseline_s > 0) {
    double total = 0;
    for (auto& r : out.domains) {
      auto it = s.idle_w_by_domain.find(r.domain);
      if (it == s.idle_w_by_domain.end()) continue;
      r.idle_w = it->second;
      total += it->second;
      if (r.joules) r.net_joules = *r.joules - it->second * out.duration_s;
    }
    out.idle_baseline_w = total;
    out.idle_baseline_s = s.idle_baseline_s;
  }
  for (const auto& n : s.opened.notes) out.notes.push_back(n);
  if (!s.sampler_error.empty()) out.notes.push_back("sampler: " + s.sampler_error);
  {
    std::lock_guard<std::mutex> lock(s.mu);
    out.samples = std::move(s.samples);
    s.samples.clear();
  }
  out.sampler_cpu_s = s.sampler_cpu_s;
  out.sampler_ticks = s.ticks;
  return out;
}

double MeterSession::measure_idle(double seconds) {
  Impl& s = *impl_;
  if (s.active) throw runtime_error("energy meter: measure_idle() inside a begin()/end() window");
  if (!(seconds > 0) || seconds > 86400) throw usage_error("--idle-baseline must be > 0 and at most 86400 s");
  begin();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  Measurement idle = end();
  s.idle_w_by_domain.clear();
  double total = 0;
  for (const auto& r : idle.domains) {
    if (!r.joules || idle.duration_s <= 0) continue;
    double w = *r.joules / idle.duration_s;
    s.idle_w_by_domain[r.domain] = w;
    total += w;
  }
  s.idle_baseline_s = idle.duration_s;
  return total;
}

}  // namespace greentune::energy
