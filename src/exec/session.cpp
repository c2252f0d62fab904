// The execution core (exec/session.hpp): a session over a study directory that runs batches of
// tasks on this machine, owning every duty the tasks share.
#include "greentune/exec/session.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/format.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/core/signal_scope.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/energy/meter.hpp"
#include "greentune/exec/environment.hpp"
#include "greentune/exec/progress.hpp"
#include "greentune/exec/runner.hpp"

namespace greentune::exec {

using namespace greentune::study;

namespace {

// Below this much free space in the study's file system no task starts, and a task that
// ends with less is not kept (its logs may have been cut short).
constexpr double kMinFreeBytes = 1 << 20;

// Result files are made durable at most once a second: a task of a trivial command does not
// wait for the disk, a task of a second or more is synced as soon as it is written, and a power
// cut loses at most the last second of tasks, which --resume runs again (a cut-short file is
// skipped: exec/results.hpp). Never anything half-stored.
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

// One line per run of a finished task, for the progress log.
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

void check_free_space(const std::string& dir, const std::string& resume_command) {
  struct statvfs sv {};
  if (::statvfs(dir.c_str(), &sv) != 0) return;  // cannot tell: the writes will say
  double free_bytes = static_cast<double>(sv.f_bavail) * static_cast<double>(sv.f_frsize);
  if (free_bytes >= kMinFreeBytes) return;
  throw io_error(dir + ": no space left on its file system (" + std::to_string(static_cast<long long>(free_bytes / 1024)) +
                 " KiB free); stopped, every finished run is stored; free some space and continue with: " +
                 resume_command);
}

struct Session::State {
  State(const StudyDefinition& def, const SessionOptions& o)
      : governor(o.here ? def.governor : "keep") {
    if (o.cancel_on_usr1) signals.emplace(std::initializer_list<int>{SIGINT, SIGTERM, SIGUSR1});
    else signals.emplace(std::initializer_list<int>{SIGINT, SIGTERM});
  }
  GovernorGuard governor;
  std::optional<SignalScope> signals;
  double idle_baseline_w = -1;
  bool ran_a_task = false;
  bool cooled_after_last = false;
  std::ostringstream sink;
  std::unique_ptr<Progress> progress;
};

Session::Session(const LoadedStudy& study, store::StudyStore* store, SessionOptions options)
    : study_(&study), store_(store), options_(std::move(options)) {
  state_ = std::make_unique<State>(study.definition, options_);
  if (options_.log) options_.log("cpu governor: " + state_->governor.state());
  // A Slurm element's environment goes into its result file; a session that waits for Slurm
  // records none (the tasks run on the nodes).
  if (!store_ || !options_.here) return;
  std::vector<std::string> backends;
  {
    energy::MeterSession probe(meter_options(study.definition));
    backends = probe.backends();
  }
  auto env = collect_environment(backends);
  env["governor"] = state_->governor.state();
  store_->set_environment(hostname(), env);
}

Session::~Session() {
  if (state_ && state_->progress) state_->progress->finish();
}

void Session::restore_governor() { state_->governor.restore(); }
const std::string& Session::governor_state() const { return state_->governor.state(); }
const std::atomic<bool>* Session::cancel_flag() const { return state_->signals->flag(); }

long long Session::reset_in_flight() { return store_ ? store_->reset_in_flight() : 0; }

void Session::message(const std::string& line) {
  if (state_->progress) state_->progress->message(line);
  else if (options_.log) options_.log(line);
}

// Progress over the whole study (what the store has finished counts as done) and the idle
// baseline, once per session, when a cool-down will need it.
void Session::prepare(const std::vector<long long>& task_ids) {
  const LoadedStudy& study = *study_;
  if (!state_->progress) {
    long long done_runs = 0, done_tasks = 0;
    for (const auto& t : study.plan.tasks) {
      bool pending = std::find(task_ids.begin(), task_ids.end(), t.id) != task_ids.end();
      if (!pending && store_) {
        done_runs += static_cast<long long>(t.run_ids.size());
        ++done_tasks;
      }
    }
    std::ostream& err = options_.err ? *options_.err : std::cerr;
    const std::string& p = options_.progress;
    bool live = p == "line" || (p == "auto" && options_.err == nullptr && stderr_is_terminal());
    state_->progress = std::make_unique<Progress>(
        p == "none" ? static_cast<std::ostream&>(state_->sink) : err, live,
        static_cast<long long>(study.plan.runs.size()), done_runs, static_cast<long long>(study.plan.tasks.size()),
        done_tasks);
  }
  const StudyDefinition& def = study.definition;
  if (!options_.cooldown || def.cooldown.mode != CooldownMode::until_idle || task_ids.empty() ||
      state_->idle_baseline_w >= 0)
    return;
  const std::string& cache = options_.idle_baseline_file;
  if (!store_ && !cache.empty() && file_exists(cache)) {
    // One idle baseline per node, measured by the first task that lands there (a baseline
    // measured while the node is still warm would end every cool-down at once).
    try {
      state_->idle_baseline_w = std::stod(read_file(cache));
    } catch (const std::exception&) {
      state_->idle_baseline_w = -1;
    }
    if (state_->idle_baseline_w > 0) return;
  }
  state_->progress->message("measuring idle power for " + format_duration(def.cooldown.baseline_s) +
                            " (until-idle cool-down)");
  state_->idle_baseline_w = measure_idle_baseline(def);
  if (store_) store_->set_meta("idle_baseline_w", format_exact(state_->idle_baseline_w));
  if (!store_ && !cache.empty()) {
    make_directories(std::filesystem::path(cache).parent_path().string());
    write_file_atomic(cache, format_exact(state_->idle_baseline_w) + "\n");
    if (options_.log)
      options_.log("idle baseline of " + hostname() + ": " + format_exact(state_->idle_baseline_w) + " W (kept in " +
                   cache + ")");
  }
}

BatchEnd Session::run(const std::vector<long long>& task_ids, const SessionHooks& hooks) {
  std::ostream& err = options_.err ? *options_.err : std::cerr;
  try {
    BatchEnd end = run_tasks(task_ids, hooks);
    state_->progress->finish();
    return end;
  } catch (const Cancelled&) {
    if (state_->progress) state_->progress->finish();
    long long reset = reset_in_flight();
    restore_governor();
    if (store_)
      err << "greentune: interrupted; " << reset << " run(s) in flight go back to pending. Continue with:\n"
          << "  " << options_.resume_command << "\n";
    return BatchEnd::cancelled;
  } catch (const Error& e) {
    if (state_->progress) state_->progress->finish();
    try {
      reset_in_flight();
    } catch (const Error&) {
      // e.g. the disk is full: the next --resume puts them back to pending
    }
    restore_governor();
    if (e.kind() == ErrorKind::io) check_free_space(study_->paths.dir, options_.resume_command);  // "disk full" when it is
    throw;
  } catch (...) {
    if (state_->progress) state_->progress->finish();
    try {
      reset_in_flight();
    } catch (const Error&) {
    }
    restore_governor();
    throw;
  }
}

// The study's cool-down, shown and logged.
void Session::cool_down_now(const ExecuteOptions& eo) {
  if (!options_.cooldown) return;
  const CooldownDefinition& c = study_->definition.cooldown;
  state_->progress->cooling_down(c.mode == CooldownMode::fixed ? c.seconds : 0);
  double waited = cool_down(*study_, eo);
  if (waited > 0 && options_.log) options_.log("cooled down for " + format_duration(waited));
}

ExecuteOptions Session::task_options(const SessionHooks& hooks) {
  ExecuteOptions eo;
  eo.greentune_bin = options_.greentune_bin;
  eo.governor_state = state_->governor.state();
  eo.cancel = state_->signals->flag();
  eo.log = options_.log;
  eo.idle_baseline_w = state_->idle_baseline_w;
  eo.watch = hooks.watch;
  eo.on_run_start = [this, on_start = hooks.on_run_start](long long run_id, const std::string& desc) {
    if (store_) store_->mark_running(run_id, hostname(), store::utc_now_iso());
    if (options_.log) options_.log("run " + std::to_string(run_id) + ": " + desc);
    state_->progress->run_started(run_id, desc);
    if (on_start) on_start(run_id, desc);
  };
  return eo;
}

BatchEnd Session::run_tasks(const std::vector<long long>& task_ids, const SessionHooks& hooks) {
  const LoadedStudy& study = *study_;
  prepare(task_ids);
  Progress& progress = *state_->progress;
  const ExecuteOptions eo = task_options(hooks);
  ResultWriter results(study.paths);
  for (size_t i = 0; i < task_ids.size(); ++i) {
    double t0 = monotonic_seconds();
    // A cool-down comes after every task that another follows; before the first one of a batch
    // when a task ran before it without one (a tune's batches), or when asked (a Slurm element:
    // whatever ran on the node last, ours or not, leaves a power tail).
    if (state_->ran_a_task ? !state_->cooled_after_last : options_.cooldown_before_first) cool_down_now(eo);
    state_->ran_a_task = true;
    state_->cooled_after_last = false;
    check_free_space(study.paths.dir, options_.resume_command);  // no run starts on a full disk
    TaskResult r = execute_task(study, task_ids[i], eo);
    // Children that ended by the signal that cancels us (a process group's Ctrl-C, scancel) make
    // a result of a cancelled task: not kept.
    if (eo.cancel->load()) throw Cancelled();
    // A run whose logs could not be written may look failed: on a full disk nothing of this
    // task is kept (its runs go back to pending), every finished task is.
    check_free_space(study.paths.dir, options_.resume_command);
    if (hooks.amend) hooks.amend(r);
    results.write(r);
    if (store_) store_task_result(*store_, r);
    progress.task_finished(static_cast<long long>(r.runs.size()), task_energy_j(r), monotonic_seconds() - t0,
                           summarize(study, r));
    bool go_on = !hooks.on_task_done || hooks.on_task_done(r);
    if (go_on && i + 1 < task_ids.size()) {
      cool_down_now(eo);
      state_->cooled_after_last = true;
    }
    progress.cycle_done(monotonic_seconds() - t0);
    if (!go_on) {
      results.flush();
      return BatchEnd::stopped;
    }
  }
  results.flush();
  return BatchEnd::done;
}

}  // namespace greentune::exec
