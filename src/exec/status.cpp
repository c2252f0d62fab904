#include "greentune/exec/status.hpp"

#include <map>
#include <sstream>

#include "greentune/core/number_format.hpp"
#include "greentune/core/files.hpp"
#include "greentune/core/format.hpp"
#include "greentune/exec/overrides.hpp"
#include "greentune/exec/study_lock.hpp"
#include "greentune/exec/task.hpp"
#include "greentune/store/integrity.hpp"

namespace greentune::exec {

using namespace greentune::study;

StudyStatus study_status(const std::string& dir_or_db) {
  StudyPaths paths = StudyPaths::from_path(dir_or_db);
  StudyStatus s;
  s.db_path = paths.db();
  s.dir = paths.dir;
  store::check_database_integrity(paths.db());
  s.runner = study_lock_holder(paths.dir);
  store::StudyStore st = store::StudyStore::open(paths.db());
  s.overrides = describe_overrides(recorded_overrides(st));
  auto meta = st.all_meta();
  s.name = meta.count("name") ? meta["name"] : "?";
  s.created_at = meta["created_at"];
  s.finished_at = meta["finished_at"];
  s.executor = meta.count("executor") ? meta["executor"] : "local";
  s.counts = st.counts();
  auto runs = st.runs();
  std::map<long long, std::vector<const store::RunRow*>> by_task;
  for (const auto& r : runs) by_task[r.task_id].push_back(&r);
  s.tasks = static_cast<long long>(by_task.size());
  double task_s_sum = 0;
  long long timed_tasks = 0;
  for (const auto& [tid, rs] : by_task) {
    bool done = true;
    double longest = 0;
    for (const auto* r : rs) {
      done = done && is_final(r->status);
      if (r->duration_s) longest = std::max(longest, *r->duration_s);
    }
    if (!done) continue;
    ++s.tasks_done;
    if (longest > 0) {
      task_s_sum += longest;
      ++timed_tasks;
    }
    // Whole-machine energy: the first job of the task carries it.
    for (const auto& e : st.energy_of(rs.front()->id))
      if (e.joules && !e.flagged) s.energy_j += *e.joules;
  }
  for (long long id : result_task_ids(paths)) {
    ++s.result_files;
    auto it = by_task.find(id);
    if (it == by_task.end()) continue;
    for (const auto* r : it->second)
      if (!is_final(r->status)) {
        ++s.result_files_pending;
        break;
      }
  }
  if (timed_tasks > 0) {
    s.mean_task_s = task_s_sum / static_cast<double>(timed_tasks);
    double cool = 0;
    if (auto c = meta.find("cooldown"); c != meta.end())
      if (auto v = parse_double(c->second.substr(0, c->second.find(' ')))) cool = *v;
    s.eta_s = static_cast<double>(s.tasks - s.tasks_done) * (s.mean_task_s + cool);
  }
  auto configs = st.configurations();
  std::map<long long, const store::ConfigurationRow*> cfg;
  for (const auto& c : configs) cfg[c.id] = &c;
  for (const auto& r : runs) {
    std::string desc = r.model + " ";
    if (r.op == "original") desc += "original";
    else if (cfg.count(r.configuration_id) && cfg[r.configuration_id]->hp.count(r.op))
      desc += r.op + "=" + format_exact(cfg[r.configuration_id]->hp.at(r.op));
    desc += " rep " + std::to_string(r.repetition) + " " + to_string(r.scenario) + (r.corunner.empty() ? "" : "/" + r.corunner);
    if (r.status == RunStatus::running) s.running.push_back({r.id, desc, r.node, r.started_at});
    if (is_failure(r.status))
      s.recent_failures.push_back("run " + std::to_string(r.id) + " " + desc + ": " + to_string(r.status) +
                                  (r.reason.empty() ? "" : " (" + r.reason + ")"));
  }
  if (s.recent_failures.size() > 10)
    s.recent_failures.erase(s.recent_failures.begin(), s.recent_failures.end() - 10);
  return s;
}

std::string format_status(const StudyStatus& s) {
  std::ostringstream o;
  const auto& c = s.counts;
  o << "study '" << s.name << "' (" << s.db_path << ")\n";
  o << "  created " << s.created_at;
  if (!s.finished_at.empty()) o << ", finished " << s.finished_at;
  o << ", executor " << s.executor << "\n";
  o << "  runs: " << c.done() << "/" << c.total << " done";
  if (c.total > 0) o << " (" << c.done() * 100 / c.total << "%)";
  o << "; " << c.succeeded << " succeeded, " << c.failed << " failed, " << c.diverged << " diverged, " << c.timeout
    << " timed out, ";
  // Pruned runs (stopped early by tune) are neither successes nor failures; only tunes have them.
  if (c.pruned > 0) o << c.pruned << " pruned, ";
  o << c.running << " running, " << c.pending << " pending\n";
  o << "  tasks: " << s.tasks_done << "/" << s.tasks << " done";
  if (s.result_files_pending > 0)
    o << "; " << s.result_files_pending << " result file(s) not yet in the database (greentune collect " << s.dir << ")";
  o << "\n";
  o << "  energy so far: " << format_energy(s.energy_j);
  if (s.mean_task_s > 0) o << "; mean task " << format_duration(s.mean_task_s);
  if (s.eta_s > 0 && s.tasks_done < s.tasks) o << "; about " << format_duration(s.eta_s) << " left";
  o << "\n";
  if (s.runner)
    o << "  runner: " << s.runner->describe() << " holds this study\n";
  else
    o << "  runner: none (no process holds this study" << (c.running > 0 ? "; its running runs were interrupted and go back to pending on --resume" : "") << ")\n";
  if (!s.overrides.empty()) o << "  overrides: " << s.overrides << "\n";
  for (const auto& r : s.running)
    o << "  running: run " << r.run_id << " " << r.description << " on " << r.node << " since " << r.started_at << "\n";
  for (const auto& f : s.recent_failures) o << "  " << f << "\n";
  return o.str();
}

}  // namespace greentune::exec
