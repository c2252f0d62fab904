#include "greentune/exec/local_executor.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <time.h>

#include <cstdio>
#include <iostream>
#include <set>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/core/signal_scope.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/energy/meter.hpp"
#include "greentune/exec/environment.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/format.hpp"
#include "greentune/exec/progress.hpp"
#include "greentune/exec/overrides.hpp"
#include "greentune/exec/results.hpp"
#include "greentune/exec/runner.hpp"
#include "greentune/exec/study_lock.hpp"
#include "greentune/store/integrity.hpp"

namespace greentune::exec {

using namespace greentune::study;

namespace {

// Below this much free space in the study's file system no task starts, and a task that
// ends with less is not kept (its logs may have been cut short).
constexpr double kMinFreeBytes = 1 << 20;

void check_free_space(const std::string& dir) {
  struct statvfs sv {};
  if (::statvfs(dir.c_str(), &sv) != 0) return;  // cannot tell: the writes will say
  double free_bytes = static_cast<double>(sv.f_bavail) * static_cast<double>(sv.f_frsize);
  if (free_bytes >= kMinFreeBytes) return;
  throw io_error(dir + ": no space left on its file system (" + std::to_string(static_cast<long long>(free_bytes / 1024)) +
                 " KiB free); stopped, every finished run is stored; free some space and continue with: "
                 "greentune study --resume " + dir);
}

// Result files are made durable at most once a second: a task of a trivial command does not
// wait for the disk, a task of a second or more is synced as soon as it is written (as
// before), and a power cut loses at most the last second of tasks, which --resume runs
// again (a cut-short file is skipped: exec/results.hpp). Never anything half-stored.
class ResultWriter {
 public:
  explicit ResultWriter(StudyPaths paths) : paths_(std::move(paths)) {}
  ~ResultWriter() {
    try {
      flush();
    } catch (const Error&) {
    }
  }
  void write(const TaskResult& r) {
    make_directories(paths_.results_dir());
    bool due = monotonic_seconds() - last_sync_ >= 1.0;
    write_file_atomic(paths_.result_file(r.task_id), to_json(r).dump() + "\n", due && !dirty_);
    if (!due) {
      dirty_ = true;
      return;
    }
    if (dirty_) flush();
    last_sync_ = monotonic_seconds();
  }
  void flush() {
    if (!dirty_) return;
    int fd = ::open(paths_.results_dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::syncfs(fd) != 0) {
      int e = errno;
      if (fd >= 0) ::close(fd);
      throw io_error("cannot sync " + paths_.results_dir() + ": " + std::strerror(e));
    }
    ::close(fd);
    dirty_ = false;
    last_sync_ = monotonic_seconds();
  }

 private:
  StudyPaths paths_;
  double last_sync_ = -1e9;
  bool dirty_ = false;
};

double task_energy_j(const TaskResult& r) {
  // Whole-machine energy is the same for every job of a task: count it once.
  if (r.runs.empty()) return 0;
  double j = 0;
  for (const auto& e : r.runs.front().energy)
    if (e.joules && !e.flagged) j += *e.joules;
  return j;
}

std::string summarize(const LoadedStudy& study, const TaskResult& r) {
  std::string s;
  for (const auto& o : r.runs) {
    const PlannedRun& pr = study.run(o.run_id);
    const PlannedConfiguration& c = study.configuration(pr.configuration_id);
    const ModelDefinition* m = study.definition.find_model(pr.model);
    if (!s.empty()) s += "\n";
    s += "run " + std::to_string(o.run_id) + " " + pr.model + " ";
    s += pr.op == "original" ? "original" : pr.op + "=" + (m ? format_hp_value(*m, pr.op, c.hp.at(pr.op)) : format_exact(c.hp.at(pr.op)));
    s += " rep " + std::to_string(pr.repetition) + " " + to_string(pr.scenario) + (pr.corunner.empty() ? "" : "/" + pr.corunner);
    s += ": " + std::string(to_string(o.status));
    if (o.duration_s) s += ", " + format_duration(*o.duration_s);
    double j = 0;
    bool any = false, estimated = false;
    for (const auto& e : o.energy)
      if (e.joules && !e.flagged) {
        j += *e.joules;
        any = true;
        estimated = estimated || is_estimated(e.source);
      }
    if (any) s += ", " + format_energy(j) + (estimated ? " (estimated)" : "");
    if (o.performance) s += ", " + (m ? m->metric : std::string("performance")) + " " + format_exact(*o.performance);
    if (!o.reason.empty()) s += " (" + o.reason + ")";
  }
  return s;
}

}  // namespace

StudyDefinition study_definition_for(const StudyRunOptions& options) {
  if (options.study_file.empty()) return parse_study(default_study_text(), "<embedded default study>", "");
  return load_study_file(options.study_file);
}

std::string default_study_dir(const StudyDefinition& study) { return timestamped_dir_name("greentune-", study.name); }

int merge_result_files(const LoadedStudy& study, store::StudyStore& st, std::vector<std::string>* bad_files) {
  CollectReport rep = merge_results(study.paths, st, /*unfinished_only=*/true);
  if (bad_files) *bad_files = rep.bad_files;
  return rep.stored;
}

int run_study(const StudyRunOptions& options) {
  std::ostream& out = options.out ? *options.out : std::cout;
  std::ostream& err = options.err ? *options.err : std::cerr;
  LoadedStudy study;
  std::optional<store::StudyStore> st;
  FileLock lock;
  const StudyOverrides given{options.meter_override, options.cooldown_s};
  if (!options.resume.empty()) {
    if (options.dry_run) throw usage_error("--dry-run and --resume cannot be combined");
    if (!options.study_file.empty()) throw usage_error("--resume continues a study: give no study file with it");
    StudyPaths paths = StudyPaths::from_path(options.resume);
    // One runner per study: refused before anything is read or written.
    lock = lock_study(paths.dir, "greentune study --resume");
    store::check_database_integrity(paths.db());
    study = load_study_directory(paths);
    st.emplace(store::StudyStore::open(study.paths.db()));
    std::vector<std::string> bad;
    int merged = merge_result_files(study, *st, &bad);
    for (const auto& b : bad) err << "greentune: warning: result file skipped (its task runs again): " << b << "\n";
    long long reset = st->reset_in_flight();
    out << "resuming study '" << study.definition.name << "' in " << study.paths.dir << ": " << merged
        << " run(s) recovered from result files, " << reset << " interrupted run(s) to re-run\n";
    // Overrides given now join those recorded when the study started; all apply.
    record_overrides(*st, given);
    apply_overrides(study.definition, recorded_overrides(*st));
  } else {
    StudyDefinition def = study_definition_for(options);
    apply_overrides(def, given);  // to the parsed definition; DIR/study.toml stays as given
    if (options.dry_run) {
      Plan plan = make_plan(def);
      out << describe_plan(def, plan);
      return 0;
    }
    std::string dir = options.out_dir.empty() ? default_study_dir(def) : options.out_dir;
    make_directories(dir);
    lock = lock_study(dir, "greentune study");
    study = create_study_directory(def, dir);
    st.emplace(store::StudyStore::open(study.paths.db()));
    record_overrides(*st, given);
    out << "study '" << def.name << "': " << study.plan.runs.size() << " runs in " << study.plan.tasks.size()
        << " tasks; database " << study.paths.db() << "\n";
  }
  if (!given.empty()) out << "overrides: " << describe_overrides(recorded_overrides(*st)) << " (recorded in the database)\n";
  const StudyDefinition& def = study.definition;

  // Environment and governor for this machine.
  GovernorGuard governor(def.governor);
  std::vector<std::string> backends;
  {
    energy::MeterSession probe(meter_options(def));
    backends = probe.backends();
  }
  auto env = collect_environment(backends);
  env["governor"] = governor.state();
  st->set_environment(hostname(), env);
  st->set_meta("executor", "local");

  SignalScope signals({SIGINT, SIGTERM});
  ExecuteOptions eo;
  eo.greentune_bin = options.greentune_bin;
  eo.cooldown_after = false;
  eo.governor_state = governor.state();
  eo.cancel = signals.flag();

  std::vector<long long> todo;
  long long done_runs = 0, done_tasks = 0;
  for (const auto& t : study.plan.tasks) {
    bool pending = false;
    for (const auto& r : st->runs_of_task(t.id))
      if (!is_final(r.status)) pending = true;
    if (pending) todo.push_back(t.id);
    else {
      done_runs += static_cast<long long>(t.run_ids.size());
      ++done_tasks;
    }
  }
  bool live = options.progress == "line" || (options.progress == "auto" && options.err == nullptr && stderr_is_terminal());
  std::ostream& pout = err;
  std::ostringstream sink;
  Progress progress(options.progress == "none" ? static_cast<std::ostream&>(sink) : pout, live,
                    static_cast<long long>(study.plan.runs.size()), done_runs,
                    static_cast<long long>(study.plan.tasks.size()), done_tasks);
  eo.on_run_start = [&](long long run_id, const std::string& desc) {
    st->mark_running(run_id, hostname(), store::utc_now_iso());
    progress.run_started(run_id, desc);
  };

  if (def.cooldown.mode == CooldownMode::until_idle && !todo.empty()) {
    progress.message("measuring idle power for " + format_duration(def.cooldown.baseline_s) + " (until-idle cool-down)");
    eo.idle_baseline_w = measure_idle_baseline(def);
    st->set_meta("idle_baseline_w", format_exact(eo.idle_baseline_w));
  }

  ResultWriter results(study.paths);
  try {
    for (size_t i = 0; i < todo.size(); ++i) {
      double t0 = monotonic_seconds();
      check_free_space(study.paths.dir);  // no run starts on a full disk
      TaskResult r = execute_task(study, todo[i], eo);
      // A run whose logs could not be written may look failed: on a full disk nothing of
      // this task is kept (its runs go back to pending), every finished task is.
      check_free_space(study.paths.dir);
      results.write(r);
      store_task_result(*st, r);
      progress.task_finished(static_cast<long long>(r.runs.size()), task_energy_j(r), monotonic_seconds() - t0,
                             summarize(study, r));
      if (i + 1 < todo.size()) {
        progress.cooling_down(def.cooldown.mode == CooldownMode::fixed ? def.cooldown.seconds : 0);
        cool_down(study, eo);
      }
      progress.cycle_done(monotonic_seconds() - t0);
    }
  } catch (const Cancelled&) {
    progress.finish();
    long long reset = st->reset_in_flight();
    governor.restore();
    err << "greentune: interrupted; " << reset << " run(s) in flight go back to pending. Continue with:\n"
        << "  greentune study --resume " << study.paths.dir << "\n";
    return 130;
  } catch (const Error& e) {
    progress.finish();
    try {
      st->reset_in_flight();
    } catch (const Error&) {
      // e.g. the disk is full: the next --resume puts them back to pending
    }
    governor.restore();
    if (e.kind() == ErrorKind::io) check_free_space(study.paths.dir);  // says "disk full" when it is
    throw;
  } catch (...) {
    progress.finish();
    try {
      st->reset_in_flight();
    } catch (const Error&) {
    }
    throw;
  }
  progress.finish();
  governor.restore();
  results.flush();
  st->set_meta("finished_at", store::utc_now_iso());
  store::StatusCounts c = st->counts();
  out << "study '" << def.name << "' done: " << c.succeeded << " succeeded, " << c.failed << " failed, "
      << c.diverged << " diverged, " << c.timeout << " timed out (of " << c.total << " runs)\n";
  out << "database: " << study.paths.db() << "\n";
  out << "report:   greentune report " << study.paths.db() << " -o " << study.paths.dir << "/report"
      << "  (then open " << study.paths.dir << "/report/report.html)\n";
  return 0;
}

}  // namespace greentune::exec
