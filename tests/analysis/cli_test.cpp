// `greentune analyze` end to end: CSV and study database input, exit codes, one-line errors.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "greentune/analysis/analysis.hpp"
#include "greentune/analysis/load_runs.hpp"
#include "greentune/store/interchange.hpp"
#include "greentune/store/study_store.hpp"
#include "study_db.hpp"

namespace fs = std::filesystem;
namespace ga = greentune::analysis;
using greentune::RunRecord;
using greentune::EnergyDomain;
using greentune::EnergySource;
using greentune::RunStatus;
using greentune::Scenario;

namespace {

struct Result {
  int code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AnalyzeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("greentune-analyze-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result run(const std::string& args) {
    Result r;
    const std::string cmd = std::string(GREENTUNE_BIN) + " analyze " + args + " > " + (dir_ / "out").string() +
                            " 2> " + (dir_ / "err").string();
    const int status = std::system(cmd.c_str());
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(dir_ / "out");
    r.err = slurp(dir_ / "err");
    return r;
  }

  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }

  fs::path dir_;
};

// original epochs 10 (energy ~100 J) and epochs 5 (~50 J) mutants, 5 repetitions each.
std::vector<RunRecord> small_study() {
  std::vector<RunRecord> runs;
  const double noise[5] = {-1.0, 0.5, 0.0, 1.5, -0.5};
  for (double epochs : {10.0, 5.0, 20.0}) {
    for (int r = 0; r < 5; ++r) {
      RunRecord run;
      run.model = "mnist_cnn";
      run.op = epochs == 10 ? "original" : "epochs";
      run.repetition = r + 1;
      run.hp = {{"epochs", epochs}, {"lr", 1.0}};
      run.reading(EnergyDomain::cpu_package).joules = 10 * epochs + noise[r];
      run.reading(EnergyDomain::dram).joules = epochs + noise[r] / 10;
      run.duration_s = epochs * 2 + noise[r];
      run.performance = 0.9 + 0.001 * r + (epochs > 10 ? 0.05 : 0.0);
      runs.push_back(run);
    }
  }
  return runs;
}

std::string csv_of(const std::vector<RunRecord>& runs) {
  std::ostringstream out;
  greentune::store::write_runs_csv(out, runs);
  return out.str();
}

}  // namespace

TEST_F(AnalyzeCli, CsvToJson) {
  auto csv = write("runs.csv", csv_of(small_study()));
  auto r = run("--runs " + csv.string() + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["input"]["runs"], 15);
  EXPECT_FALSE(j["correlations"].empty());
  EXPECT_FALSE(j["greener"].empty());
  EXPECT_EQ(j["greener"][0]["value"], 5.0);
  // The positional input detects a CSV too; tables without --json.
  r = run(csv.string() + " --test welch");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Trade-off grids"), std::string::npos);
  EXPECT_NE(r.out.find("welch"), std::string::npos);
}

TEST_F(AnalyzeCli, BadInputIsOneLineNamingTheLine) {
  std::string csv = csv_of(small_study());
  // Line 4 (3rd run): corrupt its cpu_package_j cell.
  std::istringstream in(csv);
  std::string line, text;
  for (int i = 1; std::getline(in, line); ++i) {
    if (i == 4) {  // the 3rd original run: cpu_package_j = 100 J
      auto pos = line.find(",100,");
      ASSERT_NE(pos, std::string::npos) << line;
      line.replace(pos, 5, ",12x,");
    }
    text += line + "\n";
  }
  auto bad = write("bad.csv", text);
  auto r = run("--runs " + bad.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("greentune: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("bad.csv:4: column 'cpu_package_j'"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.out.empty());

  auto missing = write("missing.csv", "model,scenario,operator,repetition\nm,single,original,1\n");
  r = run("--runs " + missing.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("missing.csv:1: missing required column 'corunner'"), std::string::npos) << r.err;

  auto runs = small_study();
  for (auto& run : runs)
    if (run.op == "original") run.scenario = Scenario::parallel, run.corunner = "resnet20";
  auto orphan = write("orphan.csv", csv_of(runs));
  r = run("--runs " + orphan.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("orphan.csv:7: model 'mnist_cnn' (single) has no 'original' runs"), std::string::npos)
      << r.err;

  r = run("--runs " + (dir_ / "nope.csv").string());
  EXPECT_EQ(r.code, 4);
  r = run("");
  EXPECT_EQ(r.code, 2);
  r = run("--runs " + bad.string() + " --test anova");
  EXPECT_EQ(r.code, 2);
}

TEST_F(AnalyzeCli, HelpShowsDefaults) {
  auto r = run("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("0.147"), std::string::npos);
  EXPECT_NE(r.out.find("mann-whitney"), std::string::npos);
  EXPECT_NE(r.out.find("GREENTUNE_ALPHA"), std::string::npos);
}

TEST_F(AnalyzeCli, StudyDatabaseGivesTheSameAnalysisAsItsCsv) {
  namespace st = greentune::store;
  const auto db_path = (dir_ / "study.db").string();
  const auto runs = small_study();
  st::ModelRow model;
  model.name = "mnist_cnn";
  model.metric = "test_accuracy";
  greentune::test::write_study_db(db_path, runs, {model});
  ASSERT_TRUE(ga::is_sqlite_file(db_path));
  auto loaded = ga::load_runs(db_path);
  EXPECT_EQ(loaded.kind, "database");
  ASSERT_EQ(loaded.runs.size(), runs.size());
  auto from_db = ga::to_json(ga::analyze(loaded.runs, ga::AnalysisOptions(), loaded.origins));
  auto from_memory = ga::to_json(ga::analyze(runs, ga::AnalysisOptions()));
  EXPECT_EQ(from_db["correlations"], from_memory["correlations"]);
  EXPECT_EQ(from_db["comparisons"], from_memory["comparisons"]);
  EXPECT_EQ(from_db["greener"], from_memory["greener"]);

  auto r = run(db_path + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["comparisons"], from_memory["comparisons"]);
}

// An external model with a lower-is-better metric, end to end: study database -> export ->
// analyze --runs (and analyze DB); the exported column carries the direction, so a mutant
// with a significantly lower val_loss is a performance win. Without the column (an older
// file) the same numbers read as higher-is-better.
TEST_F(AnalyzeCli, ExportedLowerIsBetterModelKeepsItsDirection) {
  namespace st = greentune::store;
  auto runs = small_study();  // epochs 20 has a higher metric, 5 the same as the original
  for (auto& r : runs) {
    r.model = "ext";
    if (r.hp.at("epochs") > 10) *r.performance -= 0.1;  // now significantly lower than the original
  }
  const auto db_path = (dir_ / "study.db").string();
  st::ModelRow model;
  model.name = "ext";
  model.kind = "external";
  model.metric = "val_loss";
  model.higher_is_better = false;
  model.command = "train.sh";
  greentune::test::write_study_db(db_path, runs, {model});

  const auto csv_path = (dir_ / "runs.csv").string();
  // export takes the study directory (a bare database needs the plan.json next to it).
  const std::string cmd = std::string(GREENTUNE_BIN) + " export " + dir_.string() + " -f csv -o " + csv_path + " 2> " +
                          (dir_ / "export.err").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << slurp(dir_ / "export.err");
  const std::string csv = slurp(csv_path);
  ASSERT_NE(csv.find("performance_metric,higher_is_better"), std::string::npos) << csv.substr(0, 300);

  auto outcome_of = [](const nlohmann::json& j, double epochs) {
    for (const auto& c : j.at("comparisons"))
      if (c.at("metric") == "performance" && c.at("value") == epochs) return c.at("outcome").get<std::string>();
    return std::string("missing");
  };
  auto from_csv = run("--runs " + csv_path + " --json");
  ASSERT_EQ(from_csv.code, 0) << from_csv.err;
  const auto j = nlohmann::json::parse(from_csv.out);
  EXPECT_EQ(outcome_of(j, 20), "win");
  EXPECT_EQ(j.at("performance_metrics").at(0).at("metric"), "val_loss");
  EXPECT_EQ(j.at("performance_metrics").at(0).at("higher_is_better"), false);
  EXPECT_EQ(from_csv.err, "");  // nothing noisy about directions

  auto from_db = run(db_path + " --json");
  ASSERT_EQ(from_db.code, 0) << from_db.err;
  EXPECT_EQ(nlohmann::json::parse(from_db.out).at("comparisons"), j.at("comparisons"));

  // The same file without the two columns: the documented default, higher is better.
  auto table = greentune::store::read_runs_table(csv, "runs.csv");
  std::ostringstream old;
  old << "model,scenario,corunner,operator,repetition,hp.epochs,hp.lr,cpu_package_j,dram_j,gpu_j,duration_s,"
         "performance\n";
  for (const auto& r : table.runs)
    old << r.model << ",single,," << r.op << "," << r.repetition << "," << r.hp.at("epochs") << ","
        << r.hp.at("lr") << "," << *r.reading(EnergyDomain::cpu_package).joules << "," << *r.reading(EnergyDomain::dram).joules << ",," << *r.duration_s << ","
        << *r.performance << "\n";
  auto old_path = write("old.csv", old.str());
  auto from_old = run("--runs " + old_path.string() + " --json");
  ASSERT_EQ(from_old.code, 0) << from_old.err;
  EXPECT_EQ(outcome_of(nlohmann::json::parse(from_old.out), 20), "loss");
  EXPECT_EQ(from_old.err, "");

  // Text output names the metric and its direction.
  auto text = run("--runs " + csv_path);
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("performance: val_loss (lower is better) for ext\n"), std::string::npos) << text.out;

  // A bad direction cell: one line naming file:line and column, exit code of bad input.
  std::string bad = csv;
  const auto pos = bad.find(",val_loss,0,");
  ASSERT_NE(pos, std::string::npos);
  bad.replace(pos, 12, ",val_loss,no,");
  auto bad_path = write("bad.csv", bad);
  auto r = run("--runs " + bad_path.string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find(bad_path.string() + ":2: column 'higher_is_better': 'no'"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}
