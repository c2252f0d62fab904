// The task result file (study/task_result.hpp): written and read through nlohmann's conversions,
// byte for byte the format earlier versions wrote, and strict where the run model is.
#include "greentune/study/task_result.hpp"

#include <gtest/gtest.h>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"

using namespace greentune;
using namespace greentune::study;
using nlohmann::json;

namespace {

std::string corpus(const std::string& name) {
  return std::string(GREENTUNE_SOURCE_DIR) + "/tests/fuzz/corpus/task_result/" + name;
}

std::string error_of(const json& j) {
  try {
    task_result_from_json(j);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    return e.what();
  }
  ADD_FAILURE() << "no error for " << j.dump();
  return "";
}

TEST(TaskResult, FilesWrittenByEarlierVersionsReadAndWriteBackUnchanged) {
  // Both were written by the hand-written serialiser this one replaced (a real study run).
  for (const char* name : {"task-1.json", "task-10.json"}) {
    const std::string text = read_file(corpus(name));
    TaskResult r = read_task_result(corpus(name));
    ASSERT_FALSE(r.runs.empty()) << name;
    EXPECT_EQ(to_json(r).dump() + "\n", text) << name;
  }
  TaskResult r = read_task_result(corpus("task-1.json"));
  const store::RunOutcome& o = r.runs.front();
  EXPECT_EQ(r.task_id, 1);
  EXPECT_EQ(o.status, RunStatus::succeeded);
  ASSERT_EQ(o.energy.size(), 3u);
  EXPECT_EQ(o.energy[0].domain, EnergyDomain::cpu_package);
  EXPECT_EQ(o.energy[0].source, EnergySource::estimated);
  EXPECT_EQ(o.energy[2].domain, EnergyDomain::gpu);
  EXPECT_FALSE(o.energy[2].joules.has_value());
  EXPECT_EQ(o.energy[2].source, EnergySource::unknown);
}

TEST(TaskResult, RoundTripKeepsEveryField) {
  TaskResult r;
  r.study_id = "s1";
  r.task_id = 7;
  r.result_id = "node-1-abc";
  r.node = "node";
  r.environment = {{"cpu_cores", "2"}};
  r.started_at = "2026-12-02T01:00:00.000Z";
  r.finished_at = "2026-12-02T01:00:05.000Z";
  store::RunOutcome o;
  o.run_id = 12;
  o.result_id = r.result_id;
  o.status = RunStatus::diverged;
  o.reason = "loss is nan";
  o.duration_s = 0.1 + 0.2;
  o.exit_code = -9;
  o.energy = {{EnergyDomain::dram, 1.5, EnergySource::perf, 0.25, true, "flagged"},
              {EnergyDomain::gpu, std::nullopt, EnergySource::nvml_power, std::nullopt, false, ""}};
  o.samples = {{0.1, EnergyDomain::dram, 3.5, EnergySource::perf}, {0.2, EnergyDomain::gpu, 40, EnergySource::nvml_power}};
  o.details = {{"cpu_s", "0.5"}};
  r.runs.push_back(o);
  const json j = to_json(r);
  EXPECT_EQ(j["runs"][0]["status"], "diverged");
  EXPECT_TRUE(j["runs"][0]["performance"].is_null());
  EXPECT_EQ(j["runs"][0]["samples"]["source"], json({"perf", "nvml-power"}));
  TaskResult back = task_result_from_json(j);
  ASSERT_EQ(back.runs.size(), 1u);
  const store::RunOutcome& b = back.runs[0];
  EXPECT_EQ(b.status, RunStatus::diverged);
  EXPECT_EQ(b.duration_s, o.duration_s);
  EXPECT_EQ(b.exit_code, o.exit_code);
  EXPECT_FALSE(b.performance.has_value());
  ASSERT_EQ(b.energy.size(), 2u);
  EXPECT_EQ(b.energy[0].attributed_j, 0.25);
  EXPECT_TRUE(b.energy[0].flagged);
  EXPECT_EQ(b.energy[1].source, EnergySource::nvml_power);
  ASSERT_EQ(b.samples.size(), 2u);
  EXPECT_EQ(b.samples[1].domain, EnergyDomain::gpu);
  EXPECT_EQ(b.samples[1].watts, 40);
  EXPECT_EQ(back.environment, r.environment);
  EXPECT_EQ(to_json(back), j);
}

TEST(TaskResult, BadFieldsAreOneLineInputErrorsNamingTheRun) {
  const json good = json::parse(read_file(corpus("task-1.json")));
  json j = good;
  j["runs"][0]["status"] = "running";
  EXPECT_EQ(error_of(j), "run 1: status 'running' is not a final status");
  j = good;
  j["runs"][0]["status"] = "done";
  EXPECT_NE(error_of(j).find("run 1: status: unknown run status 'done'"), std::string::npos);
  j = good;
  j["runs"][0]["energy"][0]["domain"] = "uncore";
  EXPECT_NE(error_of(j).find("run 1: domain: unknown energy domain 'uncore'"), std::string::npos);
  j = good;
  j["runs"][0]["energy"][0].erase("domain");
  EXPECT_EQ(error_of(j), "run 1: energy: an entry without a domain");
  j = good;
  j["runs"][0]["samples"]["watts"].push_back(1.0);
  EXPECT_NE(error_of(j).find("not arrays of one length"), std::string::npos);
  j = good;
  j["task_id"] = 1.5;
  EXPECT_NE(error_of(j).find("task_id"), std::string::npos);
  // A window meter's backend name, which earlier versions wrote for a domain they never read.
  j = good;
  j["runs"][0]["energy"][2]["source"] = "nvml";
  EXPECT_EQ(task_result_from_json(j).runs[0].energy[2].source, EnergySource::unknown);
}

}  // namespace
