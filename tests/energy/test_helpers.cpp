#include "test_helpers.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace greentune::energy::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/greentune-energy-test-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  // make everything removable again (tests chmod files to 000)
  for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    ::chmod(it->path().c_str(), it->is_directory() ? 0755 : 0644);
  }
  std::filesystem::remove_all(path_, ec);
}

void TempDir::write(const std::string& rel, const std::string& text) const {
  std::filesystem::path p = std::filesystem::path(path_) / rel;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

static double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

void burn_cpu(double cpu_s) {
  double start = process_cpu_s();
  volatile double x = 1.0;
  while (process_cpu_s() - start < cpu_s) {
    for (int i = 0; i < 10000; ++i) x = x * 1.0000001 + 1e-9;
  }
}

pid_t spawn_burner(double cpu_s, double grandchild_cpu_s, bool reap_grandchild) {
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid > 0) return pid;
  if (grandchild_cpu_s > 0) {
    pid_t g = fork();
    if (g == 0) {
      burn_cpu(grandchild_cpu_s);
      _exit(0);
    }
    if (reap_grandchild) {
      int st = 0;
      waitpid(g, &st, 0);
    }
  }
  burn_cpu(cpu_s);
  _exit(0);
}

}  // namespace greentune::energy::testing
