#include "greentune/slurm/batch.hpp"

#include <chrono>
#include <map>
#include <set>
#include <thread>


#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/text.hpp"
#include "greentune/exec/results.hpp"
#include "greentune/exec/task.hpp"

namespace greentune::slurm {


namespace {

std::vector<long long> jobs_of(const std::vector<Submission>& subs, const std::set<long long>& tasks) {
  std::set<long long> jobs;
  for (const auto& s : subs)
    for (long long t : s.task_ids())
      if (tasks.count(t)) jobs.insert(s.job_id);
  return {jobs.begin(), jobs.end()};
}

}  // namespace

std::vector<long long> active_slurm_jobs(const study::StudyPaths& paths, const std::vector<long long>& tasks,
                                         const SlurmOptions& options) {
  std::vector<Submission> subs = read_submissions(paths.dir);
  std::set<long long> open(tasks.begin(), tasks.end());
  std::vector<long long> jobs = jobs_of(subs, open);
  if (jobs.empty()) return {};
  SlurmClient client(options);
  QueryResult q = client.query(jobs);
  std::set<long long> active;
  for (const auto& t : classify_tasks(tasks, {}, subs, q))
    if (t.phase == TaskPhase::pending || t.phase == TaskPhase::running) active.insert(t.job_id);
  return {active.begin(), active.end()};
}

namespace {

// One batch being waited for: the open tasks, the result files stored as they appear, Slurm asked
// now and then and what left it without a result submitted again.
class BatchWait {
 public:
  BatchWait(const study::StudyPaths& paths, store::StudyStore& st, const std::vector<long long>& tasks,
            const BatchOptions& o)
      : paths_(paths), st_(st), o_(o), client_(o.slurm) {
    for (long long t : tasks)
      if (!exec::task_done(st, t)) open_.insert(t);
  }
  bool done() const { return open_.empty(); }
  void check_cancel() const {
    if (o_.cancel && o_.cancel->load()) throw exec::Cancelled();
  }

  // Stores the result files that have appeared; closes their tasks.
  void collect() {
    for (auto it = open_.begin(); it != open_.end();) {
      const long long id = *it;
      const std::string file = paths_.result_file(id);
      if (bad_.count(id) || !file_exists(file)) {
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
        study::store_task_result(st_, r);
      } catch (const Error& e) {
        // A result of another study, or naming runs the tune run does not have: the file is bad.
        // Anything else (the database cannot be written) stops tune.
        if (e.kind() != ErrorKind::input) throw;
        log("result file skipped: " + file + ": " + e.what());
        bad_.insert(id);
        ++it;
        continue;
      }
      if (!exec::task_done(st_, id)) {  // a result that does not finish the task (should not happen)
        log("result file skipped: " + file + ": it leaves a run of task " + std::to_string(id) + " unfinished");
        bad_.insert(id);
        ++it;
        continue;
      }
      if (o_.on_result) o_.on_result(r);
      it = open_.erase(it);
  }
  }

  // Asks Slurm about the open tasks; submits those with neither a result nor a live element.
  void settle(bool first) {
    std::vector<Submission> subs = read_submissions(paths_.dir);
    std::vector<long long> ids(open_.begin(), open_.end());
    QueryResult q;
    std::vector<long long> jobs = jobs_of(subs, open_);
    if (!jobs.empty()) {
      try {
        q = client_.query(jobs);
      } catch (const Error& e) {
        if (first) throw;
        log("Slurm could not be asked (" + std::string(e.what()) + "); asking again");
        return;
      }
  }
  std::vector<long long> to_submit;
  std::set<long long> waiting_jobs;
  for (const auto& t : classify_tasks(ids, {}, subs, q)) {
    if (t.phase == TaskPhase::pending || t.phase == TaskPhase::running) {
      waiting_jobs.insert(t.job_id);
      continue;
    }
    // Ended without a result, or never submitted. A result written between our look at the
    // files and Slurm's answer is collected on the next round.
    if (!bad_.count(t.task_id) && file_exists(paths_.result_file(t.task_id))) continue;
    if (t.phase == TaskPhase::failed) {
      if (++lost_[t.task_id] > o_.max_lost)
        throw runtime_error("task " + std::to_string(t.task_id) + " of " + paths_.dir + " left Slurm without a result " +
                            std::to_string(o_.max_lost + 1) + " times (last: " + t.detail + "; logs in " +
                            slurm_dir(paths_.dir) + "/logs/); fix the cause and continue with greentune tune --resume " +
                            paths_.dir);
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
  for (long long id : to_submit) bad_.erase(id);
  for (const auto& s : submit_tasks(client_, paths_.dir, o_.name, to_submit))
    log("submitted task(s) " + compress_ids(s.task_ids()) + " as Slurm job array " + std::to_string(s.job_id));
  }

 private:
  void log(const std::string& s) const {
    if (o_.log) o_.log(s);
  }
  const study::StudyPaths& paths_;
  store::StudyStore& st_;
  const BatchOptions& o_;
  SlurmClient client_;
  std::set<long long> open_;
  std::set<long long> bad_;          // tasks whose result file could not be stored (until re-submitted)
  std::map<long long, int> lost_;    // elements that left Slurm without a result, per task
};

}  // namespace

void run_batch(const study::StudyPaths& paths, store::StudyStore& st, const std::vector<long long>& tasks,
               const BatchOptions& o) {
  if (!slurm_available(o.slurm))
    throw usage_error(paths.dir + " runs on Slurm, and '" + o.slurm.sbatch +
                      "' is not found here; continue from a machine with the Slurm client commands (a login node)");
  BatchWait w(paths, st, tasks, o);
  w.collect();
  if (w.done()) return;
  w.settle(true);
  using clock = std::chrono::steady_clock;
  auto last_query = clock::now();
  while (!w.done()) {
    w.check_cancel();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    w.collect();
    if (w.done()) break;
    if (std::chrono::duration<double>(clock::now() - last_query).count() >= o.poll_s) {
      w.settle(false);
      last_query = clock::now();
    }
  }
}

}  // namespace greentune::slurm
