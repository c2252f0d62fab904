#pragma once
// An exclusive advisory lock on a file, with a record of who holds it.
//
// The lock is an open-file-description lock (fcntl F_OFD_SETLK) on the whole file, taken
// without waiting. The kernel drops it when the holder's process ends, however it ends
// (exit, crash, SIGKILL; a power cut loses it with the machine), so a lock never outlives its
// holder and nothing needs cleaning up by hand. The descriptor is close-on-exec: child
// processes do not hold it.
//
// The file's content is the holder record, one JSON object {"host", "pid", "since", "what",
// "role"}, written after the lock is taken; a record without a lock is stale and ignored.
// Over NFS, fcntl locks are coherent only where the mount has working locking (NFSv4, or
// NFSv3 with lockd; never with `nolock`): docs/studies.md says what greentune relies on.
#include <sys/types.h>

#include <optional>
#include <string>

namespace greentune {

struct LockHolder {
  std::string host;
  long long pid = 0;
  std::string since;  // ISO-8601 UTC
  std::string what;   // the command, e.g. "greentune study --resume"
  std::string role;   // what kind of holder (free text chosen by the caller, e.g. "runner")
  // "greentune study (pid 123 on node1, since 2026-12-02T01:02:03Z)"; "an unknown process"
  // when the record is missing (the holder has not written it yet).
  std::string describe() const;
};

class FileLock {
 public:
  FileLock() = default;
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

  // Takes the lock on `path` (created when missing) and writes the holder record. Returns an
  // empty FileLock (held() false) when another open file description holds it; fills
  // *holder with its record then. Throws io_error when the file cannot be opened or locked
  // for another reason.
  static FileLock try_lock(const std::string& path, const std::string& what, const std::string& role,
                           LockHolder* holder = nullptr);
  // Who holds the lock on `path` now; nullopt when nobody does (or there is no file).
  static std::optional<LockHolder> holder(const std::string& path);

  bool held() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  // The record this holder wrote (host, pid, since, what, role).
  const LockHolder& record() const { return record_; }
  // The stale record found in the file when the lock was taken: who held it last (a process
  // that has ended, however it ended); nullopt for a new file or an unreadable record.
  const std::optional<LockHolder>& previous() const { return previous_; }
  void release();  // also done by the destructor

 private:
  int fd_ = -1;
  std::string path_;
  LockHolder record_;
  std::optional<LockHolder> previous_;
};

}  // namespace greentune
