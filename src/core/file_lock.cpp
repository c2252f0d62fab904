#include "greentune/core/file_lock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"

namespace greentune {

namespace {

std::string utc_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm {};
  gmtime_r(&ts.tv_sec, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct flock whole_file(short type) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  fl.l_pid = 0;  // must be 0 for OFD locks
  return fl;
}

LockHolder read_record(int fd) {
  LockHolder h;
  std::string text;
  char buf[4096];
  ssize_t n;
  off_t off = 0;
  while ((n = ::pread(fd, buf, sizeof(buf), off)) > 0) {
    text.append(buf, static_cast<size_t>(n));
    off += n;
  }
  try {
    auto j = nlohmann::json::parse(text);
    h.host = j.value("host", std::string());
    h.pid = j.value("pid", 0LL);
    h.since = j.value("since", std::string());
    h.what = j.value("what", std::string());
    h.role = j.value("role", std::string());
  } catch (const nlohmann::json::exception&) {
    // not written yet (or cut short): an unknown holder
  }
  return h;
}

}  // namespace

std::string LockHolder::describe() const {
  if (pid == 0 && host.empty()) return "an unknown process (its record is not written yet)";
  return (what.empty() ? std::string("a greentune process") : what) + " (pid " + std::to_string(pid) + " on " +
         (host.empty() ? "?" : host) + (since.empty() ? "" : ", since " + since) + ")";
}

FileLock::FileLock(FileLock&& o) noexcept
    : fd_(o.fd_), path_(std::move(o.path_)), record_(std::move(o.record_)), previous_(std::move(o.previous_)) {
  o.fd_ = -1;
}

FileLock& FileLock::operator=(FileLock&& o) noexcept {
  if (this != &o) {
    release();
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    record_ = std::move(o.record_);
    previous_ = std::move(o.previous_);
    o.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() { release(); }

void FileLock::release() {
  if (fd_ < 0) return;
  // The record stays (a record without a lock is stale); closing drops the lock.
  ::close(fd_);
  fd_ = -1;
}

FileLock FileLock::try_lock(const std::string& path, const std::string& what, const std::string& role,
                            LockHolder* holder) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw io_error("cannot open the lock file " + path + ": " + std::strerror(errno));
  struct flock fl = whole_file(F_WRLCK);
  if (::fcntl(fd, F_OFD_SETLK, &fl) != 0) {
    int e = errno;
    if (e == EAGAIN || e == EACCES) {
      if (holder) *holder = read_record(fd);
      ::close(fd);
      return FileLock();
    }
    ::close(fd);
    throw io_error("cannot lock " + path + ": " + std::strerror(e));
  }
  FileLock lock;
  LockHolder stale = read_record(fd);
  if (stale.pid != 0 || !stale.host.empty()) lock.previous_ = stale;
  lock.record_ = LockHolder{hostname(), static_cast<long long>(::getpid()), utc_now(), what, role};
  const LockHolder& me = lock.record_;
  nlohmann::json rec = {{"host", me.host}, {"pid", me.pid}, {"since", me.since}, {"what", me.what}, {"role", me.role}};
  std::string text = rec.dump() + "\n";
  // Best effort: the lock protects without the record (a full disk must not stop a runner
  // from refusing others, nor from reporting the disk full later).
  if (::ftruncate(fd, 0) == 0) {
    ssize_t n = ::pwrite(fd, text.data(), text.size(), 0);
    (void)n;
  }
  lock.fd_ = fd;
  lock.path_ = path;
  return lock;
}

std::optional<LockHolder> FileLock::holder(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct flock fl = whole_file(F_WRLCK);
  std::optional<LockHolder> out;
  if (::fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) out = read_record(fd);
  ::close(fd);
  return out;
}

}  // namespace greentune
