// run-task executes a task once at a time: refused while the same task runs elsewhere, or
// while a local runner executes the study; Slurm submissions take the study's lock.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "greentune/core/error.hpp"
#include "greentune/slurm/study.hpp"
#include "greentune/exec/study_lock.hpp"
#include "toy_study.hpp"

using namespace greentune;
using namespace greentune::toy;

TEST(SlurmRunTask, RefusedWhileTheTaskRunsElsewhereOrALocalRunnerHoldsTheStudy) {
  fs::path work = fs::temp_directory_path() / ("gt-runtask-lock-" + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::path toml = write_toy_study(work, 0);
  fs::path dir = work / "study";
  study::create_study_directory(study::load_study_file(toml.string()), dir.string());
  study::StudyPaths paths{dir.string()};

  // Task 2 is being executed (a duplicated array element holds its lock).
  {
    FileLock held = exec::lock_task(paths, 2, "greentune run-task --task 2");
    auto r = greentune_cli({"run-task", "--study-dir", dir.string(), "--task", "2", "--no-cooldown"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.stderr_text.find("task 2 of " + dir.string() + " is already running: greentune run-task --task 2 (pid " +
                                 std::to_string(::getpid())),
              std::string::npos)
        << r.stderr_text;
    EXPECT_FALSE(fs::exists(dir / "results" / "task-2.json"));
    EXPECT_FALSE(fs::exists(work / "ledger.txt")) << "the refused task started its runs";
  }
  // A local runner executes the study: run-task refuses; a collect or a submission is
  // refused too.
  {
    FileLock runner = exec::lock_study(dir.string(), "greentune study --resume", exec::kRoleRunner);
    auto r = greentune_cli({"run-task", "--study-dir", dir.string(), "--task", "1", "--no-cooldown"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.stderr_text.find("is being run by greentune study --resume (pid"), std::string::npos) << r.stderr_text;
    EXPECT_THROW(exec::collect_results(dir.string()), Error);
    slurm::SlurmStudyOptions so;
    so.run.resume = dir.string();
    so.slurm.sbatch = "/bin/true";  // never reached: the lock refuses first
    EXPECT_THROW(slurm::submit_study_to_slurm(so), Error);
  }
  // Free again: the task runs, once.
  auto ok = greentune_cli({"run-task", "--study-dir", dir.string(), "--task", "1", "--no-cooldown"});
  ASSERT_TRUE(ok.ok()) << ok.stderr_text;
  EXPECT_TRUE(fs::exists(dir / "results" / "task-1.json"));
  if (!HasFailure()) fs::remove_all(work);
}
