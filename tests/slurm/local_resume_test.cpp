// A local `greentune study --resume DIR` of a study that was submitted to Slurm: refused while
// Slurm still has its tasks queued or running (they would be trained twice), allowed with a
// note when Slurm no longer knows them or cannot be asked, and forced with --ignore-slurm-jobs.
//
// The first tests answer for Slurm with fake squeue/sacct scripts (no cluster, no root); the
// last one holds a real job array in the single-node Slurm of scripts/slurm-cluster.sh.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "greentune/core/error.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/core/files.hpp"
#include "greentune/slurm/study.hpp"
#include "greentune/store/study_store.hpp"
#include "local_cluster.hpp"
#include "toy_study.hpp"

namespace fs = std::filesystem;
using namespace greentune;
using namespace greentune::toy;
using greentune::testing::SlurmClusterTest;

namespace {

constexpr long long kJob = 4242;

// A toy study (9 tasks, 12 runs) whose tasks were "submitted" as job array kJob, plus a
// folder of fake Slurm commands (sacct says accounting is off, as on the test cluster).
struct FakeSlurmStudy {
  fs::path work, dir, bin;
  explicit FakeSlurmStudy(const std::string& name) {
    work = fs::temp_directory_path() / ("gt-local-resume-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(work);
    fs::path toml = write_toy_study(work, 0);
    dir = work / "study";
    study::create_study_directory(study::load_study_file(toml.string()), dir.string());
    slurm::Submission s;
    s.job_id = kJob;
    s.base = 0;
    s.indices = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    s.submitted_at = "2026-01-01T00:00:00Z";
    s.script = (dir / "slurm" / "submit.sh").string();
    fs::create_directories(dir / "slurm");
    slurm::append_submission(dir.string(), s);
    bin = work / "bin";
    fs::create_directories(bin);
    script("sacct", "echo 'sacct: error: Slurm accounting storage is disabled' >&2\nexit 1\n");
  }
  ~FakeSlurmStudy() {
    if (!::testing::Test::HasFailure()) fs::remove_all(work);
  }
  void script(const std::string& name, const std::string& body) {
    fs::path p = bin / name;
    std::ofstream(p) << "#!/bin/sh\n" << body;
    fs::permissions(p, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  }
  // squeue answers with these lines (format %F|%K|%T|%r|%N), whatever it is asked.
  void squeue_prints(const std::string& lines) { script("squeue", "cat <<'EOF'\n" + lines + "EOF\n"); }
  slurm::SlurmOptions options() const {
    slurm::SlurmOptions o;
    o.squeue = (bin / "squeue").string();
    o.sacct = (bin / "sacct").string();
    return o;
  }
  std::map<std::string, std::string> path_env() const {
    const char* path = std::getenv("PATH");
    return {{"PATH", bin.string() + ":" + (path ? path : "/usr/bin:/bin")}};
  }
  store::StatusCounts counts() const { return store::StudyStore::open((dir / "study.db").string()).counts(); }
};

// Tasks 1-7 held in the queue, 8 and 9 running.
std::string queued_and_running() {
  std::string s;
  for (int i = 1; i <= 7; ++i) s += std::to_string(kJob) + "|" + std::to_string(i) + "|PENDING|JobHeldUser|\n";
  for (int i = 8; i <= 9; ++i) s += std::to_string(kJob) + "|" + std::to_string(i) + "|RUNNING|None|node-a\n";
  return s;
}

std::string error_line(const SubprocessResult& r) { return r.stderr_text; }

}  // namespace

TEST(LocalResume, RefusedWhileSlurmListsTasksAsQueuedOrRunning) {
  FakeSlurmStudy f("refused");
  f.squeue_prints(queued_and_running());

  // In process: a usage error naming the tasks, the job, and what to do instead.
  try {
    slurm::check_local_resume(f.dir.string(), false, f.options());
    ADD_FAILURE() << "a local resume was allowed while 9 tasks are in Slurm";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_NE(m.find(f.dir.string() + ": 9 task(s) of this study are still in Slurm (7 pending, 2 running; job 4242)"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("greentune collect " + f.dir.string()), std::string::npos) << m;
    EXPECT_NE(m.find("scancel 4242"), std::string::npos) << m;
    EXPECT_NE(m.find("--ignore-slurm-jobs"), std::string::npos) << m;
  }

  // Through the command line (squeue found on PATH): exit 2, one line, nothing ran.
  auto r = greentune_cli({"study", "--resume", f.dir.string(), "--progress", "none"}, 60, f.path_env());
  EXPECT_EQ(r.exit_code, 2) << r.describe() << "\n" << r.stdout_text << r.stderr_text;
  std::string err = error_line(r);
  EXPECT_EQ(err.rfind("greentune: error: ", 0), 0u) << err;
  EXPECT_EQ(err.find('\n'), err.size() - 1) << "not one line: " << err;
  EXPECT_NE(err.find("(7 pending, 2 running; job 4242)"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(f.work / "ledger.txt")) << "the model ran locally: " << slurp(f.work / "ledger.txt");
  EXPECT_TRUE(study::result_task_ids(exec::StudyPaths{f.dir.string()}).empty());
  EXPECT_EQ(f.counts().pending, 12);

  // The override runs every task here, once, and says what it overrode.
  auto o = greentune_cli({"study", "--resume", f.dir.string(), "--ignore-slurm-jobs", "--cooldown", "0", "--progress",
                          "none"},
                         120, f.path_env());
  ASSERT_TRUE(o.ok()) << o.describe() << "\n" << o.stdout_text << o.stderr_text;
  EXPECT_NE(o.stderr_text.find("greentune: note: --ignore-slurm-jobs: running here 9 task(s) that Slurm still lists "
                               "as pending or running (job 4242); cancel them (scancel 4242)"),
            std::string::npos)
      << o.stderr_text;
  EXPECT_EQ(f.counts().succeeded, 12);
  auto starts = ledger_counts(f.work / "ledger.txt", "start");
  EXPECT_EQ(starts.size(), 12u);
  for (const auto& [id, n] : starts) EXPECT_EQ(n, 1) << "run " << id;

  // The override is for a local resume only.
  auto no_resume = greentune_cli({"study", "--ignore-slurm-jobs", "--dry-run"});
  EXPECT_EQ(no_resume.exit_code, 2) << no_resume.stderr_text;
  EXPECT_NE(no_resume.stderr_text.find("--ignore-slurm-jobs applies only with --resume"), std::string::npos)
      << no_resume.stderr_text;
  auto on_slurm = greentune_cli({"study", "--resume", f.dir.string(), "--executor", "slurm", "--ignore-slurm-jobs"}, 60,
                                f.path_env());
  EXPECT_EQ(on_slurm.exit_code, 2) << on_slurm.stderr_text;
  EXPECT_NE(on_slurm.stderr_text.find("applies only to a local resume"), std::string::npos) << on_slurm.stderr_text;
}

TEST(LocalResume, AllowedWithANoteWhenSlurmNoLongerKnowsTheJobs) {
  FakeSlurmStudy f("gone");
  f.squeue_prints(std::to_string(kJob) + "|1|CANCELLED|None|\n");  // task 1 cancelled, 2-9 forgotten
  auto c = slurm::check_local_resume(f.dir.string(), false, f.options());
  EXPECT_TRUE(c.slurm_study);
  EXPECT_EQ(c.pending + c.running, 0);
  EXPECT_EQ(c.note,
            "9 task(s) of " + f.dir.string() +
                " submitted to Slurm (job 4242) are no longer queued or running there and have no result; "
                "running them here");

  // One task finished on a node: its result file counts as done, and nothing is refused
  // when only the others are gone.
  auto r = greentune_cli({"run-task", "--study-dir", f.dir.string(), "--task", "1", "--no-cooldown"});
  ASSERT_TRUE(r.ok()) << r.stdout_text << r.stderr_text;
  c = slurm::check_local_resume(f.dir.string(), false, f.options());
  EXPECT_NE(c.note.find("8 task(s) of "), std::string::npos) << c.note;
}

TEST(LocalResume, AllowedWithANoteWhenSlurmCannotBeAsked) {
  FakeSlurmStudy f("unreachable");
  // squeue installed but no controller to answer.
  f.script("squeue", "echo 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)' >&2\nexit 1\n");
  auto c = slurm::check_local_resume(f.dir.string(), false, f.options());
  EXPECT_TRUE(c.slurm_study);
  EXPECT_NE(c.note.find("9 task(s) of " + f.dir.string() + " were submitted to Slurm (job 4242) but Slurm could not "
                        "be asked (squeue failed"),
            std::string::npos)
      << c.note;
  EXPECT_NE(c.note.find("Unable to contact slurm controller"), std::string::npos) << c.note;
  EXPECT_NE(c.note.find("check with squeue -j 4242"), std::string::npos) << c.note;

  // No Slurm commands on this machine at all.
  slurm::SlurmOptions none;
  none.squeue = (f.work / "missing" / "squeue").string();
  none.sacct = (f.work / "missing" / "sacct").string();
  c = slurm::check_local_resume(f.dir.string(), false, none);
  EXPECT_NE(c.note.find("could not be asked (cannot run '" + none.squeue), std::string::npos) << c.note;
}

TEST(LocalResume, LocalStudyAsksNobody) {
  FakeSlurmStudy f("local");
  fs::remove(f.dir / "slurm" / "submissions.jsonl");
  // Were Slurm asked, it would list every task as queued.
  f.squeue_prints(queued_and_running());
  auto c = slurm::check_local_resume(f.dir.string(), false, f.options());
  EXPECT_FALSE(c.slurm_study);
  EXPECT_TRUE(c.note.empty()) << c.note;
}

// The real thing: an array held in the queue (sbatch --hold), a local resume refused, the
// override running everything here, then the released elements doing nothing (each task
// already has its result); and an array cancelled before it ran, resumed here with a note.
TEST_F(SlurmClusterTest, LocalResumeIsRefusedWhileTheArrayIsQueued) {
  fs::path work = fs::path(cluster_.dir()) / "work";
  fs::path toml = write_toy_study(work, 0);
  fs::path dir = work / "held";
  // (--no-exclusive: the released elements may share the node, which keeps this test short.)
  auto sub = greentune_cli(
      {"study", toml.string(), "--executor", "slurm", "-o", dir.string(), "--sbatch-arg", "--hold", "--no-exclusive"});
  ASSERT_TRUE(sub.ok()) << sub.describe() << "\n" << sub.stdout_text << sub.stderr_text;
  long long job = slurm::read_submissions(dir.string()).at(0).job_id;
  std::string job_text = std::to_string(job);
  ASSERT_TRUE(wait_for([&] { return slurm::slurm_task_summary(dir.string()).pending == 9; }, 30))
      << slurm::format_slurm_summary(slurm::slurm_task_summary(dir.string()), dir.string());

  auto refused = greentune_cli({"study", "--resume", dir.string(), "--progress", "none"});
  EXPECT_EQ(refused.exit_code, 2) << refused.describe() << "\n" << refused.stdout_text << refused.stderr_text;
  EXPECT_NE(refused.stderr_text.find("greentune: error: " + dir.string() +
                                     ": 9 task(s) of this study are still in Slurm (9 pending, 0 running; job " +
                                     job_text + ")"),
            std::string::npos)
      << refused.stderr_text;
  EXPECT_NE(refused.stderr_text.find("scancel " + job_text), std::string::npos) << refused.stderr_text;
  EXPECT_FALSE(fs::exists(work / "ledger.txt")) << "ran locally: " << slurp(work / "ledger.txt");
  EXPECT_EQ(store::StudyStore::open((dir / "study.db").string()).counts().pending, 12);

  auto forced = greentune_cli({"study", "--resume", dir.string(), "--ignore-slurm-jobs", "--cooldown", "0", "--progress",
                               "none"});
  ASSERT_TRUE(forced.ok()) << forced.describe() << "\n" << forced.stdout_text << forced.stderr_text;
  EXPECT_NE(forced.stderr_text.find("--ignore-slurm-jobs: running here 9 task(s)"), std::string::npos)
      << forced.stderr_text;
  EXPECT_EQ(store::StudyStore::open((dir / "study.db").string()).counts().succeeded, 12);

  // Released now, each element finds its task's result and runs nothing.
  SubprocessOptions release;
  release.argv = {"scontrol", "release", job_text};
  release.timeout_s = 30;
  auto rel = run_subprocess(release);
  ASSERT_TRUE(rel.ok()) << rel.describe() << " " << rel.stderr_text;
  // (Every task has a result now, so the study's summary says done: ask Slurm itself.)
  auto array_finished = [&] {
    slurm::QueryResult q = slurm::SlurmClient({}).query({job});
    if (q.states.empty()) return false;
    for (const auto& [key, state] : q.states)
      if (slurm::is_active(state.state)) return false;
    return true;
  };
  ASSERT_TRUE(wait_for(array_finished, 120)) << "the released array never finished";
  auto starts = ledger_counts(work / "ledger.txt", "start");
  EXPECT_EQ(starts.size(), 12u);
  for (const auto& [id, n] : starts) EXPECT_EQ(n, 1) << "run " << id << " trained " << n << " times";
  int skipped = 0;
  for (const auto& e : fs::directory_iterator(dir / "slurm" / "logs"))
    if (e.path().extension() == ".out" && slurp(e.path()).find("already has a result") != std::string::npos) ++skipped;
  EXPECT_EQ(skipped, 9);

  // Cancelled before any element ran: Slurm no longer runs them, so a local resume goes ahead.
  fs::path gone = work / "cancelled";
  auto sub2 = greentune_cli({"study", toml.string(), "--executor", "slurm", "-o", gone.string(), "--sbatch-arg", "--hold"});
  ASSERT_TRUE(sub2.ok()) << sub2.stdout_text << sub2.stderr_text;
  long long job2 = slurm::read_submissions(gone.string()).at(0).job_id;
  slurm::SlurmClient({}).cancel(job2);
  ASSERT_TRUE(wait_for([&] { return queue_drained(gone.string()); }, 60));
  auto resumed = greentune_cli({"study", "--resume", gone.string(), "--cooldown", "0", "--progress", "none"});
  ASSERT_TRUE(resumed.ok()) << resumed.describe() << "\n" << resumed.stdout_text << resumed.stderr_text;
  EXPECT_NE(resumed.stderr_text.find("greentune: note: 9 task(s) of " + gone.string() + " submitted to Slurm (job " +
                                     std::to_string(job2) + ") are no longer queued or running there"),
            std::string::npos)
      << resumed.stderr_text;
  EXPECT_EQ(store::StudyStore::open((gone / "study.db").string()).counts().succeeded, 12);
}
