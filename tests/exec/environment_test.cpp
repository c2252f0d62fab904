#include "greentune/exec/environment.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "greentune/core/files.hpp"
#include "test_util.hpp"

using namespace greentune;
using namespace greentune::exec;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct EnvVar {
  EnvVar(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
  ~EnvVar() { ::unsetenv(name_); }
  const char* name_;
};

}  // namespace

TEST(Governor, SetsPerformanceAndRestoresThePreviousGovernors) {
  std::string root = greentune::testing::make_temp_dir("cpufreq");
  for (int cpu = 0; cpu < 2; ++cpu) {
    make_directories(root + "/cpu" + std::to_string(cpu) + "/cpufreq");
    greentune::testing::write_text(root + "/cpu" + std::to_string(cpu) + "/cpufreq/scaling_governor",
                                   cpu == 0 ? "powersave\n" : "schedutil\n");
  }
  EnvVar env("GREENTUNE_CPUFREQ_ROOT", root);
  {
    GovernorGuard g("performance");
    EXPECT_EQ(g.state(), "performance (set by greentune; was powersave)");
    EXPECT_EQ(slurp(root + "/cpu0/cpufreq/scaling_governor"), "performance");
    EXPECT_EQ(slurp(root + "/cpu1/cpufreq/scaling_governor"), "performance");
    EXPECT_EQ(collect_environment({"estimate"}).at("governor"), "performance");
  }
  EXPECT_EQ(slurp(root + "/cpu0/cpufreq/scaling_governor"), "powersave");
  EXPECT_EQ(slurp(root + "/cpu1/cpufreq/scaling_governor"), "schedutil");
  {
    GovernorGuard keep("keep");
    EXPECT_EQ(keep.state(), "powersave (left as it was)");
  }
}

TEST(Governor, MissingCpufreqIsRecordedNotAnError) {
  std::string root = greentune::testing::make_temp_dir("nocpufreq");
  make_directories(root + "/cpu0");
  EnvVar env("GREENTUNE_CPUFREQ_ROOT", root);
  GovernorGuard g("performance");
  EXPECT_EQ(g.state(), "unavailable (no cpufreq on this machine)");
  auto e = collect_environment({"rapl", "nvml"});
  EXPECT_EQ(e.at("governor"), "unavailable (no cpufreq on this machine)");
  EXPECT_EQ(e.at("meters"), "rapl,nvml");
  EXPECT_FALSE(e.at("cpu_model").empty());
  EXPECT_GE(std::stoi(e.at("cpu_cores")), 1);
  EXPECT_FALSE(e.at("kernel").empty());
  EXPECT_EQ(e.at("hostname"), hostname());
}
