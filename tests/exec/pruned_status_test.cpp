// A database with pruned runs through the commands that read it: `greentune status` (done,
// shown as pruned, never listed as a failure, their energy counted), `analyze --json`, `report`
// and `export` (left out of the analysis, counted apart, named as pruned).
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "analysis/study_db.hpp"
#include "common/greentune_cli.hpp"
#include "greentune/exec/status.hpp"

namespace greentune {
namespace {

TEST(Status, PrunedRunsAreDoneNeitherSucceededNorFailed) {
  const std::string dir = testing::make_temp_dir("status");
  auto runs = test::epochs_study("m", {{10, 0.9}, {5, 0.85}});  // 10 runs, 100 J / 50 J each
  runs[6].status = RunStatus::pruned;
  runs[7].status = RunStatus::pruned;
  runs[8].status = RunStatus::failed;
  test::write_study_db(dir + "/study.db", runs, {{"m", "external", "acc", true, "true"}});

  const exec::StudyStatus s = exec::study_status(dir);
  EXPECT_EQ(s.counts.pruned, 2);
  EXPECT_EQ(s.counts.succeeded, 7);
  EXPECT_EQ(s.counts.failed, 1);
  EXPECT_EQ(s.counts.done(), 10);
  EXPECT_EQ(s.tasks_done, 10);
  ASSERT_EQ(s.recent_failures.size(), 1u);  // the failed run only
  EXPECT_NE(s.recent_failures[0].find("failed"), std::string::npos);
  double all_j = 0;
  for (const auto& r : runs) all_j += *r.reading(EnergyDomain::cpu_package).joules + *r.reading(EnergyDomain::dram).joules;
  EXPECT_NEAR(s.energy_j, all_j, 1e-9);  // pruned runs' energy is spent energy

  const std::string text = exec::format_status(s);
  EXPECT_NE(text.find("runs: 10/10 done (100%); 7 succeeded, 1 failed, 0 diverged, 0 timed out, 2 pruned, 0 running"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("pruned ("), std::string::npos) << "a pruned run is not listed as a failure:\n" << text;

  // The CLI prints the same line.
  auto cli = testing::run_greentune({"status", dir});
  EXPECT_EQ(cli.exit_code, 0) << cli.stderr_text;
  EXPECT_NE(cli.stdout_text.find("2 pruned"), std::string::npos) << cli.stdout_text;
}

TEST(Status, PrunedRunsThroughAnalyzeReportAndExport) {
  const std::string dir = testing::make_temp_dir("pruned");
  auto runs = test::epochs_study("m", {{10, 0.9}, {5, 0.85}, {20, 0.95}});
  runs[6].status = RunStatus::pruned;
  runs[11].status = RunStatus::pruned;
  test::write_study_db(dir + "/study.db", runs, {{"m", "external", "acc", true, "true"}});

  auto an = testing::run_greentune({"analyze", dir + "/study.db", "--json"});
  ASSERT_EQ(an.exit_code, 0) << an.stderr_text;
  const auto j = nlohmann::json::parse(an.stdout_text);
  EXPECT_EQ(j["input"]["pruned"], 2);
  EXPECT_EQ(j["input"]["not_succeeded"], 0);
  EXPECT_EQ(j["input"]["used"], 13);

  auto rep = testing::run_greentune({"report", dir + "/study.db", "-o", dir + "/report"});
  ASSERT_EQ(rep.exit_code, 0) << rep.stderr_text;
  std::ifstream in(dir + "/report/report.html");
  std::stringstream html;
  html << in.rdbuf();
  EXPECT_NE(html.str().find("2 run(s) were pruned"), std::string::npos);
  EXPECT_NE(html.str().find("0 did not succeed"), std::string::npos);

  auto ex = testing::run_greentune({"export", dir, "--status", "pruned"});
  ASSERT_EQ(ex.exit_code, 0) << ex.stderr_text;
  std::istringstream lines(ex.stdout_text);
  std::string line;
  int rows = 0;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    ++rows;
    EXPECT_NE(line.find(",pruned,"), std::string::npos) << line;
  }
  EXPECT_EQ(rows, 2);
}

TEST(Status, StudiesWithoutPrunedRunsKeepTheirLine) {
  const std::string dir = testing::make_temp_dir("status");
  test::write_study_db(dir + "/study.db", test::epochs_study("m", {{10, 0.9}}), {{"m", "external", "acc", true, "true"}});
  const std::string text = exec::format_status(exec::study_status(dir));
  EXPECT_NE(text.find("5 succeeded, 0 failed, 0 diverged, 0 timed out, 0 running, 0 pending"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace greentune
