// End-to-end: studies of fake external models (tiny /bin/sh scripts) through real child
// processes, the energy meter (estimate backend) and the SQLite store.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/core/files.hpp"
#include "greentune/exec/local_executor.hpp"
#include "greentune/exec/runner.hpp"
#include "greentune/exec/status.hpp"
#include "greentune/exec/task.hpp"
#include "greentune/store/export.hpp"
#include "greentune/store/run_records.hpp"
#include "test_util.hpp"

using namespace greentune;
using namespace greentune::exec;
using namespace greentune::study;
using greentune::testing::make_temp_dir;
using greentune::testing::one_model_study;
using greentune::testing::run_quietly;
using greentune::testing::study_folder;
using greentune::testing::write_text;

namespace {

const char* kTwoModels = R"T(
name = "e2e"
seed = 7
mutants = 2
repetitions = 2
cooldown = 0
meter = "estimate"
meter_interval_ms = 20
scenarios = ["single", {kind = "parallel", corunner = "b"}]

[[models]]
name = "a"
command = "./model.sh {lr} 0 0.05 {epochs}"
metric_regex = "accuracy: ([-+0-9.e]+)"
metric = "accuracy"
operators = ["lr", "epochs"]
hyperparameters = {lr = 0.1, epochs = 10}

[[models]]
name = "b"
command = "./model.sh {gamma} 0 0.1"
metric_regex = "accuracy: ([-+0-9.e]+)"
operators = ["gamma", "epochs"]
hyperparameters = {gamma = 0.7, epochs = 12}
)T";

}  // namespace

TEST(Runner, TinyStudyEndToEndStoresEveryRun) {
  std::string dir = study_folder("e2e", kTwoModels);
  StudyRunOptions o;
  o.study_file = dir + "/study.toml";
  o.out_dir = dir + "/out";
  std::string log;
  ASSERT_EQ(run_quietly(o, &log), 0) << log;

  // 2 models x (1 original + 2 operators x 2 mutants) x 2 repetitions x 2 scenarios.
  auto runs = store::load_run_records(dir + "/out/study.db");
  ASSERT_EQ(runs.size(), 40u);
  std::set<std::tuple<std::string, std::string, std::string, std::string, double, long long>> keys;
  for (const auto& r : runs) {
    SCOPED_TRACE("run " + r.extra.at("run_id"));
    EXPECT_EQ(r.status, RunStatus::succeeded) << r.extra.at("status_reason");
    ASSERT_TRUE(r.performance.has_value());
    // The script echoes the value it got on its command line: stored == used, bit for bit.
    double used = *r.performance;
    double planned = r.model == "a" ? r.hp.at("lr") : r.hp.at("gamma");
    EXPECT_EQ(std::memcmp(&used, &planned, sizeof used), 0) << format_exact(used) << " vs " << format_exact(planned);
    ASSERT_TRUE(r.reading(EnergyDomain::cpu_package).joules.has_value());
    EXPECT_GT(*r.reading(EnergyDomain::cpu_package).joules, 0);
    EXPECT_EQ(r.reading(EnergyDomain::cpu_package).source, EnergySource::estimated);
    ASSERT_TRUE(r.duration_s.has_value());
    EXPECT_GE(*r.duration_s, 0.05);
    EXPECT_EQ(r.node, hostname());
    EXPECT_EQ(r.extra.at("exit_code"), "0");
    EXPECT_FALSE(r.reading(EnergyDomain::gpu).joules.has_value());  // no GPU here: missing, not 0
    if (r.scenario == Scenario::parallel) {
      EXPECT_EQ(r.corunner, "b");
      EXPECT_EQ(r.extra.at("corunner_model"), "b");
      EXPECT_GE(std::stoi(r.extra.at("corunner_starts")), 1);
      EXPECT_GT(std::stod(r.extra.at("corunner_overlap_fraction")), 0.5);
      EXPECT_TRUE(r.extra.count("corunner_attributed_cpu_package_j"));
    } else {
      EXPECT_EQ(r.corunner, "");
      EXPECT_EQ(r.extra.count("corunner_model"), 0u);
    }
    double tag = r.op == "original" ? 0 : r.hp.at(r.op);
    keys.insert({r.model, to_string(r.scenario), r.corunner, r.op, tag, r.repetition});
    EXPECT_FALSE(store::load_power_series(dir + "/out/study.db", std::stoll(r.extra.at("run_id"))).empty());
  }
  EXPECT_EQ(keys.size(), 40u);  // every planned run exactly once
  std::map<std::string, int> per_op;
  for (const auto& r : runs) per_op[r.model + "/" + r.op]++;
  EXPECT_EQ(per_op["a/original"], 4);
  EXPECT_EQ(per_op["a/lr"], 8);
  EXPECT_EQ(per_op["b/epochs"], 8);

  // Environment recorded.
  auto env = store::load_environment(dir + "/out/study.db");
  EXPECT_EQ(env.at("hostname"), hostname());
  EXPECT_FALSE(env.at("cpu_model").empty());
  EXPECT_FALSE(env.at("governor").empty());
  EXPECT_EQ(env.at("meters"), "estimate");

  // Storing every result file again changes nothing.
  LoadedStudy study = load_study_directory(StudyPaths::from_path(dir + "/out"));
  store::StudyStore st = store::StudyStore::open(study.paths.db());
  auto ids = result_task_ids(study.paths);
  ASSERT_EQ(ids.size(), study.plan.tasks.size());
  int unchanged = 0;
  for (long long id : ids) {
    StoreSummary s = store_task_result(st, read_task_result(study.paths.result_file(id)));
    EXPECT_EQ(s.stored, 0);
    unchanged += s.unchanged;
  }
  EXPECT_EQ(unchanged, 40);
  EXPECT_EQ(store::load_run_records(study.paths.db()).size(), 40u);

  // Exports: CSV has a header and one row per run; JSON parses with 40 runs.
  std::ostringstream csv, js;
  store::export_runs(study.paths.db(), "csv", csv);
  std::string text = csv.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n') >= 41, true);
  EXPECT_EQ(text.rfind("model,scenario,corunner,operator,repetition,", 0), 0u);
  store::export_runs(study.paths.db(), "json", js);
  auto j = nlohmann::json::parse(js.str());
  EXPECT_EQ(j.at("runs").size(), 40u);
  EXPECT_EQ(j.at("study").at("name"), "e2e");
  EXPECT_THROW(store::export_runs(study.paths.db(), "xml", js), Error);

  StudyStatus status = study_status(dir + "/out");
  EXPECT_EQ(status.counts.succeeded, 40);
  EXPECT_EQ(status.tasks_done, status.tasks);
  EXPECT_NE(format_status(status).find("40/40 done"), std::string::npos);
}

TEST(Runner, FailureTimeoutAndDivergenceGetTheirStatusAndTheStudyGoesOn) {
  std::string dir = study_folder("statuses", R"T(
name = "statuses"
repetitions = 1
cooldown = 0
meter = "estimate"
run_timeout_s = 1
order = "grouped"
[[models]]
name = "m"
command = "./model.sh {lr} {mode}"
metric_regex = "accuracy: ([-+0-9.e]+|nan)"
operators = [{hyperparameter = "mode", rule = "batch_size", values = [1, 2, 3]}]
hyperparameters = {lr = 0.25, mode = 0}
)T");
  StudyRunOptions o;
  o.study_file = dir + "/study.toml";
  o.out_dir = dir + "/out";
  double t0 = monotonic_seconds();
  ASSERT_EQ(run_quietly(o), 0);
  EXPECT_LT(monotonic_seconds() - t0, 20);  // the hanging run was stopped at its timeout
  auto runs = store::load_run_records(dir + "/out/study.db");
  ASSERT_EQ(runs.size(), 4u);
  std::map<double, RunRecord> by_mode;
  for (const auto& r : runs) by_mode[r.hp.at("mode")] = r;
  EXPECT_EQ(by_mode[0].status, RunStatus::succeeded);
  EXPECT_EQ(*by_mode[0].performance, 0.25);
  EXPECT_EQ(by_mode[1].status, RunStatus::failed);
  EXPECT_NE(by_mode[1].extra.at("status_reason").find("exit code 3: boom: simulated crash"), std::string::npos)
      << by_mode[1].extra.at("status_reason");
  EXPECT_EQ(by_mode[1].extra.at("exit_code"), "3");
  EXPECT_FALSE(by_mode[1].performance.has_value());
  EXPECT_EQ(by_mode[2].status, RunStatus::timeout);
  EXPECT_NE(by_mode[2].extra.at("status_reason").find("timed out after"), std::string::npos);
  EXPECT_LT(*by_mode[2].duration_s, 10);
  EXPECT_EQ(by_mode[3].status, RunStatus::diverged);
  EXPECT_EQ(by_mode[3].extra.at("status_reason"), "performance is nan");
  // Failed runs still carry their energy: the energy was spent.
  EXPECT_TRUE(by_mode[1].reading(EnergyDomain::cpu_package).joules.has_value());
  EXPECT_TRUE(by_mode[2].reading(EnergyDomain::cpu_package).joules.has_value());
}

TEST(Runner, SymmetricJobsRunTogether) {
  std::string dir = study_folder("symmetric", one_model_study(R"T(
repetitions = 2
cooldown = 0
meter = "estimate"
scenarios = [{kind = "symmetric", jobs = 2}]
)T", "0.5", "./model.sh {lr} 0 0.3"));
  StudyRunOptions o;
  o.study_file = dir + "/study.toml";
  o.out_dir = dir + "/out";
  ASSERT_EQ(run_quietly(o), 0);
  auto runs = store::load_run_records(dir + "/out/study.db");
  ASSERT_EQ(runs.size(), 4u);
  std::map<std::string, std::vector<RunRecord>> by_task;
  for (const auto& r : runs) by_task[r.extra.at("task_id")].push_back(r);
  ASSERT_EQ(by_task.size(), 2u);
  for (const auto& [t, rs] : by_task) {
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs[0].hp, rs[1].hp);
    EXPECT_NE(rs[0].repetition, rs[1].repetition);
    EXPECT_EQ(rs[0].scenario, Scenario::parallel);
    EXPECT_EQ(rs[0].corunner, "symmetric:2");
    EXPECT_EQ(rs[0].extra.at("symmetric_jobs"), "2");
    // They ran at the same time: each started before the other finished.
    EXPECT_LT(rs[0].extra.at("started_at"), rs[1].extra.at("finished_at"));
    EXPECT_LT(rs[1].extra.at("started_at"), rs[0].extra.at("finished_at"));
    EXPECT_EQ(rs[0].status, RunStatus::succeeded);
    EXPECT_EQ(rs[1].status, RunStatus::succeeded);
  }
}

TEST(Runner, ParseOutcomeJsonLinesAndDivergedRegex) {
  ModelDefinition m;
  m.name = "j";
  m.command = "x";
  m.result = "json-lines";
  m.metric_key = "acc";
  m.metric = "acc";
  SubprocessResult ok;
  ok.exit_code = 0;
  auto p = parse_outcome(m, {}, ok, "progress\n{\"acc\": 0.5}\n{\"acc\": 0.75, \"epoch\": 2}\n", "", 0);
  EXPECT_EQ(p.status, RunStatus::succeeded);
  EXPECT_EQ(*p.performance, 0.75);
  p = parse_outcome(m, {}, ok, "{\"status\": \"diverged\", \"reason\": \"loss is inf\"}\n", "", 0);
  EXPECT_EQ(p.status, RunStatus::diverged);
  EXPECT_EQ(p.reason, "loss is inf");
  p = parse_outcome(m, {}, ok, "{\"acc\": null}\n", "", 0);
  EXPECT_EQ(p.status, RunStatus::diverged);
  p = parse_outcome(m, {}, ok, "no json\n", "", 0);
  EXPECT_EQ(p.status, RunStatus::failed);
  EXPECT_EQ(p.reason, "no JSON line with 'acc' on stdout");
  SubprocessResult bad;
  bad.exit_code = 1;
  p = parse_outcome(m, {}, bad, "{\"acc\": 0.5}\n", "warning\nTraceback: error here\n", 0);
  EXPECT_EQ(p.status, RunStatus::failed);  // exit code first: a metric does not make a crash a success
  EXPECT_EQ(p.reason, "exit code 1: Traceback: error here");
  m.result = "regex";
  m.metric_regex = "acc=([0-9.]+)";
  m.diverged_regex = "loss (nan|inf)";
  p = parse_outcome(m, {}, ok, "loss nan\nacc=0.1\n", "", 0);
  EXPECT_EQ(p.status, RunStatus::diverged);
  p = parse_outcome(m, {}, ok, "loss 0.3\nacc=0.1\nacc=0.2\n", "", 0);
  EXPECT_EQ(p.status, RunStatus::succeeded);
  EXPECT_EQ(*p.performance, 0.2);
  SubprocessResult to;
  to.timed_out = true;
  to.wall_s = 5;
  p = parse_outcome(m, {}, to, "acc=0.9\n", "", 5);
  EXPECT_EQ(p.status, RunStatus::timeout);
}

TEST(Runner, BuiltInModelCommandLineCarriesExactValues) {
  ModelDefinition m;
  m.name = "mnist_cnn";
  m.builtin = "mnist_cnn";
  HyperparameterSpec e;
  e.name = "epochs";
  e.type = HpType::integer;
  HyperparameterSpec lr;
  lr.name = "lr";
  m.hyperparameters = {e, lr};
  ExecuteOptions eo;
  eo.greentune_bin = "/x/greentune";
  auto so = child_options(m, {{"epochs", 3}, {"lr", 0.1 + 0.2}}, eo);
  std::vector<std::string> want = {"/x/greentune", "train", "--model", "mnist_cnn", "--set", "epochs=3",
                                   "--set", "lr=0.30000000000000004", "--device", "cpu", "--json"};
  EXPECT_EQ(so.argv, want);
  EXPECT_EQ(so.env.at("GREENTUNE_HP_LR"), "0.30000000000000004");
  // A training beside others gets its share of the CPUs as libtorch threads.
  auto shared = child_options(m, {{"epochs", 3}}, eo, 1);
  std::vector<std::string> want_shared = {"/x/greentune", "train", "--model", "mnist_cnn", "--threads", "1",
                                          "--set", "epochs=3", "--device", "cpu", "--json"};
  EXPECT_EQ(shared.argv, want_shared);
  ModelDefinition x;
  x.command = "run --lr {lr} {{literal}} {epochs}";
  x.hyperparameters = {e, lr};
  EXPECT_EQ(expand_command(x, {{"epochs", 3}, {"lr", 1e-05}}), "run --lr 1e-05 {literal} 3");
  auto external = child_options(x, {{"epochs", 3}, {"lr", 1e-05}}, eo, 1);  // its own threads
  EXPECT_EQ(external.argv, (std::vector<std::string>{"/bin/sh", "-c", "run --lr 1e-05 {literal} 3"}));
}

TEST(Runner, KilledRunnerResumesWithoutLosingOrDuplicatingRuns) {
  std::string dir = study_folder("resume", one_model_study(R"T(
name = "resume"
repetitions = 2
cooldown = 0
meter = "estimate"
order = "grouped"
)T", "0.5, 0.75, 1.5", "./model.sh {lr} 0 0.4"));
  std::string out = dir + "/out";
  auto first = greentune::testing::start_study(dir, out);
  // Wait until two runs are stored and a third is in flight, then SIGKILL the runner.
  const bool mid_run = greentune::testing::wait_for_counts(
      out, [](const store::StatusCounts& c) { return c.succeeded >= 2 && c.running == 1; }, 600, 50);
  ASSERT_TRUE(mid_run) << read_file(dir + "/first.err");
  ::kill(first->pid(), SIGKILL);
  SubprocessResult r1 = first->wait();
  EXPECT_EQ(r1.term_signal, SIGKILL);
  long long running_id = 0;
  {
    store::StudyStore st = store::StudyStore::open(out + "/study.db");
    for (const auto& r : st.runs())
      if (r.status == RunStatus::running) running_id = r.id;
    EXPECT_GT(running_id, 0);
    EXPECT_LT(st.counts().succeeded, 8);
  }
  // Status works on the half-done study.
  EXPECT_EQ(study_status(out).counts.running, 1);
  EXPECT_FALSE(study_status(out).runner.has_value()) << "a SIGKILLed runner's lock goes with it";

  SubprocessOptions so2;
  so2.argv = {GREENTUNE_BIN, "study", "--resume", out + "/study.db", "--progress", "log"};
  so2.timeout_s = 120;
  SubprocessResult r2 = run_subprocess(so2);
  ASSERT_EQ(r2.exit_code, 0) << r2.stderr_text << r2.stdout_text;
  EXPECT_NE(r2.stdout_text.find("1 interrupted run(s) to re-run"), std::string::npos) << r2.stdout_text;

  store::StudyStore st = store::StudyStore::open(out + "/study.db");
  auto rows = st.runs();
  ASSERT_EQ(rows.size(), 8u);  // 4 configurations x 2 repetitions, no more, no less
  std::set<std::pair<long long, long long>> keys;
  for (const auto& r : rows) {
    EXPECT_EQ(r.status, RunStatus::succeeded) << r.id << " " << r.reason;
    keys.insert({r.configuration_id, r.repetition});
    auto energy = st.energy_of(r.id);
    ASSERT_FALSE(energy.empty());
    EXPECT_TRUE(energy.front().joules.has_value());
    EXPECT_TRUE(r.performance.has_value());
    if (r.id == running_id) EXPECT_EQ(r.attempts, 2);
  }
  EXPECT_EQ(keys.size(), 8u);
  {
    auto s = st.db().prepare("SELECT count(*) FROM run_energy WHERE domain='cpu_package'");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_int(0), 8);
  }
  // Resuming a finished study runs nothing and changes nothing.
  SubprocessResult r3 = run_subprocess(so2);
  EXPECT_EQ(r3.exit_code, 0) << r3.stderr_text;
  EXPECT_EQ(st.runs().size(), 8u);
}

TEST(Runner, UntilIdleCooldownMeasuresABaselineAndFinishes) {
  std::string dir = study_folder("idle", one_model_study(R"T(
repetitions = 2
meter = "estimate"
[cooldown]
mode = "until-idle"
baseline_s = 0.5
max_s = 3
)T"));
  StudyRunOptions o;
  o.study_file = dir + "/study.toml";
  o.out_dir = dir + "/out";
  double t0 = monotonic_seconds();
  ASSERT_EQ(run_quietly(o), 0);
  EXPECT_LT(monotonic_seconds() - t0, 3 * 3 + 10);  // never more than max_s per cool-down
  store::StudyStore st = store::StudyStore::open(dir + "/out/study.db");
  ASSERT_TRUE(st.meta("idle_baseline_w").has_value());
  EXPECT_GT(std::stod(*st.meta("idle_baseline_w")), 0);
  EXPECT_EQ(st.counts().succeeded, 4);
}
