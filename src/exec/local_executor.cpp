#include "greentune/exec/local_executor.hpp"

#include <signal.h>
#include <time.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <set>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/energy/meter.hpp"
#include "greentune/exec/environment.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/format.hpp"
#include "greentune/exec/progress.hpp"
#include "greentune/exec/runner.hpp"

namespace greentune::exec {

using namespace greentune::study;

namespace {

std::atomic<bool> g_cancel{false};  // set by SIGINT/SIGTERM while a study runs

extern "C" void on_signal(int) { g_cancel.store(true); }

class SignalScope {
 public:
  SignalScope() {
    g_cancel.store(false);
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~SignalScope() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {}, old_term_ {};
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
    s += " rep " + std::to_string(pr.repetition) + " " + pr.scenario + (pr.corunner.empty() ? "" : "/" + pr.corunner);
    s += ": " + o.status;
    if (o.duration_s) s += ", " + format_duration(*o.duration_s);
    double j = 0;
    bool any = false, estimated = false;
    for (const auto& e : o.energy)
      if (e.joules && !e.flagged) {
        j += *e.joules;
        any = true;
        estimated = estimated || e.source == "estimated";
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

std::string default_study_dir(const StudyDefinition& study) {
  time_t now = ::time(nullptr);
  struct tm tm {};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%d-%H%M%S", &tm);
  std::string name;
  for (char c : study.name) name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return "greentune-" + name + "-" + buf;
}

int merge_result_files(const LoadedStudy& study, store::StudyStore& st) {
  int stored = 0;
  for (long long id : result_task_ids(study.paths)) {
    bool needed = false;
    for (const auto& r : st.runs_of_task(id))
      if (!store::is_final_status(r.status)) needed = true;
    if (!needed) continue;
    TaskResult r = read_task_result(study.paths.result_file(id));
    stored += store_task_result(st, r).stored;
  }
  return stored;
}

int run_study(const StudyRunOptions& options) {
  std::ostream& out = options.out ? *options.out : std::cout;
  std::ostream& err = options.err ? *options.err : std::cerr;
  LoadedStudy study;
  std::optional<store::StudyStore> st;
  if (!options.resume.empty()) {
    if (options.dry_run) throw usage_error("--dry-run and --resume cannot be combined");
    if (!options.study_file.empty()) throw usage_error("--resume continues a study: give no study file with it");
    study = load_study_directory(StudyPaths::from_path(options.resume));
    st.emplace(store::StudyStore::open(study.paths.db()));
    int merged = merge_result_files(study, *st);
    long long reset = st->reset_in_flight();
    out << "resuming study '" << study.definition.name << "' in " << study.paths.dir << ": " << merged
        << " run(s) recovered from result files, " << reset << " interrupted run(s) to re-run\n";
  } else {
    StudyDefinition def = study_definition_for(options);
    if (options.cooldown_s) {
      def.cooldown.mode = "fixed";
      def.cooldown.seconds = *options.cooldown_s;
    }
    if (options.dry_run) {
      Plan plan = make_plan(def);
      out << describe_plan(def, plan);
      return 0;
    }
    std::string dir = options.out_dir.empty() ? default_study_dir(def) : options.out_dir;
    if (options.cooldown_s) {
      // The directory keeps the definition as given; record the override too.
      def.text += "\n# greentune study --cooldown " + format_exact(*options.cooldown_s) + "\ncooldown = " +
                  format_exact(*options.cooldown_s) + "\n";
      def = parse_study(def.text, def.source, def.base_dir);
    }
    study = create_study_directory(def, dir);
    st.emplace(store::StudyStore::open(study.paths.db()));
    out << "study '" << def.name << "': " << study.plan.runs.size() << " runs in " << study.plan.tasks.size()
        << " tasks; database " << study.paths.db() << "\n";
  }
  if (options.cooldown_s && !options.resume.empty()) {
    study.definition.cooldown.mode = "fixed";
    study.definition.cooldown.seconds = *options.cooldown_s;
  }
  const StudyDefinition& def = study.definition;

  // Environment and governor for this machine.
  GovernorGuard governor(def.governor);
  std::vector<std::string> backends;
  {
    energy::MeterOptions mo;
    mo.meter = options.meter_override.empty() ? def.meter : options.meter_override;
    energy::MeterSession probe(mo);
    backends = probe.backends();
  }
  auto env = collect_environment(backends);
  env["governor"] = governor.state();
  st->set_environment(hostname(), env);
  st->set_meta("executor", "local");

  SignalScope signals;
  ExecuteOptions eo;
  eo.greentune_bin = options.greentune_bin;
  eo.meter_override = options.meter_override;
  eo.cooldown_after = false;
  eo.governor_state = governor.state();
  eo.cancel = &g_cancel;

  std::vector<long long> todo;
  long long done_runs = 0, done_tasks = 0;
  for (const auto& t : study.plan.tasks) {
    bool pending = false;
    for (const auto& r : st->runs_of_task(t.id))
      if (!store::is_final_status(r.status)) pending = true;
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

  if (def.cooldown.mode == "until-idle" && !todo.empty()) {
    progress.message("measuring idle power for " + format_duration(def.cooldown.baseline_s) + " (until-idle cool-down)");
    eo.idle_baseline_w = measure_idle_baseline(def, options.meter_override);
    st->set_meta("idle_baseline_w", format_exact(eo.idle_baseline_w));
  }

  try {
    for (size_t i = 0; i < todo.size(); ++i) {
      double t0 = monotonic_seconds();
      TaskResult r = execute_task(study, todo[i], eo);
      write_task_result(study.paths, r);
      store_task_result(*st, r);
      progress.task_finished(static_cast<long long>(r.runs.size()), task_energy_j(r), monotonic_seconds() - t0,
                             summarize(study, r));
      if (i + 1 < todo.size()) {
        progress.cooling_down(def.cooldown.mode == "fixed" ? def.cooldown.seconds : 0);
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
  } catch (...) {
    progress.finish();
    st->reset_in_flight();
    throw;
  }
  progress.finish();
  governor.restore();
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
