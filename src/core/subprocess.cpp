#include "greentune/core/subprocess.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "greentune/core/error.hpp"

namespace greentune {

double monotonic_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

std::string self_executable_path() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) throw runtime_error("cannot read /proc/self/exe");
  return std::string(buf, static_cast<size_t>(n));
}

std::string SubprocessResult::describe() const {
  std::ostringstream o;
  if (timed_out) {
    o << "timed out after " << wall_s << " s";
  } else if (term_signal != 0) {
    o << "killed by signal " << term_signal << " (" << strsignal(term_signal) << ")";
  } else {
    o << "exit code " << exit_code;
  }
  return o.str();
}

static std::string make_temp_file() {
  const char* dir = std::getenv("TMPDIR");
  std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/greentune-out-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  int fd = mkstemp(buf.data());
  if (fd < 0) throw io_error("cannot create a temporary file in " + tmpl + ": " + strerror(errno));
  close(fd);
  return std::string(buf.data());
}

static std::string slurp_and_remove(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  ::unlink(path.c_str());
  return ss.str();
}

Subprocess::Subprocess(SubprocessOptions options) : options_(std::move(options)) {}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !reaped_) {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (!stdout_tmp_.empty()) ::unlink(stdout_tmp_.c_str());
  if (!stderr_tmp_.empty()) ::unlink(stderr_tmp_.c_str());
}

void Subprocess::start() {
  if (options_.argv.empty()) throw usage_error("no command given");
  std::string out_path = options_.stdout_to, err_path = options_.stderr_to;
  if (out_path == "capture") out_path = stdout_tmp_ = make_temp_file();
  if (err_path == "capture") err_path = stderr_tmp_ = make_temp_file();

  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) != 0) throw runtime_error(std::string("pipe: ") + strerror(errno));

  std::vector<std::string> envs;
  for (const auto& [k, v] : options_.env) envs.push_back(k + "=" + v);
  std::vector<char*> argv;
  for (auto& a : options_.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  start_time_ = monotonic_seconds();
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw runtime_error(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    // child: only async-signal-safe calls from here on, plus putenv (single-threaded copy).
    setpgid(0, 0);
    // A child must not outlive its runner: if the runner dies (even by SIGKILL), the kernel
    // sends SIGKILL to the child, so no orphaned training keeps loading the machine while the
    // next runner measures. (It fires when the thread that forked exits: start() is called from
    // threads that outlive their children.) Check for a parent that died before the prctl.
    if (options_.die_with_parent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
    }
    auto fail = [&](int err) {
      (void)!write(errpipe[1], &err, sizeof(err));
      _exit(127);
    };
    if (options_.stdin_null) {
      int fd = open("/dev/null", O_RDONLY);
      if (fd >= 0) { dup2(fd, 0); close(fd); }
    }
    if (!out_path.empty()) {
      int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0) fail(errno);
      dup2(fd, 1);
      close(fd);
    }
    if (!err_path.empty()) {
      int fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0) fail(errno);
      dup2(fd, 2);
      close(fd);
    }
    if (!options_.working_dir.empty() && chdir(options_.working_dir.c_str()) != 0) fail(errno);
    for (auto& e : envs) putenv(const_cast<char*>(e.c_str()));
    signal(SIGPIPE, SIG_DFL);
    execvp(argv[0], argv.data());
    fail(errno);
  }
  pid_ = pid;
  setpgid(pid, pid);  // also from the parent, to avoid a race with signal_group()
  close(errpipe[1]);
  int child_errno = 0;
  ssize_t n = read(errpipe[0], &child_errno, sizeof(child_errno));
  close(errpipe[0]);
  if (n == sizeof(child_errno)) {
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    throw runtime_error("cannot run '" + options_.argv[0] + "': " + strerror(child_errno));
  }
}

bool Subprocess::running() {
  if (pid_ <= 0 || reaped_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    result_ = finish(status);
    return false;
  }
  return true;
}

SubprocessResult Subprocess::finish(int status) {
  reaped_ = true;
  SubprocessResult r;
  r.wall_s = monotonic_seconds() - start_time_;
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.term_signal = WTERMSIG(status);
  }
  // Whatever the child left behind in its group goes too.
  ::kill(-pid_, SIGKILL);
  if (!stdout_tmp_.empty()) { r.stdout_text = slurp_and_remove(stdout_tmp_); stdout_tmp_.clear(); }
  if (!stderr_tmp_.empty()) { r.stderr_text = slurp_and_remove(stderr_tmp_); stderr_tmp_.clear(); }
  return r;
}

void Subprocess::signal_group(int sig) {
  if (pid_ > 0 && !reaped_) ::kill(-pid_, sig);
}

SubprocessResult Subprocess::wait() {
  if (result_) return *result_;
  if (pid_ <= 0) throw runtime_error("wait() before start()");
  double sleep_s = 0.001;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      result_ = finish(status);
      return *result_;
    }
    if (r < 0 && errno != EINTR) throw runtime_error(std::string("waitpid: ") + strerror(errno));
    if (options_.timeout_s > 0 && monotonic_seconds() - start_time_ >= options_.timeout_s) {
      SubprocessResult t = terminate();
      t.timed_out = true;
      result_ = t;
      return t;
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(sleep_s));
    if (sleep_s < 0.02) sleep_s *= 2;
  }
}

SubprocessResult Subprocess::terminate() {
  if (result_) return *result_;
  signal_group(SIGTERM);
  double deadline = monotonic_seconds() + options_.kill_grace_s;
  while (monotonic_seconds() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      result_ = finish(status);
      return *result_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  signal_group(SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  result_ = finish(status);
  return *result_;
}

SubprocessResult run_subprocess(const SubprocessOptions& options) {
  Subprocess p(options);
  p.start();
  return p.wait();
}

}  // namespace greentune
