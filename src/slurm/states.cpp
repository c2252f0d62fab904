// Slurm, reading what it says: job states, squeue's and sacct's lines, and each task's phase
// from its submissions, Slurm's states and the result files (slurm/states.hpp).
#include <map>
#include <set>

#include <fmt/format.h>

#include "greentune/core/text.hpp"
#include "greentune/slurm/states.hpp"

namespace greentune::slurm {

// ---------------------------------------------------------------- states

JobState parse_job_state(const std::string& text) {
  std::string s = trim(text);
  auto sp = s.find(' ');
  if (sp != std::string::npos) s = s.substr(0, sp);  // "CANCELLED by 0"
  if (!s.empty() && s.back() == '+') s.pop_back();    // sacct's truncation marker
  static const std::map<std::string, JobState> table = {
      {"PENDING", JobState::pending},       {"PD", JobState::pending},
      {"REQUEUED", JobState::pending},      {"RQ", JobState::pending},
      {"REQUEUE_HOLD", JobState::pending},  {"REQUEUE_FED", JobState::pending},
      {"RESIZING", JobState::pending},      {"SUSPENDED", JobState::pending},
      {"S", JobState::pending},             {"CONFIGURING", JobState::pending},
      {"CF", JobState::pending},            {"RUNNING", JobState::running},
      {"R", JobState::running},             {"COMPLETING", JobState::running},
      {"CG", JobState::running},            {"STAGE_OUT", JobState::running},
      {"SIGNALING", JobState::running},     {"COMPLETED", JobState::completed},
      {"CD", JobState::completed},          {"FAILED", JobState::failed},
      {"F", JobState::failed},              {"BOOT_FAIL", JobState::failed},
      {"DEADLINE", JobState::failed},       {"OUT_OF_MEMORY", JobState::failed},
      {"OOM", JobState::failed},            {"NODE_FAIL", JobState::failed},
      {"NF", JobState::failed},             {"SPECIAL_EXIT", JobState::failed},
      {"REVOKED", JobState::failed},        {"CANCELLED", JobState::cancelled},
      {"CA", JobState::cancelled},          {"TIMEOUT", JobState::timeout},
      {"TO", JobState::timeout},            {"PREEMPTED", JobState::preempted},
      {"PR", JobState::preempted},
  };
  auto it = table.find(s);
  return it == table.end() ? JobState::unknown : it->second;
}

const char* job_state_name(JobState s) {
  switch (s) {
    case JobState::pending: return "pending";
    case JobState::running: return "running";
    case JobState::completed: return "completed";
    case JobState::failed: return "failed";
    case JobState::cancelled: return "cancelled";
    case JobState::timeout: return "timeout";
    case JobState::preempted: return "preempted";
    case JobState::unknown: return "unknown";
  }
  return "unknown";
}

bool is_active(JobState s) { return s == JobState::pending || s == JobState::running; }

namespace {

// The state of each array element that `index` names: one index, or a range of them (squeue
// and sacct may give pending elements unexpanded, "3-7%2", even when asked to expand them).
void push_elements(std::vector<TaskJobState>& out, TaskJobState base, const std::string& index) {
  long long one = 0;
  if (parse_whole_number(index, one)) {
    base.array_index = one;
    out.push_back(base);
    return;
  }
  for (long long i : expand_ids(index)) {
    base.array_index = i;
    out.push_back(base);
  }
}

}  // namespace

std::vector<TaskJobState> parse_squeue(const std::string& text) {
  std::vector<TaskJobState> out;
  for (const std::string& line : nonempty_lines(text)) {
    auto f = split(line, '|');
    if (f.size() < 3) continue;  // not ours (a message line)
    long long job = 0;
    if (!parse_whole_number(trim(f[0]), job)) continue;
    std::string idx = trim(f[1]);
    TaskJobState base;
    base.job_id = job;
    base.raw_state = trim(f[2]);
    base.state = parse_job_state(base.raw_state);
    if (f.size() > 3) base.reason = trim(f[3]);
    if (f.size() > 4) base.node = trim(f[4]);
    if (base.node == "(null)") base.node.clear();
    if (idx == "N/A" || idx.empty()) out.push_back(base);
    else push_elements(out, base, idx);
  }
  return out;
}

std::vector<TaskJobState> parse_sacct(const std::string& text) {
  std::vector<TaskJobState> out;
  for (const std::string& line : nonempty_lines(text)) {
    auto f = split(line, '|');
    if (f.size() < 2) continue;
    std::string jobid = trim(f[0]);
    if (jobid.find('.') != std::string::npos) continue;  // a step ("123_4.batch")
    TaskJobState base;
    base.raw_state = trim(f[1]);
    base.state = parse_job_state(base.raw_state);
    if (f.size() > 2) base.reason = "exit " + trim(f[2]);
    if (f.size() > 3) base.node = trim(f[3]);
    if (base.node == "None assigned") base.node.clear();
    auto us = jobid.find('_');
    if (us == std::string::npos) {
      if (!parse_whole_number(jobid, base.job_id)) continue;
      out.push_back(base);
      continue;
    }
    if (!parse_whole_number(jobid.substr(0, us), base.job_id)) continue;
    push_elements(out, base, jobid.substr(us + 1));
  }
  return out;
}

// ---------------------------------------------------------------- submissions

std::vector<long long> Submission::task_ids() const { return ArrayChunk{base, indices}.task_ids(); }

// ---------------------------------------------------------------- classification

const char* task_phase_name(TaskPhase p) {
  switch (p) {
    case TaskPhase::unsubmitted: return "unsubmitted";
    case TaskPhase::pending: return "pending";
    case TaskPhase::running: return "running";
    case TaskPhase::done: return "done";
    case TaskPhase::failed: return "failed";
  }
  return "unknown";
}

std::vector<TaskStatus> classify_tasks(const std::vector<long long>& task_ids, const std::vector<long long>& done,
                                       const std::vector<Submission>& submissions, const QueryResult& slurm) {
  std::set<long long> done_set(done.begin(), done.end());
  // task -> its (job id, index) pairs in submission order
  std::map<long long, std::vector<std::pair<long long, long long>>> elements;
  for (const Submission& s : submissions)
    for (long long i : s.indices) elements[s.base + i].push_back({s.job_id, i});

  std::vector<TaskStatus> out;
  for (long long id : task_ids) {
    TaskStatus t;
    t.task_id = id;
    auto it = elements.find(id);
    const TaskJobState* active = nullptr;
    const TaskJobState* latest = nullptr;
    if (it != elements.end()) {
      t.job_id = it->second.back().first;
      for (const auto& key : it->second) {
        auto st = slurm.states.find(key);
        if (st == slurm.states.end()) continue;
        if (is_active(st->second.state)) active = &st->second;
      }
      auto st = slurm.states.find(it->second.back());
      if (st != slurm.states.end()) latest = &st->second;
    }
    if (done_set.count(id)) {
      t.phase = TaskPhase::done;
      if (latest) {
        t.slurm_state = latest->raw_state;
        t.node = latest->node;
      }
    } else if (active) {
      t.phase = active->state == JobState::running ? TaskPhase::running : TaskPhase::pending;
      t.job_id = active->job_id;
      t.slurm_state = active->raw_state;
      t.node = active->node;
      if (active->state == JobState::pending && !active->reason.empty() && active->reason != "None")
        t.detail = "waiting: " + active->reason;
    } else if (it == elements.end()) {
      t.phase = TaskPhase::unsubmitted;
    } else {
      t.phase = TaskPhase::failed;
      if (latest) {
        t.slurm_state = latest->raw_state;
        t.node = latest->node;
        if (latest->state == JobState::completed)
          t.detail = fmt::format("job {}_{} completed without writing a result (see its .err log)", t.job_id,
                                 it->second.back().second);
        else
          t.detail = fmt::format("job {}_{} ended {}{}", t.job_id, it->second.back().second, latest->raw_state,
                                 latest->reason.empty() || latest->reason == "None" ? "" : " (" + latest->reason + ")");
      } else {
        t.detail = fmt::format("job {}_{} left the queue without a result", t.job_id, it->second.back().second);
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace greentune::slurm
