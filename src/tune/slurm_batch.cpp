#include "slurm_batch.hpp"

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/text.hpp"
#include "greentune/exec/results.hpp"
#include "greentune/exec/task.hpp"
#include "greentune/tune/tune_definition.hpp"
#include "greentune/tune/tune_task.hpp"
#include "state.hpp"

namespace greentune::tune {

using nlohmann::json;
namespace slurm = exec::slurm;

std::string tune_plan_file(const std::string& dir) { return dir + "/tune-plan.json"; }

bool is_tune_directory(const std::string& dir_or_db) {
  study::StudyPaths paths;
  try {
    paths = study::StudyPaths::from_path(dir_or_db);
  } catch (const Error&) {
    return false;
  }
  if (!file_exists(paths.definition())) return false;
  try {
    toml::table t = toml::parse(read_file(paths.definition()), paths.definition());
    return t.contains("tune");
  } catch (const toml::parse_error&) {
    return false;  // not ours to judge: the study loader reports the file's error
  }
}

void write_tune_plan(const study::StudyPaths& paths, const TuneDefinition& def, store::StudyStore& st) {
  const study::Plan plan = tune_plan(def, st.configurations(), st.tasks(), st.runs());
  write_file_atomic(tune_plan_file(paths.dir), study::plan_to_json(plan).dump(1) + "\n");
}

study::LoadedStudy load_tune_directory_for_tasks(const study::StudyPaths& paths) {
  study::LoadedStudy ls;
  ls.paths = paths;
  const std::string file = tune_plan_file(paths.dir);
  const study::StudyInfo info = study::read_study_info(paths);
  ls.study_id = info.study_id;
  TuneDefinition def = parse_tune(read_file(paths.definition()), info.source, info.base_dir);
  ls.definition = def.study;
  if (!file_exists(file))
    throw input_error(file + ": missing (" + paths.dir + " is a tune run that has not planned any Slurm batch)");
  try {
    ls.plan = study::plan_from_json(json::parse(read_file(file)));
  } catch (const json::exception& e) {
    throw input_error(file + ": " + e.what());
  } catch (const Error& e) {
    throw input_error(file + ": " + e.what());
  }
  return ls;
}

namespace {

std::vector<long long> jobs_of(const std::vector<slurm::Submission>& subs, const std::set<long long>& tasks) {
  std::set<long long> jobs;
  for (const auto& s : subs)
    for (long long t : s.task_ids())
      if (tasks.count(t)) jobs.insert(s.job_id);
  return {jobs.begin(), jobs.end()};
}

}  // namespace

std::vector<long long> active_slurm_jobs(const study::StudyPaths& paths, const std::vector<long long>& tasks,
                                         const slurm::SlurmOptions& options) {
  std::vector<slurm::Submission> subs = slurm::read_submissions(paths.dir);
  std::set<long long> open(tasks.begin(), tasks.end());
  std::vector<long long> jobs = jobs_of(subs, open);
  if (jobs.empty()) return {};
  slurm::SlurmClient client(options);
  slurm::QueryResult q = client.query(jobs);
  std::set<long long> active;
  for (const auto& t : slurm::classify_tasks(tasks, {}, subs, q))
    if (t.phase == slurm::TaskPhase::pending || t.phase == slurm::TaskPhase::running) active.insert(t.job_id);
  return {active.begin(), active.end()};
}

void run_batch_on_slurm(const study::StudyPaths& paths, const TuneDefinition& def, store::StudyStore& st,
                        const std::vector<long long>& tasks, const SlurmBatchOptions& o) {
  auto log = [&](const std::string& s) {
    if (o.log) o.log(s);
  };
  auto check_cancel = [&] {
    if (o.cancel && o.cancel->load()) throw exec::Cancelled();
  };
  if (!slurm::slurm_available(o.slurm))
    throw usage_error(paths.dir + " runs on Slurm, and '" + o.slurm.sbatch +
                      "' is not found here; continue from a machine with the Slurm client commands (a login node)");
  // The nodes read the plan: rewritten from the database before anything is submitted.
  write_tune_plan(paths, def, st);
  slurm::SlurmClient client(o.slurm);
  std::set<long long> open;
  for (long long t : tasks)
    if (!exec::task_done(st, t)) open.insert(t);
  std::set<long long> bad;           // tasks whose result file could not be stored (until re-submitted)
  std::map<long long, int> lost;     // elements that left Slurm without a result, per task

  // Stores the result files that have appeared; closes their tasks.
  auto collect = [&] {
    for (auto it = open.begin(); it != open.end();) {
      const long long id = *it;
      const std::string file = paths.result_file(id);
      if (bad.count(id) || !file_exists(file)) {
        ++it;
        continue;
      }
      study::TaskResult r;
      try {
        try {
          r = study::read_task_result(file);
        } catch (const Error& e) {
          throw input_error(e.what());  // unreadable: the file is bad, whatever the reason
        }
        if (r.task_id != id)
          throw input_error("holds task " + std::to_string(r.task_id) + ", not task " + std::to_string(id));
        study::store_task_result(st, r);
      } catch (const Error& e) {
        // A result of another study, or naming runs the tune run does not have: the file is bad.
        // Anything else (the database cannot be written) stops tune.
        if (e.kind() != ErrorKind::input) throw;
        log("result file skipped: " + file + ": " + e.what());
        bad.insert(id);
        ++it;
        continue;
      }
      if (!exec::task_done(st, id)) {  // a result that does not finish the task (should not happen)
        log("result file skipped: " + file + ": it leaves a run of task " + std::to_string(id) + " unfinished");
        bad.insert(id);
        ++it;
        continue;
      }
      if (o.on_result) o.on_result(r);
      it = open.erase(it);
    }
  };

  // Asks Slurm about the open tasks; submits those with neither a result nor a live element.
  auto settle = [&](bool first) {
    std::vector<slurm::Submission> subs = slurm::read_submissions(paths.dir);
    std::vector<long long> ids(open.begin(), open.end());
    slurm::QueryResult q;
    std::vector<long long> jobs = jobs_of(subs, open);
    if (!jobs.empty()) {
      try {
        q = client.query(jobs);
      } catch (const Error& e) {
        if (first) throw;
        log("Slurm could not be asked (" + std::string(e.what()) + "); asking again");
        return;
      }
    }
    std::vector<long long> to_submit;
    std::set<long long> waiting_jobs;
    for (const auto& t : slurm::classify_tasks(ids, {}, subs, q)) {
      if (t.phase == slurm::TaskPhase::pending || t.phase == slurm::TaskPhase::running) {
        waiting_jobs.insert(t.job_id);
        continue;
      }
      // Ended without a result, or never submitted. A result written between our look at the
      // files and Slurm's answer is collected on the next round.
      if (!bad.count(t.task_id) && file_exists(paths.result_file(t.task_id))) continue;
      if (t.phase == slurm::TaskPhase::failed) {
        if (++lost[t.task_id] > o.max_lost)
          throw runtime_error("task " + std::to_string(t.task_id) + " of " + paths.dir + " left Slurm without a result " +
                              std::to_string(o.max_lost + 1) + " times (last: " + t.detail + "; logs in " +
                              slurm::slurm_dir(paths.dir) + "/logs/); fix the cause and continue with greentune tune --resume " +
                              paths.dir);
        log("task " + std::to_string(t.task_id) + ": " + t.detail + "; submitting it again");
      }
      to_submit.push_back(t.task_id);
    }
    if (first && !waiting_jobs.empty()) {
      std::vector<std::string> j;
      for (long long id : waiting_jobs) j.push_back(std::to_string(id));
      log("waiting for task(s) already in Slurm (job " + join(j, ", ") + ")");
    }
    if (to_submit.empty()) return;
    for (long long id : to_submit) bad.erase(id);
    for (const auto& s : slurm::submit_tasks(client, paths.dir, o.name, to_submit))
      log("submitted task(s) " + slurm::compress_ids(s.task_ids()) + " as Slurm job array " + std::to_string(s.job_id));
  };

  collect();
  if (open.empty()) return;
  settle(true);
  using clock = std::chrono::steady_clock;
  auto last_query = clock::now();
  while (!open.empty()) {
    check_cancel();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    collect();
    if (open.empty()) break;
    if (std::chrono::duration<double>(clock::now() - last_query).count() >= o.poll_s) {
      settle(false);
      last_query = clock::now();
    }
  }
}

}  // namespace greentune::tune
