#pragma once
// CPU time from /proc: of one process tree (for attribution) and of the whole machine.
//
// A tree is its root plus every process seen as a descendant while sampling (followed by
// /proc/<pid>/task/<tid>/children). CPU time = utime + stime + cutime + cstime: a child
// reaped inside the tree shows up in its parent's cutime/cstime, so it is not lost when
// it exits; a member that exits without a member to reap it keeps its last-seen time.
// Sampling more often than members live only matters for such orphans.
#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

namespace greentune::energy {

// Busy seconds of all CPUs since boot (/proc/stat: user+nice+system+irq+softirq; guest
// time is inside user; idle, iowait and steal are not busy).
double machine_busy_cpu_s(const std::string& proc_root = "/proc");
// The same, from a file kept open (for the sampler: no path lookup per tick).
class MachineCpuReader {
 public:
  explicit MachineCpuReader(const std::string& proc_root = "/proc");
  ~MachineCpuReader();
  double busy_s();

 private:
  struct File;
  std::unique_ptr<File> file_;
};

// Online logical CPUs (sysconf).
int online_cpu_count();
// Installed memory in GB (1e9 bytes) from <proc_root>/meminfo MemTotal.
double installed_memory_gb(const std::string& proc_root = "/proc");

// Per-process stat fields that matter here; nullopt-like `ok` false when unreadable.
struct ProcStat {
  bool ok = false;
  pid_t ppid = 0;
  char state = '?';
  unsigned long long start_ticks = 0;  // field 22, tells a reused pid apart
  unsigned long long total_ticks = 0;  // utime + stime + cutime + cstime
};
ProcStat read_proc_stat(pid_t pid, const std::string& proc_root = "/proc");
ProcStat parse_proc_stat(const std::string& text);

class ProcessTreeCpu {
 public:
  explicit ProcessTreeCpu(pid_t root, std::string proc_root = "/proc");
  ~ProcessTreeCpu();
  // Reads the tree now (cheap: only the tree's own files, kept open). Children are found
  // through each member's main thread every call, and through all its threads every
  // tenth call (and at the first). Call periodically and at end.
  void sample();
  // CPU seconds used by the tree since construction (never decreases).
  double cpu_s() const { return cpu_s_; }
  pid_t root() const { return root_; }
  bool root_seen() const { return root_seen_; }
  std::size_t members() const { return members_.size(); }

 private:
  struct Member;  // holds its /proc files open between samples
  void discover_children(pid_t pid, bool first, bool all_threads);
  void add_member(pid_t pid, const ProcStat& s, bool first);
  pid_t root_;
  std::string proc_root_;
  std::map<pid_t, std::unique_ptr<Member>> members_;
  int samples_ = 0;
  unsigned long long dead_ticks_ = 0;
  double cpu_s_ = 0;
  bool first_ = true;
  bool root_seen_ = false;
};

// Blocks until `pid` (a child of this process) has exited, WITHOUT reaping it, so that
// its final CPU time can still be read from /proc before the caller reaps it (waitpid).
// Returns false if pid is not our child or on timeout (timeout_s <= 0: wait forever).
bool wait_exited_without_reaping(pid_t pid, double timeout_s = 0);
// Non-blocking: true if child `pid` has exited and is not reaped yet (waitid WNOWAIT).
bool exited_unreaped(pid_t pid);

}  // namespace greentune::energy
