// Pruning and warm start in `greentune tune`, end to end on the `curves` landscape
// (bench/tune/landscapes.py: one report per epoch, energy per epoch on a fake RAPL counter).
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/greentune_cli.hpp"
#include "greentune/core/files.hpp"
#include "greentune/store/study_store.hpp"

namespace greentune::tune {
namespace {

using nlohmann::json;

struct CurveTune {
  std::string dir = testing::make_temp_dir("tune-prune");
  std::map<std::string, std::string> env;
  std::string file;
  // epoch_s: wall time per epoch; pruning needs runs longer than the runner's 100 ms looks.
  explicit CurveTune(const std::string& prune_line, int budget = 16, const std::string& epoch_s = "0.05") {
    const std::string z = dir + "/powercap/intel-rapl:0";
    make_directories(z);
    std::ofstream(z + "/name") << "package-0\n";
    std::ofstream(z + "/energy_uj") << std::string(19, ' ') << "0\n";
    std::ofstream(z + "/max_energy_range_uj") << "4611686018427387904\n";
    env = {{"GREENTUNE_POWERCAP_ROOT", dir + "/powercap"}, {"LANDSCAPE_SEED", "1"}, {"LANDSCAPE_EPOCH_S", epoch_s}};
    file = dir + "/tune.toml";
    std::ofstream(file) << "name = \"t\"\nmeter = \"rapl\"\ncooldown = 0\ngovernor = \"keep\"\n[tune]\n"
                           "objective = \"cpu_package\"\nmargin = 0.01\nbudget_runs = "
                        << budget << "\nseed = 1\n" << prune_line
                        << "\n[[models]]\nname = \"curves\"\ncommand = \"/usr/bin/python3 -S " << GREENTUNE_SOURCE_DIR
                        << "/bench/tune/landscapes.py curves {epochs} {lr} {wd}\"\nresult = \"json-lines\"\n"
                           "metric_key = \"performance\"\nmetric = \"performance\"\n"
                           "operators = [\"epochs\", \"lr\", {hyperparameter = \"wd\", rule = \"weight_decay\"}]\n"
                           "[models.hyperparameters]\nepochs = 20\nlr = 0.01\nwd = 0.0001\n";
  }
  SubprocessResult run(std::vector<std::string> extra = {}, const std::string& out = "run") const {
    std::vector<std::string> args = {"tune", file, "-o", dir + "/" + out, "--json", "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::run_greentune(args, env, 600);
  }
};

TEST(TunePrune, HopelessSearchRunsAreStoppedAndRecordedAsPruned) {
  CurveTune t("prune = true");
  auto r = t.run();
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const json j = json::parse(r.stdout_text);
  store::StudyStore st = store::StudyStore::open(t.dir + "/run/study.db");
  long long pruned = 0;
  double pruned_j = 0;
  for (const auto& run : st.runs()) {
    const auto details = st.details_of(run.id);
    ASSERT_TRUE(details.count("progress")) << "run " << run.id << " reported every epoch";
    const json curve = json::parse(details.at("progress"));
    const int planned = static_cast<int>(st.configuration(run.configuration_id).hp.at("epochs"));
    double last_j = 0;
    for (std::size_t i = 0; i < curve.size(); ++i) {
      EXPECT_EQ(curve[i]["epoch"], static_cast<int>(i) + 1);
      EXPECT_GE(curve[i]["energy_j"].get<double>(), last_j);  // energy so far never goes back
      last_j = curve[i]["energy_j"].get<double>();
    }
    if (run.status != RunStatus::pruned) {
      EXPECT_EQ(static_cast<int>(curve.size()), planned) << "run " << run.id;
      continue;
    }
    ++pruned;
    EXPECT_EQ(run.op, "search") << "only search runs are pruned (run " << run.id << ")";
    // The decision's epoch (in the reason) <= the last epoch reported when the stop was sent <=
    // what the run trained before the stop took effect (kept: it was paid for) < planned.
    const int at = std::stoi(details.at("pruned_at_epoch"));
    EXPECT_EQ(details.at("epochs_reported"), std::to_string(curve.size()));
    EXPECT_LE(at, static_cast<int>(curve.size()));
    EXPECT_LT(static_cast<int>(curve.size()), planned);
    ASSERT_EQ(run.reason.rfind("pruned at epoch ", 0), 0u) << run.reason;
    const int decided = std::stoi(run.reason.substr(16));
    EXPECT_LE(decided, at) << run.reason;
    EXPECT_NE(run.reason.find(" of " + std::to_string(planned) + ": "), std::string::npos) << run.reason;
    EXPECT_FALSE(run.performance.has_value());
    EXPECT_TRUE(details.count("pruned_metric_bound") || details.count("pruned_cost_bound"));
    for (const auto& e : st.energy_of(run.id))
      if (e.joules) pruned_j += *e.joules;
  }
  EXPECT_GT(pruned, 0) << "this seed has search runs that cannot reach the feasible region";
  EXPECT_EQ(j["runs"]["pruned"], pruned);
  EXPECT_EQ(j["runs"]["by_status"]["pruned"], pruned);
  EXPECT_NEAR(j["pruned_energy_j"].get<double>(), pruned_j, 1e-9);
  EXPECT_GT(pruned_j, 0);
  EXPECT_LE(pruned_j, j["search_energy_j"].get<double>());

  auto status = testing::run_greentune({"status", t.dir + "/run"}, {}, 60);
  EXPECT_NE(status.stdout_text.find(std::to_string(pruned) + " pruned"), std::string::npos) << status.stdout_text;
}

TEST(TunePrune, PruneFalseStopsNothing) {
  CurveTune t("prune = false", 12, "0.01");
  auto r = t.run();
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const json j = json::parse(r.stdout_text);
  EXPECT_EQ(j["runs"]["pruned"], 0);
  EXPECT_EQ(j["pruned_energy_j"], 0.0);
}

TEST(TunePrune, WarmStartFromAnEarlierTuneAndRefusalsInOneLine) {
  CurveTune t("prune = false", 10, "0.01");
  ASSERT_EQ(t.run({}, "first").exit_code, 0);
  auto r = t.run({"--from", t.dir + "/first"}, "second");
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const json j = json::parse(r.stdout_text);
  store::StudyStore first = store::StudyStore::open(t.dir + "/first/study.db");
  long long usable = 0;
  for (const auto& run : first.runs()) usable += is_final(run.status) && run.status != RunStatus::pruned;
  EXPECT_EQ(j["runs"]["warm_start"], usable);
  EXPECT_NE(r.stderr_text.find("warm start: --from " + t.dir + "/first: "), std::string::npos) << r.stderr_text;

  // Runs of another machine: refused in one line naming the directory, nothing created.
  first.db().exec("UPDATE environment SET value = 'elsewhere' WHERE key = 'hostname'");
  auto bad = t.run({"--from", t.dir + "/first"}, "third");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.stderr_text.find("--from " + t.dir + "/first: run 1 was measured with hostname 'elsewhere'"),
            std::string::npos)
      << bad.stderr_text;
  EXPECT_EQ(std::count(bad.stderr_text.begin(), bad.stderr_text.end(), '\n'), 1) << bad.stderr_text;
  EXPECT_FALSE(std::filesystem::exists(t.dir + "/third"));
  auto missing = t.run({"--from", t.dir + "/none"}, "fourth");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.stderr_text.find("--from " + t.dir + "/none: "), std::string::npos) << missing.stderr_text;
  EXPECT_FALSE(std::filesystem::exists(t.dir + "/fourth"));
}

}  // namespace
}  // namespace greentune::tune
