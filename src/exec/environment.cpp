#include "greentune/exec/environment.hpp"

#include <dirent.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "greentune/core/files.hpp"
#include "greentune/core/text.hpp"

namespace greentune::exec {


namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string read_trimmed(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  return trim(ss.str());
}

std::string cpufreq_root() { return env_or("GREENTUNE_CPUFREQ_ROOT", "/sys/devices/system/cpu"); }

std::vector<std::string> governor_files() {
  std::vector<std::string> files;
  for (int cpu = 0; cpu < 4096; ++cpu) {
    std::string f = cpufreq_root() + "/cpu" + std::to_string(cpu) + "/cpufreq/scaling_governor";
    if (!file_exists(f)) {
      if (!file_exists(cpufreq_root() + "/cpu" + std::to_string(cpu))) break;
      continue;
    }
    files.push_back(f);
  }
  return files;
}

}  // namespace

std::map<std::string, std::string> collect_environment(const std::vector<std::string>& meter_backends) {
  std::map<std::string, std::string> env;
  std::string proc = env_or("GREENTUNE_PROC_ROOT", "/proc");
  {
    std::ifstream in(proc + "/cpuinfo");
    std::string line, model;
    std::set<std::string> sockets;
    while (std::getline(in, line)) {
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string k = trim(line.substr(0, colon)), v = trim(line.substr(colon + 1));
      if (k == "model name" && model.empty()) model = v;
      if (k == "physical id") sockets.insert(v);
    }
    env["cpu_model"] = model.empty() ? "unknown" : model;
    env["cpu_sockets"] = std::to_string(sockets.empty() ? 1 : sockets.size());
  }
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  env["cpu_cores"] = std::to_string(cores > 0 ? cores : static_cast<long>(std::thread::hardware_concurrency()));
  {
    std::ifstream in(proc + "/meminfo");
    std::string key;
    double kb = 0;
    while (in >> key) {
      if (key == "MemTotal:") {
        in >> kb;
        break;
      }
      std::string rest;
      std::getline(in, rest);
    }
    if (kb > 0) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.1f", kb / 1048576.0);
      env["memory_gb"] = buf;
    }
  }
  struct utsname u {};
  if (uname(&u) == 0) {
    env["kernel"] = std::string(u.sysname) + " " + u.release;
    env["arch"] = u.machine;
  }
  {
    std::ifstream in("/etc/os-release");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("PRETTY_NAME=", 0) == 0) {
        std::string v = line.substr(12);
        if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
        env["os"] = v;
      }
  }
  env["hostname"] = hostname();
  std::string nv = read_trimmed(proc + "/driver/nvidia/version");
  if (nv.empty()) {
    env["gpu"] = "none";
    env["gpu_driver"] = "none";
  } else {
    env["gpu_driver"] = nv.substr(0, nv.find('\n'));
    // /proc/driver/nvidia/gpus/<bus id>/information has "Model:  NVIDIA H100 ...".
    std::string gpus;
    std::string base = proc + "/driver/nvidia/gpus";
    if (DIR* d = opendir(base.c_str())) {
      while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::ifstream in(base + "/" + e->d_name + "/information");
        std::string line;
        while (std::getline(in, line))
          if (line.rfind("Model:", 0) == 0) gpus += (gpus.empty() ? "" : "; ") + trim(line.substr(6));
      }
      closedir(d);
    }
    env["gpu"] = gpus.empty() ? "nvidia (model unknown)" : gpus;
  }
  auto files = governor_files();
  env["governor"] = files.empty() ? "unavailable (no cpufreq on this machine)" : read_trimmed(files.front());
  std::string meters;
  for (const auto& m : meter_backends) meters += (meters.empty() ? "" : ",") + m;
  env["meters"] = meters.empty() ? "none" : meters;
  return env;
}

GovernorGuard::GovernorGuard(const std::string& want) {
  auto files = governor_files();
  if (files.empty()) {
    state_ = "unavailable (no cpufreq on this machine)";
    return;
  }
  std::string before = read_trimmed(files.front());
  if (want != "performance") {
    state_ = before + " (left as it was)";
    return;
  }
  if (before == "performance") {
    bool all = true;
    for (const auto& f : files) all = all && read_trimmed(f) == "performance";
    if (all) {
      state_ = "performance (already set)";
      return;
    }
  }
  std::string error;
  for (const auto& f : files) {
    std::string old = read_trimmed(f);
    std::ofstream out(f);
    if (!out) {
      error = std::strerror(errno);
      break;
    }
    out << "performance";
    out.close();
    if (!out) {
      error = std::strerror(errno);
      break;
    }
    previous_.emplace_back(f, old);
  }
  if (!error.empty()) {
    restore();
    state_ = before + " (could not set performance: " + error + ")";
  } else {
    state_ = "performance (set by greentune; was " + before + ")";
  }
}

GovernorGuard::~GovernorGuard() { restore(); }

void GovernorGuard::restore() {
  for (const auto& [f, old] : previous_) {
    std::ofstream out(f);
    out << old;
  }
  previous_.clear();
}

}  // namespace greentune::exec
