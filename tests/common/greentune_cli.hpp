#pragma once
// Shared test helpers: run the built `greentune` binary, and temporary folders that are
// removed with their contents when the test ends (nothing is left in /tmp).
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "greentune/core/subprocess.hpp"

namespace greentune::testing {

// Runs GREENTUNE_BIN with `args` as its argv (no shell: paths with spaces or quotes need no
// quoting). `env` is added to the child's environment.
inline SubprocessResult run_greentune(const std::vector<std::string>& args,
                                      const std::map<std::string, std::string>& env = {}, double timeout_s = 300) {
  SubprocessOptions o;
  o.argv = {GREENTUNE_BIN};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  for (const auto& [k, v] : env) o.env[k] = v;
  o.timeout_s = timeout_s;
  return run_subprocess(o);
}

// A fresh folder under $TMPDIR (default /tmp), removed recursively by the destructor.
class ScopedTempDir {
 public:
  explicit ScopedTempDir(const std::string& tag = "test") {
    const char* tmp = getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/greentune-" + tag + "-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = buf.data();
  }
  ~ScopedTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A fresh folder under $TMPDIR for the rest of the test program: removed recursively when the
// program ends (by the process that made it; a forked child that exits leaves it alone).
inline std::string make_temp_dir(const std::string& tag) {
  struct Registry {
    std::mutex mu;
    std::vector<std::pair<pid_t, std::string>> dirs;
    ~Registry() {
      for (const auto& [pid, dir] : dirs) {
        if (pid != getpid()) continue;
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      }
    }
  };
  static Registry registry;
  const char* tmp = getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/greentune-" + tag + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
  std::lock_guard<std::mutex> lock(registry.mu);
  registry.dirs.emplace_back(getpid(), buf.data());
  return buf.data();
}

}  // namespace greentune::testing
