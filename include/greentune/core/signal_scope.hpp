#pragma once
// Catching SIGINT/SIGTERM (or other signals) for a while: the one signal-handling scope used
// by the local study runner, `greentune run-task` and `greentune measure`.
//
// While a SignalScope lives, the signals it names only set a flag (and, once a process group
// is given, are passed on to that group); the previous handlers come back when it ends.
// Scopes nest: an inner one replaces the outer one's handlers until it ends. The flag is
// process-wide (a signal handler has no other place to write), so one scope is active at a
// time.
#include <sys/types.h>

#include <atomic>
#include <csignal>
#include <initializer_list>
#include <vector>

namespace greentune {

class SignalScope {
 public:
  explicit SignalScope(std::initializer_list<int> signals = {SIGINT, SIGTERM});
  ~SignalScope();
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

  // Set by the first caught signal (e.g. ExecuteOptions::cancel).
  const std::atomic<bool>* flag() const;
  // The last signal caught (0: none yet).
  int received() const;
  // From now on caught signals are also sent to this process group (<= 0: stop); a signal
  // caught before is sent to it now. For a child that runs in its own process group
  // (terminal Ctrl-C reaches only us) and must see the user's signals.
  void forward_to_group(pid_t group);

 private:
  std::vector<int> signals_;
  std::vector<struct sigaction> old_;
  bool old_flag_ = false;
  int old_received_ = 0;
  pid_t old_group_ = 0;
};

}  // namespace greentune
