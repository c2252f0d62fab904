// NVML through a fake libnvidia-ml built by the test suite (tests/energy/fake_nvml/).
#include <dlfcn.h>
#include <stdlib.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "greentune/core/error.hpp"
#include "greentune/energy/meter.hpp"
#include "greentune/energy/nvml.hpp"

namespace ge = greentune::energy;

#ifndef GREENTUNE_FAKE_NVML
#error "the energy tests need GREENTUNE_FAKE_NVML (tests/CMakeLists.txt)"
#endif

namespace {

const char* kUuid1 = "GPU-fa4e0000-0000-0000-0000-000000000001";

// Environment for the fake library; restored after each test.
class NvmlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("CUDA_VISIBLE_DEVICES");
    unsetenv("CUDA_DEVICE_ORDER");
    unsetenv("FAKE_NVML_NO_ENERGY");
    unsetenv("FAKE_NVML_FAIL_INIT");
    setenv("FAKE_NVML_GPUS", "2", 1);
    // keep the library loaded across sessions so that its clock and our reads agree
    handle_ = dlopen(GREENTUNE_FAKE_NVML, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << dlerror();
    true_energy_mj_ = reinterpret_cast<double (*)(int)>(dlsym(handle_, "fake_nvml_true_energy_mj"));
    ASSERT_NE(true_energy_mj_, nullptr);
  }
  void TearDown() override {
    if (handle_) dlclose(handle_);
    unsetenv("CUDA_VISIBLE_DEVICES");
  }
  ge::MeterOptions options() const {
    ge::MeterOptions o;
    o.meter = "nvml";
    o.nvml_library = GREENTUNE_FAKE_NVML;
    o.interval_ms = 10;
    return o;
  }
  // Measures a window of about `seconds` on GPU `gpu` (selected by UUID) and checks the
  // result lies between the fake's true energy over the inner and outer edges.
  ge::Measurement check_window(greentune::EnergySource expected_source) {
    ge::MeterOptions o = options();
    o.gpus = {kUuid1};
    ge::MeterSession meter(o);
    double outer0 = true_energy_mj_(1);
    meter.begin();
    double inner0 = true_energy_mj_(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    double inner1 = true_energy_mj_(1);
    ge::Measurement m = meter.end();
    double outer1 = true_energy_mj_(1);
    const ge::DomainReading* gpu = m.find(greentune::EnergyDomain::gpu);
    EXPECT_EQ(gpu->source, expected_source);
    EXPECT_TRUE(gpu->joules.has_value()) << gpu->note;
    if (!gpu->joules) return m;
    // 1 mJ of truncation per read in the fake
    EXPECT_GE(*gpu->joules, (inner1 - inner0) / 1000.0 - 0.01) << gpu->note;
    EXPECT_LE(*gpu->joules, (outer1 - outer0) / 1000.0 + 0.01) << gpu->note;
    EXPECT_NE(gpu->note.find(kUuid1), std::string::npos) << gpu->note;
    EXPECT_FALSE(gpu->attributed_joules.has_value());
    return m;
  }

  void* handle_ = nullptr;
  double (*true_energy_mj_)(int) = nullptr;
};

}  // namespace

TEST_F(NvmlTest, ListsGpusWithUuidAndBusId) {
  std::vector<ge::GpuInfo> gpus = ge::list_nvml_gpus(options());
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[1].uuid, kUuid1);
  EXPECT_EQ(gpus[1].pci_bus_id, "00000000:3C:00.0");
  EXPECT_EQ(gpus[1].name, "Fake GPU 1");
  EXPECT_TRUE(gpus[1].energy_counter);
}

TEST_F(NvmlTest, EnergyCounterPathUsesCounterDeltas) {
  ge::Measurement m = check_window(greentune::EnergySource::nvml_energy);
  // ~ (150 W + ramp) over 0.3 s: tens of joules, and the series has power samples
  bool any = false;
  for (const auto& s : m.samples)
    if (s.domain == greentune::EnergyDomain::gpu) {
      any = true;
      EXPECT_EQ(s.source, greentune::EnergySource::nvml_energy);
      EXPECT_GT(s.watts, 100);
    }
  EXPECT_TRUE(any);
}

TEST_F(NvmlTest, PowerSamplingPathIntegratesOverRealTimestamps) {
  setenv("FAKE_NVML_NO_ENERGY", "1", 1);
  ge::Measurement m = check_window(greentune::EnergySource::nvml_power);
  EXPECT_NE(m.find(greentune::EnergyDomain::gpu)->note.find("trapezoid"), std::string::npos);
}

TEST_F(NvmlTest, TrapezoidIsExactForALinearRampWithIrregularSpacing) {
  // P(t) = 100 + 200 t, samples at uneven times; exact integral from 0 to 1 is 200 J
  std::vector<std::pair<double, double>> s;
  for (double t : {0.0, 0.05, 0.31, 0.32, 0.7, 0.9, 1.0}) s.emplace_back(t, 100 + 200 * t);
  EXPECT_NEAR(ge::trapezoid_j(s), 200.0, 1e-9);
  // summing samples as if they were 1/7 s apart would not be (the paper's mistake)
  double naive = 0;
  for (const auto& p : s) naive += p.second / 7.0;
  EXPECT_GT(std::abs(naive - 200.0), 1.0);
  EXPECT_EQ(ge::trapezoid_j({}), 0);
}

TEST_F(NvmlTest, SelectionByUuidPrefixBusIdIndexAndCudaVisibleDevices) {
  std::vector<ge::GpuInfo> all = ge::list_nvml_gpus(options());
  std::string note;
  EXPECT_EQ(ge::select_gpus(all, {"GPU-fa4e0000-0000-0000-0000-000000000001"}, nullptr, &note).at(0).index, 1u);
  EXPECT_EQ(ge::select_gpus(all, {"3c:00.0"}, nullptr, &note).at(0).index, 1u);
  EXPECT_EQ(ge::select_gpus(all, {"0000:3B:00.0"}, nullptr, &note).at(0).index, 0u);
  EXPECT_EQ(ge::select_gpus(all, {"1"}, nullptr, &note).at(0).index, 1u);
  EXPECT_EQ(ge::select_gpus(all, {}, nullptr, &note).size(), 2u);
  // an ambiguous UUID prefix or an unknown id is an error listing what exists
  EXPECT_THROW(ge::select_gpus(all, {"GPU-fa4e"}, nullptr, &note), greentune::Error);
  try {
    ge::select_gpus(all, {"GPU-deadbeef"}, nullptr, &note);
    FAIL();
  } catch (const greentune::Error& e) {
    EXPECT_NE(std::string(e.what()).find(kUuid1), std::string::npos) << e.what();
  }
  // CUDA_VISIBLE_DEVICES: UUIDs, indices (with a note on ordering), stop at invalid entries
  note.clear();
  auto v = ge::select_gpus(all, {}, kUuid1, &note);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].index, 1u);
  EXPECT_TRUE(note.empty());
  v = ge::select_gpus(all, {}, "1,0", &note);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].index, 1u);
  EXPECT_NE(note.find("PCI bus order"), std::string::npos);
  v = ge::select_gpus(all, {}, "0,7,1", &note);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_THROW(ge::select_gpus(all, {}, "", &note), greentune::Error);
  EXPECT_THROW(ge::select_gpus(all, {}, "-1", &note), greentune::Error);
}

TEST_F(NvmlTest, SessionRespectsCudaVisibleDevices) {
  setenv("CUDA_VISIBLE_DEVICES", kUuid1, 1);
  ge::MeterSession meter(options());
  meter.begin();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ge::Measurement m = meter.end();
  const ge::DomainReading* gpu = m.find(greentune::EnergyDomain::gpu);
  ASSERT_TRUE(gpu->joules.has_value());
  EXPECT_NE(gpu->note.find(kUuid1), std::string::npos);
  EXPECT_EQ(gpu->note.find("GPU-fa4e0000-0000-0000-0000-000000000000"), std::string::npos) << gpu->note;
}

TEST_F(NvmlTest, FailuresAreClear) {
  ge::MeterOptions o = options();
  o.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  try {
    ge::MeterSession meter(o);
    FAIL();
  } catch (const greentune::Error& e) {
    EXPECT_EQ(e.kind(), greentune::ErrorKind::meter);
    EXPECT_NE(std::string(e.what()).find("--meter nvml"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("/nonexistent/libnvidia-ml.so.1"), std::string::npos) << e.what();
  }
  setenv("FAKE_NVML_FAIL_INIT", "1", 1);
  try {
    ge::MeterSession meter(options());
    FAIL();
  } catch (const greentune::Error& e) {
    EXPECT_NE(std::string(e.what()).find("Driver Not Loaded"), std::string::npos) << e.what();
  }
  unsetenv("FAKE_NVML_FAIL_INIT");
  setenv("FAKE_NVML_GPUS", "0", 1);
  EXPECT_THROW(ge::MeterSession meter(options()), greentune::Error);
}

TEST_F(NvmlTest, AutoAddsGpuNextToTheCpuMeter) {
  ge::MeterOptions o = options();
  o.meter = "auto";
  o.powercap_root = "/nonexistent";
  o.perf_sysfs_root = "/nonexistent";
  ge::MeterSession meter(o);
  EXPECT_EQ(meter.backends(), (std::vector<std::string>{"estimate", "nvml"}));
  meter.begin();
  ge::Measurement m = meter.end();
  EXPECT_EQ(m.find(greentune::EnergyDomain::gpu)->source, greentune::EnergySource::nvml_energy);
  EXPECT_EQ(m.find(greentune::EnergyDomain::cpu_package)->source, greentune::EnergySource::estimated);
}

TEST_F(NvmlTest, ImplausibleGpuEnergyIsFlaggedNotStored) {
  ge::MeterOptions o = options();
  o.gpus = {kUuid1};
  o.max_gpu_power_w = 10;  // the fake draws 150 W and more
  ge::MeterSession meter(o);
  meter.begin();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ge::Measurement m = meter.end();
  const ge::DomainReading* gpu = m.find(greentune::EnergyDomain::gpu);
  EXPECT_TRUE(gpu->flagged);
  EXPECT_FALSE(gpu->joules.has_value());
  EXPECT_NE(gpu->note.find("implausible"), std::string::npos) << gpu->note;
}
