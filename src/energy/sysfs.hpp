#pragma once
// Small sysfs helpers shared by the rapl and perf backends (private to src/energy).
#include <cstddef>
#include <string>

namespace greentune::energy::detail {

// Reads a whole small file; returns 0 or the errno of the failure.
int read_file(const std::string& path, std::string& out);
// Trimmed contents, or throws meter_error naming the file (permission denied gets `hint`).
std::string read_trimmed_or_throw(const std::string& path, const std::string& permission_hint = "");
std::string trim(const std::string& s);
bool is_directory(const std::string& path);

// A proc/sysfs file kept open and re-read with pread at offset 0 (the kernel regenerates
// the contents), which saves the open/close path lookups of every sampler tick.
class KeptFile {
 public:
  KeptFile() = default;
  explicit KeptFile(std::string path) : path_(std::move(path)) {}
  ~KeptFile();
  KeptFile(KeptFile&& o) noexcept : path_(std::move(o.path_)), fd_(o.fd_) { o.fd_ = -1; }
  KeptFile& operator=(KeptFile&& o) noexcept;
  KeptFile(const KeptFile&) = delete;
  KeptFile& operator=(const KeptFile&) = delete;
  // 0 or the errno of the failure (ESRCH once a /proc/<pid> file's process is gone).
  // limit > 0 reads at most that many bytes (enough for a first line).
  int read(std::string& out, size_t limit = 0);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

// The fix for root-only RAPL counters (CVE-2020-8694), for error messages.
std::string rapl_permission_hint();

}  // namespace greentune::energy::detail
