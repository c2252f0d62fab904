// greentune run-task: one task of a study or a tune run on this machine, through the execution
// core (exec/session.hpp), its result written to DIR/results/task-<N>.json (slurm/run_task.hpp).
#include "greentune/slurm/run_task.hpp"

#include <signal.h>

#include <cstdlib>
#include <map>
#include <ostream>

#include <fmt/format.h>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/format.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/exec/overrides.hpp"
#include "greentune/exec/session.hpp"
#include "greentune/exec/study_lock.hpp"
#include "greentune/slurm/client.hpp"

namespace greentune::slurm {

using namespace greentune::exec;
using namespace greentune::study;

namespace {

std::string env_or(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// Slurm's facts about this job, for every run's details (analysis can filter on them).
std::map<std::string, std::string> slurm_job_details() {
  std::map<std::string, std::string> d;
  const std::pair<const char*, const char*> vars[] = {
      {"SLURM_JOB_ID", "slurm_job_id"},
      {"SLURM_ARRAY_JOB_ID", "slurm_array_job_id"},
      {"SLURM_ARRAY_TASK_ID", "slurm_array_task_id"},
      {"SLURM_JOB_PARTITION", "slurm_partition"},
      {"SLURM_CLUSTER_NAME", "slurm_cluster"},
      {"SLURM_JOB_CPUS_PER_NODE", "slurm_cpus_on_node"},
      {"SLURM_JOB_NODELIST", "slurm_nodelist"},
      {"SLURM_RESTART_COUNT", "slurm_restart_count"},
  };
  for (const auto& [var, key] : vars) {
    std::string v = env_or(var);
    if (!v.empty()) d[key] = v;
  }
  d["executor"] = d.count("slurm_job_id") ? "slurm" : "run-task";
  return d;
}

}  // namespace

int run_task(const RunTaskOptions& o, std::ostream& out) {
  if (o.task_id <= 0) throw usage_error("--task must be a task number >= 1 (got " + std::to_string(o.task_id) + ")");
  StudyPaths paths = StudyPaths::from_path(o.study_dir);
  LoadedStudy study = o.load ? o.load(paths) : load_study_directory(paths);
  const PlannedTask& task = study.task(o.task_id);  // input_error when unknown

  // One execution of a task at a time (a duplicated array element, a copy started by hand),
  // and none while a local runner executes the study: refused before anything is touched.
  if (auto h = study_lock_holder(paths.dir); h && h->role == kRoleRunner)
    throw runtime_error(paths.dir + " is being run by " + h->describe() + "; run-task refuses to execute task " +
                        std::to_string(o.task_id) + " beside it");
  FileLock task_lock = lock_task(paths, o.task_id, "greentune run-task --task " + std::to_string(o.task_id));

  std::string file = paths.result_file(o.task_id);
  if (!o.force && file_exists(file)) {
    try {
      TaskResult prev = read_task_result(file);
      if (prev.study_id == study.study_id && prev.task_id == o.task_id) {
        out << "task " << o.task_id << " already has a result (" << file << ", from " << prev.node << " at "
            << prev.finished_at << "): not run again\n";
        return 0;
      }
      out << "task " << o.task_id << ": " << file << " belongs to another study or task; running again\n";
    } catch (const Error& e) {
      out << "task " << o.task_id << ": existing result unreadable (" << e.what() << "); running again\n";
    }
  }

  apply_overrides(study.definition, StudyOverrides{o.meter_override, o.cooldown_s});
  auto log = [&](const std::string& s) {
    out << s << "\n";
    out.flush();
  };
  log(fmt::format("task {} of study '{}' on {} ({} run(s), scenario {})", o.task_id, study.definition.name,
                  hostname(), task.run_ids.size(), to_string(task.scenario) + (task.corunner.empty() ? "" : "/" + task.corunner)));
  // The execution core (exec/session.hpp), as a local study's: the CPU governor (recorded in the
  // task's environment), one idle baseline per node kept in DIR/slurm/idle/<host>, the cool-down
  // BEFORE the task (the node may just have run anything; --exclusive keeps it ours while it
  // cools), the result file. scancel / preemption send SIGTERM; --signal=USR1@T comes before a
  // time limit: the children are stopped and no result is written.
  SessionOptions so;
  so.greentune_bin = o.greentune_bin;
  so.resume_command = "greentune study --resume " + paths.dir + " --executor slurm";
  so.cancel_on_usr1 = true;
  so.cooldown = o.cooldown;
  so.cooldown_before_first = true;
  so.idle_baseline_file = slurm_dir(paths.dir) + "/idle/" + hostname();
  so.log = log;
  Session session(study, nullptr, so);
  SessionHooks hooks;
  hooks.amend = [](TaskResult& r) {
    std::map<std::string, std::string> facts = slurm_job_details();
    if (facts.count("slurm_cluster")) r.environment["slurm_cluster"] = facts["slurm_cluster"];
    for (auto& run : r.runs) {
      for (const auto& [k, v] : facts) run.details[k] = v;
      if (run.node.empty()) run.node = r.node;
    }
  };
  hooks.on_task_done = [&](const TaskResult& r) {
    for (const auto& run : r.runs)
      log(fmt::format("run {}: {}{}{}", run.run_id, to_string(run.status),
                      run.duration_s ? ", " + format_duration(*run.duration_s) : "",
                      run.reason.empty() ? "" : " (" + run.reason + ")"));
    log("result: " + paths.result_file(r.task_id));
    return true;
  };
  if (session.run({o.task_id}, hooks) == BatchEnd::cancelled)  // no result: `study --resume` submits it again
    throw runtime_error(fmt::format("task {} cancelled by a signal (scancel, preemption or time limit); no result written",
                                    o.task_id));
  return 0;
}

}  // namespace greentune::slurm
