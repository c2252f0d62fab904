#include "greentune/core/signal_scope.hpp"

#include <signal.h>

namespace greentune {

namespace {

std::atomic<bool> g_flag{false};
std::atomic<int> g_received{0};
std::atomic<pid_t> g_group{0};

extern "C" void on_scoped_signal(int sig) {
  g_received.store(sig);
  g_flag.store(true);
  pid_t group = g_group.load();
  if (group > 0) ::kill(-group, sig);
}

}  // namespace

SignalScope::SignalScope(std::initializer_list<int> signals) : signals_(signals), old_(signals.size()) {
  old_flag_ = g_flag.exchange(false);
  old_received_ = g_received.exchange(0);
  old_group_ = g_group.exchange(0);
  struct sigaction sa {};
  sa.sa_handler = on_scoped_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // blocking calls go on; the flag is checked at the next look
  for (size_t i = 0; i < signals_.size(); ++i) sigaction(signals_[i], &sa, &old_[i]);
}

SignalScope::~SignalScope() {
  for (size_t i = 0; i < signals_.size(); ++i) sigaction(signals_[i], &old_[i], nullptr);
  g_group.store(old_group_);
  g_received.store(old_received_);
  g_flag.store(old_flag_);
}

const std::atomic<bool>* SignalScope::flag() const { return &g_flag; }

int SignalScope::received() const { return g_received.load(); }

void SignalScope::forward_to_group(pid_t group) {
  g_group.store(group > 0 ? group : 0);
  if (group > 0)
    if (int sig = g_received.load()) ::kill(-group, sig);
}

}  // namespace greentune
