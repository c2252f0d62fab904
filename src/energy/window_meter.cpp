#include "greentune/energy/window_meter.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "greentune/core/error.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/energy/registry.hpp"

namespace greentune::energy {

namespace {

// Fixed-capacity append-only array of doubles in its own mapping: it never moves, and
// pages are only backed by memory once written.
class FixedBuffer {
 public:
  explicit FixedBuffer(std::size_t capacity) : capacity_(capacity) {
    bytes_ = std::max<std::size_t>(capacity * sizeof(double), 1);
    void* p = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw runtime_error(fmt::format("energy meter: cannot reserve {} bytes for samples", bytes_));
    data_ = static_cast<double*>(p);
  }
  ~FixedBuffer() { ::munmap(data_, bytes_); }
  FixedBuffer(const FixedBuffer&) = delete;
  FixedBuffer& operator=(const FixedBuffer&) = delete;
  double* data() { return data_; }
  const double* data() const { return data_; }

 private:
  std::size_t capacity_;
  std::size_t bytes_;
  double* data_ = nullptr;
};

struct DomainSeries {
  DomainSeries(EnergyDomain d, std::string b, EnergySource src, std::size_t capacity)
      : domain(d), backend(std::move(b)), source(src), instantaneous(src == EnergySource::nvml_power), t(capacity),
        w(capacity), e(capacity) {}
  EnergyDomain domain;
  std::string backend;
  EnergySource source;
  bool instantaneous;  // nvml-power: watts at t, trapezoid between samples
  FixedBuffer t, w, e;
  std::atomic<std::size_t> size{0};  // published entries
  bool ended = false;                // no more samples (buffer full or a tick without a reading)
  std::string end_note;
};

// Energy at time `at` by linear interpolation in the cumulative series; NaN past the end.
double cumulative_at(const DomainSeries& s, std::size_t n, double at) {
  const double* t = s.t.data();
  const double* e = s.e.data();
  if (n == 0 || at > t[n - 1]) return std::numeric_limits<double>::quiet_NaN();
  std::size_t k = static_cast<std::size_t>(std::upper_bound(t, t + n, at) - t);  // first t > at
  if (k == 0) return 0.0;
  if (k == n) return e[n - 1];
  double span = t[k] - t[k - 1];
  double f = span > 0 ? (at - t[k - 1]) / span : 1.0;
  return e[k - 1] + (e[k] - e[k - 1]) * f;
}

// fork(): a child must not inherit a sample lock held by the parent's sampler thread, so
// every live meter's lock is taken around fork() (pthread_atfork) and released on both sides.
std::mutex& live_mu() {
  static std::mutex mu;
  return mu;
}
std::set<std::mutex*>& live_locks() {
  static std::set<std::mutex*> locks;
  return locks;
}
void before_fork() {
  live_mu().lock();
  for (auto* m : live_locks()) m->lock();
}
void after_fork() {
  for (auto* m : live_locks()) m->unlock();
  live_mu().unlock();
}
void register_lock(std::mutex* m) {
  static std::once_flag once;
  std::call_once(once, [] { pthread_atfork(before_fork, after_fork, after_fork); });
  std::lock_guard<std::mutex> lock(live_mu());
  live_locks().insert(m);
}
void unregister_lock(std::mutex* m) {
  std::lock_guard<std::mutex> lock(live_mu());
  live_locks().erase(m);
}

}  // namespace

struct WindowMeter::Impl {
  MeterOptions options;
  OpenedMeters opened;
  std::size_t capacity = 0;
  double origin = 0;        // monotonic seconds at start
  double last_tick = 0;     // meter clock of the last sample (guarded by tick_mu)
  std::vector<std::unique_ptr<DomainSeries>> series;  // fixed after construction
  std::mutex tick_mu;       // one sample at a time (sampler thread or sample_now)
  std::atomic<int> ticks{0};
  std::atomic<bool> stopped{false};
  pid_t owner = 0;
  std::string sampler_error;

  std::thread sampler;
  std::mutex mu;
  std::condition_variable cv;
  bool stop_requested = false;

  DomainSeries* find(EnergyDomain domain) const {
    for (const auto& s : series)
      if (s->domain == domain) return s.get();
    return nullptr;
  }

  // Samples every backend now; returns the sample's time on the meter clock.
  double tick() {
    std::lock_guard<std::mutex> lock(tick_mu);
    double abs_now = monotonic_seconds();
    double t = abs_now - origin;
    if (t <= last_tick) return last_tick;
    std::vector<PowerSample> fresh;
    for (auto& m : opened.meters) {
      try {
        m->sample(abs_now, fresh);
      } catch (const std::exception& ex) {
        if (sampler_error.empty()) sampler_error = m->name() + ": " + ex.what();
      }
    }
    for (auto& s : series) {
      if (s->ended) continue;
      const PowerSample* p = nullptr;
      for (const auto& f : fresh)
        if (f.domain == s->domain) p = &f;
      std::size_t n = s->size.load(std::memory_order_relaxed);
      if (!p || !std::isfinite(p->watts)) {
        s->ended = true;
        s->end_note = fmt::format("{} gave no {} reading after {:.3f} s{}", s->backend, to_string(s->domain), last_tick,
                                  sampler_error.empty() ? "" : " (" + sampler_error + ")");
        continue;
      }
      if (n >= capacity) {
        s->ended = true;
        s->end_note = fmt::format("sample buffer full after {:.3f} s ({} samples); use a larger capacity or a longer "
                                  "sample interval", last_tick, capacity);
        continue;
      }
      double prev_t = s->t.data()[n - 1];
      double prev_w = s->w.data()[n - 1];
      double dt = t - prev_t;
      double inc = (s->instantaneous && n > 1) ? 0.5 * (prev_w + p->watts) * dt : p->watts * dt;
      s->t.data()[n] = t;
      s->w.data()[n] = p->watts;
      s->e.data()[n] = s->e.data()[n - 1] + inc;
      s->size.store(n + 1, std::memory_order_release);
    }
    last_tick = t;
    ticks.fetch_add(1, std::memory_order_relaxed);
    return t;
  }

  void run_sampler() {
    auto interval = std::chrono::milliseconds(options.interval_ms);
    auto next = std::chrono::steady_clock::now() + interval;
    std::unique_lock<std::mutex> lock(mu);
    while (!stop_requested) {
      if (cv.wait_until(lock, next, [this] { return stop_requested; })) break;
      lock.unlock();
      tick();
      lock.lock();
      next += interval;
      auto now = std::chrono::steady_clock::now();
      if (next < now) next = now + interval;  // fell behind: do not burst
    }
  }
};

WindowMeter::WindowMeter(const MeterOptions& options, std::size_t capacity) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  if (options.interval_ms < 1 || options.interval_ms > 60000)
    throw usage_error(fmt::format("sample interval must be 1 ms to 60 s, got {} ms", options.interval_ms));
  if (capacity < 2 || capacity > (std::size_t{1} << 32))
    throw usage_error(fmt::format("sample capacity must be 2 to 2^32, got {}", capacity));
  s.options = resolve_defaults(options);
  s.capacity = capacity;
  s.opened = open_meters(s.options);
  for (const auto& m : s.opened.meters)
    for (EnergyDomain d : m->domains())
      s.series.push_back(std::make_unique<DomainSeries>(d, m->name(), m->source(), capacity));
  for (auto& d : s.series) {
    d->t.data()[0] = 0;
    d->w.data()[0] = std::numeric_limits<double>::quiet_NaN();
    d->e.data()[0] = 0;
    d->size.store(1, std::memory_order_release);
  }
  s.owner = ::getpid();
  s.origin = monotonic_seconds();
  for (auto& m : s.opened.meters) m->begin(s.origin);
  register_lock(&s.tick_mu);
  s.sampler = std::thread([&s] { s.run_sampler(); });
}

WindowMeter::~WindowMeter() {
  try {
    stop();
  } catch (...) {
  }
  unregister_lock(&impl_->tick_mu);
}

double WindowMeter::now() const { return monotonic_seconds() - impl_->origin; }

double WindowMeter::sample_now() {
  if (impl_->stopped.load()) throw usage_error("energy meter: sample_now() after stop()");
  return impl_->tick();
}

void WindowMeter::stop() {
  Impl& s = *impl_;
  if (s.stopped.exchange(true)) return;
  if (::getpid() != s.owner) {  // a forked child: the sampler thread does not exist here
    if (s.sampler.joinable()) s.sampler.detach();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.stop_requested = true;
  }
  s.cv.notify_all();
  if (s.sampler.joinable()) s.sampler.join();
  s.tick();
  double abs_now = monotonic_seconds();
  WindowContext w{abs_now - s.origin, 0};
  for (auto& m : s.opened.meters) {
    try {
      m->end(abs_now, w);
    } catch (const std::exception&) {
    }
  }
}

bool WindowMeter::stopped() const { return impl_->stopped.load(); }

std::vector<DomainReading> WindowMeter::energy(double t0, double t1) {
  Impl& s = *impl_;
  if (!(t0 >= 0) || !(t1 >= t0))
    throw usage_error(fmt::format("energy window [{}, {}] s: need 0 <= start <= end", t0, t1));
  {
    std::lock_guard<std::mutex> lock(s.tick_mu);
    if (t1 > s.last_tick && s.stopped.load())
      throw usage_error(fmt::format("energy window ends at {:.6f} s, after the meter was stopped ({:.6f} s)", t1,
                                    s.last_tick));
  }
  double limit = now();
  if (t1 > limit) throw usage_error(fmt::format("energy window ends at {:.6f} s, in the future", t1));
  bool need_tick = false;
  {
    std::lock_guard<std::mutex> lock(s.tick_mu);
    need_tick = t1 > s.last_tick;
  }
  if (need_tick) s.tick();

  std::vector<DomainReading> out;
  for (const auto& d : s.series) {
    DomainReading r;
    r.domain = d->domain;
    std::size_t n = d->size.load(std::memory_order_acquire);
    double e0 = cumulative_at(*d, n, t0), e1 = cumulative_at(*d, n, t1);
    r.source = d->source;
    {
      std::lock_guard<std::mutex> lock(s.tick_mu);
      if (std::isnan(e1) && d->ended) r.note = "unavailable: " + d->end_note;
    }
    if (std::isnan(e0) || std::isnan(e1)) {
      if (r.note.empty()) r.note = "unavailable: no reading from " + d->backend + " covers the window";
    } else {
      r.joules = std::max(0.0, e1 - e0);
      if (is_estimated(r.source)) r.note = "estimated, not measured (a model of CPU time; see `greentune meters`)";
    }
    out.push_back(std::move(r));
  }
  for (const auto& [domain, why] : s.opened.missing) {
    DomainReading r;
    r.domain = domain;
    r.note = why;
    out.push_back(std::move(r));
  }
  std::stable_sort(out.begin(), out.end(),  // cpu_package, dram, gpu (the enum's order)
                   [](const DomainReading& a, const DomainReading& b) { return a.domain < b.domain; });
  return out;
}

std::vector<std::string> WindowMeter::backends() const {
  std::vector<std::string> names;
  for (const auto& m : impl_->opened.meters) names.push_back(m->name());
  return names;
}

std::vector<EnergyDomain> WindowMeter::domains() const {
  std::vector<EnergyDomain> names;
  for (const auto& s : impl_->series) names.push_back(s->domain);
  return names;
}

std::vector<std::pair<EnergyDomain, std::string>> WindowMeter::missing() const { return impl_->opened.missing; }
std::vector<std::string> WindowMeter::notes() const { return impl_->opened.notes; }
int WindowMeter::interval_ms() const { return impl_->options.interval_ms; }
std::size_t WindowMeter::capacity() const { return impl_->capacity; }
int WindowMeter::ticks() const { return impl_->ticks.load(); }

SeriesView WindowMeter::series(EnergyDomain domain) const {
  const DomainSeries* s = impl_->find(domain);
  if (!s)
    throw usage_error(std::string("no power series for '") + to_string(domain) +
                      "': measured domains are the meter's domains()");
  SeriesView v;
  v.domain = s->domain;
  v.source = s->source;
  v.t_s = s->t.data();
  v.watts = s->w.data();
  v.cumulative_j = s->e.data();
  v.size = s->size.load(std::memory_order_acquire);
  return v;
}

}  // namespace greentune::energy
