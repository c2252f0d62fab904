// greentune tune end to end on a synthetic landscape (bench/tune/landscapes.py) measured through
// a fake RAPL counter: JSON summary, determinism, SIGKILL + --resume, dry run, CLI errors.
#include <signal.h>

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/store/study_store.hpp"

namespace greentune::tune {
namespace {

using nlohmann::json;

SubprocessResult run_greentune(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                               double timeout_s) {
  SubprocessOptions o;
  o.argv = {GREENTUNE_BIN};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = env;
  o.timeout_s = timeout_s;
  return run_subprocess(o);
}

class ScopedTempDir {
 public:
  explicit ScopedTempDir(const std::string& tag) {
    const char* tmp = getenv("TMPDIR");
    std::string t = std::string(tmp && *tmp ? tmp : "/tmp") + "/greentune-" + tag + "-XXXXXX";
    std::vector<char> buf(t.begin(), t.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
  }
  ~ScopedTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Landscape {
  ScopedTempDir dir{"tune"};
  std::map<std::string, std::string> env;
  std::string file;
  explicit Landscape(int budget = 24, const std::string& name = "interact") {
    std::string z = dir.path() + "/powercap/intel-rapl:0";
    make_directories(z);
    write(z + "/name", "package-0\n");
    write(z + "/energy_uj", std::string(19, ' ') + "0\n");
    write(z + "/max_energy_range_uj", "4611686018427387904\n");
    env = {{"GREENTUNE_POWERCAP_ROOT", dir.path() + "/powercap"}, {"LANDSCAPE_SEED", "3"}};
    file = dir.path() + "/tune.toml";
    write(file, "name = \"t\"\nmeter = \"rapl\"\ncooldown = 0\ngovernor = \"keep\"\n[tune]\nobjective = \"cpu_package\"\n"
                "margin = 0.01\nbudget_runs = " + std::to_string(budget) + "\nbatch = 4\nseed = 5\nconfirm_min = 3\n"
                "[[models]]\nname = \"" + name + "\"\ncommand = \"/usr/bin/python3 -S " + std::string(GREENTUNE_SOURCE_DIR) +
                "/bench/tune/landscapes.py " + name + " {epochs} {lr} {wd}\"\nresult = \"json-lines\"\n"
                "metric_key = \"performance\"\noperators = [\"epochs\", \"lr\", {hyperparameter = \"wd\", rule = \"weight_decay\"}]\n"
                "[models.hyperparameters]\nepochs = 20\nlr = 0.01\nwd = 0.0001\n");
  }
  static void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
};

// (configuration hp, op, status) of every run, in id order.
std::vector<std::string> run_list(const std::string& db) {
  store::StudyStore st = store::StudyStore::open(db);
  std::vector<std::string> out;
  for (const auto& r : st.runs()) {
    auto c = st.configuration(r.configuration_id);
    std::string j = "-";
    for (const auto& e : st.energy_of(r.id))
      if (e.domain == EnergyDomain::cpu_package && e.joules) j = std::to_string(*e.joules);
    out.push_back(format_configuration(c.hp) + " " + r.op + " " + to_string(r.status) + " " +
                  (r.performance ? std::to_string(*r.performance) : "-") + " " + j);
  }
  return out;
}

TEST(TuneRun, JsonSummaryHasTheIssueKeysAndTheRunsRespectTheBudget) {
  Landscape l;
  auto r = run_greentune({"tune", l.file, "-o", l.dir.path() + "/run", "--json", "-q"}, l.env, 240);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  json j = json::parse(r.stdout_text);
  for (const char* k : {"recommended", "pareto", "search_energy_j", "payback_trainings", "convergence", "configurations"})
    EXPECT_TRUE(j.contains(k)) << k;
  const json& rec = j["recommended"];
  for (const char* k : {"hyperparameters", "energy_saving_j", "energy_saving_ci", "performance_change",
                        "performance_change_ci", "non_inferior"})
    EXPECT_TRUE(rec.contains(k)) << k;
  EXPECT_EQ(rec["hyperparameters"].size(), 3u);
  EXPECT_LE(j["runs"]["total"].get<int>(), 24);
  EXPECT_GE(j["runs"]["search"].get<int>(), 10);
  EXPECT_FALSE(j["estimated"].get<bool>());  // the fake RAPL counter is a measurement source
  EXPECT_GT(j["search_energy_j"].get<double>(), 24 * 0.5);  // landscapes write mJ (~0.8 J a run)
  ASSERT_FALSE(j["pareto"].empty());
  // The Pareto front is sorted by objective and non-dominated.
  for (size_t i = 1; i < j["pareto"].size(); ++i) {
    EXPECT_LT(j["pareto"][i - 1]["objective_mean"].get<double>(), j["pareto"][i]["objective_mean"].get<double>());
    EXPECT_LT(j["pareto"][i - 1]["performance_mean"].get<double>(), j["pareto"][i]["performance_mean"].get<double>());
  }
  if (!rec["is_original"].get<bool>()) {
    EXPECT_GT(rec["energy_saving_j"].get<double>(), 0);
    EXPECT_LT(rec["energy_saving_ci"][0].get<double>(), rec["energy_saving_j"].get<double>());
    EXPECT_TRUE(j["payback_trainings"].is_number());
  }
  // The report page: the Pareto plot and the convergence chart, inline SVG.
  std::string html = read_file(l.dir.path() + "/run/report.html");
  EXPECT_NE(html.find("Pareto plot"), std::string::npos);
  EXPECT_NE(html.find(">original<"), std::string::npos);
  EXPECT_NE(html.find("Convergence"), std::string::npos);
  EXPECT_GE(html.find("<svg"), 0u);
  // Terminal summary of the same directory.
  auto again = run_greentune({"tune", "--resume", l.dir.path() + "/run"}, l.env, 60);
  ASSERT_EQ(again.exit_code, 0) << again.stderr_text;
  EXPECT_NE(again.stdout_text.find("recommended: "), std::string::npos) << again.stdout_text;
  EXPECT_NE(again.stdout_text.find("pays back after"), std::string::npos) << again.stdout_text;
  EXPECT_EQ(run_list(l.dir.path() + "/run/study.db").size(), j["runs"]["total"].get<size_t>()) << "resume ran more";
}

TEST(TuneRun, SigkillThenResumeLosesNothingAndRepeatsNothing) {
  Landscape reference_run, killed_run;
  auto ref = run_greentune({"tune", reference_run.file, "-o", reference_run.dir.path() + "/run", "-q"},
                           reference_run.env, 240);
  ASSERT_EQ(ref.exit_code, 0) << ref.stderr_text;
  std::vector<std::string> expected = run_list(reference_run.dir.path() + "/run/study.db");

  std::string out = killed_run.dir.path() + "/run";
  SubprocessOptions so;
  so.argv = {GREENTUNE_BIN, "tune", killed_run.file, "-o", out, "-q"};
  so.env = killed_run.env;
  so.stdout_to = killed_run.dir.path() + "/first.out";
  so.stderr_to = killed_run.dir.path() + "/first.err";
  Subprocess first(so);
  first.start();
  bool killed = false;
  for (int i = 0; i < 2400 && !killed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!file_exists(out + "/study.db")) continue;
    try {
      store::StudyStore st = store::StudyStore::open(out + "/study.db");
      auto c = st.counts();
      if (c.succeeded >= 9 && c.running == 1) {
        ::kill(first.pid(), SIGKILL);
        killed = true;
      }
    } catch (const Error&) {
    }
  }
  ASSERT_TRUE(killed) << read_file(killed_run.dir.path() + "/first.err");
  EXPECT_EQ(first.wait().term_signal, SIGKILL);
  // The in-flight landscape command (its own process group) outlives the runner; let it end, as
  // a power cut would have ended it, so that it does not add to the fake counter during the resume.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto r = run_greentune({"tune", "--resume", out, "-q"}, killed_run.env, 240);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("1 interrupted run(s) to re-run"), std::string::npos) << r.stdout_text;
  // The same runs, configurations, phases and measurements as the uninterrupted run: nothing lost,
  // nothing repeated, and the same decisions after the interruption.
  EXPECT_EQ(run_list(out + "/study.db"), expected);
  store::StudyStore st = store::StudyStore::open(out + "/study.db");
  int twice = 0;
  for (const auto& row : st.runs()) {
    EXPECT_EQ(row.status, RunStatus::succeeded) << row.id;
    twice += row.attempts == 2;
  }
  EXPECT_EQ(twice, 1);
}

TEST(TuneRun, DryRunAndCommandLineErrors) {
  Landscape l;
  auto d = run_greentune({"tune", l.file, "--dry-run"}, l.env, 60);
  ASSERT_EQ(d.exit_code, 0) << d.stderr_text;
  EXPECT_NE(d.stdout_text.find("lr: log-uniform on [0.001, 0.1]"), std::string::npos) << d.stdout_text;
  EXPECT_NE(d.stdout_text.find("epochs: integers on [15, 25]"), std::string::npos) << d.stdout_text;
  EXPECT_FALSE(file_exists(l.dir.path() + "/run"));
  Landscape::write(l.dir.path() + "/bad.toml", "[tune]\nbudget_runs = 5\n[[models]]\nname = \"mnist_cnn\"\n");
  auto b = run_greentune({"tune", l.dir.path() + "/bad.toml"}, l.env, 60);
  EXPECT_NE(b.exit_code, 0);
  EXPECT_EQ(b.stderr_text, "greentune: error: " + l.dir.path() + "/bad.toml:2: tune.budget_runs: 5 is outside [10, 1000000]\n");
  auto s = run_greentune({"tune", l.file, "--executor", "slurm"}, l.env, 60);
  EXPECT_NE(s.exit_code, 0);
  EXPECT_NE(s.stderr_text.find("local executor only"), std::string::npos) << s.stderr_text;
}

}  // namespace
}  // namespace greentune::tune
