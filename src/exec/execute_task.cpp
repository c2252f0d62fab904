// execute_task: one task (one run, a run beside a co-runner loop, or k symmetric jobs) as
// metered child processes on this machine, in three steps: start (meter window, children),
// supervise (wait for exits by events, timeouts, co-runner restarts, cancel) and outcome
// (statuses, energy and attribution per run).
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>

#include "greentune/core/cpus.hpp"
#include "greentune/core/error.hpp"
#include "greentune/core/text.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/energy/meter.hpp"
#include "greentune/energy/process_tree.hpp"
#include "greentune/exec/environment.hpp"
#include "greentune/exec/report_lines.hpp"
#include "greentune/exec/runner.hpp"
#include "greentune/exec/task.hpp"

namespace greentune::exec {

using namespace greentune::study;
using nlohmann::json;

namespace {

// How often a wait looks at the cancel flag (a signal may land on another thread and so
// not interrupt poll()).
constexpr int kCancelCheckMs = 100;

// A descriptor that becomes readable when child `pid` exits (before it is reaped); -1 where
// the kernel has no pidfd_open (then the wait polls every few milliseconds).
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    return static_cast<int>(fd);
  }
#endif
  (void)pid;
  return -1;
}

// A started child with its exit descriptor.
struct Child {
  std::unique_ptr<Subprocess> proc;
  int pidfd = -1;
  Child() = default;
  Child(Child&& o) noexcept : proc(std::move(o.proc)), pidfd(o.pidfd) { o.pidfd = -1; }
  Child& operator=(Child&&) = delete;
  ~Child() {
    if (pidfd >= 0) ::close(pidfd);
  }
  bool exited() const { return proc && energy::exited_unreaped(proc->pid()); }
  void start(const SubprocessOptions& so) {
    proc = std::make_unique<Subprocess>(so);
    proc->start();
    pidfd = open_pidfd(proc->pid());
  }
  void reset() {
    if (pidfd >= 0) ::close(pidfd);
    pidfd = -1;
    proc.reset();
  }
};

struct Job {
  const PlannedRun* run = nullptr;
  const PlannedConfiguration* config = nullptr;
  const ModelDefinition* model = nullptr;
  std::string label;
  std::string out_path, err_path;
  std::string command_text;
  Child child;
  std::string started_at, finished_at;
  double start_mono = 0, end_mono = 0;
  bool done = false;
  std::string stopped;  // why a watch hook stopped it
  SubprocessResult result;
  // live progress (read while a watch hook is set)
  std::unique_ptr<FileTail> tail;
  ProgressParser parser;
  std::vector<ProgressPoint> curve;
  int pruned_epoch = 0;  // the last epoch reported when the watch hook stopped it
};

struct Corunner {
  const ModelDefinition* model = nullptr;
  Configuration hp;
  Child child;
  int starts = 0, completed = 0, failed = 0, consecutive_failures = 0;
  double start_mono = 0, active_s = 0;
  std::string note;
};

// One task being executed.
struct TaskRun {
  TaskRun(const LoadedStudy& s, long long id, const ExecuteOptions& o)
      : study(s), task(s.task(id)), options(o), meter(meter_options(s.definition)) {}
  const LoadedStudy& study;
  const PlannedTask& task;
  const ExecuteOptions& options;
  energy::MeterSession meter;
  TaskResult result;
  std::vector<Job> jobs;
  Corunner corunner;
  int threads = 0;
  double window_start = 0;
  bool cancelled() const { return options.cancel && options.cancel->load(); }
  void log(const std::string& s) const {
    if (options.log) options.log(s);
  }
};

// Waits until one of the children's exit descriptors is readable or timeout_s passed.
void wait_for_events(const std::vector<const Child*>& children, double timeout_s) {
  std::vector<pollfd> fds;
  bool fallback = false;
  for (const Child* c : children) {
    if (c->pidfd >= 0) fds.push_back({c->pidfd, POLLIN, 0});
    else fallback = true;
  }
  double limit = std::min(timeout_s, kCancelCheckMs / 1000.0);
  if (fallback) limit = std::min(limit, 0.005);
  int ms = static_cast<int>(std::ceil(std::max(0.0, limit) * 1000));
  int r = ::poll(fds.data(), fds.size(), ms);
  if (r < 0 && errno != EINTR) throw runtime_error(std::string("poll: ") + std::strerror(errno));
}

// ---- start ----

void start_corunner(TaskRun& t) {
  Corunner& c = t.corunner;
  SubprocessOptions so = child_options(*c.model, c.hp, t.options, t.threads);
  so.stdout_to = "/dev/null";
  so.stderr_to = t.study.paths.logs_dir() + "/run-" + std::to_string(t.jobs.front().run->id) + ".corunner.err";
  so.kill_grace_s = 2;
  so.env["GREENTUNE_CORUNNER"] = "1";
  try {
    c.child.start(so);
  } catch (const Error& e) {
    c.note = std::string("co-runner could not start: ") + e.what();
    c.child.reset();
    return;
  }
  ++c.starts;
  c.start_mono = monotonic_seconds();
  t.meter.track(c.child.proc->pid(), "corunner");
}

void start_task(TaskRun& t) {
  const StudyDefinition& def = t.study.definition;
  const long long task_id = t.task.id;
  make_directories(t.study.paths.logs_dir());
  make_directories(t.study.paths.results_dir());

  t.result.study_id = t.study.study_id;
  t.result.task_id = task_id;
  t.result.node = hostname();
  t.result.result_id = t.result.node + "-" + std::to_string(::getpid()) + "-" + random_id().substr(0, 16);
  t.result.environment = collect_environment(t.meter.backends());
  if (!t.options.governor_state.empty()) t.result.environment["governor"] = t.options.governor_state;
  t.result.started_at = store::utc_now_iso();

  for (long long rid : t.task.run_ids) {
    Job j;
    j.run = &t.study.run(rid);
    j.config = &t.study.configuration(j.run->configuration_id);
    j.model = def.find_model(j.run->model);
    if (!j.model) throw input_error("task " + std::to_string(task_id) + ": model '" + j.run->model + "' is not in the study");
    j.label = t.task.jobs > 1 ? "job" + std::to_string(j.run->job) : "run";
    j.out_path = t.study.paths.logs_dir() + "/run-" + std::to_string(rid) + ".out";
    j.err_path = t.study.paths.logs_dir() + "/run-" + std::to_string(rid) + ".err";
    t.jobs.push_back(std::move(j));
  }
  if (!t.task.corunner_model.empty()) {
    t.corunner.model = def.find_model(t.task.corunner_model);
    if (!t.corunner.model)
      throw input_error("task " + std::to_string(task_id) + ": co-runner '" + t.task.corunner_model + "' is not in the study");
    t.corunner.hp = t.corunner.model->defaults;
  }
  // Trainings that run at once share the CPUs: each built-in one gets its share of threads
  // (a run alone takes them all).
  const int processes = static_cast<int>(t.jobs.size()) + (t.corunner.model ? 1 : 0);
  t.threads = processes > 1 ? threads_per_process(processes) : 0;

  t.meter.begin();
  t.window_start = monotonic_seconds();
  // The co-runner first, so that the measured runs train beside it from their start.
  if (t.corunner.model) start_corunner(t);
  for (auto& j : t.jobs) {
    SubprocessOptions so = child_options(*j.model, j.config->hp, t.options, t.threads);
    so.stdout_to = j.out_path;
    so.stderr_to = j.err_path;
    so.timeout_s = 0;  // enforced by supervise (several children at once)
    so.env["GREENTUNE_RUN_ID"] = std::to_string(j.run->id);
    so.env["GREENTUNE_TASK_ID"] = std::to_string(task_id);
    for (const auto& a : so.argv) j.command_text += (j.command_text.empty() ? "" : " ") + a;
    j.started_at = store::utc_now_iso();
    j.start_mono = monotonic_seconds();
    try {
      j.child.start(so);
    } catch (const Error& e) {
      j.done = true;
      j.end_mono = j.start_mono;
      j.finished_at = j.started_at;
      j.result.exit_code = 127;
      std::ofstream(j.err_path) << e.what() << "\n";
      continue;
    }
    t.meter.track(j.child.proc->pid(), j.label);
    if (t.options.watch) j.tail = std::make_unique<FileTail>(j.out_path);
    if (t.options.on_run_start) {
      const PlannedRun& r = *j.run;
      std::string desc = r.model + " " +
                         (r.op == "original" ? "original"
                                             : r.op + "=" + format_hp_value(*j.model, r.op, j.config->hp.at(r.op))) +
                         " rep " + std::to_string(r.repetition) +
                         (t.task.scenario == Scenario::single ? "" : " (" + t.task.corunner + ")");
      t.options.on_run_start(r.id, desc);
    }
  }
}

// ---- supervise ----

void stop_all(TaskRun& t) {
  for (auto& j : t.jobs)
    if (j.child.proc && !j.done) j.child.proc->terminate();
  if (t.corunner.child.proc) t.corunner.child.proc->terminate();
}

void finish_job(Job& j, const SubprocessResult& r) {
  j.result = r;
  j.done = true;
  j.end_mono = monotonic_seconds();
  j.finished_at = store::utc_now_iso();
  j.result.wall_s = j.end_mono - j.start_mono;
}

// The watch hook (exec/task.hpp RunWatch): the running runs, and the ones it stops.
// The reports a running job wrote since the last look, each with the energy so far (the
// meter's power samples integrated since the window began: the run's own in a single-run task).
void read_progress(TaskRun& t, Job& j) {
  if (!j.tail) return;
  const std::vector<ProgressReport> reports = j.parser.feed(j.tail->read_new());
  if (reports.empty()) return;
  const energy::MeterSession::SoFar so_far = t.meter.energy_so_far();
  // Each look integrates the meter's power samples afresh; when the sampler has thinned its
  // series since the last look, the sum can come out a rounding error below the previous one.
  // Energy so far never goes back: a point keeps at least the previous point's figure.
  const double joules = j.curve.empty() ? so_far.total_j() : std::max(so_far.total_j(), j.curve.back().energy_j);
  for (const auto& r : reports) j.curve.push_back({r.epoch, r.metric, joules, so_far.t_s, so_far.estimated});
}

void watch_runs(TaskRun& t) {
  if (!t.options.watch) return;
  RunWatch w;
  double now = monotonic_seconds();
  for (auto& j : t.jobs)
    if (!j.done) {
      read_progress(t, j);
      w.runs.push_back({j.run->id, now - j.start_mono, j.out_path, j.curve});
    }
  if (w.runs.empty()) return;
  t.options.watch(w);
  for (const auto& [run_id, why] : w.stop)
    for (auto& j : t.jobs)
      if (j.run->id == run_id && !j.done && j.child.proc) {
        t.meter.refresh();
        finish_job(j, j.child.proc->terminate());
        j.stopped = why;
        if (!j.curve.empty()) j.pruned_epoch = j.curve.back().epoch;
        t.log("run " + std::to_string(run_id) + " stopped: " + why);
      }
}

void supervise_task(TaskRun& t) {
  const double timeout_s = t.study.definition.run_timeout_s;
  Corunner& c = t.corunner;
  while (true) {
    // Children that exited are still unreaped: read their final CPU time first (the
    // meter keeps it), then reap them.
    std::vector<bool> exited(t.jobs.size(), false);
    bool any_exited = false;
    for (size_t i = 0; i < t.jobs.size(); ++i)
      if (!t.jobs[i].done && t.jobs[i].child.exited()) any_exited = exited[i] = true;
    bool corunner_exited = c.child.proc && c.child.exited();
    if (any_exited || corunner_exited) t.meter.refresh();

    bool any_running = false;
    double next_deadline = 1e300;
    for (size_t i = 0; i < t.jobs.size(); ++i) {
      Job& j = t.jobs[i];
      if (j.done) continue;
      if (exited[i]) {
        finish_job(j, j.child.proc->wait());
      } else if (timeout_s > 0 && monotonic_seconds() - j.start_mono >= timeout_s) {
        t.meter.refresh();
        SubprocessResult r = j.child.proc->terminate();
        r.timed_out = true;
        finish_job(j, r);
      } else {
        any_running = true;
        if (timeout_s > 0) next_deadline = std::min(next_deadline, j.start_mono + timeout_s);
      }
    }
    if (any_running) {
      watch_runs(t);
      any_running = std::any_of(t.jobs.begin(), t.jobs.end(), [](const Job& j) { return !j.done; });
    }
    if (t.cancelled()) {
      stop_all(t);
      t.meter.end();
      throw Cancelled();
    }
    if (!any_running) break;
    if (corunner_exited) {
      SubprocessResult cres = c.child.proc->wait();
      c.active_s += monotonic_seconds() - c.start_mono;
      if (cres.ok()) {
        ++c.completed;
        c.consecutive_failures = 0;
      } else {
        ++c.failed;
        ++c.consecutive_failures;
        c.note = "co-runner " + cres.describe();
      }
      c.child.reset();
      if (c.consecutive_failures >= 3) c.note += "; stopped restarting it after 3 failures in a row";
      else start_corunner(t);
    }
    std::vector<const Child*> watched;
    for (const auto& j : t.jobs)
      if (!j.done) watched.push_back(&j.child);
    if (c.child.proc) watched.push_back(&c.child);
    wait_for_events(watched, next_deadline - monotonic_seconds());
  }
  if (c.child.proc) {
    c.active_s += monotonic_seconds() - c.start_mono;
    c.child.proc->terminate();
    c.child.reset();
  }
}

// ---- outcome ----

void job_outcome(TaskRun& t, Job& j, const energy::Measurement& m, double window_s, double fg_span,
                 const std::string& notes) {
  const double timeout_s = t.study.definition.run_timeout_s;
  store::RunOutcome o;
  o.run_id = j.run->id;
  o.result_id = t.result.result_id;
  o.node = t.result.node;
  o.started_at = j.started_at;
  o.finished_at = j.finished_at;
  o.duration_s = j.result.wall_s;
  if (!j.result.timed_out && j.result.term_signal == 0) o.exit_code = j.result.exit_code;
  std::string out_text = file_exists(j.out_path) ? read_file(j.out_path) : "";
  std::string err_text = file_exists(j.err_path) ? read_file(j.err_path) : "";
  ParsedOutcome p = parse_outcome(*j.model, j.config->hp, j.result, out_text, err_text, timeout_s);
  if (!j.stopped.empty()) {  // stopped by the watch hook (tune's pruning): neither a success nor a failure
    p.status = RunStatus::pruned;
    p.reason = j.stopped;
    p.performance.reset();
  }
  if (j.tail) {  // reports after the last look: the window's total (the run had ended)
    double total = 0;
    bool estimated = false;
    for (const auto& d : m.domains)
      if (d.joules && !d.flagged) {
        total += *d.joules;
        estimated = estimated || is_estimated(d.source);
      }
    std::vector<ProgressReport> rest = j.parser.feed(j.tail->read_new());
    for (const auto& r : j.parser.finish()) rest.push_back(r);
    // The window's total comes from the meters' counters, the earlier points from integrated
    // power samples: where the two differ by a rounding error the curve keeps the larger.
    if (!j.curve.empty()) total = std::max(total, j.curve.back().energy_j);
    for (const auto& r : rest) j.curve.push_back({r.epoch, r.metric, total, m.duration_s, estimated});
  }
  if (!j.curve.empty()) {
    json curve = json::array();
    for (const auto& c : j.curve)
      curve.push_back({{"epoch", c.epoch}, {"metric", c.metric}, {"energy_j", c.energy_j}, {"t_s", c.t_s},
                       {"estimated", c.estimated}});
    o.details["progress"] = curve.dump();
    o.details["progress_energy"] = "whole-machine energy since the run's meter window began, integrated from the "
                                   "meter's power samples at each report";
    if (p.status == RunStatus::pruned) {
      o.details["pruned_at_epoch"] = std::to_string(j.pruned_epoch);
      o.details["epochs_reported"] = std::to_string(j.curve.back().epoch);  // trained before the stop took effect
    }
  }
  o.status = p.status;
  o.reason = p.reason;
  o.performance = p.status == RunStatus::succeeded ? p.performance : std::nullopt;
  if (p.status != RunStatus::succeeded && p.performance) o.details["reported_performance"] = format_exact(*p.performance);
  for (const auto& d : m.domains) {
    store::DomainEnergy e;
    e.domain = d.domain;
    e.joules = d.joules;
    e.source = d.source;
    e.flagged = d.flagged;
    e.note = d.note;
    e.attributed_j = m.attributed_joules(d, j.label);
    if (d.net_joules) o.details[std::string(to_string(d.domain)) + "_net_j"] = format_exact(*d.net_joules);
    o.energy.push_back(e);
  }
  for (const auto& s : m.samples)
    o.samples.push_back({s.t_s, s.domain, s.watts, s.source});
  auto cpu = m.cpu_s_by_label.find(j.label);
  o.details["cpu_s"] = format_exact(cpu == m.cpu_s_by_label.end() ? 0.0 : cpu->second);
  o.details["machine_cpu_s"] = format_exact(m.machine_cpu_s);
  o.details["meter_window_s"] = format_exact(window_s);
  o.details["attributed_share"] = format_exact(m.cpu_share(j.label));
  o.details["command"] = j.command_text;
  o.details["stdout_log"] = j.out_path;
  o.details["stderr_log"] = j.err_path;
  o.details["stderr_tail"] = tail(err_text, 2000);
  if (!notes.empty()) o.details["meter_notes"] = notes;
  if (!j.stopped.empty()) o.details["stopped"] = j.stopped;
  if (m.idle_baseline_w) o.details["idle_baseline_w"] = format_exact(*m.idle_baseline_w);
  if (!j.model->is_builtin()) {  // greentune.report lines (the Python module), per epoch
    nlohmann::json reports = collect_reports(out_text);
    if (!reports.empty()) o.details[kReportsDetailKey] = reports.dump();
  }
  if (!p.train_result.is_null()) {
    o.details["train_result"] = p.train_result.dump();
    if (p.train_result.contains("torch_version"))
      t.result.environment["torch_version"] = p.train_result["torch_version"].get<std::string>();
    if (p.train_result.contains("dataset")) {
      const json& ds = p.train_result["dataset"];
      o.details["dataset"] = ds.value("name", std::string());
      if (!ds.value("substitute_for", std::string()).empty())
        o.details["dataset_substitute_for"] = ds.value("substitute_for", std::string());
    }
  }
  if (t.task.jobs > 1) {
    double others = 0;
    for (const auto& [l, s] : m.cpu_s_by_label)
      if (l != j.label) others += s;
    o.details["symmetric_jobs"] = std::to_string(t.task.jobs);
    o.details["other_jobs_cpu_s"] = format_exact(std::max(0.0, others));
  }
  const Corunner& c = t.corunner;
  if (c.model) {
    auto ccpu = m.cpu_s_by_label.find("corunner");
    o.details["corunner_model"] = c.model->name;
    o.details["corunner_configuration"] = format_configuration(c.hp);
    o.details["corunner_starts"] = std::to_string(c.starts);
    o.details["corunner_completed"] = std::to_string(c.completed);
    o.details["corunner_failed"] = std::to_string(c.failed);
    o.details["corunner_overlap_s"] = format_exact(std::min(c.active_s, fg_span));
    o.details["corunner_overlap_fraction"] = format_exact(fg_span > 0 ? std::min(1.0, c.active_s / fg_span) : 0.0);
    o.details["corunner_cpu_s"] = format_exact(ccpu == m.cpu_s_by_label.end() ? 0.0 : ccpu->second);
    for (const auto& d : m.domains)
      if (auto a = m.attributed_joules(d, "corunner"))
        o.details[std::string("corunner_attributed_") + to_string(d.domain) + "_j"] = format_exact(*a);
    if (!c.note.empty()) o.details["corunner_note"] = c.note;
  }
  t.log("run " + std::to_string(o.run_id) + " " + to_string(o.status) + (o.reason.empty() ? "" : " (" + o.reason + ")"));
  t.result.runs.push_back(std::move(o));
}

TaskResult task_outcome(TaskRun& t, const energy::Measurement& m, double window_s) {
  double fg_span = 0;
  for (auto& j : t.jobs) fg_span = std::max(fg_span, j.end_mono - t.window_start);
  std::string notes;
  for (const auto& n : m.notes) notes += (notes.empty() ? "" : "; ") + n;
  for (auto& j : t.jobs) job_outcome(t, j, m, window_s, fg_span, notes);
  return std::move(t.result);
}

}  // namespace

TaskResult execute_task(const LoadedStudy& study, long long task_id, const ExecuteOptions& options) {
  TaskRun t(study, task_id, options);
  start_task(t);
  supervise_task(t);
  energy::Measurement m = t.meter.end();
  double window_s = monotonic_seconds() - t.window_start;
  t.result.finished_at = store::utc_now_iso();
  return task_outcome(t, m, window_s);
}

}  // namespace greentune::exec
