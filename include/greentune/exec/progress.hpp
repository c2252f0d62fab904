#pragma once
// Progress of a running study: a live line on a terminal (runs done/total, ETA, energy so
// far, current run), plain log lines otherwise.
#include <chrono>
#include <condition_variable>
#include <iosfwd>
#include <mutex>
#include <string>
#include <thread>

namespace greentune::exec {

class Progress {
 public:
  // live: rewrite one line (\r) every second; else one log line per event.
  Progress(std::ostream& out, bool live, long long total_runs, long long done_runs, long long total_tasks,
           long long done_tasks);
  ~Progress();
  void run_started(long long run_id, const std::string& description);
  // A task finished: its runs' statuses summarised in `summary` (one line), its whole-machine
  // energy, its duration including nothing else.
  void task_finished(long long runs, double energy_j, double seconds, const std::string& summary);
  void cooling_down(double seconds);
  // One task cycle (task + its cool-down) took `seconds`: feeds the ETA.
  void cycle_done(double seconds);
  void message(const std::string& line);  // printed above the live line
  void finish();
  double energy_j() const { return energy_j_; }

 private:
  std::string line_locked() const;
  void draw_locked();
  void tick();
  std::ostream& out_;
  bool live_;
  long long total_runs_, done_runs_, total_tasks_, done_tasks_;
  long long session_tasks_ = 0;
  double session_s_ = 0;
  double energy_j_ = 0;
  std::string current_;
  std::chrono::steady_clock::time_point current_since_, task_since_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread ticker_;
};

bool stderr_is_terminal();

}  // namespace greentune::exec
