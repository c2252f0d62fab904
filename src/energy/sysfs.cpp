#include "sysfs.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "greentune/core/error.hpp"

namespace greentune::energy::detail {

int read_file(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  out.clear();
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return err;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return 0;
}

KeptFile::~KeptFile() {
  if (fd_ >= 0) ::close(fd_);
}

KeptFile& KeptFile::operator=(KeptFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(o.path_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

int KeptFile::read(std::string& out, size_t limit) {
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return errno;
  }
  out.resize(limit > 0 ? limit : 4096);
  size_t used = 0;
  while (true) {
    ssize_t n = ::pread(fd_, &out[used], out.size() - used, static_cast<off_t>(used));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      out.clear();
      return err;
    }
    used += static_cast<size_t>(n);
    if (n == 0 || used < out.size() || limit > 0) break;
    out.resize(out.size() * 2);
  }
  out.resize(used);
  return 0;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string rapl_permission_hint() {
  return "energy counters are root-only since CVE-2020-8694; fix: run as root, or grant read access "
         "(until reboot: sudo chmod o+r /sys/class/powercap/intel-rapl:*/energy_uj; permanently: a udev rule "
         "ACTION==\"add\", SUBSYSTEM==\"powercap\", RUN+=\"/bin/chmod o+r /sys%p/energy_uj\"), "
         "knowing that this re-opens the side channel the CVE closed";
}

std::string read_trimmed_or_throw(const std::string& path, const std::string& permission_hint) {
  std::string text;
  int err = read_file(path, text);
  if (err == EACCES || err == EPERM)
    throw meter_error("permission denied reading " + path + (permission_hint.empty() ? "" : " (" + permission_hint + ")"));
  if (err != 0) throw meter_error("cannot read " + path + ": " + std::strerror(err));
  return trim(text);
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace greentune::energy::detail
