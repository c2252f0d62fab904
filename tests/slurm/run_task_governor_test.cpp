// `greentune run-task` (what each Slurm array element runs on its node) sets the CPU governor
// as a local study does: performance while the task runs when the study asks for it and the
// node lets us, the previous governors put back afterwards, and what happened recorded in the
// task's environment (and so in the database after collect). Checked against a fake cpufreq
// tree (GREENTUNE_CPUFREQ_ROOT); the toy model writes the governor it sees into its ledger.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "greentune/core/files.hpp"
#include "greentune/slurm/study.hpp"
#include "greentune/store/study_store.hpp"
#include "toy_study.hpp"

namespace fs = std::filesystem;
using namespace greentune;
using namespace greentune::toy;

namespace {

struct FakeCpufreq {
  fs::path root;
  explicit FakeCpufreq(const fs::path& where) : root(where) {
    for (int cpu = 0; cpu < 2; ++cpu) {
      fs::create_directories(root / ("cpu" + std::to_string(cpu)) / "cpufreq");
      std::ofstream(file(cpu)) << (cpu == 0 ? "powersave\n" : "schedutil\n");
    }
  }
  fs::path file(int cpu) const { return root / ("cpu" + std::to_string(cpu)) / "cpufreq" / "scaling_governor"; }
  std::string governor(int cpu) const {
    std::string s = slurp(file(cpu));
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
};

// run id -> the governor the toy model saw while it ran ("governor <run id> <name>" lines)
std::map<long long, std::string> governors_seen(const fs::path& ledger) {
  std::map<long long, std::string> seen;
  std::istringstream in(slurp(ledger));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string w, g;
    long long id = 0;
    if (ls >> w >> id >> g && w == "governor") seen[id] = g;
  }
  return seen;
}

}  // namespace

TEST(SlurmRunTask, SetsThePerformanceGovernorRestoresItAndRecordsIt) {
  fs::path work = fs::temp_directory_path() / ("gt-runtask-governor-" + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::path toml = write_toy_study(work, 0);
  ASSERT_TRUE(edit_file(toml, "governor = \"keep\"", "governor = \"performance\""));
  fs::path dir = work / "study";
  study::create_study_directory(study::load_study_file(toml.string()), dir.string());
  FakeCpufreq cpufreq(work / "cpufreq");
  std::map<std::string, std::string> env = {{"GREENTUNE_CPUFREQ_ROOT", cpufreq.root.string()}};

  // Task 7: a symmetric pair, two runs side by side.
  auto r = greentune_cli({"run-task", "--study-dir", dir.string(), "--task", "7", "--no-cooldown"}, 60, env);
  ASSERT_TRUE(r.ok()) << r.stdout_text << r.stderr_text;
  const std::string expected = "performance (set by greentune; was powersave)";
  EXPECT_NE(r.stdout_text.find("cpu governor: " + expected), std::string::npos) << r.stdout_text;

  // Both runs trained under performance; afterwards every CPU has its own governor back.
  auto seen = governors_seen(work / "ledger.txt");
  ASSERT_EQ(seen.size(), 2u) << slurp(work / "ledger.txt");
  for (const auto& [id, g] : seen) EXPECT_EQ(g, "performance") << "run " << id;
  EXPECT_EQ(cpufreq.governor(0), "powersave");
  EXPECT_EQ(cpufreq.governor(1), "schedutil");

  // Recorded in the result, and in the node's environment once collected.
  auto res = study::read_task_result((dir / "results" / "task-7.json").string());
  EXPECT_EQ(res.environment.at("governor"), expected);
  exec::collect_results(dir.string());
  EXPECT_EQ(store::StudyStore::open((dir / "study.db").string()).environments().at(greentune::hostname()).at("governor"),
            expected);

  if (!HasFailure()) fs::remove_all(work);
}

TEST(SlurmRunTask, KeepLeavesTheGovernorAloneAndRecordsIt) {
  fs::path work = fs::temp_directory_path() / ("gt-runtask-governor-keep-" + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::path toml = write_toy_study(work, 0);  // governor = "keep"
  fs::path dir = work / "study";
  study::create_study_directory(study::load_study_file(toml.string()), dir.string());
  FakeCpufreq cpufreq(work / "cpufreq");

  auto r = greentune_cli({"run-task", "--study-dir", dir.string(), "--task", "1", "--no-cooldown"}, 60,
                         {{"GREENTUNE_CPUFREQ_ROOT", cpufreq.root.string()}});
  ASSERT_TRUE(r.ok()) << r.stdout_text << r.stderr_text;
  auto seen = governors_seen(work / "ledger.txt");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen.begin()->second, "powersave");
  EXPECT_EQ(cpufreq.governor(0), "powersave");
  auto res = study::read_task_result((dir / "results" / "task-1.json").string());
  EXPECT_EQ(res.environment.at("governor"), "powersave (left as it was)");
  if (!HasFailure()) fs::remove_all(work);
}
