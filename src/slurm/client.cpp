// Slurm, the client: the submissions record of a study (DIR/slurm/submissions.jsonl), and the
// sbatch, squeue, sacct, scancel and scontrol commands (slurm/client.hpp).
#include "greentune/slurm/client.hpp"

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
#include "greentune/core/text.hpp"

namespace greentune::slurm {
namespace fs = std::filesystem;

namespace {

std::string iso_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

// ---------------------------------------------------------------- submissions

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
  auto ls = nonempty_lines(text);
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
    for (const std::string& line : nonempty_lines(r.stdout_text)) {
      if (line.rfind("MaxArraySize", 0) != 0) continue;
      auto eq = line.find('=');
      long long v = 0;
      if (eq != std::string::npos && parse_whole_number(trim(line.substr(eq + 1)), v) && v > 1) return v;
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

}  // namespace greentune::slurm
