#include "greentune/tune/tuner.hpp"

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/format.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/core/signal_scope.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/core/text.hpp"
#include "greentune/energy/meter.hpp"
#include "greentune/exec/environment.hpp"
#include "greentune/exec/local_executor.hpp"
#include "greentune/exec/overrides.hpp"
#include "greentune/exec/runner.hpp"
#include "greentune/exec/session.hpp"
#include "greentune/slurm/batch.hpp"
#include "greentune/slurm/study.hpp"
#include "greentune/tune/tune_task.hpp"
#include "greentune/exec/study_lock.hpp"
#include "greentune/exec/task.hpp"
#include "greentune/report/tune_report.hpp"
#include "prune_hook.hpp"
#include "state.hpp"

namespace greentune::tune {

using nlohmann::json;

namespace {

std::string default_dir(const TuneDefinition& d) { return timestamped_dir_name("greentune-tune-", d.study.name); }

std::string describe_definition(const TuneDefinition& d) {
  const auto& m = d.model();
  std::string s = "tune '" + d.study.name + "': model " + m.name + " (" + (m.is_builtin() ? "built in" : "external") +
                  "), objective " + d.objective + ", performance " + m.metric +
                  (m.higher_is_better ? " (higher is better)" : " (lower is better)") + "\n";
  s += "constraint: non-inferior to the original within margin " +
       (d.margin_relative ? format_exact(d.margin * 100) + "%" : format_exact(d.margin)) + " at alpha " +
       format_exact(d.alpha) + "\nbudget:";
  if (d.budget_runs) s += " " + std::to_string(*d.budget_runs) + " runs";
  if (d.budget_j) s += " " + format_energy(*d.budget_j);
  if (d.budget_h) s += " " + format_exact(*d.budget_h) + " h";
  s += " (the first reached ends it); confirmation reserve " + std::to_string(confirm_reserve_runs(d)) +
       " runs; batches of " + std::to_string(d.batch) + "; seed " + std::to_string(d.seed) + "\nsearch space:\n";
  for (const auto& dim : d.space) s += "  " + dim.describe() + " (original " + format_exact(dim.default_value) + ")\n";
  if (d.budget_runs && m.estimate_s > 0)
    s += "estimated duration: " + format_duration(static_cast<double>(*d.budget_runs) *
                                                   (m.estimate_s + (d.study.cooldown.mode == CooldownMode::fixed ? d.study.cooldown.seconds : 0))) +
         "\n";
  return s;
}

bool budget_spent(const TuneState& s) {
  const auto& d = s.def;
  if (d.budget_runs && static_cast<long long>(s.runs.size()) >= *d.budget_runs) return true;
  if (d.budget_j && s.energy_spent_j() >= *d.budget_j) return true;
  if (d.budget_h && s.hours_spent() >= *d.budget_h) return true;
  return false;
}

bool search_spent(const TuneState& s) {
  const auto& d = s.def;
  if (s.runs_in("confirm") > 0) return true;
  if (auto b = search_run_budget(d); b && static_cast<long long>(s.runs.size()) >= *b) return true;
  double keep = 1 - d.confirm_fraction;
  if (d.budget_j && s.energy_spent_j() >= keep * *d.budget_j) return true;
  if (d.budget_h && s.hours_spent() >= keep * *d.budget_h) return true;
  return false;
}

// Appends tasks (one run each) to the database in one transaction: (configuration id, phase) in
// execution order; configurations with id 0 are new proposals (hp given).
struct NewRun {
  long long configuration_id = 0;
  Configuration hp;
  std::string op;
};

void add_runs(store::StudyStore& st, const TuneState& s, const std::vector<NewRun>& batch,
              const std::optional<json>& candidates) {
  long long next_cfg = 0, next_task = 0, next_run = 0;
  for (const auto& c : s.configurations) next_cfg = std::max(next_cfg, c.id);
  for (const auto& t : s.study.plan.tasks) next_task = std::max(next_task, t.id);
  for (const auto& r : s.runs) next_run = std::max(next_run, r.id);
  std::map<long long, long long> reps;
  std::map<Configuration, long long> created;  // new configurations of this batch (a candidate's pairs)
  for (const auto& r : s.runs) ++reps[r.configuration_id];
  const auto& m = s.def.model();
  store::Transaction tx(st.db());
  for (const auto& n : batch) {
    long long cid = n.configuration_id;
    if (cid == 0 && created.count(n.hp)) cid = created[n.hp];
    if (cid == 0) {
      store::ConfigurationRow row;
      row.id = cid = ++next_cfg;
      row.model = m.name;
      row.op = "tune";
      row.mutant = static_cast<int>(cid - 1);
      row.hp = n.hp;
      st.add_configuration(row);
      created[n.hp] = cid;
    }
    store::TaskRow t;
    t.id = ++next_task;
    st.add_task(t);
    store::RunRow r;
    r.id = ++next_run;
    r.task_id = t.id;
    r.configuration_id = cid;
    r.model = m.name;
    r.op = n.op;
    r.repetition = ++reps[cid];
    st.add_run(r);
  }
  if (candidates) st.set_meta("tune.candidates", candidates->dump());
  tx.commit();
}

std::string run_line(const TuneState& s, const study::TaskResult& r) {
  std::string out;
  for (const auto& o : r.runs) {
    const auto& pr = s.study.run(o.run_id);
    const auto& c = s.configuration(pr.configuration_id);
    std::string cfg = c.id == 1 ? "original" : "";
    if (c.id != 1)
      for (const auto& dim : s.def.space)
        cfg += (cfg.empty() ? "" : " ") + dim.name + "=" + exec::format_hp_value(s.def.model(), dim.name, c.hp.at(dim.name));
    std::string phase = "search";
    for (const auto& d : s.runs)
      if (d.id == o.run_id) phase = d.op;
    out += "run " + std::to_string(o.run_id) + " [" + phase + "] " + cfg + ": " + to_string(o.status);
    double j = 0;
    bool any = false, est = false;
    for (const auto& e : o.energy)
      if (e.joules && !e.flagged) j += *e.joules, any = true, est = est || is_estimated(e.source);
    if (any) out += ", " + format_energy(j) + (est ? " (estimated)" : "");
    if (o.duration_s) out += ", " + format_duration(*o.duration_s);
    if (o.performance) out += ", " + s.def.model().metric + " " + format_exact(*o.performance);
    if (!o.reason.empty()) out += " (" + o.reason + ")";
  }
  return out;
}

// Runs the energy and time budgets still allow, at the mean energy and time of a run so far.
long long runs_left_estimate(const TuneState& s) {
  const auto& d = s.def;
  long long left = kMaxPlannedPairs * 2;
  double n = 0, j = 0, h = 0;
  for (const auto& r : s.runs)
    if (r.final()) n += 1, j += r.energy_j.value_or(0);
  h = s.hours_spent();
  if (n == 0) return left;
  if (d.budget_j && j > 0) left = std::min(left, static_cast<long long>((*d.budget_j - s.energy_spent_j()) / (j / n)));
  if (d.budget_h && h > 0) left = std::min(left, static_cast<long long>((*d.budget_h - h) / (h / n)));
  return std::max(0LL, left);
}

// What to do next when nothing is pending: a batch to add, or nothing (finished).
std::vector<NewRun> next_batch(const TuneState& s, std::optional<json>& candidates, std::string& note) {
  std::vector<NewRun> batch;
  const auto& d = s.def;
  if (!search_spent(s)) {
    long long room = d.batch;
    if (auto b = search_run_budget(d)) room = std::min<long long>(room, *b - static_cast<long long>(s.runs.size()));
    bool add_original = s.runs_in("original") < d.original_runs && room > 0;
    if (add_original) --room;
    SearchInput in = s.search_input();
    std::vector<Configuration> props;
    if (room > 0 && !std::isnan(in.threshold)) props = propose(in, static_cast<int>(room));
    // The original's extra runs go mid-batch (spread over the search against drift).
    for (size_t i = 0; i < props.size(); ++i) {
      if (add_original && i == props.size() / 2) batch.push_back({1, {}, "original"}), add_original = false;
      batch.push_back({0, props[i], "search"});
    }
    if (add_original) batch.push_back({1, {}, "original"});
    if (!batch.empty()) return batch;
  }
  if (budget_spent(s)) return batch;
  long long left = d.budget_runs ? *d.budget_runs - static_cast<long long>(s.runs.size()) : LLONG_MAX;
  auto pair = [&](long long cid, long long index) {
    // ABBA interleaving: original first on even pairs, the candidate first on odd ones.
    if (index % 2 == 0) batch.push_back({1, {}, "confirm"}), batch.push_back({cid, {}, "confirm"});
    else batch.push_back({cid, {}, "confirm"}), batch.push_back({1, {}, "confirm"});
  };
  if (!s.candidates.empty()) {
    long long cur = s.candidates.back();
    SequentialLook look = look_at(s, cur);
    if (look.verdict == Verdict::confirmed) return batch;
    if (look.verdict == Verdict::undecided) {
      if (left < 2) return batch;
      pair(cur, static_cast<long long>(s.runs_of(cur, "confirm", false).size()));
      return batch;
    }
    note = "candidate " + std::to_string(cur) + " rejected: " + look.reason;
  }
  // Candidates of a run started before confirmations were planned (tune.looks): none added.
  if (std::find(s.candidate_pairs.begin(), s.candidate_pairs.end(), 0) != s.candidate_pairs.end()) return batch;
  std::optional<CandidatePlan> plan = plan_next_candidate(s, left == LLONG_MAX ? runs_left_estimate(s) : left);
  if (!plan) return batch;
  long long cid = plan->configuration;
  if (cid == 0)  // a point not evaluated yet: add_runs gives it the next configuration id
    for (const auto& c : s.configurations) cid = std::max(cid, c.id + 1);
  json list = json::array();
  for (size_t i = 0; i < s.candidates.size(); ++i)
    list.push_back({{"configuration", s.candidates[i]}, {"first_run", s.candidate_first_run[i]},
                    {"pairs", s.candidate_pairs[i]}, {"level", s.candidate_level[i]}});
  long long first = 0;
  for (const auto& r : s.runs) first = std::max(first, r.id);
  list.push_back({{"configuration", cid}, {"first_run", first + 1}, {"pairs", plan->pairs},
                  {"level", plan->level}});
  candidates = list;
  note += std::string(note.empty() ? "" : "; ") + "confirming configuration " + std::to_string(cid) +
          (plan->configuration == 0 ? " (a point the models chose, not run before)" : "") +
          " in up to " + std::to_string(plan->pairs) + " pairs at level " + format_exact(plan->level) +
          " (predicted probability " + std::to_string(static_cast<int>(std::lround(plan->probability * 100))) + "%)";
  auto pair_new = [&](long long index) {
    NewRun a{1, {}, "confirm"}, b{plan->configuration, plan->hp, "confirm"};
    if (index % 2 == 0) batch.push_back(a), batch.push_back(b);
    else batch.push_back(b), batch.push_back(a);
  };
  for (int i = 0; i < d.confirm_min; ++i) pair_new(i);
  return batch;
}

// A local --resume of a run that submitted to Slurm: running here what Slurm still has queued or
// running would train it twice.
void refuse_while_in_slurm(const study::StudyPaths& paths, const TuneState& s, const slurm::SlurmOptions& so,
                           std::ostream& err) {
  if (slurm::read_submissions(paths.dir).empty()) return;
  std::vector<long long> pending;
  for (const auto& r : s.runs)
    if (!r.final()) pending.push_back(r.task_id);
  std::vector<long long> jobs;
  try {
    jobs = slurm::active_slurm_jobs(paths, pending, so);
  } catch (const Error& e) {
    err << "greentune: note: " << paths.dir << " submitted tasks to Slurm, which could not be asked (" << e.what()
        << "); running what is pending here\n";
  }
  if (jobs.empty()) return;
  std::vector<std::string> j;
  for (long long id : jobs) j.push_back(std::to_string(id));
  throw usage_error(paths.dir + ": tasks of this tune run are still in Slurm (job " + join(j, ", ") +
                    "); continue with greentune tune --resume " + paths.dir +
                    " --executor slurm (it waits for them), or cancel them (scancel " + join(j, " ") + ") first");
}

// How this tune run's batches go to Slurm: the options given or recorded, the overrides in force
// as run-task arguments (nodes read no database), the session's cancel flag (search() adds the
// line per result, from the batch's state).
slurm::BatchOptions slurm_batch_options(const TuneOptions& o, store::StudyStore& st, const TuneState& s,
                                      const exec::Session& session, std::ostream& err) {
  slurm::BatchOptions sb;
  sb.slurm = o.slurm;
  slurm::reuse_slurm_options(st, sb.slurm, o.resume.empty() || slurm::slurm_options_given(o.slurm));
  slurm::save_slurm_options(st, sb.slurm);
  if (sb.slurm.greentune_bin.empty()) sb.slurm.greentune_bin = self_executable_path();
  auto& args = sb.slurm.run_task_args;
  for (const auto& a : exec::run_task_arguments(exec::recorded_overrides(st))) args.push_back(a);
  if (!o.greentune_bin.empty()) args.insert(args.end(), {"--greentune-bin", o.greentune_bin});
  sb.name = s.def.study.name;
  sb.poll_s = o.slurm_poll_s;
  sb.cancel = session.cancel_flag();
  const bool quiet = o.quiet;
  sb.log = [&err, quiet](const std::string& line) {
    if (!quiet) err << "tune: " << line << "\n";
  };
  return sb;
}

// The executor a run uses ("local" or "slurm"), its options checked.
std::string tune_executor(const TuneOptions& o, const study::StudyPaths& paths) {
  // A run that submitted to Slurm (it made DIR/slurm/ before anything else) resumes there.
  std::string executor = o.executor;
  if (executor.empty())
    executor = !o.resume.empty() && std::filesystem::is_directory(slurm::slurm_dir(paths.dir)) ? "slurm" : "local";
  if (executor != "local" && executor != "slurm")
    throw usage_error("--executor: expected local or slurm, got '" + executor + "'");
  const bool on_slurm = executor == "slurm";
  if (!on_slurm && slurm::slurm_options_given(o.slurm))
    throw usage_error("--partition, --sbatch-arg, --no-exclusive and --max-parallel apply only with --executor slurm");
  // (A resume asks for the Slurm commands only when it has something to submit or wait for.)
  if (on_slurm && !o.dry_run && o.resume.empty() && !slurm::slurm_available(o.slurm))
    throw usage_error("--executor slurm: '" + o.slurm.sbatch +
                      "' not found; tune from a machine with the Slurm client commands (a login node)");
  return executor;
}

// A tune directory opened (created, or resumed) under its lock.
struct OpenRun {
  study::StudyPaths paths;
  std::optional<store::StudyStore> st;
  FileLock lock;  // one runner per tune directory, as for studies (exec/study_lock.hpp)
};

// Opens the run; false for a dry run (the definition printed, nothing created).
bool open_run(const TuneOptions& o, bool on_slurm, OpenRun& r, std::ostream& out, std::ostream& info) {
  // Nodes' run-task refuses to run beside a local runner: on Slurm tune holds the lock as a submitter.
  const std::string role = on_slurm ? exec::kRoleSubmit : exec::kRoleRunner;
  const std::string what = std::string("greentune tune") + (o.resume.empty() ? "" : " --resume") +
                           (on_slurm ? " --executor slurm" : "");
  if (!o.resume.empty()) {
    r.lock = exec::lock_study(r.paths.dir, what, role);  // refused before anything is read or written
    r.st.emplace(store::StudyStore::open(r.paths.db()));
    TuneState s = load_tune_state(r.paths, *r.st);
    int merged = exec::merge_result_files(s.study, *r.st);
    long long reset = r.st->reset_in_flight();
    info << "resuming tune '" << s.def.study.name << "' in " << r.paths.dir << ": " << merged
         << " run(s) recovered from result files, " << reset << " interrupted run(s) to re-run\n";
    return true;
  }
  if (o.tune_file.empty()) throw usage_error("tune needs a tune file (or --resume DIR)");
  TuneDefinition def = load_tune_file(o.tune_file);
  if (o.dry_run) {
    out << describe_definition(def);
    return false;
  }
  // Warm start: checked before anything is created (a refusal leaves nothing behind).
  std::optional<WarmStart> warm;
  std::vector<std::string> from = def.from;
  from.insert(from.end(), o.from.begin(), o.from.end());
  if (!from.empty()) {
    if (on_slurm) throw usage_error("--from: a warm start is for a local tune (this machine's runs)");
    energy::MeterOptions mo;
    mo.meter = o.meter_override.empty() ? def.study.meter : o.meter_override;
    energy::MeterSession probe(mo);
    warm = load_warm_start(def, from, exec::collect_environment(probe.backends()));
  }
  std::string dir = o.out_dir.empty() ? default_dir(def) : o.out_dir;
  study::StudyDefinition sd = def.study;
  sd.repetitions = 1;
  for (auto& m : sd.models) m.operators.clear();
  study::create_study_directory(sd, dir);  // the original's first run is task 1
  r.paths.dir = dir;
  r.lock = exec::lock_study(r.paths.dir, what, role);
  if (on_slurm) make_directories(slurm::slurm_dir(r.paths.dir));
  r.st.emplace(store::StudyStore::open(r.paths.db()));
  r.st->set_meta("kind", "tune");
  if (warm) {
    r.st->set_meta(kWarmStartMetaKey, warm_start_to_json(*warm).dump());
    for (const auto& n : warm->notes) info << "warm start: " << n << "\n";
  }
  info << describe_definition(def) << "tune directory: " << r.paths.dir << "\n";
  return true;
}

bool budget_spent_now(const TuneState& now) {
  return (now.def.budget_j && now.energy_spent_j() >= *now.def.budget_j) ||
         (now.def.budget_h && now.hours_spent() >= *now.def.budget_h);
}

// The search: batches proposed, run (through the session here, or as Slurm job arrays) and
// stored until the budget is spent or nothing is left to try. Returns 130 when interrupted.
int search(const TuneOptions& o, OpenRun& r, exec::Session& session, const slurm::BatchOptions* on_slurm,
           std::ostream& err) {
  const study::StudyPaths& paths = r.paths;
  store::StudyStore& st = *r.st;
  TuneState s = load_tune_state(paths, st);
  try {
    for (;;) {
      s = load_tune_state(paths, st);
      std::vector<long long> pending;
      for (const auto& run : s.runs)
        if (!run.final() && (pending.empty() || pending.back() != run.task_id)) pending.push_back(run.task_id);
      if (budget_spent_now(s)) break;  // what is still pending is left unrun (the budget is spent)
      if (!pending.empty() && on_slurm) {
        write_tune_plan(paths, s.def, st);  // the nodes read the plan: rewritten from the database first
        slurm::BatchOptions batch = *on_slurm;
        batch.on_result = [&](const study::TaskResult& res) {
          if (!o.quiet) err << run_line(s, res) << "\n";
        };
        slurm::run_batch(paths, st, pending, batch);  // the whole batch, then the budgets are looked at again
        continue;
      }
      if (!pending.empty()) {
        session.set_study(s.study);
        exec::SessionHooks hooks;
        hooks.on_task_done = [&](const study::TaskResult& res) {
          if (!o.quiet) err << run_line(s, res) << "\n";
          return !budget_spent_now(load_tune_state(paths, st));
        };
        // Pruning (prune_hook.hpp): the rule's reference is rebuilt from what is stored when each
        // task's run first shows up (tasks run in order, so a resume that re-runs a task sees the
        // same runs and decides the same); the rule's bounds go into the pruned run's details.
        PruneHook prune;
        long long prune_run = 0;
        std::size_t seen = 0;  // points of prune_run's curve already judged
        hooks.watch = [&](exec::RunWatch& w) {
          for (const auto& run : w.runs) {
            if (run.run_id != prune_run) {
              prune = pruning_hook(load_tune_state(paths, st), st);
              prune_run = run.run_id;
              seen = 0;
            }
            if (!prune.on_progress) continue;
            // Every epoch reported since the last look, in turn (a look may bring several).
            for (; seen < run.curve.size(); ++seen) {
              const std::vector<exec::ProgressPoint> so_far(run.curve.begin(), run.curve.begin() + seen + 1);
              std::string why = prune.on_progress(run.run_id, so_far);
              if (!why.empty()) {
                // A run that has reported its last epoch meanwhile has nothing left to save.
                auto planned = prune.planned_epochs.find(run.run_id);
                if (planned != prune.planned_epochs.end() && run.curve.back().epoch < planned->second)
                  w.stop.emplace_back(run.run_id, why);
                else
                  prune.decisions->erase(run.run_id);
                seen = run.curve.size();
                break;
              }
            }
          }
        };
        hooks.amend = [&](study::TaskResult& res) {
          for (auto& run : res.runs) {
            auto d = prune.decisions->find(run.run_id);
            if (d == prune.decisions->end() || run.status != RunStatus::pruned) continue;
            if (d->second.metric_bound) run.details["pruned_metric_bound"] = format_exact(*d->second.metric_bound);
            if (d->second.cost_bound) run.details["pruned_cost_bound"] = format_exact(*d->second.cost_bound);
            if (d->second.cost_projection)
              run.details["pruned_cost_projection"] = format_exact(*d->second.cost_projection);
            run.details["pruned_because"] = to_string(d->second.verdict);
          }
        };
        exec::BatchEnd end = session.run(pending, hooks);
        if (end == exec::BatchEnd::cancelled) return 130;
        if (end == exec::BatchEnd::stopped) break;
        continue;
      }
      std::optional<json> candidates;
      std::string note;
      std::vector<NewRun> batch = next_batch(s, candidates, note);
      if (!note.empty() && !o.quiet) err << "tune: " << note << "\n";
      if (batch.empty()) break;
      add_runs(st, s, batch, candidates);
    }
  } catch (const exec::Cancelled&) {  // a Slurm batch's wait (a local batch's is the session's)
    session.reset_in_flight();
    err << "greentune: interrupted; what was submitted stays in Slurm (squeue), and its results are kept. Continue "
           "with (it waits for those jobs rather than submitting them again):\n"
        << "  greentune tune --resume " << paths.dir << "\n";
    return 130;
  } catch (...) {
    try {
      session.reset_in_flight();
    } catch (const Error&) {
      // e.g. the disk is full: the next --resume puts them back to pending
    }
    throw;
  }
  return 0;
}

}  // namespace

int run_tune(const TuneOptions& o) {
  std::ostream& out = o.out ? *o.out : std::cout;
  std::ostream& err = o.err ? *o.err : std::cerr;
  std::ostream& info = o.json ? err : out;
  OpenRun r;
  const exec::StudyOverrides given{o.meter_override, o.cooldown_s};
  exec::check_overrides(given);  // refused before anything is created
  if (!o.resume.empty()) {
    if (o.dry_run) throw usage_error("--dry-run and --resume cannot be combined");
    if (!o.tune_file.empty()) throw usage_error("--resume continues a tune run: give no tune file with it");
    r.paths = study::StudyPaths::from_path(o.resume);
  }
  const std::string executor = tune_executor(o, r.paths);
  const bool on_slurm = executor == "slurm";
  if (!open_run(o, on_slurm, r, out, info)) return 0;
  // --meter and --cooldown: recorded as a study's are (kept by --resume), applied by load_tune_state,
  // passed on to Slurm's nodes as run-task arguments (exec/overrides.hpp).
  exec::record_overrides(*r.st, given);

  TuneState s = load_tune_state(r.paths, *r.st);
  if (!on_slurm && !o.resume.empty()) refuse_while_in_slurm(r.paths, s, o.slurm, err);
  // The execution core (exec/session.hpp): here it runs the tasks; on Slurm each node's run-task
  // has its own, and this one only owns cancellation and the runs in flight.
  exec::SessionOptions so;
  so.greentune_bin = o.greentune_bin;
  so.resume_command = "greentune tune --resume " + r.paths.dir;
  so.err = &err;
  so.here = !on_slurm;
  exec::Session session(s.study, &*r.st, so);
  r.st->set_meta("executor", executor);
  std::optional<slurm::BatchOptions> sb;
  if (on_slurm) sb = slurm_batch_options(o, *r.st, s, session, err);
  if (search(o, r, session, sb ? &*sb : nullptr, err) == 130) return 130;
  session.restore_governor();
  r.st->set_meta("finished_at", store::utc_now_iso());
  json summary = tune_summary(r.paths.dir);
  write_file_atomic(r.paths.dir + "/report.html", report::tune_report_html(summary));
  if (o.json) out << summary.dump(2) << "\n";
  else out << describe_summary(summary) << "report: " << r.paths.dir << "/report.html\n";
  return 0;
}

}  // namespace greentune::tune
