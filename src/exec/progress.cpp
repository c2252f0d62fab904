#include "greentune/exec/progress.hpp"

#include <unistd.h>

#include <ostream>

#include "greentune/core/format.hpp"

namespace greentune::exec {


bool stderr_is_terminal() { return ::isatty(2) == 1; }

Progress::Progress(std::ostream& out, bool live, long long total_runs, long long done_runs, long long total_tasks,
                   long long done_tasks)
    : out_(out), live_(live), total_runs_(total_runs), done_runs_(done_runs), total_tasks_(total_tasks),
      done_tasks_(done_tasks) {
  current_since_ = task_since_ = std::chrono::steady_clock::now();
  if (live_) ticker_ = std::thread([this] { tick(); });
}

Progress::~Progress() { finish(); }

void Progress::finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  if (live_) {
    std::lock_guard<std::mutex> lock(mu_);
    out_ << "\r\033[K" << std::flush;
  }
}

void Progress::tick() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    draw_locked();
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
  }
}

std::string Progress::line_locked() const {
  std::string s = "[" + std::to_string(done_runs_) + "/" + std::to_string(total_runs_) + " runs";
  if (total_runs_ > 0) s += ", " + std::to_string(done_runs_ * 100 / total_runs_) + "%";
  s += "]";
  if (session_tasks_ > 0 && total_tasks_ > done_tasks_) {
    double per_task = session_s_ / static_cast<double>(session_tasks_);
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - task_since_).count();
    double eta = per_task * static_cast<double>(total_tasks_ - done_tasks_) - std::min(elapsed, per_task);
    s += " ETA " + format_duration(std::max(0.0, eta));
  }
  s += " | " + format_energy(energy_j_) + " so far";
  if (!current_.empty()) {
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - current_since_).count();
    s += " | " + current_ + " (" + format_duration(t) + ")";
  }
  return s;
}

void Progress::draw_locked() {
  if (!live_) return;
  std::string l = line_locked();
  if (l.size() > 160) l = l.substr(0, 157) + "...";
  out_ << "\r\033[K" << l << std::flush;
}

void Progress::run_started(long long run_id, const std::string& description) {
  std::lock_guard<std::mutex> lock(mu_);
  current_ = "run " + std::to_string(run_id) + ": " + description;
  current_since_ = std::chrono::steady_clock::now();
  if (live_) draw_locked();
  else out_ << "[" << done_runs_ << "/" << total_runs_ << "] start " << current_ << "\n" << std::flush;
}

void Progress::task_finished(long long runs, double energy_j, double seconds, const std::string& summary) {
  std::lock_guard<std::mutex> lock(mu_);
  done_runs_ += runs;
  ++done_tasks_;
  energy_j_ += energy_j;
  (void)seconds;
  current_.clear();
  if (live_) {
    out_ << "\r\033[K" << summary << "\n";
    draw_locked();
  } else {
    out_ << "[" << done_runs_ << "/" << total_runs_ << "] " << summary << "\n" << std::flush;
  }
}

void Progress::cooling_down(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  current_ = seconds > 0 ? "cooling down " + format_duration(seconds) : "cooling down until idle";
  current_since_ = std::chrono::steady_clock::now();
  if (live_) draw_locked();
}

void Progress::cycle_done(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  session_s_ += seconds;
  ++session_tasks_;
  task_since_ = std::chrono::steady_clock::now();
}

void Progress::message(const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  if (live_) out_ << "\r\033[K";
  out_ << line << "\n";
  if (live_) draw_locked();
  out_ << std::flush;
}

}  // namespace greentune::exec
