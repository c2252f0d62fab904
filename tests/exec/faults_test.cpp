// Faults that lose or taint measurements: flag overrides, CPU time missed at a run's end, a
// bad result file at resume, a full disk.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/exec/local_executor.hpp"
#include "greentune/slurm/run_task.hpp"
#include "greentune/exec/status.hpp"
#include "greentune/store/run_records.hpp"
#include "greentune/store/study_store.hpp"
#include "test_util.hpp"

using namespace greentune;
using namespace greentune::exec;
using greentune::testing::make_temp_dir;
using greentune::testing::one_model_study;
using greentune::testing::study_folder;
using greentune::testing::write_text;

namespace {

SubprocessResult greentune_cli(const std::vector<std::string>& args) {
  return greentune::testing::run_greentune(args, {}, 120);
}

// The study's file ends in a sub-table: a key appended to the text would land in it.
const char* kEndsInSubTable = R"T(name = "overrides"
repetitions = 1
cooldown = 30
meter = "none"
governor = "keep"
[[models]]
name = "m"
command = "./model.sh {lr} 0 0.01"
metric_regex = "accuracy: ([-+0-9.e]+)"
operators = [{hyperparameter = "lr", values = [0.5]}]
[models.hyperparameters]
lr = 0.25
)T";

}  // namespace

TEST(Overrides, StudyFlagsApplyToTheDefinitionNotItsTextAndAreRecorded) {
  std::string dir = study_folder("overrides", kEndsInSubTable);
  double t0 = monotonic_seconds();
  SubprocessResult r = greentune_cli({"study", dir + "/study.toml", "-o", dir + "/out", "--cooldown", "0", "--meter",
                                      "estimate", "--progress", "none"});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_LT(monotonic_seconds() - t0, 25) << "the file's 30 s cool-down stayed in force";
  EXPECT_EQ(read_file(dir + "/out/study.toml"), kEndsInSubTable) << "the study text was edited";
  store::StudyStore st = store::StudyStore::open(dir + "/out/study.db");
  for (const auto& c : st.configurations()) EXPECT_EQ(c.hp.count("cooldown"), 0u) << "cooldown became a hyperparameter";
  auto rec = nlohmann::json::parse(st.meta("overrides").value_or("{}"));
  EXPECT_EQ(rec.value("cooldown_s", -1.0), 0.0);
  EXPECT_EQ(rec.value("meter", std::string()), "estimate");
  // --meter applied: the study says none, the runs were metered by the estimate.
  for (const auto& run : store::load_run_records(dir + "/out/study.db")) {
    EXPECT_EQ(run.status, RunStatus::succeeded);
    ASSERT_TRUE(run.reading(EnergyDomain::cpu_package).joules.has_value());
    EXPECT_EQ(run.reading(EnergyDomain::cpu_package).source, EnergySource::estimated);
  }
  EXPECT_NE(format_status(study_status(dir + "/out")).find("overrides: --meter estimate --cooldown 0"), std::string::npos);
  // A negative cool-down given through the library is refused.
  StudyRunOptions bad;
  bad.study_file = dir + "/study.toml";
  bad.out_dir = dir + "/bad";
  bad.cooldown_s = -1;
  std::ostringstream sink;
  bad.out = bad.err = &sink;
  EXPECT_THROW(run_study(bad), Error);
}

TEST(Overrides, ResumeKeepsTheRecordedOverridesAndRunTaskAppliesItsFlags) {
  std::string dir = study_folder("overrides-task", kEndsInSubTable);
  // A study directory whose tasks have not run (a dry Slurm submission would leave the same).
  StudyDefinition def = study::load_study_file(dir + "/study.toml");
  study::create_study_directory(def, dir + "/out");
  // run-task --cooldown-s 0 --meter estimate: no 30 s wait before the task, estimated energy.
  slurm::RunTaskOptions o;
  o.study_dir = dir + "/out";
  o.task_id = 1;
  o.cooldown_s = 0;
  o.meter_override = "estimate";
  std::ostringstream log;
  double t0 = monotonic_seconds();
  ASSERT_EQ(slurm::run_task(o, log), 0) << log.str();
  EXPECT_LT(monotonic_seconds() - t0, 25) << log.str();
  auto result = study::read_task_result(dir + "/out/results/task-1.json");
  ASSERT_EQ(result.runs.size(), 1u);
  ASSERT_FALSE(result.runs[0].energy.empty());
  EXPECT_EQ(result.runs[0].energy[0].source, EnergySource::estimated);
  o.task_id = 2;
  o.cooldown_s = -1;
  EXPECT_THROW(slurm::run_task(o, log), Error);

  // study --resume --cooldown 0 --meter estimate records both; a later plain --resume keeps them.
  StudyRunOptions ro;
  ro.resume = dir + "/out";
  ro.cooldown_s = 0;
  ro.meter_override = "estimate";
  std::ostringstream out, err;
  ro.out = &out;
  ro.err = &err;
  ro.progress = "none";
  t0 = monotonic_seconds();
  ASSERT_EQ(run_study(ro), 0) << err.str();
  EXPECT_LT(monotonic_seconds() - t0, 25);
  StudyRunOptions plain;
  plain.resume = dir + "/out";
  plain.out = &out;
  plain.err = &err;
  ASSERT_EQ(run_study(plain), 0) << err.str();
  store::StudyStore st = store::StudyStore::open(dir + "/out/study.db");
  auto rec = nlohmann::json::parse(st.meta("overrides").value_or("{}"));
  EXPECT_EQ(rec.value("cooldown_s", -1.0), 0.0);
  EXPECT_EQ(rec.value("meter", std::string()), "estimate");
  EXPECT_EQ(st.counts().succeeded, 2);
}

TEST(Attribution, ARunsLastCpuTimeIsReadBeforeItIsReaped) {
  // A short busy run, metered with a slow sampler (1 s): its CPU time is only seen if the
  // runner reads the tree after the child exits and before reaping it.
  std::string dir = make_temp_dir("attribution");
  write_text(dir + "/busy.sh", R"SH(#!/bin/sh
i=0
while [ $i -lt 150000 ]; do i=$((i+1)); done
times
echo "accuracy: 1"
)SH", true);
  write_text(dir + "/study.toml", one_model_study(R"T(
repetitions = 2
cooldown = 0
meter = "estimate"
meter_interval_ms = 1000
governor = "keep"
)T", "0.5", "./busy.sh {lr}"));
  StudyRunOptions o;
  o.study_file = dir + "/study.toml";
  o.out_dir = dir + "/out";
  std::ostringstream out, err;
  o.out = &out;
  o.err = &err;
  o.progress = "none";
  ASSERT_EQ(run_study(o), 0) << err.str();
  std::regex times_re(R"((\d+)m([0-9.]+)s (\d+)m([0-9.]+)s)");
  for (const auto& r : store::load_run_records(dir + "/out/study.db")) {
    ASSERT_EQ(r.status, RunStatus::succeeded);
    // The shell's own user + system time, as `times` printed it (first line: the shell).
    std::string log = read_file(r.extra.at("stdout_log"));
    std::smatch m;
    ASSERT_TRUE(std::regex_search(log, m, times_re)) << log;
    double own = std::stod(m[1]) * 60 + std::stod(m[2]) + std::stod(m[3]) * 60 + std::stod(m[4]);
    ASSERT_GT(own, 0.05) << "the busy loop was too short to tell";
    double cpu_s = std::stod(r.extra.at("cpu_s"));
    EXPECT_GE(cpu_s, 0.9 * own - 0.02) << "run " << r.extra.at("run_id") << ": CPU time lost from attribution";
    EXPECT_GT(std::stod(r.extra.at("attributed_share")), 0);
  }
}

TEST(ResultFiles, ABadResultFileIsSkippedAtResumeAsCollectSkipsIt) {
  std::string dir = study_folder("bad-result", one_model_study(R"T(
repetitions = 2
cooldown = 0
meter = "estimate"
governor = "keep"
)T"));
  StudyDefinition def = study::load_study_file(dir + "/study.toml");
  study::create_study_directory(def, dir + "/out");
  write_text(dir + "/out/results/task-2.json", "{\"format\": \"greentune-task-result\", \"cut sh");
  StudyRunOptions o;
  o.resume = dir + "/out";
  std::ostringstream out, err;
  o.out = &out;
  o.err = &err;
  o.progress = "none";
  ASSERT_EQ(run_study(o), 0) << err.str();
  EXPECT_NE(err.str().find("result file skipped (its task runs again): " + dir + "/out/results/task-2.json"),
            std::string::npos)
      << err.str();
  store::StudyStore st = store::StudyStore::open(dir + "/out/study.db");
  EXPECT_EQ(st.counts().succeeded, 4);
}

TEST(DiskFull, StopsWithOneErrorKeepsFinishedRunsAndResumes) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs (CI runs as root)";
  std::string dir = make_temp_dir("disk-full");
  std::string mnt = dir + "/mnt";
  make_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=16m") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};
  // Run 3 fills the file system (as another program's output would), and its own stdout,
  // in the study's logs, cannot be written any more.
  write_text(dir + "/model.sh", "#!/bin/sh\n"
                                "if [ \"$GREENTUNE_RUN_ID\" = 3 ] && [ ! -e \"" + dir + "/filled\" ]; then\n"
                                "  touch \"" + dir + "/filled\"; cat /dev/zero > \"" + mnt + "/filler\" 2>/dev/null\n"
                                "fi\n"
                                "echo \"accuracy: $1\"\n",
             true);
  write_text(dir + "/study.toml", one_model_study(R"T(
repetitions = 2
cooldown = 0
meter = "estimate"
governor = "keep"
order = "grouped"
)T", "0.5, 0.75"));
  std::string out = mnt + "/out";
  SubprocessResult first = greentune_cli({"study", dir + "/study.toml", "-o", out, "--progress", "none"});
  EXPECT_EQ(first.exit_code, 4) << first.stdout_text << first.stderr_text;
  EXPECT_EQ(std::count(first.stderr_text.begin(), first.stderr_text.end(), '\n'), 1) << first.stderr_text;
  EXPECT_NE(first.stderr_text.find("no space left"), std::string::npos) << first.stderr_text;
  EXPECT_NE(first.stderr_text.find("greentune study --resume " + out), std::string::npos) << first.stderr_text;
  {
    store::StudyStore st = store::StudyStore::open(out + "/study.db");
    auto c = st.counts();
    EXPECT_EQ(c.succeeded, 2) << "the runs finished before the disk filled are kept";
    EXPECT_EQ(c.failed, 0) << "a run cut short by the full disk was stored as failed";
  }
  std::filesystem::remove(mnt + "/filler");
  SubprocessResult again = greentune_cli({"study", "--resume", out, "--progress", "none"});
  ASSERT_EQ(again.exit_code, 0) << again.stderr_text;
  store::StudyStore st = store::StudyStore::open(out + "/study.db");
  EXPECT_EQ(st.counts().succeeded, 6);
  for (const auto& r : st.runs()) EXPECT_EQ(r.attempts, r.id == 3 ? 2 : 1) << "run " << r.id;
}
