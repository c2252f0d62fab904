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
#include "greentune/store/interchange.hpp"
#include "greentune/store/study_store.hpp"
#include "report/browser.hpp"

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

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) ++n;
  return n;
}

// `greentune report` and `greentune analyze` on a finished tune run's database (and its directory):
// the tune report and the tune summary, never the study analysis with the phases taken for operators.
void check_report_and_analyze(const Landscape& l, const json& j) {
  const std::string db = l.dir.path() + "/run/study.db", out = l.dir.path() + "/rep";
  auto rep = run_greentune({"report", db, "-o", out}, l.env, 60);
  ASSERT_EQ(rep.exit_code, 0) << rep.stderr_text;
  EXPECT_NE(rep.stdout_text.find("tune report: " + out + "/report.html"), std::string::npos) << rep.stdout_text;
  std::string page = read_file(out + "/report.html");
  for (const char* s : {"Recommendation", "Confirmation against the original", "Pareto front", ">original<", "Convergence",
                        "Every configuration"})
    EXPECT_NE(page.find(s), std::string::npos) << s;
  if (!j["recommended"]["is_original"].get<bool>()) EXPECT_NE(page.find(">recommended<"), std::string::npos);
  EXPECT_EQ(page.find("trade-offs"), std::string::npos) << "the study report's sections on a tune run";
  EXPECT_EQ(page.find("has not finished"), std::string::npos);
  EXPECT_EQ(count(page, "<svg"), 2u);
  json written = json::parse(read_file(out + "/summary.json"));
  EXPECT_EQ(written["recommended"], j["recommended"]);
  EXPECT_EQ(written["pareto"], j["pareto"]);
  std::string csv = read_file(out + "/tune-configurations.csv");
  EXPECT_EQ(count(csv, "\n"), j["configurations"].size() + 1) << csv;
  EXPECT_NE(read_file(out + "/report.md").find("## Confirmation against the original"), std::string::npos);
  // The tune directory itself is accepted too.
  auto by_dir = run_greentune({"report", l.dir.path() + "/run", "-o", l.dir.path() + "/rep2"}, l.env, 60);
  EXPECT_EQ(by_dir.exit_code, 0) << by_dir.stderr_text;
  EXPECT_EQ(read_file(l.dir.path() + "/rep2/report.html"), page);

  auto an = run_greentune({"analyze", db}, l.env, 60);
  ASSERT_EQ(an.exit_code, 0) << an.stderr_text;
  EXPECT_NE(an.stdout_text.find("recommended: "), std::string::npos) << an.stdout_text;
  EXPECT_EQ(an.stdout_text.find("RQ1"), std::string::npos) << an.stdout_text;
  if (!j["candidates"].empty()) {
    EXPECT_NE(an.stdout_text.find("confirmation (fresh interleaved runs only"), std::string::npos) << an.stdout_text;
    EXPECT_NE(an.stdout_text.find("non-inferiority p = "), std::string::npos) << an.stdout_text;
  }
  auto aj = run_greentune({"analyze", db, "--json"}, l.env, 60);
  ASSERT_EQ(aj.exit_code, 0) << aj.stderr_text;
  EXPECT_EQ(json::parse(aj.stdout_text)["recommended"], j["recommended"]);

  // In a real browser (the report tests' headless Chromium): every chart, section and table parsed,
  // nothing logged, and the page is drawn.
  if (!report::fixture::chromium_path()) return;
  auto dom = report::fixture::run_chromium(out + "/report.html", "--dump-dom", l.dir.path() + "/profile");
  ASSERT_TRUE(dom.process.ok()) << dom.process.describe() << "\n" << dom.process.stderr_text;
  EXPECT_TRUE(dom.console.empty()) << dom.console.front();
  for (const char* tag : {"<svg", "<section", "<figure", "<table", "<circle"})
    EXPECT_EQ(count(dom.dom, tag), count(page, tag)) << tag;
  auto png = l.dir.path() + "/page.png";
  auto shot = report::fixture::run_chromium(out + "/report.html", "--screenshot=" + png, l.dir.path() + "/profile");
  ASSERT_TRUE(shot.process.ok()) << shot.process.describe();
  auto st = report::fixture::png_stats(png);
  EXPECT_TRUE(report::fixture::looks_rendered(st)) << st.non_background_fraction << " " << st.distinct_colors;
  EXPECT_GT(st.saturated_fraction, 0.0005) << "the marked points of the Pareto plot are missing";
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
  check_report_and_analyze(l, j);
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
  // report and analyze on the interrupted run: provisional, and they change nothing stored.
  auto rep = run_greentune({"report", out + "/study.db", "-o", killed_run.dir.path() + "/rep"}, killed_run.env, 60);
  ASSERT_EQ(rep.exit_code, 0) << rep.stderr_text;
  EXPECT_NE(rep.stdout_text.find("(the tune run has not finished)"), std::string::npos) << rep.stdout_text;
  EXPECT_NE(read_file(killed_run.dir.path() + "/rep/report.html").find("has not finished"), std::string::npos);
  auto an = run_greentune({"analyze", out}, killed_run.env, 60);
  ASSERT_EQ(an.exit_code, 0) << an.stderr_text;
  EXPECT_NE(an.stdout_text.find("provisional"), std::string::npos) << an.stdout_text;
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

// `greentune export` of a tune run loads into `analyze --runs` and `report --runs`: the original is
// the original, every other configuration a mutant of tune_configuration, the phase in tune_phase.
TEST(TuneRun, ExportedRunsLoadIntoAnalyzeAndReport) {
  Landscape l(12);
  const std::string dir = l.dir.path() + "/run", csv = l.dir.path() + "/runs.csv";
  auto t = run_greentune({"tune", l.file, "-o", dir, "-q"}, l.env, 120);
  ASSERT_EQ(t.exit_code, 0) << t.stderr_text;
  auto e = run_greentune({"export", dir, "-o", csv}, l.env, 60);
  ASSERT_EQ(e.exit_code, 0) << e.stderr_text;

  // Row by row against the database: operator, the configuration's values, the phase.
  std::vector<RunRecord> rows = store::read_runs_csv(csv);
  store::StudyStore st = store::StudyStore::open(dir + "/study.db");
  auto runs = st.runs();
  ASSERT_EQ(rows.size(), runs.size());
  std::set<double> mutants;
  std::set<std::string> phases;
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    const RunRecord& row = rows[i];
    ASSERT_EQ(row.extra.at("run_id"), std::to_string(r.id));
    EXPECT_EQ(row.extra.at("tune_phase"), r.op) << "run " << r.id;
    EXPECT_EQ(row.extra.at("configuration_id"), std::to_string(r.configuration_id)) << "run " << r.id;
    EXPECT_EQ(row.op, r.configuration_id == 1 ? "original" : "tune_configuration") << "run " << r.id;
    EXPECT_EQ(row.hp.at("tune_configuration"), static_cast<double>(r.configuration_id));
    for (const auto& [k, v] : st.configuration(r.configuration_id).hp) EXPECT_EQ(row.hp.at(k), v) << k;
    phases.insert(r.op);
    if (r.configuration_id != 1 && r.status == RunStatus::succeeded) mutants.insert(r.configuration_id);
  }
  EXPECT_EQ(phases, (std::set<std::string>{"original", "search", "confirm"}));
  ASSERT_FALSE(mutants.empty());

  // analyze --runs compares every evaluated configuration with the original.
  auto a = run_greentune({"analyze", "--runs", csv, "--json"}, l.env, 60);
  ASSERT_EQ(a.exit_code, 0) << a.stderr_text;
  json j = json::parse(a.stdout_text);
  EXPECT_EQ(j["input"]["runs"], runs.size()) << j["input"];
  std::set<double> compared;
  for (const auto& c : j["comparisons"]) {
    EXPECT_EQ(c["hyperparameter"], "tune_configuration");
    EXPECT_EQ(c["original_value"], 1);
    compared.insert(c["value"].get<double>());
  }
  EXPECT_EQ(compared, mutants);
  auto text = run_greentune({"analyze", "--runs", csv}, l.env, 60);
  ASSERT_EQ(text.exit_code, 0) << text.stderr_text;
  EXPECT_NE(text.stdout_text.find("Mutants against the original"), std::string::npos) << text.stdout_text;

  // report --runs: the study report of those rows; and the JSON export carries the same mapping.
  auto rep = run_greentune({"report", "--runs", csv, "-o", l.dir.path() + "/rep"}, l.env, 60);
  ASSERT_EQ(rep.exit_code, 0) << rep.stderr_text;
  EXPECT_NE(read_file(l.dir.path() + "/rep/report.html").find("tune_configuration"), std::string::npos);
  auto js = run_greentune({"export", dir, "--format", "json"}, l.env, 60);
  ASSERT_EQ(js.exit_code, 0) << js.stderr_text;
  json ej = json::parse(js.stdout_text);
  ASSERT_EQ(ej["runs"].size(), runs.size());
  EXPECT_EQ(ej["runs"][0]["operator"], "original");
  EXPECT_EQ(ej["runs"][0]["extra"]["tune_phase"], "original");
  EXPECT_EQ(ej["runs"][1]["operator"], "tune_configuration");
  EXPECT_EQ(ej["runs"][1]["extra"]["tune_phase"], "search");

  // run-task reads a tune run's batches from DIR/tune-plan.json, which only a Slurm tune writes.
  auto rt = run_greentune({"run-task", "--study-dir", dir, "--task", "1"}, l.env, 60);
  EXPECT_NE(rt.exit_code, 0);
  EXPECT_EQ(count(rt.stderr_text, "\n"), 1u) << rt.stderr_text;
  EXPECT_NE(rt.stderr_text.find(dir + "/tune-plan.json: missing"), std::string::npos) << rt.stderr_text;
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
  auto s = run_greentune({"tune", l.file, "--executor", "local", "--partition", "p"}, l.env, 60);
  EXPECT_NE(s.exit_code, 0);
  EXPECT_NE(s.stderr_text.find("apply only with --executor slurm"), std::string::npos) << s.stderr_text;
  // --executor slurm (tests/slurm/tune_slurm_test.cpp runs it) needs the Slurm client commands.
  auto env = l.env;
  env["PATH"] = l.dir.path();
  auto n = run_greentune({"tune", l.file, "--executor", "slurm", "-o", l.dir.path() + "/run"}, env, 60);
  EXPECT_NE(n.exit_code, 0);
  EXPECT_NE(n.stderr_text.find("'sbatch' not found"), std::string::npos) << n.stderr_text;
  EXPECT_FALSE(file_exists(l.dir.path() + "/run"));
}

}  // namespace
}  // namespace greentune::tune
