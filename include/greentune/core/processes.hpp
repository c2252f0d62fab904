#pragma once
// Finding this machine's processes by a variable in their environment. A runner marks its
// children with one (exec/study_lock.hpp), so that processes it leaves behind when it is
// killed can be found again by the next runner of the same study.
#include <sys/types.h>

#include <string>
#include <vector>

namespace greentune {

// The processes (other than this one) whose environment holds NAME=VALUE exactly, read from
// /proc/<pid>/environ. Processes whose environment cannot be read (other users', or ended
// meanwhile) and zombies (their environment reads empty) are not listed.
std::vector<pid_t> processes_with_env(const std::string& name, const std::string& value);

// Sends SIGKILL to every process processes_with_env(name, value) lists, again until it lists
// none (they are gone, or zombies) or `wait_s` seconds have passed. Returns how many processes
// were signalled.
int kill_processes_with_env(const std::string& name, const std::string& value, double wait_s = 2.0);

}  // namespace greentune
