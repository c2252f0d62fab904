#include "greentune/core/cpus.hpp"

#include <sched.h>

#include <algorithm>
#include <thread>

namespace greentune {

int available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

int threads_per_process(int processes) { return std::max(1, available_cpus() / std::max(1, processes)); }

}  // namespace greentune
