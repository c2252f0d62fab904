#include "greentune/exec/slurm.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/subprocess.hpp"

namespace greentune::exec::slurm {
namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

bool parse_ll(const std::string& s, long long& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end == s.c_str() || *end != '\0') return false;
  out = v;
  return true;
}

std::string iso_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

// ---------------------------------------------------------------- array specs

std::string compress_ids(std::vector<long long> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::string out;
  size_t i = 0;
  while (i < ids.size()) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(ids[i]);
    if (j > i) out += '-' + std::to_string(ids[j]);
    i = j + 1;
  }
  return out;
}

std::vector<long long> expand_ids(const std::string& spec_in) {
  std::string spec = trim(spec_in);
  auto pct = spec.find('%');
  if (pct != std::string::npos) spec = spec.substr(0, pct);
  if (!spec.empty() && spec.front() == '[') {
    if (spec.back() != ']') throw input_error("array spec '" + spec_in + "': unbalanced '['");
    spec = spec.substr(1, spec.size() - 2);
  }
  std::vector<long long> out;
  if (spec.empty()) return out;
  for (const std::string& part : split(spec, ',')) {
    auto dash = part.find('-');
    long long a = 0, b = 0;
    if (dash == std::string::npos) {
      if (!parse_ll(part, a) || a < 0) throw input_error("array spec '" + spec_in + "': bad element '" + part + "'");
      out.push_back(a);
      continue;
    }
    std::string range = part;
    long long step = 1;
    auto colon = range.find(':');
    if (colon != std::string::npos) {
      if (!parse_ll(range.substr(colon + 1), step) || step < 1)
        throw input_error("array spec '" + spec_in + "': bad step in '" + part + "'");
      range = range.substr(0, colon);
      dash = range.find('-');
    }
    if (!parse_ll(range.substr(0, dash), a) || !parse_ll(range.substr(dash + 1), b) || a < 0 || b < a)
      throw input_error("array spec '" + spec_in + "': bad range '" + part + "'");
    for (long long v = a; v <= b; v += step) out.push_back(v);
  }
  return out;
}

std::vector<long long> ArrayChunk::task_ids() const {
  std::vector<long long> out;
  out.reserve(indices.size());
  for (long long i : indices) out.push_back(base + i);
  return out;
}

std::vector<ArrayChunk> split_into_arrays(std::vector<long long> task_ids, long long max_array_size) {
  if (max_array_size < 2) max_array_size = 2;
  std::sort(task_ids.begin(), task_ids.end());
  task_ids.erase(std::unique(task_ids.begin(), task_ids.end()), task_ids.end());
  std::vector<ArrayChunk> out;
  for (long long id : task_ids) {
    // Indices must stay in [0, max_array_size - 1]; windows of that width, aligned.
    long long base = (id / max_array_size) * max_array_size;
    if (out.empty() || out.back().base != base) out.push_back(ArrayChunk{base, {}});
    out.back().indices.push_back(id - base);
  }
  return out;
}

// ---------------------------------------------------------------- the batch script

std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string make_batch_script(const BatchScript& spec) {
  const SlurmOptions& o = spec.options;
  if (o.greentune_bin.empty() || o.greentune_bin.front() != '/')
    throw usage_error("the greentune executable for Slurm tasks must be an absolute path (got '" +
                      o.greentune_bin + "')");
  if (spec.study_dir.empty() || spec.study_dir.front() != '/')
    throw usage_error("the study folder for Slurm tasks must be an absolute path (got '" + spec.study_dir + "')");
  for (const std::string* p : {&spec.study_dir, &spec.log_dir})
    if (p->find_first_of("\"\n%") != std::string::npos)
      throw usage_error("the study folder '" + *p + "' contains a double quote, '%' or a newline, which sbatch cannot take");
  if (spec.chunk.indices.empty()) throw usage_error("no tasks to submit");
  for (const std::string& a : o.sbatch_args) {
    if (a.find('\n') != std::string::npos) throw usage_error("--sbatch-arg '" + a + "' contains a newline");
    if (a.empty() || a.front() != '-') throw usage_error("--sbatch-arg '" + a + "' is not an sbatch option (must start with '-')");
  }
  if (o.partition.find_first_of(" \t\n'\"") != std::string::npos)
    throw usage_error("--partition '" + o.partition + "' contains blanks or quotes");

  std::string array = compress_ids(spec.chunk.indices);
  if (o.max_parallel > 0) array += "%" + std::to_string(o.max_parallel);
  std::string name = o.job_name;
  for (char& c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';

  std::ostringstream s;
  s << "#!/bin/sh\n";
  s << "#SBATCH --job-name=" << name << "\n";
  s << "#SBATCH --array=" << array << "\n";
  // sbatch reads double-quoted directive values, so folders may contain blanks.
  s << "#SBATCH --output=\"" << spec.log_dir << "/%A_%a.out\"\n";
  s << "#SBATCH --error=\"" << spec.log_dir << "/%A_%a.err\"\n";
  s << "#SBATCH --chdir=\"" << spec.study_dir << "\"\n";
  s << "#SBATCH --nodes=1\n";
  s << "#SBATCH --ntasks=1\n";
  if (o.exclusive) s << "#SBATCH --exclusive\n";
  if (!o.partition.empty()) s << "#SBATCH --partition=" << o.partition << "\n";
  for (const std::string& a : o.sbatch_args) s << "#SBATCH " << a << "\n";
  s << "#\n";
  s << "# Generated by greentune for study '" << spec.study_name << "' (" << spec.study_dir << ").\n";
  s << "# Array element i performs task " << spec.chunk.base << " + i: one run, or a parallel set that\n";
  s << "# shares this node. The task cools down, runs, and writes its result into\n";
  s << "# " << spec.study_dir << "/results/ (atomically); `greentune collect` merges them.\n";
  s << "task=$((" << spec.chunk.base << " + SLURM_ARRAY_TASK_ID))\n";
  s << "exec " << shell_quote(o.greentune_bin) << " run-task --study-dir " << shell_quote(spec.study_dir)
    << " --task \"$task\"";
  for (const std::string& a : o.run_task_args) s << " " << shell_quote(a);
  s << "\n";
  return s.str();
}

long long parse_sbatch_job_id(const std::string& output) {
  for (const std::string& line : lines_of(output)) {
    std::string first = split(line, ';')[0];
    long long id = 0;
    if (parse_ll(first, id) && id > 0) return id;
  }
  throw runtime_error("could not read a job id from sbatch's output '" + trim(output) + "'");
}

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

std::vector<TaskJobState> parse_squeue(const std::string& text) {
  std::vector<TaskJobState> out;
  for (const std::string& line : lines_of(text)) {
    auto f = split(line, '|');
    if (f.size() < 3) continue;  // not ours (a message line)
    long long job = 0;
    if (!parse_ll(trim(f[0]), job)) continue;
    std::string idx = trim(f[1]);
    TaskJobState base;
    base.job_id = job;
    base.raw_state = trim(f[2]);
    base.state = parse_job_state(base.raw_state);
    if (f.size() > 3) base.reason = trim(f[3]);
    if (f.size() > 4) base.node = trim(f[4]);
    if (base.node == "(null)") base.node.clear();
    long long one = 0;
    if (idx == "N/A" || idx.empty()) {
      out.push_back(base);
    } else if (parse_ll(idx, one)) {
      base.array_index = one;
      out.push_back(base);
    } else {
      // an unexpanded pending range ("3-7%2") even with -r on some versions
      for (long long i : expand_ids(idx)) {
        TaskJobState t = base;
        t.array_index = i;
        out.push_back(t);
      }
    }
  }
  return out;
}

std::vector<TaskJobState> parse_sacct(const std::string& text) {
  std::vector<TaskJobState> out;
  for (const std::string& line : lines_of(text)) {
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
      if (!parse_ll(jobid, base.job_id)) continue;
      out.push_back(base);
      continue;
    }
    if (!parse_ll(jobid.substr(0, us), base.job_id)) continue;
    std::string idx = jobid.substr(us + 1);
    long long one = 0;
    if (parse_ll(idx, one)) {
      base.array_index = one;
      out.push_back(base);
    } else {
      for (long long i : expand_ids(idx)) {
        TaskJobState t = base;
        t.array_index = i;
        out.push_back(t);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- submissions

std::vector<long long> Submission::task_ids() const {
  return ArrayChunk{base, indices}.task_ids();
}

std::string slurm_dir(const std::string& study_dir) { return (fs::path(study_dir) / "slurm").string(); }

std::vector<Submission> read_submissions(const std::string& study_dir) {
  std::vector<Submission> out;
  std::string path = (fs::path(slurm_dir(study_dir)) / "submissions.jsonl").string();
  std::ifstream in(path);
  if (!in) return out;
  std::string line;
  long long n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (trim(line).empty()) continue;
    try {
      auto j = nlohmann::json::parse(line);
      Submission s;
      s.job_id = j.at("job_id").get<long long>();
      s.base = j.value("base", 0LL);
      s.indices = expand_ids(j.at("array").get<std::string>());
      s.submitted_at = j.value("submitted_at", "");
      s.script = j.value("script", "");
      out.push_back(std::move(s));
    } catch (const nlohmann::json::exception& e) {
      throw input_error(fmt::format("{}:{}: not a submission record ({})", path, n, e.what()));
    }
  }
  return out;
}

void append_submission(const std::string& study_dir, const Submission& s) {
  fs::create_directories(slurm_dir(study_dir));
  std::string path = (fs::path(slurm_dir(study_dir)) / "submissions.jsonl").string();
  nlohmann::json j = {{"job_id", s.job_id},
                      {"base", s.base},
                      {"array", compress_ids(s.indices)},
                      {"submitted_at", s.submitted_at.empty() ? iso_now() : s.submitted_at},
                      {"script", s.script}};
  std::ofstream out(path, std::ios::app);
  out << j.dump() << "\n";
  out.flush();
  if (!out) throw io_error("cannot append to " + path + ": " + std::strerror(errno));
}

// ---------------------------------------------------------------- the client

SlurmClient::SlurmClient(SlurmOptions options) : options_(std::move(options)) {}

namespace {

SubprocessResult run_command(const std::vector<std::string>& argv, const std::string& dir = "") {
  SubprocessOptions o;
  o.argv = argv;
  o.working_dir = dir;
  o.timeout_s = 120;
  Subprocess p(o);
  try {
    p.start();
  } catch (const Error& e) {
    throw runtime_error("cannot run '" + argv[0] + "': " + e.what() + " (is Slurm installed on this machine?)");
  }
  return p.wait();
}

std::string first_line(const std::string& text) {
  auto ls = lines_of(text);
  return ls.empty() ? "" : ls.front();
}

std::string job_list(const std::vector<long long>& ids) {
  std::string s;
  for (long long id : ids) {
    if (!s.empty()) s += ',';
    s += std::to_string(id);
  }
  return s;
}

}  // namespace

long long SlurmClient::submit(const std::string& script_path, const std::string& working_dir) {
  auto r = run_command({options_.sbatch, "--parsable", script_path}, working_dir);
  if (!r.ok()) {
    std::string msg = first_line(r.stderr_text);
    if (msg.empty()) msg = first_line(r.stdout_text);
    throw runtime_error("sbatch " + script_path + " failed (" + r.describe() + "): " + msg);
  }
  return parse_sbatch_job_id(r.stdout_text);
}

QueryResult SlurmClient::query(const std::vector<long long>& job_ids) {
  QueryResult q;
  if (job_ids.empty()) return q;
  std::set<long long> wanted(job_ids.begin(), job_ids.end());
  auto keep = [&](const std::vector<TaskJobState>& states) {
    for (const auto& s : states)
      if (wanted.count(s.job_id)) q.states[{s.job_id, s.array_index}] = s;
  };

  // sacct first (complete history where accounting exists), then squeue (authoritative for
  // the live queue) overrides.
  // (A missing sacct program is the same as accounting switched off: squeue still answers.)
  std::string acct_missing;
  SubprocessResult acct;
  try {
    acct = run_command({options_.sacct, "-n", "-P", "-X", "-j", job_list(job_ids), "-o",
                        "JobID,State,ExitCode,NodeList"});
  } catch (const Error& e) {
    acct_missing = e.what();
  }
  if (acct_missing.empty() && acct.ok()) {
    q.sacct_available = true;
    keep(parse_sacct(acct.stdout_text));
  } else {
    std::string why = acct_missing.empty() ? first_line(acct.stderr_text) : acct_missing;
    q.note = "sacct unavailable (" + (why.empty() ? acct.describe() : why) +
             "): states of finished jobs come from squeue, which keeps them only for MinJobAge, and the result files";
  }

  const std::string format = "%F|%K|%T|%r|%N";
  auto sq = run_command({options_.squeue, "-h", "-r", "-t", "all", "-j", job_list(job_ids), "-o", format});
  if (!sq.ok()) {
    // A job id Slurm has already forgotten makes squeue -j fail: ask for this user's jobs.
    const char* user = std::getenv("USER");
    std::string who = user && *user ? user : std::to_string(getuid());
    sq = run_command({options_.squeue, "-h", "-r", "-t", "all", "-u", who, "-o", format});
    if (!sq.ok())
      throw runtime_error("squeue failed (" + sq.describe() + "): " + first_line(sq.stderr_text));
  }
  keep(parse_squeue(sq.stdout_text));
  return q;
}

void SlurmClient::cancel(long long job_id, std::optional<long long> array_index) {
  std::string target = std::to_string(job_id);
  if (array_index) target += "_" + std::to_string(*array_index);
  auto r = run_command({options_.scancel, target});
  if (!r.ok()) throw runtime_error("scancel " + target + " failed: " + first_line(r.stderr_text));
}

long long SlurmClient::max_array_size() {
  auto r = run_command({options_.scontrol, "show", "config"});
  if (r.ok()) {
    for (const std::string& line : lines_of(r.stdout_text)) {
      if (line.rfind("MaxArraySize", 0) != 0) continue;
      auto eq = line.find('=');
      long long v = 0;
      if (eq != std::string::npos && parse_ll(trim(line.substr(eq + 1)), v) && v > 1) return v;
    }
  }
  return 1001;
}

std::vector<Submission> submit_tasks(SlurmClient& client, const std::string& study_dir_in,
                                     const std::string& study_name, const std::vector<long long>& task_ids,
                                     long long max_array_size) {
  std::vector<Submission> out;
  if (task_ids.empty()) return out;
  std::string study_dir = fs::absolute(study_dir_in).lexically_normal().string();
  while (study_dir.size() > 1 && study_dir.back() == '/') study_dir.pop_back();
  SlurmOptions options = client.options();
  if (options.greentune_bin.empty()) options.greentune_bin = self_executable_path();
  options.greentune_bin = fs::absolute(options.greentune_bin).lexically_normal().string();
  if (options.job_name == "greentune" && !study_name.empty()) options.job_name = "greentune-" + study_name;
  if (max_array_size <= 0) max_array_size = client.max_array_size();

  std::string dir = slurm_dir(study_dir);
  std::string log_dir = dir + "/logs";
  std::error_code ec;
  fs::create_directories(log_dir, ec);
  if (ec) throw io_error("cannot create " + log_dir + ": " + ec.message());

  std::string stamp = iso_now();
  for (char& c : stamp)
    if (c == ':') c = '-';
  int k = 0;
  for (const ArrayChunk& chunk : split_into_arrays(task_ids, max_array_size)) {
    BatchScript spec;
    spec.study_dir = study_dir;
    spec.log_dir = log_dir;
    spec.chunk = chunk;
    spec.options = options;
    spec.study_name = study_name;
    std::string script = make_batch_script(spec);
    std::string path = fmt::format("{}/submit-{}-{}.sh", dir, stamp, ++k);
    for (int n = 2; fs::exists(path); ++n) path = fmt::format("{}/submit-{}-{}.{}.sh", dir, stamp, k, n);
    {
      std::ofstream f(path);
      f << script;
      f.flush();
      if (!f) throw io_error("cannot write " + path + ": " + std::strerror(errno));
    }
    fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add, ec);
    Submission s;
    s.job_id = client.submit(path, study_dir);
    s.base = chunk.base;
    s.indices = chunk.indices;
    s.submitted_at = iso_now();
    s.script = path;
    append_submission(study_dir, s);
    out.push_back(std::move(s));
  }
  return out;
}

bool slurm_available(const SlurmOptions& options) {
  const std::string& cmd = options.sbatch;
  if (cmd.find('/') != std::string::npos) return access(cmd.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  for (const std::string& dir : split(p, ':')) {
    if (dir.empty()) continue;
    if (access((fs::path(dir) / cmd).c_str(), X_OK) == 0) return true;
  }
  return false;
}

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

}  // namespace greentune::exec::slurm
