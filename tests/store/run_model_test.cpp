// The run model's enums and their one spelling at the storage/CSV/JSON edges.
#include <gtest/gtest.h>

#include "greentune/core/error.hpp"
#include "greentune/core/run_model.hpp"

namespace greentune {
namespace {

TEST(RunModel, EverySpellingRoundTrips) {
  for (auto s : {RunStatus::pending, RunStatus::running, RunStatus::succeeded, RunStatus::failed,
                 RunStatus::diverged, RunStatus::timeout, RunStatus::pruned})
    EXPECT_EQ(parse_run_status(to_string(s)), s);
  for (auto s : {Scenario::single, Scenario::parallel}) EXPECT_EQ(parse_scenario(to_string(s)), s);
  for (auto k : {ScenarioKind::single, ScenarioKind::parallel, ScenarioKind::symmetric})
    EXPECT_EQ(parse_scenario_kind(to_string(k)), k);
  for (auto d : kEnergyDomains) EXPECT_EQ(parse_energy_domain(to_string(d)), d);
  for (auto s : {EnergySource::unknown, EnergySource::rapl, EnergySource::perf, EnergySource::nvml_energy,
                 EnergySource::nvml_power, EnergySource::estimated})
    EXPECT_EQ(parse_energy_source(to_string(s)), s);
  for (auto m : {CooldownMode::fixed, CooldownMode::until_idle}) EXPECT_EQ(parse_cooldown_mode(to_string(m)), m);
}

TEST(RunModel, StorageSpellings) {
  EXPECT_STREQ(to_string(RunStatus::timeout), "timeout");
  EXPECT_STREQ(to_string(EnergySource::nvml_energy), "nvml-energy");
  EXPECT_STREQ(to_string(EnergySource::unknown), "");
  EXPECT_STREQ(to_string(CooldownMode::until_idle), "until-idle");
  EXPECT_STREQ(to_string(ScenarioKind::symmetric), "symmetric");
  EXPECT_EQ(scenario_of(ScenarioKind::symmetric), Scenario::parallel);
  EXPECT_EQ(scenario_of(ScenarioKind::single), Scenario::single);
  EXPECT_STREQ(energy_column(EnergyDomain::dram), "dram_j");
  EXPECT_STREQ(source_column(EnergyDomain::gpu), "gpu_source");
}

TEST(RunModel, OnlyTheEstimatedSourceIsAnEstimate) {
  EXPECT_TRUE(is_estimated(EnergySource::estimated));
  for (auto s : {EnergySource::unknown, EnergySource::rapl, EnergySource::perf, EnergySource::nvml_energy,
                 EnergySource::nvml_power})
    EXPECT_FALSE(is_estimated(s));
  EXPECT_TRUE(is_final(RunStatus::diverged));
  EXPECT_FALSE(is_final(RunStatus::running));
}

TEST(RunModel, PrunedIsFinalButNeitherASuccessNorAFailure) {
  EXPECT_STREQ(to_string(RunStatus::pruned), "pruned");
  EXPECT_TRUE(is_final(RunStatus::pruned));
  EXPECT_FALSE(is_failure(RunStatus::pruned));
  EXPECT_NE(RunStatus::pruned, RunStatus::succeeded);
  for (auto s : {RunStatus::failed, RunStatus::diverged, RunStatus::timeout}) EXPECT_TRUE(is_failure(s));
  for (auto s : {RunStatus::pending, RunStatus::running, RunStatus::succeeded}) EXPECT_FALSE(is_failure(s));
  // The stored spellings of the older statuses keep their enum values (appended, not inserted).
  EXPECT_EQ(static_cast<int>(RunStatus::timeout), 5);
  EXPECT_EQ(static_cast<int>(RunStatus::pruned), 6);
}

TEST(RunModel, UnknownTextIsAnInputErrorNamingWhereAndTheChoices) {
  EXPECT_EQ(parse_run_status("Succeeded"), std::nullopt);
  EXPECT_EQ(parse_energy_source("Estimate"), std::nullopt);
  try {
    run_status_from("done", "runs.csv:3: status");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_EQ(std::string(e.what()),
              "runs.csv:3: status: unknown run status 'done' (one of: pending, running, succeeded, failed, "
              "diverged, timeout, pruned)");
  }
  EXPECT_THROW(energy_source_from("tdp", "x"), Error);
  EXPECT_EQ(energy_source_from("", "x"), EnergySource::unknown);
}

}  // namespace
}  // namespace greentune
