// The perf power PMU: sysfs parsing on fake trees; opening is checked for clear errors.
#include <gtest/gtest.h>

#include "greentune/core/error.hpp"
#include "greentune/energy/meter.hpp"
#include "greentune/energy/perf_power.hpp"
#include "test_helpers.hpp"

namespace ge = greentune::energy;
using ge::testing::TempDir;

namespace {
const char* kPmu = "bus/event_source/devices/power";

void power_pmu(const TempDir& t, bool with_ram) {
  std::string d = kPmu;
  t.write(d + "/type", "4242\n");
  t.write(d + "/cpumask", "0,18\n");
  t.write(d + "/format/event", "config:0-7\n");
  t.write(d + "/events/energy-pkg", "event=0x02\n");
  t.write(d + "/events/energy-pkg.scale", "2.3283064365386962890625e-10\n");
  t.write(d + "/events/energy-pkg.unit", "Joules\n");
  t.write(d + "/events/energy-cores", "event=0x01\n");
  if (with_ram) {
    t.write(d + "/events/energy-ram", "event=0x03\n");
    t.write(d + "/events/energy-ram.scale", "6.103515625e-05\n");
    t.write(d + "/events/energy-ram.unit", "Joules\n");
  }
}
}  // namespace

TEST(Perf, ParsesTypeCpumaskEventsScaleAndUnit) {
  TempDir t;
  power_pmu(t, true);
  ge::PerfPowerPmu pmu = ge::scan_perf_power(t.path());
  EXPECT_EQ(pmu.type, 4242);
  EXPECT_EQ(pmu.cpus, (std::vector<int>{0, 18}));
  ASSERT_EQ(pmu.events.size(), 2u);
  EXPECT_EQ(pmu.events[0].event, "energy-pkg");
  EXPECT_EQ(pmu.events[0].domain, greentune::EnergyDomain::cpu_package);
  EXPECT_EQ(pmu.events[0].config, 0x02u);
  EXPECT_DOUBLE_EQ(pmu.events[0].scale, 2.3283064365386962890625e-10);
  EXPECT_EQ(pmu.events[0].unit, "Joules");
  EXPECT_EQ(pmu.events[1].event, "energy-ram");
  EXPECT_EQ(pmu.events[1].domain, greentune::EnergyDomain::dram);
  EXPECT_EQ(pmu.events[1].config, 0x03u);
  EXPECT_TRUE(pmu.missing.empty());
}

TEST(Perf, FormatFilePlacesBits) {
  TempDir t;
  power_pmu(t, false);
  t.write(std::string(kPmu) + "/format/event", "config:8-15\n");
  t.write(std::string(kPmu) + "/cpumask", "0-1\n");
  ge::PerfPowerPmu pmu = ge::scan_perf_power(t.path());
  EXPECT_EQ(pmu.events[0].config, 0x0200u);
  EXPECT_EQ(pmu.cpus, (std::vector<int>{0, 1}));
}

TEST(Perf, MissingRamEventIsRecordedNotInvented) {
  TempDir t;
  power_pmu(t, false);
  ge::PerfPowerPmu pmu = ge::scan_perf_power(t.path());
  ASSERT_EQ(pmu.events.size(), 1u);
  ASSERT_EQ(pmu.missing.size(), 1u);
  EXPECT_NE(pmu.missing[0].find("energy-ram"), std::string::npos);
}

TEST(Perf, BadFilesAreClearErrors) {
  TempDir t;
  power_pmu(t, true);
  t.write(std::string(kPmu) + "/events/energy-pkg.unit", "Watts\n");
  try {
    ge::scan_perf_power(t.path());
    FAIL();
  } catch (const greentune::Error& e) {
    EXPECT_EQ(e.kind(), greentune::ErrorKind::meter);
    EXPECT_NE(std::string(e.what()).find("energy-pkg.unit"), std::string::npos) << e.what();
  }
  TempDir none;
  try {
    ge::scan_perf_power(none.path());
    FAIL();
  } catch (const greentune::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no perf power PMU"), std::string::npos) << e.what();
  }
}

// A fake PMU type cannot be opened by the kernel: the explicit request fails clearly.
TEST(Perf, UnopenableEventIsAMeterErrorNamingTheEvent) {
  TempDir t;
  power_pmu(t, true);
  ge::MeterOptions o;
  o.meter = "perf";
  o.perf_sysfs_root = t.path();
  try {
    ge::MeterSession meter(o);
    FAIL() << "a fake PMU type should not open";
  } catch (const greentune::Error& e) {
    EXPECT_EQ(e.kind(), greentune::ErrorKind::meter);
    std::string what = e.what();
    EXPECT_NE(what.find("--meter perf"), std::string::npos) << what;
    EXPECT_NE(what.find("power/energy-pkg/"), std::string::npos) << what;
    EXPECT_NE(what.find("type 4242"), std::string::npos) << what;
  }
}
