#pragma once
// Child processes: every run is one. The child gets its own process group so that a
// timeout or a cancel stops the whole tree it started.
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace greentune {

struct SubprocessOptions {
  std::vector<std::string> argv;                     // argv[0] is looked up on PATH
  std::map<std::string, std::string> env;            // added to / overriding the inherited environment
  std::string working_dir;                           // empty = current
  // Where the child's output goes: "" inherits ours; a path writes (truncates) that file;
  // "capture" collects it into SubprocessResult (through a temporary file, no deadlock).
  std::string stdout_to = "capture";
  std::string stderr_to = "capture";
  bool stdin_null = true;
  double timeout_s = 0;                              // 0 = no limit
  double kill_grace_s = 5;                           // SIGTERM, then SIGKILL after this
  // The child is killed (SIGKILL, by the kernel) when this process dies, however it dies.
  // Its own children are not: they are reached through the process group by stop()/the
  // destructor while this process lives.
  bool die_with_parent = true;
};

struct SubprocessResult {
  int exit_code = -1;       // valid when !signaled
  int term_signal = 0;      // signal that ended it, 0 if it exited
  bool timed_out = false;
  std::string stdout_text;  // when captured
  std::string stderr_text;
  double wall_s = 0;
  bool ok() const { return !timed_out && term_signal == 0 && exit_code == 0; }
  std::string describe() const;  // "exit code 3", "killed by signal 9 (Killed)", "timed out after 5 s"
};

class Subprocess {
 public:
  explicit Subprocess(SubprocessOptions options);
  ~Subprocess();  // kills a still-running child's group (SIGKILL) and reaps it
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Starts the child; throws runtime_error if it cannot be started (e.g. command not found).
  void start();
  pid_t pid() const { return pid_; }
  bool running();  // non-blocking
  // Waits until exit or the timeout given in the options (measured from start()).
  SubprocessResult wait();
  // Sends sig to the child's whole process group.
  void signal_group(int sig);
  // SIGTERM to the group, SIGKILL after the grace period; returns the result.
  SubprocessResult terminate();

 private:
  SubprocessResult finish(int status);
  SubprocessOptions options_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  double start_time_ = 0;
  std::string stdout_tmp_, stderr_tmp_;
  std::optional<SubprocessResult> result_;
};

// Runs to completion (convenience).
SubprocessResult run_subprocess(const SubprocessOptions& options);

// Monotonic seconds.
double monotonic_seconds();
// Path of the running executable (/proc/self/exe).
std::string self_executable_path();

}  // namespace greentune
