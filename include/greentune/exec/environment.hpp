#pragma once
// What a study records about the machine it ran on, and the CPU governor it runs under.
#include <map>
#include <string>
#include <vector>

namespace greentune::exec {

// cpu_model, cpu_cores, cpu_sockets, memory_gb, kernel, os, hostname, gpu, gpu_driver,
// governor (current scaling_governor of cpu0, or "unavailable (...)"), meters (the given
// backends, comma separated). GPU facts come from /proc/driver/nvidia (no NVIDIA: "none").
// Roots can be redirected for tests: GREENTUNE_PROC_ROOT, GREENTUNE_CPUFREQ_ROOT.
std::map<std::string, std::string> collect_environment(const std::vector<std::string>& meter_backends);

// Sets every CPU's scaling_governor to "performance" when permitted and puts the previous
// values back on destruction (or restore()). Never throws: what happened is in state().
class GovernorGuard {
 public:
  // want: "performance" (try to set it) or "keep" (only record).
  explicit GovernorGuard(const std::string& want);
  ~GovernorGuard();
  GovernorGuard(const GovernorGuard&) = delete;
  GovernorGuard& operator=(const GovernorGuard&) = delete;
  void restore();
  // One line for the environment table, e.g. "performance (set by greentune; was powersave)",
  // "powersave (could not set performance: Permission denied)", "unavailable (no cpufreq)".
  const std::string& state() const { return state_; }

 private:
  std::vector<std::pair<std::string, std::string>> previous_;  // file, old value
  std::string state_;
};

}  // namespace greentune::exec
