#include "greentune/energy/process_tree.hpp"

#include <dirent.h>
#include <errno.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "greentune/core/subprocess.hpp"
#include "sysfs.hpp"

namespace greentune::energy {
namespace {

double clock_ticks_per_s() {
  static const double ticks = [] {
    long t = sysconf(_SC_CLK_TCK);
    return t > 0 ? static_cast<double>(t) : 100.0;
  }();
  return ticks;
}

// Reads a small file with one read() (proc files are generated per read).
bool read_small_file(const std::string& path, std::string& out) {
  FILE* f = std::fopen(path.c_str(), "re");
  if (!f) return false;
  char buf[4096];
  out.clear();
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  std::fclose(f);
  return true;
}

}  // namespace

static double parse_busy_s(const std::string& text) {
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
  unsigned long long v[10] = {0};
  if (std::sscanf(text.c_str(), "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                  &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) < 7)
    return 0;
  unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6];
  return static_cast<double>(busy) / clock_ticks_per_s();
}

double machine_busy_cpu_s(const std::string& proc_root) {
  std::string text;
  if (!read_small_file(proc_root + "/stat", text)) return 0;
  return parse_busy_s(text);
}

int online_cpu_count() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

double installed_memory_gb(const std::string& proc_root) {
  std::ifstream in(proc_root + "/meminfo");
  std::string key;
  unsigned long long kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemTotal:") return static_cast<double>(kb) * 1024.0 / 1e9;
  }
  return 0;
}

ProcStat parse_proc_stat(const std::string& text) {
  ProcStat s;
  // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
  auto close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size()) return s;
  const char* p = text.c_str() + close + 2;
  // fields from 3: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
  //                utime stime cutime cstime priority nice num_threads itrealvalue starttime
  char state = '?';
  long long ppid = 0, skip = 0;
  unsigned long long utime = 0, stime = 0, start = 0;
  long long cutime = 0, cstime = 0;
  int n = std::sscanf(p, "%c %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %llu %llu %lld %lld %lld %lld %lld %lld %llu",
                      &state, &ppid, &skip, &skip, &skip, &skip, &skip, &skip, &skip, &skip, &skip, &utime,
                      &stime, &cutime, &cstime, &skip, &skip, &skip, &skip, &start);
  if (n < 20) return s;
  s.ok = true;
  s.state = state;
  s.ppid = static_cast<pid_t>(ppid);
  s.start_ticks = start;
  s.total_ticks = utime + stime + static_cast<unsigned long long>(cutime > 0 ? cutime : 0) +
                  static_cast<unsigned long long>(cstime > 0 ? cstime : 0);
  return s;
}

ProcStat read_proc_stat(pid_t pid, const std::string& proc_root) {
  std::string text;
  if (!read_small_file(proc_root + "/" + std::to_string(pid) + "/stat", text)) return ProcStat{};
  return parse_proc_stat(text);
}

struct MachineCpuReader::File {
  detail::KeptFile stat;
};

MachineCpuReader::MachineCpuReader(const std::string& proc_root) : file_(std::make_unique<File>()) {
  file_->stat = detail::KeptFile(proc_root + "/stat");
}
MachineCpuReader::~MachineCpuReader() = default;

double MachineCpuReader::busy_s() {
  std::string text;
  if (file_->stat.read(text, 512) != 0) return 0;
  return parse_busy_s(text);
}

struct ProcessTreeCpu::Member {
  unsigned long long start_ticks = 0;
  unsigned long long baseline_ticks = 0;
  unsigned long long last_ticks = 0;
  pid_t ppid = 0;
  detail::KeptFile stat;
  detail::KeptFile children;  // main thread's children
};

ProcessTreeCpu::ProcessTreeCpu(pid_t root, std::string proc_root) : root_(root), proc_root_(std::move(proc_root)) {
  ProcStat s = read_proc_stat(root_, proc_root_);
  if (s.ok) {
    root_seen_ = true;
    add_member(root_, s, true);
  }
  sample();
}

ProcessTreeCpu::~ProcessTreeCpu() = default;

void ProcessTreeCpu::add_member(pid_t pid, const ProcStat& s, bool first) {
  auto m = std::make_unique<Member>();
  std::string dir = proc_root_ + "/" + std::to_string(pid);
  m->start_ticks = s.start_ticks;
  // A process present at the first look existed before tracking: only its growth counts.
  m->baseline_ticks = first ? s.total_ticks : 0;
  m->last_ticks = s.total_ticks;
  m->ppid = s.ppid;
  m->stat = detail::KeptFile(dir + "/stat");
  m->children = detail::KeptFile(dir + "/task/" + std::to_string(pid) + "/children");
  members_[pid] = std::move(m);
}

void ProcessTreeCpu::discover_children(pid_t pid, bool first, bool all_threads) {
  std::vector<std::string> lists;
  std::string text;
  auto it = members_.find(pid);
  if (it == members_.end()) return;
  if (all_threads) {
    std::string task_dir = proc_root_ + "/" + std::to_string(pid) + "/task";
    if (DIR* d = opendir(task_dir.c_str())) {
      while (dirent* e = readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        if (read_small_file(task_dir + "/" + e->d_name + "/children", text)) lists.push_back(text);
      }
      closedir(d);
    }
  } else if (it->second->children.read(text) == 0) {
    lists.push_back(text);
  }
  for (const auto& list : lists) {
    std::istringstream in(list);
    long long child = 0;
    while (in >> child) {
      pid_t c = static_cast<pid_t>(child);
      if (members_.count(c)) continue;
      ProcStat s = read_proc_stat(c, proc_root_);
      if (!s.ok) continue;
      add_member(c, s, first);
      discover_children(c, first, true);
    }
  }
}

void ProcessTreeCpu::sample() {
  // 1. refresh known members, retire the dead ones (a kept-open stat file of a process that
  //    is gone fails with ESRCH even if its pid has been reused)
  std::vector<pid_t> dead;
  std::string text;
  for (auto& [pid, m] : members_) {
    ProcStat s;
    if (m->stat.read(text) == 0) s = parse_proc_stat(text);
    if (!s.ok || s.start_ticks != m->start_ticks) {
      dead.push_back(pid);
      continue;
    }
    if (s.total_ticks > m->last_ticks) m->last_ticks = s.total_ticks;
    m->ppid = s.ppid;
  }
  for (pid_t pid : dead) {
    const Member& m = *members_[pid];
    bool parent_alive = members_.count(m.ppid) && std::find(dead.begin(), dead.end(), m.ppid) == dead.end();
    // Reaped by a live member: its time is now in that member's cutime/cstime.
    if (!parent_alive && m.last_ticks > m.baseline_ticks) dead_ticks_ += m.last_ticks - m.baseline_ticks;
  }
  for (pid_t pid : dead) members_.erase(pid);
  // 2. follow new children of every live member
  bool all_threads = first_ || samples_ % 10 == 0;
  std::vector<pid_t> live;
  for (const auto& kv : members_) live.push_back(kv.first);
  for (pid_t pid : live) discover_children(pid, first_, all_threads);
  first_ = false;
  ++samples_;
  // 3. total
  unsigned long long ticks = dead_ticks_;
  for (const auto& kv : members_) {
    if (kv.second->last_ticks > kv.second->baseline_ticks) ticks += kv.second->last_ticks - kv.second->baseline_ticks;
  }
  double s = static_cast<double>(ticks) / clock_ticks_per_s();
  if (s > cpu_s_) cpu_s_ = s;
}

bool exited_unreaped(pid_t pid) {
  siginfo_t info{};
  info.si_pid = 0;
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT | WNOHANG) == 0 && info.si_pid == pid;
}

bool wait_exited_without_reaping(pid_t pid, double timeout_s) {
  double deadline = timeout_s > 0 ? monotonic_seconds() + timeout_s : 0;
  double sleep_s = 0.001;
  while (true) {
    siginfo_t info{};
    info.si_pid = 0;
    int flags = WEXITED | WNOWAIT | (timeout_s > 0 ? WNOHANG : 0);
    int r = waitid(P_PID, static_cast<id_t>(pid), &info, flags);
    if (r == 0 && info.si_pid == pid) return true;
    if (r != 0 && errno != EINTR) return false;
    if (timeout_s > 0) {
      if (monotonic_seconds() >= deadline) return false;
      timespec ts{0, static_cast<long>(sleep_s * 1e9)};
      nanosleep(&ts, nullptr);
      if (sleep_s < 0.02) sleep_s *= 2;
    }
  }
}

}  // namespace greentune::energy
