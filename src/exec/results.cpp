#include "greentune/exec/results.hpp"

#include <sstream>

#include "greentune/core/error.hpp"
#include "greentune/core/text.hpp"
#include "greentune/exec/study_lock.hpp"
#include "greentune/store/integrity.hpp"
#include "greentune/study/task_result.hpp"

namespace greentune::exec {

using namespace greentune::study;

namespace {

void note_bad(CollectReport& rep, const std::string& file, const Error& e) {
  std::string msg = e.what();
  if (msg.rfind(file, 0) != 0) msg = file + ": " + msg;
  rep.bad_files.push_back(msg);
}

}  // namespace

bool task_done(store::StudyStore& st, long long task_id) {
  auto runs = st.runs_of_task(task_id);
  if (runs.empty()) return false;
  for (const auto& r : runs)
    if (!is_final(r.status)) return false;
  return true;
}

CollectReport merge_results(const StudyPaths& paths, store::StudyStore& st, bool unfinished_only) {
  CollectReport rep;
  for (long long id : result_task_ids(paths)) {
    if (unfinished_only && task_done(st, id)) continue;
    std::string file = paths.result_file(id);
    ++rep.files;
    TaskResult r;
    try {
      r = read_task_result(file);
      if (r.task_id != id)
        throw input_error("holds task " + std::to_string(r.task_id) + ", not task " + std::to_string(id));
    } catch (const Error& e) {
      note_bad(rep, file, e);
      continue;
    }
    try {
      StoreSummary s = store_task_result(st, r);
      rep.stored += s.stored;
      rep.unchanged += s.unchanged;
      rep.superseded += s.superseded;
    } catch (const Error& e) {
      // A result of another study, or naming runs the study does not have: the file is bad.
      // Anything else (the database cannot be written) stops the merge.
      if (e.kind() != ErrorKind::input) throw;
      note_bad(rep, file, e);
    }
  }
  return rep;
}

CollectReport collect_results(const std::string& dir_or_db) {
  StudyPaths paths = StudyPaths::from_path(dir_or_db);
  FileLock lock = lock_study(paths.dir, "greentune collect", kRoleCollect);
  store::check_database_integrity(paths.db());
  store::StudyStore st = store::StudyStore::open(paths.db());
  CollectReport rep = merge_results(paths, st);
  store::StatusCounts c = st.counts();
  if (c.total > 0 && c.done() == c.total && !st.meta("finished_at")) st.set_meta("finished_at", store::utc_now_iso());

  // Which nodes measured what, and whether their hardware differs.
  for (const auto& r : st.runs())
    if (is_final(r.status) && !r.node.empty()) ++rep.runs_by_node[r.node];
  if (rep.runs_by_node.size() > 1) {
    auto envs = st.environments();
    std::map<std::string, std::vector<std::string>> by_hardware;
    for (const auto& [node, n] : rep.runs_by_node) {
      const auto it = envs.find(node);
      std::string hw = "unknown hardware";
      if (it != envs.end()) {
        auto get = [&](const char* k) { return it->second.count(k) ? it->second.at(k) : std::string("?"); };
        hw = get("cpu_model") + ", " + get("cpu_cores") + " cores, GPU " + get("gpu");
      }
      by_hardware[hw].push_back(node);
    }
    if (by_hardware.size() > 1) {
      std::vector<std::string> parts;
      for (const auto& [hw, nodes] : by_hardware) parts.push_back(join(nodes, ", ") + " (" + hw + ")");
      rep.mixed_hardware = "runs were measured on different hardware: " + join(parts, "; ") +
                           "; compare energy per node (the runs table's node column)";
    }
  }
  return rep;
}

std::string format_collect(const CollectReport& r, const std::string& dir) {
  std::ostringstream o;
  o << "collected " << r.files << " result file(s) from " << dir << "/results: " << r.stored << " run(s) stored, "
    << r.unchanged << " already stored";
  if (r.superseded) o << ", " << r.superseded << " superseded (the run already had another result; kept)";
  o << "\n";
  if (r.runs_by_node.size() > 1) {
    o << "finished runs per node:";
    for (const auto& [node, n] : r.runs_by_node) o << " " << node << " " << n << ";";
    o << "\n";
  }
  if (!r.mixed_hardware.empty()) o << "warning: " << r.mixed_hardware << "\n";
  return o.str();
}

}  // namespace greentune::exec
