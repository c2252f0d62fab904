#include "greentune/core/processes.hpp"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <chrono>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

namespace greentune {

namespace {

bool environ_has(pid_t pid, const std::string& entry) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  if (!in) return false;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // NUL-separated NAME=VALUE entries; match one whole entry.
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\0', pos);
    if (end == std::string::npos) end = text.size();
    if (text.compare(pos, end - pos, entry) == 0) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace

std::vector<pid_t> processes_with_env(const std::string& name, const std::string& value) {
  std::vector<pid_t> out;
  const std::string entry = name + "=" + value;
  const pid_t self = ::getpid();
  DIR* proc = ::opendir("/proc");
  if (!proc) return out;
  while (dirent* e = ::readdir(proc)) {
    const char* n = e->d_name;
    if (!std::isdigit(static_cast<unsigned char>(n[0]))) continue;
    pid_t pid = static_cast<pid_t>(std::strtol(n, nullptr, 10));
    if (pid <= 0 || pid == self) continue;
    if (environ_has(pid, entry)) out.push_back(pid);
  }
  ::closedir(proc);
  return out;
}

int kill_processes_with_env(const std::string& name, const std::string& value, double wait_s) {
  // Scan, kill, scan again: a process may fork between the scan and its kill.
  std::set<pid_t> killed;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
  for (;;) {
    std::vector<pid_t> pids = processes_with_env(name, value);
    if (pids.empty()) break;
    for (pid_t pid : pids) {
      ::kill(pid, SIGKILL);
      killed.insert(pid);
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return static_cast<int>(killed.size());
}

}  // namespace greentune
