#pragma once
// How many CPUs this process may run on.

namespace greentune {

// The CPUs in this process's affinity mask (what taskset, cgroups' cpusets and Slurm's
// allocations leave it); std::thread::hardware_concurrency() if that cannot be read; at least 1.
int available_cpus();

// Intra-op threads for each of `processes` training processes sharing this process's CPUs:
// available_cpus() / processes, at least 1. OpenMP threads that outnumber the CPUs spin
// against each other: two 2-thread trainings on 2 CPUs ran 3x slower than two 1-thread ones.
int threads_per_process(int processes);

}  // namespace greentune
