// MeterSession with the estimate backend, and CPU time of process trees from /proc.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "greentune/core/error.hpp"
#include "greentune/energy/estimate.hpp"
#include "greentune/energy/meter.hpp"
#include "greentune/energy/process_tree.hpp"
#include "greentune/energy/window_meter.hpp"
#include "test_helpers.hpp"

namespace ge = greentune::energy;
using ge::testing::spawn_burner;

namespace {

ge::MeterOptions estimate_options() {
  ge::MeterOptions o;
  o.meter = "estimate";
  o.interval_ms = 20;
  o.estimate_core_active_w = 10;
  o.estimate_idle_w = 3;
  o.estimate_dram_w_per_gb = 0.5;
  return o;
}

// Runs a burner child under a session and returns the measurement.
ge::Measurement measure_burner(double cpu_s, double grandchild_cpu_s) {
  ge::MeterSession meter(estimate_options());
  meter.begin();
  pid_t pid = spawn_burner(cpu_s, grandchild_cpu_s, true);
  meter.track(pid, "run");
  EXPECT_TRUE(ge::wait_exited_without_reaping(pid, 30));
  ge::Measurement m = meter.end();
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return m;
}

}  // namespace

TEST(ProcessTree, KnownCpuTimeOfOneProcess) {
  ge::Measurement m = measure_burner(0.6, 0);
  ASSERT_EQ(m.cpu_s_by_label.count("run"), 1u);
  // clock ticks are 10 ms; fork/exit overhead is small
  EXPECT_NEAR(m.cpu_s_by_label.at("run"), 0.6, 0.05);
  EXPECT_GE(m.machine_cpu_s + 0.03, m.cpu_s_by_label.at("run"));
}

TEST(ProcessTree, GrandchildReapedInsideTheTreeIsCounted) {
  ge::Measurement m = measure_burner(0.3, 0.4);
  EXPECT_NEAR(m.cpu_s_by_label.at("run"), 0.7, 0.06);
}

TEST(ProcessTree, ProcStatParsesOwnProcess) {
  ge::ProcStat s = ge::read_proc_stat(getpid());
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.ppid, getppid());
  EXPECT_GT(s.start_ticks, 0u);
  EXPECT_FALSE(ge::read_proc_stat(999999999).ok);
}

TEST(Estimate, ModelAppliedToTheWindowAndLabelled) {
  ge::Measurement m = measure_burner(0.5, 0);
  const ge::DomainReading* pkg = m.find(greentune::EnergyDomain::cpu_package);
  const ge::DomainReading* dram = m.find(greentune::EnergyDomain::dram);
  const ge::DomainReading* gpu = m.find(greentune::EnergyDomain::gpu);
  ASSERT_TRUE(pkg && dram && gpu);
  EXPECT_EQ(pkg->source, greentune::EnergySource::estimated);
  EXPECT_EQ(dram->source, greentune::EnergySource::estimated);
  ASSERT_TRUE(pkg->joules.has_value());
  // package = idle W x duration + W per busy CPU x machine busy CPU seconds
  EXPECT_NEAR(*pkg->joules, 3 * m.duration_s + 10 * m.machine_cpu_s, 1e-9);
  EXPECT_GE(*pkg->joules, 10 * 0.45);  // at least the burner's own CPU time
  double gb = ge::installed_memory_gb();
  ASSERT_GT(gb, 0);
  EXPECT_NEAR(*dram->joules, 0.5 * gb * m.duration_s, 1e-9);
  EXPECT_NE(pkg->note.find("estimated"), std::string::npos);
  // no GPU meter requested: unavailable, not 0
  EXPECT_FALSE(gpu->joules.has_value());
  EXPECT_FALSE(gpu->note.empty());
  // attribution: the run's CPU share of the machine's
  ASSERT_TRUE(pkg->attributed_joules.has_value());
  double share = std::min(1.0, m.cpu_s_by_label.at("run") / m.machine_cpu_s);
  EXPECT_NEAR(*pkg->attributed_joules, *pkg->joules * share, 1e-9);
  EXPECT_LE(*pkg->attributed_joules, *pkg->joules);
  // the sampler produced a power series at ~20 ms
  EXPECT_GT(m.sampler_ticks, 5);
  ASSERT_FALSE(m.samples.empty());
  for (const auto& s : m.samples) {
    EXPECT_EQ(s.source, greentune::EnergySource::estimated);
    EXPECT_GE(s.t_s, 0);
    if (s.domain == greentune::EnergyDomain::cpu_package) {
      EXPECT_GE(s.watts, 3 - 1e-9);
    }
  }
  EXPECT_EQ(m.backends, std::vector<std::string>{"estimate"});
}

TEST(Estimate, DefaultsScaleWithTheMachine) {
  ge::MeterOptions o;
  ge::EstimateModel model = ge::EstimateModel::from_options(o);
  EXPECT_EQ(model.core_active_w, ge::EstimateModel::kDefaultCoreActiveW);
  EXPECT_EQ(model.idle_w, ge::EstimateModel::kDefaultIdleWPerCpu * ge::online_cpu_count());
  EXPECT_EQ(model.dram_w_per_gb, ge::EstimateModel::kDefaultDramWPerGb);
  EXPECT_NEAR(model.package_w(1.5), model.idle_w + 1.5 * model.core_active_w, 1e-12);
}

TEST(Session, IdleBaselineGivesNetEnergy) {
  ge::MeterSession meter(estimate_options());
  double idle_w = meter.measure_idle(0.2);
  EXPECT_GT(idle_w, 0);
  meter.begin();
  pid_t pid = spawn_burner(0.2, 0);
  meter.track(pid);
  ASSERT_TRUE(ge::wait_exited_without_reaping(pid, 30));
  ge::Measurement m = meter.end();
  waitpid(pid, nullptr, 0);
  ASSERT_TRUE(m.idle_baseline_w.has_value());
  EXPECT_NEAR(*m.idle_baseline_w, idle_w, 1e-9);
  const ge::DomainReading* pkg = m.find(greentune::EnergyDomain::cpu_package);
  ASSERT_TRUE(pkg->idle_w && pkg->net_joules);
  EXPECT_NEAR(*pkg->net_joules, *pkg->joules - *pkg->idle_w * m.duration_s, 1e-9);
  // DRAM is constant in the model: nothing above idle
  const ge::DomainReading* dram = m.find(greentune::EnergyDomain::dram);
  EXPECT_NEAR(*dram->net_joules, 0, 1e-6);
}

TEST(Session, MisuseIsAnErrorNotAnAbort) {
  ge::MeterSession meter(estimate_options());
  EXPECT_THROW(meter.end(), greentune::Error);
  EXPECT_THROW(meter.track(getpid()), greentune::Error);
  meter.begin();
  EXPECT_THROW(meter.begin(), greentune::Error);
  meter.end();
}

TEST(Session, NoneMetersNothingButStillTimes) {
  ge::MeterOptions o;
  o.meter = "none";
  ge::MeterSession meter(o);
  meter.begin();
  ge::Measurement m = meter.end();
  ASSERT_EQ(m.domains.size(), 3u);
  for (const auto& d : m.domains) EXPECT_FALSE(d.joules.has_value()) << greentune::to_string(d.domain);
  EXPECT_GE(m.duration_s, 0);
}

TEST(Session, UnknownMeterNameIsAUsageError) {
  ge::MeterOptions o;
  o.meter = "bogus";
  try {
    ge::MeterSession meter(o);
    FAIL() << "expected an error";
  } catch (const greentune::Error& e) {
    EXPECT_EQ(e.kind(), greentune::ErrorKind::usage);
    EXPECT_NE(std::string(e.what()).find("bogus"), std::string::npos);
  }
}

// A grandchild left to be re-parented (an orphan) still counts: it is followed once seen.
TEST(ProcessTree, OrphanedGrandchildIsStillCounted) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ge::MeterSession meter(estimate_options());
  meter.begin();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    if (fork() == 0) {  // grandchild: holds the pipe open while it works
      ge::testing::burn_cpu(0.5);
      _exit(0);
    }
    // the child waits a little so that the sampler sees the grandchild as its descendant
    struct timespec ts {0, 150000000};
    nanosleep(&ts, nullptr);
    _exit(0);
  }
  close(fds[1]);
  meter.track(child, "run");
  char c;
  while (read(fds[0], &c, 1) > 0) {
  }  // EOF: the grandchild has exited
  close(fds[0]);
  ge::Measurement m = meter.end();
  waitpid(child, nullptr, 0);
  // the last 20 ms sampler interval of the orphan may be lost
  EXPECT_NEAR(m.cpu_s_by_label.at("run"), 0.5, 0.06);
}

// A long run keeps a bounded power series: beyond max_samples it is thinned 2:1.
TEST(Session, PowerSeriesIsBounded) {
  ge::MeterOptions o = estimate_options();
  o.interval_ms = 2;
  o.max_samples = 40;  // 20 ticks of two domains
  ge::MeterSession meter(o);
  meter.begin();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ge::Measurement m = meter.end();
  EXPECT_GT(m.sampler_ticks, 40);  // the sampler kept running at full rate
  EXPECT_LE(m.samples.size(), 42u);
  EXPECT_GE(m.samples.size(), 10u);
  double last = -1;
  for (const auto& s : m.samples) {
    EXPECT_GE(s.t_s, last);
    last = s.t_s;
  }
  EXPECT_GT(last, 0.2);  // the series still covers the late part of the window
}

// A runner that reaps children itself calls refresh() between exit and reaping.
TEST(Session, RefreshBeforeReapingKeepsTheLastCpuTime) {
  ge::MeterOptions o = estimate_options();
  o.interval_ms = 60000;  // the sampler never ticks inside this window
  ge::MeterSession meter(o);
  meter.begin();
  pid_t pid = spawn_burner(0.4, 0);
  meter.track(pid, "run");
  while (!ge::exited_unreaped(pid)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  meter.refresh();
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);  // reaped before end()
  EXPECT_FALSE(ge::exited_unreaped(pid));
  ge::Measurement m = meter.end();
  EXPECT_NEAR(m.cpu_s_by_label.at("run"), 0.4, 0.05);
}

// The window meter's series carry their backend's domain and source from the start (before
// any sample); a domain no backend measures has no series and reads as unknown, not 0 J.
TEST(WindowMeter, SeriesAreTypedAndKnowTheirSourceBeforeTheFirstSample) {
  using greentune::EnergyDomain;
  using greentune::EnergySource;
  ge::MeterOptions o = estimate_options();
  o.interval_ms = 60000;  // the sampler never ticks during the test
  ge::WindowMeter w(o);
  EXPECT_EQ(w.domains(), (std::vector<EnergyDomain>{EnergyDomain::cpu_package, EnergyDomain::dram}));
  ASSERT_EQ(w.missing().size(), 1u);
  EXPECT_EQ(w.missing()[0].first, EnergyDomain::gpu);
  ge::SeriesView v = w.series(EnergyDomain::dram);
  EXPECT_EQ(v.domain, EnergyDomain::dram);
  EXPECT_EQ(v.source, EnergySource::estimated);
  EXPECT_EQ(v.size, 1u);  // the origin only
  EXPECT_THROW(w.series(EnergyDomain::gpu), greentune::Error);
  std::vector<ge::DomainReading> rs = w.energy(0, w.now());
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].domain, EnergyDomain::cpu_package);
  EXPECT_EQ(rs[0].source, EnergySource::estimated);
  EXPECT_TRUE(rs[0].joules.has_value()) << rs[0].note;
  EXPECT_EQ(rs[2].domain, EnergyDomain::gpu);
  EXPECT_EQ(rs[2].source, EnergySource::unknown);
  EXPECT_FALSE(rs[2].joules.has_value());
}
