// `greentune report` end to end through the built executable: a runs CSV and a study
// database in, report.html + report.md + CSVs out; bad input is a one-line error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "greentune/core/subprocess.hpp"
#include "greentune/store/interchange.hpp"
#include "greentune/store/study_store.hpp"
#include "../analysis/study_db.hpp"
#include "report_fixture.hpp"

using namespace greentune;

namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/greentune-report-cli-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

SubprocessResult greentune_cli(std::vector<std::string> args) {
  SubprocessOptions o;
  o.argv = {GREENTUNE_BIN};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.timeout_s = 120;
  return run_subprocess(o);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A study database holding the generated runs, their energy sources and power samples.
void write_study_db(const std::string& path, const std::vector<RunRecord>& runs) {
  auto store = store::StudyStore::create(path);
  store.set_meta("name", "generated");
  store.set_environment("testhost", {{"hostname", "testhost"}, {"cpu_model", "Test CPU"}, {"cpu_cores", "8"},
                                     {"kernel", "6.1.0"}, {"governor", "performance"},
                                     {"torch_version", "1.13.1"}, {"meters", "rapl, estimate"}});
  std::set<std::string> models;
  std::map<std::string, long long> config_ids;
  auto power = report::fixture::make_power(runs);
  for (const auto& r : runs) {
    if (models.insert(r.model).second) store.add_model({r.model, "builtin", "accuracy", true, ""});
    std::string key = r.model + "|" + r.op + "|" + format_configuration(r.hp);
    if (!config_ids.count(key)) {
      store::ConfigurationRow c;
      c.model = r.model;
      c.op = r.op;
      c.mutant = r.op == "original" ? 0 : static_cast<int>(config_ids.size());
      c.hp = r.hp;
      config_ids[key] = store.add_configuration(c);
    }
    store::TaskRow task;
    task.scenario = r.scenario;
    task.corunner = r.corunner;
    long long task_id = store.add_task(task);
    store::RunRow row;
    row.task_id = task_id;
    row.configuration_id = config_ids[key];
    row.model = r.model;
    row.scenario = r.scenario;
    row.corunner = r.corunner;
    row.op = r.op;
    row.repetition = r.repetition;
    long long run_id = store.add_run(row);
    store::RunOutcome out;
    out.run_id = run_id;
    out.result_id = "result-" + std::to_string(run_id);
    out.status = r.status;
    out.started_at = "2026-11-26T22:00:00.000Z";
    out.finished_at = "2026-11-26T22:01:00.000Z";
    out.node = "testhost";
    out.duration_s = r.duration_s;
    out.performance = r.performance;
    out.exit_code = 0;
    for (auto d : kEnergyDomains) {
      if (!r.reading(d).joules) continue;
      store::DomainEnergy e;
      e.domain = d;
      e.joules = r.reading(d).joules;
      e.source = r.reading(d).source;
      out.energy.push_back(e);
    }
    for (const auto& p : power.at(std::stoll(r.extra.at("run_id")))) out.samples.push_back({p.t_s, p.domain, p.watts, p.source});
    store.store_outcome(out);
  }
}

}  // namespace

TEST(ReportCli, RunsCsvToHtmlMarkdownAndCsv) {
  TempDir dir;
  auto runs = report::fixture::make_runs();
  {
    std::ofstream f(dir.path / "runs.csv");
    store::write_runs_csv(f, runs);
  }
  auto r = greentune_cli({"report", "--runs", (dir.path / "runs.csv").string(), "-o", (dir.path / "rep").string()});
  ASSERT_TRUE(r.ok()) << r.describe() << "\n" << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("report.html"), std::string::npos);
  const std::string html = read_file(dir.path / "rep" / "report.html");
  for (const char* id : {"overview", "environment", "correlations", "tradeoffs", "per-mutant", "power",
                         "parallel", "greener", "comparisons", "method"})
    EXPECT_NE(html.find("<section id=\"" + std::string(id) + "\""), std::string::npos) << id;
  EXPECT_NE(html.find("not available for a runs CSV input"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir.path / "rep" / "report.md"));
  EXPECT_TRUE(std::filesystem::exists(dir.path / "rep" / "correlations.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir.path / "rep" / "tradeoffs.csv"));
}

TEST(ReportCli, StudyDatabaseShowsEnvironmentAndPower) {
  TempDir dir;
  auto runs = report::fixture::make_runs();
  const std::string db = (dir.path / "study.db").string();
  write_study_db(db, runs);
  auto r = greentune_cli({"report", db, "-o", (dir.path / "rep").string(), "--power-runs", "4"});
  ASSERT_TRUE(r.ok()) << r.describe() << "\n" << r.stderr_text;
  const std::string html = read_file(dir.path / "rep" / "report.html");
  EXPECT_EQ(html.find("not available for a runs CSV input"), std::string::npos);
  EXPECT_NE(html.find("<dd>Test CPU</dd>"), std::string::npos);
  EXPECT_NE(html.find("Power over time"), std::string::npos);
  EXPECT_NE(html.find("cpu_package power (W)"), std::string::npos);  // a power chart was drawn
  auto power_csv = read_file(dir.path / "rep" / "power_series.csv");
  std::size_t lines = static_cast<std::size_t>(std::count(power_csv.begin(), power_csv.end(), '\n'));
  EXPECT_GE(lines, 1u + 4u);       // header + 4 runs (cpu_package, some with gpu)
  EXPECT_LE(lines, 1u + 4u * 2u);
}

// An external model whose metric is a validation loss: the report names the metric with
// its direction, and "better" means lower: the mutant with less energy and a lower loss is
// greener with a performance win; the one with more energy and a higher loss loses both.
TEST(ReportCli, LowerIsBetterMetricIsShownAndFollowed) {
  TempDir dir;
  std::vector<RunRecord> runs = test::epochs_study("ext", {{10, 0.5}, {5, 0.3}, {20, 0.7}});
  store::ModelRow model{"ext", "external", "val_loss", false, "train.sh"};
  const std::string db = (dir.path / "study.db").string();
  test::write_study_db(db, runs, {model});
  auto r = greentune_cli({"report", db, "-o", (dir.path / "rep").string()});
  ASSERT_TRUE(r.ok()) << r.describe() << "\n" << r.stderr_text;
  const std::string html = read_file(dir.path / "rep" / "report.html");
  EXPECT_NE(html.find("val_loss (lower is better)"), std::string::npos);
  EXPECT_NE(read_file(dir.path / "rep" / "report.md").find("val_loss (lower is better)"), std::string::npos);
  EXPECT_NE(read_file(dir.path / "rep" / "performance_metrics.csv").find("ext,val_loss,lower"), std::string::npos);
  // Comparisons: the performance rows say lower is better, and their outcomes follow it.
  const std::string comparisons = read_file(dir.path / "rep" / "comparisons.csv");
  ASSERT_NE(comparisons.find(",better,"), std::string::npos) << comparisons.substr(0, 300);
  std::size_t perf_rows = 0;
  std::istringstream lines(comparisons);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(",performance,") == std::string::npos) continue;
    ++perf_rows;
    EXPECT_NE(line.find(",performance,lower,"), std::string::npos) << line;
    const bool five = line.rfind("ext,single,,epochs,5,", 0) == 0;
    EXPECT_NE(line.find(five ? ",win," : ",loss,"), std::string::npos) << line;
  }
  EXPECT_EQ(perf_rows, 2u);
  // Greener: epochs 5 (less energy, lower loss), with a performance win; never epochs 20.
  const std::string greener = read_file(dir.path / "rep" / "greener.csv");
  EXPECT_NE(greener.find("epochs=5"), std::string::npos) << greener;
  EXPECT_EQ(greener.find("epochs=20"), std::string::npos) << greener;
  EXPECT_NE(greener.find(",win,"), std::string::npos) << greener;
  EXPECT_NE(greener.find("val_loss (lower is better)"), std::string::npos) << greener;
}

TEST(ReportCli, BadInputIsAOneLineError) {
  TempDir dir;
  {
    std::ofstream f(dir.path / "bad.csv");
    f << "model,scenario,corunner,operator,repetition,hp.lr,cpu_package_j,dram_j,gpu_j,duration_s,performance\n"
      << "m,single,,original,0,0.1,12,1,,3,0.9\n"
      << "m,single,,lr,0,0.2,twelve,1,,3,0.9\n";
  }
  auto r = greentune_cli({"report", "--runs", (dir.path / "bad.csv").string(), "-o", (dir.path / "rep").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.stderr_text.find("bad.csv:3"), std::string::npos) << r.stderr_text;
  EXPECT_EQ(std::count(r.stderr_text.begin(), r.stderr_text.end(), '\n'), 1) << r.stderr_text;
  EXPECT_FALSE(std::filesystem::exists(dir.path / "rep" / "report.html"));

  auto both = greentune_cli({"report", "x.db", "--runs", "y.csv"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.stderr_text.find("exactly one input"), std::string::npos) << both.stderr_text;

  auto missing = greentune_cli({"report", "--runs", (dir.path / "nope.csv").string(), "-o", (dir.path / "rep").string()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.stderr_text.find("nope.csv"), std::string::npos) << missing.stderr_text;
}

TEST(ReportCli, HelpShowsDefaults) {
  auto r = greentune_cli({"report", "--help"});
  ASSERT_TRUE(r.ok()) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("--output"), std::string::npos);
  EXPECT_NE(r.stdout_text.find("TEXT=report"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("GREENTUNE_REPORT_DIR"), std::string::npos);
}
