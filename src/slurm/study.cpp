#include "greentune/slurm/study.hpp"

#include <signal.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/core/signal_scope.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/core/text.hpp"
#include "greentune/exec/environment.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/format.hpp"
#include "greentune/exec/overrides.hpp"
#include "greentune/exec/runner.hpp"
#include "greentune/exec/session.hpp"
#include "greentune/exec/study_lock.hpp"

namespace greentune::slurm {

using namespace greentune::exec;
using namespace greentune::study;
namespace fs = std::filesystem;

namespace {

// The file system a folder lives on, when it is certainly local to this machine (nodes other
// than this one cannot see it); empty otherwise (NFS, Lustre, GPFS, BeeGFS, CephFS, ...).
std::string local_file_system(const std::string& dir) {
  struct statfs sf {};
  if (::statfs(dir.c_str(), &sf) != 0) return "";
  switch (static_cast<unsigned long>(sf.f_type)) {
    case 0x01021994UL: return "tmpfs";
    case 0xEF53UL: return "ext4";
    case 0x58465342UL: return "xfs";
    case 0x9123683EUL: return "btrfs";
    case 0x794C7630UL: return "overlayfs";
    default: return "";
  }
}

}  // namespace

// ------------------------------------------------------------------ Slurm options

void save_slurm_options(store::StudyStore& st, const SlurmOptions& o) {
  nlohmann::json j = {{"partition", o.partition},
                      {"sbatch_args", o.sbatch_args},
                      {"exclusive", o.exclusive},
                      {"max_parallel", o.max_parallel}};
  st.set_meta("slurm_options", j.dump());
}

void reuse_slurm_options(store::StudyStore& st, SlurmOptions& o, bool explicit_options) {
  if (explicit_options) return;
  auto text = st.meta("slurm_options");
  if (!text) return;
  try {
    auto j = nlohmann::json::parse(*text);
    o.partition = j.value("partition", std::string());
    o.sbatch_args = j.value("sbatch_args", std::vector<std::string>());
    o.exclusive = j.value("exclusive", true);
    o.max_parallel = j.value("max_parallel", 0);
  } catch (const nlohmann::json::exception&) {
    // an unreadable record only loses the defaults; the options given still apply
  }
}

bool slurm_options_given(const SlurmOptions& o) {
  return !o.partition.empty() || !o.sbatch_args.empty() || !o.exclusive || o.max_parallel > 0;
}

// ------------------------------------------------------------------ submission

SlurmSubmitReport submit_study_to_slurm(const SlurmStudyOptions& options) {
  const StudyRunOptions& ro = options.run;
  SlurmOptions so = options.slurm;
  bool resume = !ro.resume.empty();
  if (resume && !ro.study_file.empty()) throw usage_error("--resume continues a study: give no study file with it");
  if (resume && ro.dry_run) throw usage_error("--dry-run and --resume cannot be combined");
  if (!ro.dry_run && !slurm_available(so))
    throw usage_error("--executor slurm: '" + so.sbatch +
                      "' not found; submit from a machine with the Slurm client commands (a login node)");
  if (so.greentune_bin.empty()) so.greentune_bin = self_executable_path();

  SlurmSubmitReport rep;
  LoadedStudy study;
  FileLock lock;
  const StudyOverrides given{ro.meter_override, ro.cooldown_s};
  if (resume) {
    StudyPaths paths = StudyPaths::from_path(ro.resume);
    lock = lock_study(paths.dir, "greentune study --resume --executor slurm", kRoleSubmit);
    study = load_study_directory(paths);
  } else {
    StudyDefinition def = study_definition_for(ro);
    apply_overrides(def, given);
    std::string dir = ro.out_dir.empty() ? default_study_dir(def) : ro.out_dir;
    if (ro.dry_run) {
      Plan plan = make_plan(def);
      std::ostream& out = ro.out ? *ro.out : std::cout;
      out << describe_plan(def, plan);
      BatchScript bs;
      bs.study_dir = fs::absolute(dir).lexically_normal().string();
      bs.log_dir = bs.study_dir + "/slurm/logs";
      std::vector<long long> ids;
      for (const auto& t : plan.tasks) ids.push_back(t.id);
      auto chunks = split_into_arrays(ids, 1001);
      if (chunks.empty()) return rep;
      bs.chunk = chunks.front();
      bs.options = so;
      if (bs.options.job_name == "greentune") bs.options.job_name = "greentune-" + def.name;
      bs.study_name = def.name;
      out << "\nSlurm: " << plan.tasks.size() << " task(s) in " << chunks.size()
          << " job array(s); the first batch script would be:\n\n"
          << make_batch_script(bs);
      return rep;
    }
    make_directories(dir);
    lock = lock_study(dir, "greentune study --executor slurm", kRoleSubmit);
    study = create_study_directory(def, dir);
  }
  rep.dir = fs::absolute(study.paths.dir).lexically_normal().string();
  store::StudyStore st = store::StudyStore::open(study.paths.db());
  // Overrides: recorded in the database, passed on to every task (nodes read no database).
  for (const auto& a : run_task_arguments(settle_overrides(st, study.definition, given))) so.run_task_args.push_back(a);
  if (!ro.greentune_bin.empty()) so.run_task_args.insert(so.run_task_args.end(), {"--greentune-bin", ro.greentune_bin});

  if (resume) reuse_slurm_options(st, so, slurm_options_given(options.slurm));
  st.set_meta("executor", "slurm");
  save_slurm_options(st, so);

  // What is done: collect first, so results written since the last look count.
  CollectReport collected = merge_results(study.paths, st);
  rep.bad_files = collected.bad_files;
  std::set<long long> done;
  for (const auto& t : study.plan.tasks)
    if (task_done(st, t.id)) done.insert(t.id);
  rep.tasks = static_cast<long long>(study.plan.tasks.size());
  rep.done = static_cast<long long>(done.size());

  // What Slurm still has queued or running is left alone.
  std::vector<Submission> subs = read_submissions(study.paths.dir);
  SlurmClient client(so);
  std::vector<long long> all_ids;
  for (const auto& t : study.plan.tasks) all_ids.push_back(t.id);
  std::vector<long long> to_submit;
  if (subs.empty()) {
    for (long long id : all_ids)
      if (!done.count(id)) to_submit.push_back(id);
  } else {
    std::vector<long long> jobs;
    for (const auto& s : subs) jobs.push_back(s.job_id);
    QueryResult q = client.query(jobs);
    rep.note = q.note;
    std::vector<long long> done_ids(done.begin(), done.end());
    for (const auto& ts : classify_tasks(all_ids, done_ids, subs, q)) {
      if (ts.phase == TaskPhase::pending || ts.phase == TaskPhase::running) ++rep.active;
      else if (ts.phase == TaskPhase::failed || ts.phase == TaskPhase::unsubmitted)
        to_submit.push_back(ts.task_id);
    }
  }
  if (!to_submit.empty()) {
    rep.submissions = submit_tasks(client, study.paths.dir, study.definition.name, to_submit);
    rep.submitted = to_submit;
  }
  return rep;
}

int run_study_on_slurm(const SlurmStudyOptions& options) {
  std::ostream& out = options.run.out ? *options.run.out : std::cout;
  SlurmSubmitReport r = submit_study_to_slurm(options);
  if (options.run.dry_run) return 0;
  const SlurmOptions& so = options.slurm;
  out << "study in " << r.dir << ": " << r.tasks << " task(s), " << r.done << " done, " << r.active
      << " queued or running in Slurm\n";
  if (r.submitted.empty()) {
    out << "nothing to submit\n";
  } else {
    out << "submitted " << r.submitted.size() << " task(s) (" << compress_ids(r.submitted) << ") as ";
    std::vector<std::string> arrays;
    for (const auto& s : r.submissions)
      arrays.push_back(fmt::format("job array {} [{}]", s.job_id, compress_ids(s.indices)));
    out << join(arrays, ", ") << (so.exclusive ? ", --exclusive" : ", shared nodes (--no-exclusive)") << "\n";
  }
  if (!r.note.empty()) out << "note: " << r.note << "\n";
  for (const auto& b : r.bad_files) out << "warning: result file skipped: " << b << "\n";
  std::string fs_type = local_file_system(r.dir);
  if (!fs_type.empty())
    out << "note: " << r.dir << " is on a local file system (" << fs_type
        << "): tasks can run only on nodes that see this folder (put studies on a shared file system)\n";
  out << "logs:    " << r.dir << "/slurm/logs/\n"
      << "status:  greentune status " << r.dir << "\n"
      << "collect: greentune collect " << r.dir << "   (merges results/ into the database; safe to repeat)\n"
      << "resume:  greentune study --resume " << r.dir << " --executor slurm   (re-submits failed tasks)\n";
  return 0;
}

// ------------------------------------------------------------------ local resume

namespace {

std::string job_ids_text(const std::set<long long>& jobs, const std::string& sep) {
  std::vector<std::string> v;
  for (long long j : jobs) v.push_back(std::to_string(j));
  return join(v, sep);
}

std::string jobs_phrase(const std::set<long long>& jobs) {
  return (jobs.size() == 1 ? "job " : "jobs ") + job_ids_text(jobs, ", ");
}

}  // namespace

LocalResumeCheck check_local_resume(const std::string& dir_or_db, bool ignore_slurm_jobs,
                                    const SlurmOptions& options) {
  LocalResumeCheck c;
  SlurmTaskSummary s = slurm_task_summary(dir_or_db, options);
  if (!s.slurm_study) return c;
  c.slurm_study = true;
  std::string dir = StudyPaths::from_path(dir_or_db).dir;

  if (!s.error.empty()) {
    // Slurm could not be asked: every submitted task without a result is of unknown state.
    std::set<long long> jobs;
    long long unknown = 0;
    for (const auto& t : s.tasks)
      if (t.phase == TaskPhase::pending) {
        ++unknown;
        jobs.insert(t.job_id);
      }
    if (unknown > 0)
      c.note = fmt::format(
          "{} task(s) of {} were submitted to Slurm ({}) but Slurm could not be asked ({}); running them here. "
          "If those jobs may still be queued, interrupt this (Ctrl-C) and check with squeue -j {}",
          unknown, dir, jobs_phrase(jobs), s.error, job_ids_text(jobs, ","));
    return c;
  }

  std::set<long long> active_jobs, gone_jobs;
  long long gone = 0;
  for (const auto& t : s.tasks) {
    if (t.phase == TaskPhase::pending || t.phase == TaskPhase::running) {
      ++(t.phase == TaskPhase::pending ? c.pending : c.running);
      active_jobs.insert(t.job_id);
    } else if (t.phase == TaskPhase::failed) {
      ++gone;
      gone_jobs.insert(t.job_id);
    }
  }
  c.active_jobs.assign(active_jobs.begin(), active_jobs.end());
  long long active = c.pending + c.running;
  if (active > 0 && !ignore_slurm_jobs)
    throw usage_error(fmt::format(
        "{}: {} task(s) of this study are still in Slurm ({} pending, {} running; {}); resuming here would train "
        "them a second time. Wait for them and run `greentune collect {}`, or cancel them (scancel {}) and resume "
        "again; if those jobs are dead, add --ignore-slurm-jobs",
        dir, active, c.pending, c.running, jobs_phrase(active_jobs), dir, job_ids_text(active_jobs, " ")));
  if (active > 0)
    c.note = fmt::format(
        "--ignore-slurm-jobs: running here {} task(s) that Slurm still lists as pending or running ({}); cancel "
        "them (scancel {}): an element that starts after its task has a result does nothing, one already "
        "running trains its task twice",
        active, jobs_phrase(active_jobs), job_ids_text(active_jobs, " "));
  else if (gone > 0)
    c.note = fmt::format("{} task(s) of {} submitted to Slurm ({}) are no longer queued or running there and "
                         "have no result; running them here",
                         gone, dir, jobs_phrase(gone_jobs));
  return c;
}

int run_study_here(const StudyRunOptions& options, bool ignore_slurm_jobs, const SlurmOptions& slurm_options) {
  if (ignore_slurm_jobs && options.resume.empty())
    throw usage_error("--ignore-slurm-jobs applies only with --resume DIR");
  // (--resume with a study file or --dry-run: run_study reports that misuse itself.)
  if (!options.resume.empty() && options.study_file.empty() && !options.dry_run) {
    LocalResumeCheck c = check_local_resume(options.resume, ignore_slurm_jobs, slurm_options);
    std::ostream& err = options.err ? *options.err : std::cerr;
    if (!c.note.empty()) err << "greentune: note: " << c.note << "\n";
  }
  return run_study(options);
}

// ------------------------------------------------------------------ status

SlurmTaskSummary slurm_task_summary(const std::string& dir_or_db, const SlurmOptions& options) {
  SlurmTaskSummary s;
  StudyPaths paths = StudyPaths::from_path(dir_or_db);
  std::vector<Submission> subs = read_submissions(paths.dir);
  if (subs.empty()) return s;
  s.slurm_study = true;
  std::set<long long> done;
  for (long long id : result_task_ids(paths)) done.insert(id);
  std::vector<long long> all_ids;
  if (file_exists(paths.db())) {
    // The database has every task (a study's whole plan; a tune run's batches so far), and
    // reading it needs no study definition (a tune run's has a [tune] table).
    store::StudyStore st = store::StudyStore::open(paths.db());
    s.tune = st.meta("kind").value_or("") == "tune";
    for (const auto& t : st.tasks()) {
      all_ids.push_back(t.id);
      if (task_done(st, t.id)) done.insert(t.id);
    }
  } else {
    for (const auto& t : load_study_directory(paths).plan.tasks) all_ids.push_back(t.id);
  }
  std::vector<long long> jobs;
  for (const auto& sub : subs) jobs.push_back(sub.job_id);
  QueryResult q;
  try {
    SlurmClient client(options);
    q = client.query(jobs);
    s.note = q.note;
  } catch (const Error& e) {
    s.error = e.what();
  }
  s.tasks = classify_tasks(all_ids, std::vector<long long>(done.begin(), done.end()), subs, q);
  for (auto& t : s.tasks) {
    if (!s.error.empty() && t.phase == TaskPhase::failed) {
      // Without Slurm's answer a submitted task without a result is of unknown state.
      t.phase = TaskPhase::pending;
      t.detail = "state unknown (Slurm not reachable)";
    }
    switch (t.phase) {
      case TaskPhase::unsubmitted: ++s.unsubmitted; break;
      case TaskPhase::pending: ++s.pending; break;
      case TaskPhase::running: ++s.running; break;
      case TaskPhase::done: ++s.done; break;
      case TaskPhase::failed: ++s.failed; break;
    }
  }
  return s;
}

std::string format_slurm_summary(const SlurmTaskSummary& s, const std::string& dir) {
  if (!s.slurm_study) return "";
  std::ostringstream o;
  o << "slurm tasks: " << s.done << " done, " << s.running << " running, " << s.pending << " pending, " << s.failed
    << " failed";
  if (s.unsubmitted) o << ", " << s.unsubmitted << " not submitted";
  o << "\n";
  if (!s.error.empty()) o << "  (Slurm could not be asked: " << s.error << ")\n";
  for (const auto& t : s.tasks) {
    if (t.phase == TaskPhase::running)
      o << "  running  task " << t.task_id << " (job " << t.job_id << ") on " << (t.node.empty() ? "?" : t.node) << "\n";
  }
  for (const auto& t : s.tasks) {
    if (t.phase == TaskPhase::failed) o << "  failed   task " << t.task_id << ": " << t.detail << "\n";
  }
  if (s.tune && (s.failed || s.unsubmitted))
    o << "  the tune run submits them again; if it was stopped: greentune tune --resume " << dir << "\n";
  else if (s.failed || s.unsubmitted)
    o << "  re-submit with: greentune study --resume " << dir << " --executor slurm\n";
  if (!s.note.empty()) o << "  note: " << s.note << "\n";
  return o.str();
}

}  // namespace greentune::slurm
