#pragma once
// Helpers for the energy tests: temporary directories, fake sysfs files, CPU burners.
#include <sys/types.h>

#include <string>

namespace greentune::energy::testing {

// A fresh directory under $TMPDIR, removed (recursively) when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  // Writes `text` to path()/rel, creating parent directories.
  void write(const std::string& rel, const std::string& text) const;
  std::string file(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// Spins the calling process until its own CPU clock has advanced by cpu_s.
void burn_cpu(double cpu_s);

// Forks a child that burns `cpu_s` of CPU and exits 0; with grandchild_cpu_s > 0 the child
// first forks a grandchild that burns that much, and (reap_grandchild) waits for it or
// (!reap_grandchild) leaves it to be re-parented. Returns the child's pid.
pid_t spawn_burner(double cpu_s, double grandchild_cpu_s = 0, bool reap_grandchild = true);

}  // namespace greentune::energy::testing
