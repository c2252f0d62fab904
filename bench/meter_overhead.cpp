// Does metering disturb what it measures? The same CPU workload (a child process doing a
// fixed amount of arithmetic) runs with metering off (A) and on (B), interleaved
// A B A B ..., and we print the ratio of median wall times and the sampler thread's own
// CPU use at the chosen interval (target: < 0.5% of one core at 100 ms).
//
// Build and run: bench/meter_overhead.sh [--pairs N] [--work-ms MS] [--interval MS] [--meter NAME]
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "greentune/core/subprocess.hpp"
#include "greentune/energy/meter.hpp"
#include "greentune/energy/process_tree.hpp"

namespace ge = greentune::energy;

namespace {

volatile double g_sink = 0;

// Fixed work: the same number of operations every time.
void work(long iterations) {
  double x = 1.0;
  for (long i = 0; i < iterations; ++i) x = x * 1.0000001 + 1e-9;
  g_sink = x;
}

long calibrate(double target_s) {
  long n = 1000000;
  while (true) {
    double t0 = greentune::monotonic_seconds();
    work(n);
    double dt = greentune::monotonic_seconds() - t0;
    if (dt > 0.2) return static_cast<long>(n * target_s / dt);
    n *= 2;
  }
}

// Runs the workload in a child; with a session, the child is tracked. Returns wall seconds.
double run_once(long iterations, ge::MeterSession* session, ge::Measurement* out) {
  if (session) session->begin();
  double t0 = greentune::monotonic_seconds();
  pid_t pid = fork();
  if (pid == 0) {
    work(iterations);
    _exit(0);
  }
  if (session) session->track(pid, "run");
  if (session) {
    ge::wait_exited_without_reaping(pid);
  } else {
    int st = 0;
    waitpid(pid, &st, 0);
  }
  double dt = greentune::monotonic_seconds() - t0;
  if (session) {
    *out = session->end();
    int st = 0;
    waitpid(pid, &st, 0);
  }
  return dt;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// A fake two-socket powercap tree, so the RAPL backend's sampler cost can be measured here.
std::string make_fake_powercap() {
  std::string root = std::filesystem::temp_directory_path() / ("greentune-bench-powercap-" + std::to_string(getpid()));
  auto zone = [&](const std::string& rel, const std::string& name) {
    std::filesystem::create_directories(root + "/" + rel);
    std::ofstream(root + "/" + rel + "/name") << name << "\n";
    std::ofstream(root + "/" + rel + "/energy_uj") << "1000\n";
    std::ofstream(root + "/" + rel + "/max_energy_range_uj") << "262143328850\n";
  };
  zone("intel-rapl:0", "package-0");
  zone("intel-rapl:0/intel-rapl:0:0", "dram");
  zone("intel-rapl:1", "package-1");
  zone("intel-rapl:1/intel-rapl:1:0", "dram");
  return root;
}

// Sampler CPU over an idle window of `seconds`, in percent of one core.
void sampler_cost(const char* label, ge::MeterOptions o, double seconds) {
  ge::MeterSession s(o);
  s.begin();
  s.track(getpid(), "self");  // a tracked tree (this process and its threads) is scanned every tick
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  ge::Measurement m = s.end();
  double pct = 100.0 * m.sampler_cpu_s / m.duration_s;
  std::printf("sampler CPU, %-22s %6.3f%% of one core (%d ticks in %.1f s, %.1f us per tick)\n", label, pct,
              m.sampler_ticks, m.duration_s, m.sampler_ticks ? 1e6 * m.sampler_cpu_s / m.sampler_ticks : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  int pairs = 8, interval_ms = 100;
  double work_s = 1.0, idle_s = 5.0;
  std::string meter = "auto";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--pairs") pairs = std::atoi(argv[i + 1]);
    else if (a == "--work-ms") work_s = std::atof(argv[i + 1]) / 1000.0;
    else if (a == "--interval") interval_ms = std::atoi(argv[i + 1]);
    else if (a == "--meter") meter = argv[i + 1];
    else if (a == "--idle-s") idle_s = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: meter_overhead [--pairs N] [--work-ms MS] [--interval MS] [--meter NAME] [--idle-s S]\n");
      return 2;
    }
  }
  ge::MeterOptions o;
  o.meter = meter;
  o.interval_ms = interval_ms;
  ge::MeterSession session(o);
  std::string backends;
  for (const auto& b : session.backends()) backends += (backends.empty() ? "" : ",") + b;
  long iterations = calibrate(work_s);
  std::printf("meter_overhead: %d pairs, workload ~%.2f s (%ld iterations), interval %d ms, meter %s (%s), %u CPUs\n",
              pairs, work_s, iterations, interval_ms, meter.c_str(), backends.c_str(), std::thread::hardware_concurrency());
  std::vector<double> off, on, ratios;
  double sampler_cpu = 0, metered_s = 0;
  int ticks = 0;
  for (int p = 0; p < pairs; ++p) {
    ge::Measurement m;
    double a = run_once(iterations, nullptr, nullptr);
    double b = run_once(iterations, &session, &m);
    off.push_back(a);
    on.push_back(b);
    ratios.push_back(b / a);
    sampler_cpu += m.sampler_cpu_s;
    metered_s += m.duration_s;
    ticks += m.sampler_ticks;
    std::printf("  pair %2d: off %.4f s  on %.4f s  on/off %.4f  (run CPU %.2f s)\n", p + 1, a, b, b / a,
                m.cpu_s_by_label.count("run") ? m.cpu_s_by_label.at("run") : -1.0);
  }
  std::printf("median wall: off %.4f s, on %.4f s; ratio of medians on/off = %.4f; median of pair ratios = %.4f\n",
              median(off), median(on), median(on) / median(off), median(ratios));
  std::printf("sampler CPU during the metered runs: %.3f%% of one core (%d ticks, %.1f us per tick)\n",
              100.0 * sampler_cpu / metered_s, ticks, ticks ? 1e6 * sampler_cpu / ticks : 0.0);
  sampler_cost((meter + " idle").c_str(), o, idle_s);
  std::string fake = make_fake_powercap();
  ge::MeterOptions r = o;
  r.meter = "rapl";
  r.powercap_root = fake;
  sampler_cost("rapl (fake 2-socket)", r, idle_s);
  std::filesystem::remove_all(fake);
  return 0;
}
