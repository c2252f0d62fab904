#pragma once
// A real single-node Slurm for the tests: scripts/slurm-cluster.sh starts munged, slurmctld
// and slurmd under a temporary folder; stop() (and the destructor) stop them by PID. The
// script also watches this test process, so a crashed or timed-out test leaves no daemon.
//
// Tests skip only when the Slurm or munge binaries are absent (CI installs them).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "greentune/core/subprocess.hpp"

namespace greentune::testing {

inline bool has_program(const std::string& name) {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"})
    if (::access((std::string(dir) + "/" + name).c_str(), X_OK) == 0) return true;
  return false;
}

class LocalSlurmCluster {
 public:
  static bool binaries_present(std::string* missing = nullptr) {
    for (const char* p : {"munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scancel"}) {
      if (!has_program(p)) {
        if (missing) *missing = p;
        return false;
      }
    }
    return true;
  }

  LocalSlurmCluster() = default;
  LocalSlurmCluster(const LocalSlurmCluster&) = delete;
  LocalSlurmCluster& operator=(const LocalSlurmCluster&) = delete;
  ~LocalSlurmCluster() { stop(); }

  // Starts the cluster and points this process (and its children) at it via SLURM_CONF.
  // Returns an empty string on success, else the script's error output.
  std::string start() {
    SubprocessOptions o;
    o.argv = {"bash", std::string(GREENTUNE_SOURCE_DIR) + "/scripts/slurm-cluster.sh", "start", "--watch",
              std::to_string(::getpid())};
    o.timeout_s = 120;
    SubprocessResult r = run_subprocess(o);
    std::string out = r.stdout_text;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    if (!out.empty()) dir_ = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
    if (!r.ok()) return r.describe() + ": " + r.stderr_text;
    conf_ = dir_ + "/slurm.conf";
    ::setenv("SLURM_CONF", conf_.c_str(), 1);
    return "";
  }

  void stop() {
    if (dir_.empty()) return;
    SubprocessOptions o;
    o.argv = {"bash", std::string(GREENTUNE_SOURCE_DIR) + "/scripts/slurm-cluster.sh", "stop", dir_};
    o.timeout_s = 120;
    SubprocessResult r = run_subprocess(o);
    if (r.ok()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    } else {
      ADD_FAILURE() << "stopping the Slurm cluster in " << dir_ << " failed: " << r.describe() << " "
                    << r.stderr_text;
    }
    ::unsetenv("SLURM_CONF");
    dir_.clear();
  }

  const std::string& dir() const { return dir_; }
  const std::string& conf() const { return conf_; }

 private:
  std::string dir_, conf_;
};

// Fixture: one cluster per test. Skips only when the binaries are missing.
class SlurmClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string missing;
    if (!LocalSlurmCluster::binaries_present(&missing))
      GTEST_SKIP() << "Slurm/munge not installed ('" << missing << "' missing): scripts/install-deps.sh installs them";
    std::string err = cluster_.start();
    ASSERT_TRUE(err.empty()) << "could not start the local Slurm cluster: " << err;
  }
  void TearDown() override { cluster_.stop(); }
  LocalSlurmCluster cluster_;
};

}  // namespace greentune::testing
