// RAPL through fake powercap trees.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "greentune/core/error.hpp"
#include "greentune/energy/meter.hpp"
#include "greentune/energy/rapl.hpp"
#include "test_helpers.hpp"

namespace ge = greentune::energy;
using ge::testing::TempDir;

namespace {

constexpr unsigned long long kRange = 262143328850ULL;  // a typical Intel max_energy_range_uj

// Counters are written fixed-width, in place, with one pwrite: the meter keeps the file
// open and re-reads it, so a truncate-then-write could be seen half done (real sysfs
// files never are).
std::string counter_text(unsigned long long uj) {
  std::string v = std::to_string(uj);
  return std::string(20 - v.size(), ' ') + v + "\n";
}

void zone(const TempDir& t, const std::string& rel, const std::string& name, unsigned long long uj,
          unsigned long long range = kRange) {
  t.write(rel + "/name", name + "\n");
  t.write(rel + "/energy_uj", counter_text(uj));
  if (range) t.write(rel + "/max_energy_range_uj", std::to_string(range) + "\n");
}

void set_uj(const TempDir& t, const std::string& rel, unsigned long long uj) {
  std::string text = counter_text(uj);
  int fd = ::open(t.file(rel + "/energy_uj").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, text.data(), text.size(), 0), static_cast<ssize_t>(text.size()));
  ::close(fd);
}

// Two sockets, each package with core/uncore subzones and DRAM; psys; an MMIO duplicate.
void server_tree(const TempDir& t) {
  zone(t, "intel-rapl:0", "package-0", 1000000);
  zone(t, "intel-rapl:0/intel-rapl:0:0", "core", 500000);
  zone(t, "intel-rapl:0/intel-rapl:0:1", "uncore", 100000);
  zone(t, "intel-rapl:0/intel-rapl:0:2", "dram", 2000000);
  zone(t, "intel-rapl:1", "package-1", 3000000);
  zone(t, "intel-rapl:1/intel-rapl:1:0", "core", 700000);
  zone(t, "intel-rapl:1/intel-rapl:1:1", "dram", 4000000);
  zone(t, "intel-rapl:2", "psys", 9000000);
  zone(t, "intel-rapl-mmio:0", "package-0", 1000000);
  t.write("intel-rapl/enabled", "1\n");
}

ge::MeterOptions rapl_options(const TempDir& t) {
  ge::MeterOptions o;
  o.meter = "rapl";
  o.powercap_root = t.path();
  o.interval_ms = 10;
  return o;
}

void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(40)); }

}  // namespace

TEST(Rapl, EnumeratesPackagesAndDramOnlyAndSaysWhatItSkipped) {
  TempDir t;
  server_tree(t);
  ge::PowercapLayout layout = ge::scan_powercap(t.path());
  EXPECT_EQ(layout.sockets, 2);
  ASSERT_EQ(layout.zones.size(), 4u);
  int pkg = 0, dram = 0;
  for (const auto& z : layout.zones) {
    if (z.domain == greentune::EnergyDomain::cpu_package) ++pkg;
    if (z.domain == greentune::EnergyDomain::dram) ++dram;
    EXPECT_EQ(z.max_range_uj, static_cast<double>(kRange));
  }
  EXPECT_EQ(pkg, 2);
  EXPECT_EQ(dram, 2);
  std::string skipped;
  for (const auto& s : layout.skipped) skipped += s + "\n";
  EXPECT_NE(skipped.find("intel-rapl:0:0 (core)"), std::string::npos) << skipped;
  EXPECT_NE(skipped.find("intel-rapl:0:1 (uncore)"), std::string::npos) << skipped;
  EXPECT_NE(skipped.find("intel-rapl:2 (psys)"), std::string::npos) << skipped;
  EXPECT_NE(skipped.find("intel-rapl-mmio:0"), std::string::npos) << skipped;
}

TEST(Rapl, SumsSocketsNeverAddsSubzonesPsysOrMmio) {
  TempDir t;
  server_tree(t);
  ge::MeterSession meter(rapl_options(t));
  EXPECT_EQ(meter.backends(), std::vector<std::string>{"rapl"});
  meter.begin();
  settle();
  set_uj(t, "intel-rapl:0", 1000000 + 5000000);                  // +5 J
  set_uj(t, "intel-rapl:1", 3000000 + 7000000);                  // +7 J
  set_uj(t, "intel-rapl:0/intel-rapl:0:0", 500000 + 4000000);    // core: inside package-0
  set_uj(t, "intel-rapl:0/intel-rapl:0:1", 100000 + 1000000);    // uncore: inside package-0
  set_uj(t, "intel-rapl:0/intel-rapl:0:2", 2000000 + 2000000);   // +2 J DRAM
  set_uj(t, "intel-rapl:1/intel-rapl:1:1", 4000000 + 3000000);   // +3 J DRAM
  set_uj(t, "intel-rapl:2", 9000000 + 50000000);                 // psys: contains everything
  set_uj(t, "intel-rapl-mmio:0", 1000000 + 5000000);             // duplicate of package-0
  settle();
  ge::Measurement m = meter.end();
  const ge::DomainReading* pkg = m.find(greentune::EnergyDomain::cpu_package);
  const ge::DomainReading* dram = m.find(greentune::EnergyDomain::dram);
  ASSERT_TRUE(pkg && dram);
  EXPECT_EQ(pkg->source, greentune::EnergySource::rapl);
  ASSERT_TRUE(pkg->joules.has_value()) << pkg->note;
  EXPECT_NEAR(*pkg->joules, 12.0, 1e-9);
  ASSERT_TRUE(dram->joules.has_value()) << dram->note;
  EXPECT_NEAR(*dram->joules, 5.0, 1e-9);
  EXPECT_FALSE(pkg->flagged);
  // the sampler saw the jump: some power sample carries it
  double seen_j = 0;
  double prev_t = 0;
  for (const auto& s : m.samples) {
    if (s.domain != greentune::EnergyDomain::cpu_package) continue;
    EXPECT_EQ(s.source, greentune::EnergySource::rapl);
    seen_j += s.watts * (s.t_s - prev_t);
    prev_t = s.t_s;
  }
  EXPECT_NEAR(seen_j, 12.0, 1e-6);
}

TEST(Rapl, FlatSymlinkedLayoutLikeRealSysfsIsNotCountedTwice) {
  TempDir t;
  zone(t, "devices/intel-rapl/intel-rapl:0", "package-0", 10);
  zone(t, "devices/intel-rapl/intel-rapl:0/intel-rapl:0:0", "dram", 20);
  std::filesystem::create_directories(t.file("class"));
  std::filesystem::create_directory_symlink(t.file("devices/intel-rapl"), t.file("class/intel-rapl"));
  std::filesystem::create_directory_symlink(t.file("devices/intel-rapl/intel-rapl:0"), t.file("class/intel-rapl:0"));
  std::filesystem::create_directory_symlink(t.file("devices/intel-rapl/intel-rapl:0/intel-rapl:0:0"),
                                            t.file("class/intel-rapl:0:0"));
  ge::PowercapLayout layout = ge::scan_powercap(t.file("class"));
  EXPECT_EQ(layout.zones.size(), 2u);
  EXPECT_EQ(layout.sockets, 1);
}

TEST(Rapl, MissingDramZoneIsUnavailableNotZero) {
  TempDir t;  // AMD Zen: package only
  zone(t, "intel-rapl:0", "package-0", 100);
  zone(t, "intel-rapl:0/intel-rapl:0:0", "core", 50);
  ge::MeterSession meter(rapl_options(t));
  meter.begin();
  set_uj(t, "intel-rapl:0", 100 + 1500000);
  ge::Measurement m = meter.end();
  ASSERT_TRUE(m.find(greentune::EnergyDomain::cpu_package)->joules.has_value());
  EXPECT_NEAR(*m.find(greentune::EnergyDomain::cpu_package)->joules, 1.5, 1e-9);
  const ge::DomainReading* dram = m.find(greentune::EnergyDomain::dram);
  ASSERT_NE(dram, nullptr);
  EXPECT_FALSE(dram->joules.has_value());
  EXPECT_FALSE(dram->attributed_joules.has_value());
  EXPECT_NE(dram->note.find("unavailable"), std::string::npos) << dram->note;
}

TEST(Rapl, CounterThatWrapsDuringTheWindow) {
  TempDir t;
  const unsigned long long range = 65532610987ULL;  // AMD-like 32-bit range
  zone(t, "intel-rapl:0", "package-0", range - 2000000, range);  // 2 J before the top
  ge::MeterSession meter(rapl_options(t));
  meter.begin();
  settle();
  set_uj(t, "intel-rapl:0", range - 500000);  // +1.5 J, no wrap yet
  settle();
  set_uj(t, "intel-rapl:0", 3000000);         // wrapped: +0.5 J to the top, +3 J after
  settle();
  ge::Measurement m = meter.end();
  const ge::DomainReading* pkg = m.find(greentune::EnergyDomain::cpu_package);
  ASSERT_TRUE(pkg->joules.has_value()) << pkg->note;
  EXPECT_NEAR(*pkg->joules, 5.0, 1e-6);
  EXPECT_NE(pkg->note.find("1 counter wrap"), std::string::npos) << pkg->note;
  for (const auto& s : m.samples) EXPECT_GE(s.watts, 0);
}

TEST(Rapl, WrappingCounterArithmetic) {
  ge::WrappingCounter c(1000);
  c.start(900);
  EXPECT_EQ(c.update(950), 50);
  EXPECT_EQ(c.update(20), 70);  // 50 to the top, 20 after
  EXPECT_EQ(c.wraps(), 1);
  EXPECT_EQ(c.total_uj(), 120);
  ge::WrappingCounter unknown(0);
  unknown.start(900);
  EXPECT_LT(unknown.update(10), 0);  // cannot unwrap without a range: untrusted
  EXPECT_TRUE(unknown.broken());
}

TEST(Rapl, BackwardsCounterWithoutRangeIsFlaggedNotStored) {
  TempDir t;
  zone(t, "intel-rapl:0", "package-0", 5000000, 0);  // no max_energy_range_uj file
  ge::MeterSession meter(rapl_options(t));
  meter.begin();
  set_uj(t, "intel-rapl:0", 1000);
  ge::Measurement m = meter.end();
  const ge::DomainReading* pkg = m.find(greentune::EnergyDomain::cpu_package);
  EXPECT_TRUE(pkg->flagged);
  EXPECT_FALSE(pkg->joules.has_value());
  EXPECT_NE(pkg->note.find("backwards"), std::string::npos) << pkg->note;
}

TEST(Rapl, ImplausibleJumpIsFlaggedNotStored) {
  TempDir t;
  zone(t, "intel-rapl:0", "package-0", 0);
  ge::MeterOptions o = rapl_options(t);
  o.max_power_w_per_socket = 400;
  ge::MeterSession meter(o);
  meter.begin();
  set_uj(t, "intel-rapl:0", 50000ULL * 1000000ULL);  // 50 kJ in a fraction of a second
  ge::Measurement m = meter.end();
  const ge::DomainReading* pkg = m.find(greentune::EnergyDomain::cpu_package);
  EXPECT_TRUE(pkg->flagged);
  EXPECT_FALSE(pkg->joules.has_value());
  EXPECT_FALSE(pkg->attributed_joules.has_value());
  EXPECT_NE(pkg->note.find("400 W"), std::string::npos) << pkg->note;
}

TEST(Rapl, CounterUnreadableMidWindowMakesTheDomainUnavailable) {
  TempDir t;
  zone(t, "intel-rapl:0", "package-0", 0);
  ge::MeterSession meter(rapl_options(t));
  meter.begin();
  t.write("intel-rapl:0/energy_uj", "garbage\n");
  ge::Measurement m = meter.end();
  const ge::DomainReading* pkg = m.find(greentune::EnergyDomain::cpu_package);
  EXPECT_FALSE(pkg->joules.has_value());
  EXPECT_NE(pkg->note.find("intel-rapl:0/energy_uj"), std::string::npos) << pkg->note;
}

TEST(Rapl, NoPowercapTreeExplicitRequestIsAMeterError) {
  ge::MeterOptions o;
  o.meter = "rapl";
  o.powercap_root = "/nonexistent/powercap";
  try {
    ge::MeterSession meter(o);
    FAIL() << "expected a meter error";
  } catch (const greentune::Error& e) {
    EXPECT_EQ(e.kind(), greentune::ErrorKind::meter);
    EXPECT_NE(std::string(e.what()).find("--meter rapl"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("/nonexistent/powercap"), std::string::npos) << e.what();
  }
}

TEST(Rapl, EmptyTreeHasNoPackage) {
  TempDir t;
  t.write("intel-rapl/enabled", "1\n");
  EXPECT_THROW(ge::scan_powercap(t.path()), greentune::Error);
}

TEST(Rapl, AutoFallsBackToEstimateAndSaysWhy) {
  ge::MeterOptions o;
  o.meter = "auto";
  o.powercap_root = "/nonexistent/powercap";
  o.perf_sysfs_root = "/nonexistent/sys";
  o.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  ge::MeterSession meter(o);
  meter.begin();
  ge::Measurement m = meter.end();
  EXPECT_EQ(m.find(greentune::EnergyDomain::cpu_package)->source, greentune::EnergySource::estimated);
  EXPECT_NE(m.find(greentune::EnergyDomain::cpu_package)->note.find("no CPU energy sensor"), std::string::npos);
  EXPECT_FALSE(m.find(greentune::EnergyDomain::gpu)->joules.has_value());
  ASSERT_FALSE(m.notes.empty());
  EXPECT_NE(m.notes[0].find("/nonexistent/powercap"), std::string::npos) << m.notes[0];
  EXPECT_NE(m.notes[0].find("/nonexistent/sys"), std::string::npos) << m.notes[0];
}

// Unreadable energy_uj: the error names the file and the fix. As root, permissions do
// not apply, so the probe runs in a child that drops to an unprivileged user.
TEST(Rapl, PermissionDeniedNamesTheFileAndTheFix) {
  TempDir t;
  zone(t, "intel-rapl:0", "package-0", 123);
  std::string file = t.file("intel-rapl:0/energy_uj");
  ::chmod(t.path().c_str(), 0755);
  ::chmod(t.file("intel-rapl:0").c_str(), 0755);
  ::chmod(t.file("intel-rapl:0/name").c_str(), 0644);
  ::chmod(t.file("intel-rapl:0/max_energy_range_uj").c_str(), 0644);
  ::chmod(file.c_str(), 0600);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
    std::string msg = "no error";
    try {
      ge::scan_powercap(t.path());
    } catch (const greentune::Error& e) {
      msg = e.what();
    }
    (void)!write(fds[1], msg.data(), msg.size());
    _exit(0);
  }
  close(fds[1]);
  std::string msg;
  char buf[1024];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "could not drop privileges";
  EXPECT_NE(msg.find("permission denied reading " + file), std::string::npos) << msg;
  EXPECT_NE(msg.find("CVE-2020-8694"), std::string::npos) << msg;
  EXPECT_NE(msg.find("udev"), std::string::npos) << msg;
  EXPECT_NE(msg.find("run as root"), std::string::npos) << msg;
}

// Live progress reads the energy so far from the power samples: after each step, within one
// sampler interval of what the counters say, and equal to the window's total at its end.
TEST(Rapl, EnergySoFarFollowsTheCountersDuringTheWindow) {
  TempDir t;
  zone(t, "intel-rapl:0", "package-0", 1000000);
  zone(t, "intel-rapl:0/intel-rapl:0:2", "dram", 2000000);
  ge::MeterSession meter(rapl_options(t));
  EXPECT_TRUE(meter.energy_so_far().joules.empty());  // outside a window
  meter.begin();
  unsigned long long pkg = 1000000, dram = 2000000;
  double previous = 0;
  for (int step = 1; step <= 3; ++step) {
    pkg += 4000000;  // +4 J package, +1 J DRAM per step
    dram += 1000000;
    set_uj(t, "intel-rapl:0", pkg);
    set_uj(t, "intel-rapl:0/intel-rapl:0:2", dram);
    // The sampler ticks every 10 ms; on a loaded machine it may take longer: wait up to 5 s.
    auto so_far = meter.energy_so_far();
    for (int i = 0; i < 500 && so_far.total_j() < 5.0 * step - 1e-6; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      so_far = meter.energy_so_far();
    }
    EXPECT_NEAR(so_far.joules.at(greentune::EnergyDomain::cpu_package), 4.0 * step, 1e-6);
    EXPECT_NEAR(so_far.joules.at(greentune::EnergyDomain::dram), 1.0 * step, 1e-6);
    EXPECT_NEAR(so_far.total_j(), 5.0 * step, 1e-6);
    EXPECT_FALSE(so_far.estimated);
    EXPECT_GT(so_far.t_s, previous);
    previous = so_far.t_s;
  }
  const ge::Measurement m = meter.end();
  EXPECT_NEAR(*m.find(greentune::EnergyDomain::cpu_package)->joules, 12.0, 1e-9);
}
