// tune runs its tasks through the same execution core as a study (exec/session.hpp): a nearly
// full disk stops it as cleanly as a study (tests/exec/faults_test.cpp DiskFull), and --meter /
// --cooldown are recorded and applied as a study's are; an unknown meter is refused by both.
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "greentune/core/files.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/store/study_store.hpp"

namespace greentune::tune {
namespace {

namespace fs = std::filesystem;

SubprocessResult cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) {
  SubprocessOptions o;
  o.argv = {GREENTUNE_BIN};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = env;
  o.timeout_s = 120;
  return run_subprocess(o);
}

std::string temp_dir(const std::string& tag) {
  std::string t = (fs::temp_directory_path() / ("greentune-" + tag + "-XXXXXX")).string();
  std::vector<char> buf(t.begin(), t.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  return buf.data();
}

struct TempDir {
  std::string path;
  explicit TempDir(const std::string& tag) : path(temp_dir(tag)) {}
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// A fake RAPL counter and a tune file over bench/tune/landscapes.py; `command` runs first (each
// run), when given.
std::map<std::string, std::string> landscape(const std::string& dir, const std::string& file, int budget,
                                             const std::string& before = "") {
  std::string z = dir + "/powercap/intel-rapl:0";
  make_directories(z);
  std::ofstream(z + "/name") << "package-0\n";
  std::ofstream(z + "/energy_uj") << std::string(19, ' ') << "0\n";
  std::ofstream(z + "/max_energy_range_uj") << "4611686018427387904\n";
  std::string command = "/usr/bin/python3 -S " + std::string(GREENTUNE_SOURCE_DIR) +
                        "/bench/tune/landscapes.py interact {epochs} {lr} {wd}";
  if (!before.empty()) command = "sh " + before + " && " + command;
  std::ofstream(file) << "name = \"t\"\nmeter = \"rapl\"\ncooldown = 0\ngovernor = \"keep\"\n[tune]\n"
                         "objective = \"cpu_package\"\nmargin = 0.01\nbudget_runs = "
                      << budget
                      << "\nbatch = 4\nseed = 5\nconfirm_min = 2\n[[models]]\nname = \"interact\"\ncommand = \""
                      << command
                      << "\"\nresult = \"json-lines\"\nmetric_key = \"performance\"\noperators = [\"epochs\", \"lr\", "
                         "{hyperparameter = \"wd\", rule = \"weight_decay\"}]\n[models.hyperparameters]\nepochs = 20\n"
                         "lr = 0.01\nwd = 0.0001\n";
  return {{"GREENTUNE_POWERCAP_ROOT", dir + "/powercap"}, {"LANDSCAPE_SEED", "3"}};
}

TEST(TuneCore, NearlyFullDiskStopsWithOneErrorKeepsFinishedRunsAndResumes) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs (CI runs as root)";
  TempDir tmp("tune-disk-full");
  const std::string dir = tmp.path, mnt = dir + "/mnt";
  make_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=16m") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};
  // Run 3 fills the file system (as another program's output would) before it trains.
  std::ofstream(dir + "/fill.sh") << "if [ \"$GREENTUNE_RUN_ID\" = 3 ] && [ ! -e \"" << dir << "/filled\" ]; then\n"
                                  << "  touch \"" << dir << "/filled\"; cat /dev/zero > \"" << mnt
                                  << "/filler\" 2>/dev/null\nfi\ntrue\n";
  auto env = landscape(dir, dir + "/tune.toml", 10, dir + "/fill.sh");
  const std::string out = mnt + "/run";
  SubprocessResult first = cli({"tune", dir + "/tune.toml", "-o", out, "-q"}, env);
  EXPECT_EQ(first.exit_code, 4) << first.stdout_text << first.stderr_text;
  EXPECT_EQ(std::count(first.stderr_text.begin(), first.stderr_text.end(), '\n'), 1) << first.stderr_text;
  EXPECT_NE(first.stderr_text.find("no space left"), std::string::npos) << first.stderr_text;
  EXPECT_NE(first.stderr_text.find("greentune tune --resume " + out), std::string::npos) << first.stderr_text;
  {
    store::StudyStore st = store::StudyStore::open(out + "/study.db");
    auto c = st.counts();
    EXPECT_EQ(c.succeeded, 2) << "the runs finished before the disk filled are kept";
    EXPECT_EQ(c.failed, 0) << "a run cut short by the full disk was stored as failed";
  }
  fs::remove(mnt + "/filler");
  SubprocessResult again = cli({"tune", "--resume", out, "-q"}, env);
  ASSERT_EQ(again.exit_code, 0) << again.stderr_text;
  store::StudyStore st = store::StudyStore::open(out + "/study.db");
  EXPECT_EQ(st.counts().succeeded, 10);
  for (const auto& r : st.runs()) EXPECT_EQ(r.attempts, r.id == 3 ? 2 : 1) << "run " << r.id;
}

// The meter and cool-down overrides of `tune` as `study` records them: the same meta entry, the
// same meter in the environment and in every run's energy source, kept by --resume.
TEST(TuneCore, MeterOverrideIsRecordedLikeAStudys) {
  TempDir tmp("tune-meter");
  const std::string dir = tmp.path;
  auto env = landscape(dir, dir + "/tune.toml", 10);
  // A study of the same model (one mutant, one repetition).
  std::ofstream(dir + "/study.toml")
      << "name = \"s\"\nmeter = \"rapl\"\ncooldown = 0\ngovernor = \"keep\"\nrepetitions = 1\n[[scenarios]]\n"
         "kind = \"single\"\n[[models]]\nname = \"interact\"\ncommand = \"/usr/bin/python3 -S "
      << GREENTUNE_SOURCE_DIR
      << "/bench/tune/landscapes.py interact {epochs} {lr} {wd}\"\nresult = \"json-lines\"\nmetric_key = "
         "\"performance\"\noperators = [{hyperparameter = \"epochs\", values = [16]}]\n[models.hyperparameters]\n"
         "epochs = 20\nlr = 0.01\nwd = 0.0001\n";
  auto s = cli({"study", dir + "/study.toml", "-o", dir + "/s", "--meter", "estimate", "--cooldown", "0",
                "--progress", "none"},
               env);
  ASSERT_EQ(s.exit_code, 0) << s.stderr_text;
  auto t = cli({"tune", dir + "/tune.toml", "-o", dir + "/t", "--meter", "estimate", "--cooldown", "0", "-q"}, env);
  ASSERT_EQ(t.exit_code, 0) << t.stderr_text;

  auto facts = [](const std::string& db) {
    store::StudyStore st = store::StudyStore::open(db);
    std::string meters;
    for (const auto& [node, kv] : st.environments()) meters = kv.count("meters") ? kv.at("meters") : "?";
    std::set<std::string> sources;
    for (const auto& r : st.runs())
      for (const auto& e : st.energy_of(r.id))
        if (e.joules) sources.insert(std::string(to_string(e.source)));
    return std::make_tuple(st.meta("overrides").value_or("(none)"), meters, sources);
  };
  auto [s_overrides, s_meters, s_sources] = facts(dir + "/s/study.db");
  auto [t_overrides, t_meters, t_sources] = facts(dir + "/t/study.db");
  EXPECT_EQ(s_overrides, R"({"cooldown_s":0.0,"meter":"estimate"})");
  EXPECT_EQ(t_overrides, s_overrides);
  EXPECT_EQ(t_meters, s_meters);
  EXPECT_NE(t_meters.find("estimate"), std::string::npos) << t_meters;
  EXPECT_EQ(t_sources, s_sources);
  EXPECT_EQ(t_sources.count("rapl"), 0u) << "a run measured with the file's meter, not --meter's";

  // --resume keeps it: the runs added later are measured with the recorded meter too.
  auto more = cli({"tune", "--resume", dir + "/t", "-q"}, env);
  ASSERT_EQ(more.exit_code, 0) << more.stderr_text;
  EXPECT_EQ(std::get<0>(facts(dir + "/t/study.db")), s_overrides);
}

// run-task spells the cool-down --cooldown like study and tune; --cooldown-s (the spelling of
// earlier versions, in batch scripts they wrote) is still accepted, and not shown.
TEST(TuneCore, RunTaskTakesCooldownAndItsOldSpelling) {
  TempDir tmp("run-task-cooldown");
  const std::string dir = tmp.path;
  auto env = landscape(dir, dir + "/tune.toml", 10);
  std::ofstream(dir + "/study.toml")
      << "name = \"s\"\nmeter = \"rapl\"\ncooldown = 30\ngovernor = \"keep\"\nrepetitions = 1\n[[scenarios]]\n"
         "kind = \"single\"\n[[models]]\nname = \"interact\"\ncommand = \"/usr/bin/python3 -S "
      << GREENTUNE_SOURCE_DIR
      << "/bench/tune/landscapes.py interact {epochs} {lr} {wd}\"\nresult = \"json-lines\"\nmetric_key = "
         "\"performance\"\noperators = [{hyperparameter = \"epochs\", values = [16]}]\n[models.hyperparameters]\n"
         "epochs = 20\nlr = 0.01\nwd = 0.0001\n";
  auto s = cli({"study", dir + "/study.toml", "-o", dir + "/s", "--cooldown", "0", "--progress", "none"}, env);
  ASSERT_EQ(s.exit_code, 0) << s.stderr_text;
  for (const char* flag : {"--cooldown", "--cooldown-s"}) {
    auto r = cli({"run-task", "--study-dir", dir + "/s", "--task", "1", "--force", flag, "0"}, env);
    EXPECT_EQ(r.exit_code, 0) << flag << ": " << r.stdout_text << r.stderr_text;
    EXPECT_LT(r.wall_s, 20) << flag << " 0 did not replace the study's 30 s cool-down";
  }
  auto help = cli({"run-task", "--help"});
  EXPECT_NE(help.stdout_text.find("--cooldown"), std::string::npos) << help.stdout_text;
  EXPECT_EQ(help.stdout_text.find("--cooldown-s"), std::string::npos) << help.stdout_text;
}

TEST(TuneCore, UnknownMeterIsRefusedBeforeAnythingRuns) {
  TempDir tmp("tune-bad-meter");
  const std::string dir = tmp.path;
  auto env = landscape(dir, dir + "/tune.toml", 10);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"tune", dir + "/tune.toml", "-o", dir + "/t", "--meter", "rapl,bogus"},
        std::vector<std::string>{"study", "-o", dir + "/s", "--meter", "bogus"}}) {
    auto r = cli(args, env);
    EXPECT_EQ(r.exit_code, 2) << r.stdout_text << r.stderr_text;
    EXPECT_EQ(std::count(r.stderr_text.begin(), r.stderr_text.end(), '\n'), 1) << r.stderr_text;
    EXPECT_NE(r.stderr_text.find("--meter bogus: unknown meter (known: auto, none, rapl, perf, nvml, estimate)"), std::string::npos) << r.stderr_text;
  }
  EXPECT_FALSE(fs::exists(dir + "/s/study.db"));
}

}  // namespace
}  // namespace greentune::tune
