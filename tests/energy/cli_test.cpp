// `greentune measure` and `greentune meters`: through the real binary and in-process.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/energy/measure.hpp"
#include "common/greentune_cli.hpp"
#include "test_helpers.hpp"

namespace ge = greentune::energy;
using ge::testing::TempDir;

namespace {

greentune::SubprocessResult run_bin(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  // no sensors and no GPU library: deterministic on every machine
  std::map<std::string, std::string> all = {{"GREENTUNE_POWERCAP_ROOT", "/nonexistent/powercap"},
                                            {"GREENTUNE_PERF_SYSFS_ROOT", "/nonexistent/sys"},
                                            {"GREENTUNE_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1"}};
  for (auto& [k, v] : env) all[k] = v;
  return greentune::testing::run_greentune(args, all, 60);
}

}  // namespace

TEST(MeasureCli, SleepOneSecondJsonIsEstimatedAndLabelled) {
  auto r = run_bin({"measure", "--json", "--", "sleep", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  nlohmann::json j = nlohmann::json::parse(r.stdout_text);  // exactly one JSON object
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_EQ(j["command"], (std::vector<std::string>{"sleep", "1"}));
  auto m = j["measurement"];
  EXPECT_GE(m["duration_s"].get<double>(), 1.0);
  EXPECT_LT(m["duration_s"].get<double>(), 5.0);
  ASSERT_EQ(m["domains"].size(), 3u);
  EXPECT_EQ(m["domains"][0]["domain"], "cpu_package");
  EXPECT_EQ(m["domains"][0]["source"], "estimated");
  EXPECT_GT(m["domains"][0]["joules"].get<double>(), 0);
  EXPECT_EQ(m["domains"][2]["domain"], "gpu");
  EXPECT_TRUE(m["domains"][2]["joules"].is_null());  // unavailable, not 0
  // sleep uses almost no CPU
  EXPECT_LT(m["cpu_s"]["run"].get<double>(), 0.1);
  EXPECT_GE(m["sampler"]["ticks"].get<int>(), 5);
}

TEST(MeasureCli, TableOnStderrSaysEstimated) {
  auto r = run_bin({"measure", "--interval", "50", "--", "sh", "-c", "echo hello from the child"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "hello from the child\n");  // the child's output is the user's
  EXPECT_NE(r.stderr_text.find("cpu_package"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("estimated"), std::string::npos);
  EXPECT_NE(r.stderr_text.find("ESTIMATED"), std::string::npos);
}

TEST(MeasureCli, ExitCodeAndSignalsArePassedThrough) {
  EXPECT_EQ(run_bin({"measure", "--", "sh", "-c", "exit 3"}).exit_code, 3);
  EXPECT_EQ(run_bin({"measure", "--json", "--", "sh", "-c", "kill -TERM $$"}).exit_code, 128 + 15);
  auto nf = run_bin({"measure", "--", "/nonexistent/command"});
  EXPECT_EQ(nf.exit_code, 127);
  EXPECT_NE(nf.stderr_text.find("/nonexistent/command"), std::string::npos) << nf.stderr_text;
}

TEST(MeasureCli, ExplicitMissingMeterIsAMeterErrorAndRunsNothing) {
  TempDir t;
  std::string marker = t.file("ran");
  auto r = run_bin({"measure", "--meter", "rapl", "--", "touch", marker});
  EXPECT_EQ(r.exit_code, 5) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("greentune: error: --meter rapl"), std::string::npos) << r.stderr_text;
  EXPECT_EQ(access(marker.c_str(), F_OK), -1);  // the command did not run
  // one line
  EXPECT_EQ(r.stderr_text.find('\n'), r.stderr_text.size() - 1) << r.stderr_text;
}

TEST(MeasureCli, BadFlagsAreUsageErrors) {
  EXPECT_EQ(run_bin({"measure", "--interval", "0", "--", "true"}).exit_code, 2);
  EXPECT_EQ(run_bin({"measure", "--meter", "bogus", "--", "true"}).exit_code, 2);
  EXPECT_EQ(run_bin({"measure"}).exit_code, 2);
}

TEST(MetersCli, ListsEveryBackendWithReasons) {
  auto r = run_bin({"meters"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  for (const char* name : {"rapl", "perf", "nvml", "estimate"}) EXPECT_NE(r.stdout_text.find(name), std::string::npos) << name;
  EXPECT_NE(r.stdout_text.find("/nonexistent/powercap"), std::string::npos) << r.stdout_text;
  auto j = nlohmann::json::parse(run_bin({"meters", "--json"}).stdout_text);
  ASSERT_EQ(j["backends"].size(), 4u);
  EXPECT_EQ(j["backends"][3]["name"], "estimate");
  EXPECT_EQ(j["backends"][3]["available"], true);
  EXPECT_EQ(j["backends"][0]["available"], false);
  EXPECT_EQ(j["auto"]["domains"]["cpu_package"], "estimate");
}

// In-process, with a fake powercap tree and the fake NVML: measured sources in the table.
TEST(MeasureInProcess, FakeSensorsGiveMeasuredSources) {
  TempDir t;
  t.write("intel-rapl:0/name", "package-0\n");
  t.write("intel-rapl:0/energy_uj", "                1000\n");  // fixed width, rewritten in place
  t.write("intel-rapl:0/max_energy_range_uj", "262143328850\n");
  unsetenv("CUDA_VISIBLE_DEVICES");
  unsetenv("FAKE_NVML_NO_ENERGY");
  unsetenv("FAKE_NVML_FAIL_INIT");
  setenv("FAKE_NVML_GPUS", "1", 1);
  ge::MeasureOptions o;
  o.meter.powercap_root = t.path();
  o.meter.perf_sysfs_root = "/nonexistent";
  o.meter.nvml_library = GREENTUNE_FAKE_NVML;
  o.meter.interval_ms = 20;
  o.command = {"sh", "-c", "printf '%20d\\n' 4000000 1<> " + t.file("intel-rapl:0/energy_uj") + "; exit 7"};
  std::ostringstream out, err;
  int rc = ge::run_measure(o, out, err);
  EXPECT_EQ(rc, 7);
  std::string table = err.str();
  EXPECT_NE(table.find("rapl"), std::string::npos) << table;
  EXPECT_NE(table.find("nvml-energy"), std::string::npos) << table;
  EXPECT_NE(table.find("3.999"), std::string::npos) << table;  // 4 J - 1 mJ... printed to 3 decimals
  EXPECT_NE(table.find("no RAPL dram zone"), std::string::npos) << table;
  EXPECT_EQ(table.find("ESTIMATED"), std::string::npos) << table;
  o.json = true;
  o.idle_baseline_s = 0.1;
  std::ostringstream jout;
  EXPECT_EQ(ge::run_measure(o, jout, err), 7);
  auto j = nlohmann::json::parse(jout.str());
  EXPECT_FALSE(j["measurement"]["idle_baseline"].is_null());
  EXPECT_TRUE(j["measurement"]["domains"][1]["joules"].is_null());  // no dram zone
}

// The command runs in its own process group; Ctrl-C on greentune must reach it.
TEST(MeasureCli, InterruptIsForwardedToTheCommand) {
  greentune::SubprocessOptions o;
  o.argv = {GREENTUNE_BIN, "measure", "--meter", "none", "--", "sleep", "30"};
  o.timeout_s = 20;
  greentune::Subprocess p(o);
  p.start();
  // wait until greentune has started the command
  std::string children_file = "/proc/" + std::to_string(p.pid()) + "/task/" + std::to_string(p.pid()) + "/children";
  for (int i = 0; i < 500; ++i) {
    std::ifstream in(children_file);
    std::string pid;
    if (in >> pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  p.signal_group(SIGINT);  // greentune's own group: the sleep is not in it
  auto r = p.wait();
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 128 + SIGINT) << r.stderr_text;
  EXPECT_LT(r.wall_s, 10);
  EXPECT_NE(r.stderr_text.find("killed by signal 2"), std::string::npos) << r.stderr_text;
}
