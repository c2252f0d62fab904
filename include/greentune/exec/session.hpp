#pragma once
// The execution core: one session over a study directory that runs batches of tasks on this
// machine. `greentune study` (local), `greentune run-task` (a Slurm array element) and
// `greentune tune` (local batches; on Slurm its waits) all drive a Session, and it alone owns
// the duties every task shares:
//
//   - the options of every task (ExecuteOptions: greentune binary, cancel flag, governor state,
//     idle baseline, the run-start and watch hooks),
//   - the idle baseline of the until-idle cool-down (measured once, recorded in the database, or
//     kept per node in a file when there is no database),
//   - the CPU governor (set at the start, put back on every way out),
//   - the environment record of this machine,
//   - cancellation (SIGINT/SIGTERM, and the signals the caller adds),
//   - the free-disk check before and after every task,
//   - result files (ResultWriter: atomic, synced at most once a second) and their storage,
//   - progress, the cool-down between tasks (and before the first, for a Slurm element),
//   - putting runs in flight back to pending on every way out.
//
// The place to observe a run while it runs, and to stop it, is SessionHooks::watch: it is called
// about ten times a second for each task with the runs still running (exec/task.hpp RunWatch).
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "greentune/exec/overrides.hpp"
#include "greentune/exec/task.hpp"
#include "greentune/store/study_store.hpp"

namespace greentune::exec {

struct SessionOptions {
  std::string greentune_bin;             // for built-in models (empty: $GREENTUNE_BIN / this executable)
  // "greentune study --resume DIR": named by the disk-full and interruption messages.
  std::string resume_command;
  // Progress on `err`: auto (live line on a terminal, else log lines) | line | log | none.
  std::string progress = "none";
  std::ostream* err = nullptr;           // default std::cerr
  // SIGINT and SIGTERM cancel; a Slurm element adds SIGUSR1 (--signal=USR1@T before a time limit).
  bool cancel_on_usr1 = false;
  // false: the tasks run elsewhere (a tune's Slurm batches; each node's run-task has its own
  // session): this one sets no governor, records no environment, and only owns cancellation and
  // the runs in flight.
  bool here = true;
  // false: no cool-down at all (run-task --no-cooldown), nor its idle baseline.
  bool cooldown = true;
  // run-task: cool down before the first task too (the node may just have run anything).
  bool cooldown_before_first = false;
  // No database (a Slurm element): the idle baseline is kept in this file, one per node.
  std::string idle_baseline_file;
  // One line per event of execute_task and the session (a Slurm element's log); may be empty.
  std::function<void(const std::string&)> log;
};

struct SessionHooks {
  // A run started (run id, description): the session marks it running in the database first.
  std::function<void(long long, const std::string&)> on_run_start;
  // A task's result, after its result file and the database have it. Return false to run no
  // further task of this batch (e.g. a tune's budget is spent).
  std::function<bool(const TaskResult&)> on_task_done;
  // A task's result before it is written and stored (a Slurm element adds Slurm's facts).
  std::function<void(TaskResult&)> amend;
  // Called while a task runs, about every 100 ms, with its running runs (see RunWatch).
  std::function<void(RunWatch&)> watch;
};

// How a batch ended: every task done, stopped by on_task_done, or cancelled by a signal (the
// runs in flight are back to pending, the governor restored).
enum class BatchEnd { done, stopped, cancelled };

class Session {
 public:
  // store may be null (a Slurm element writes result files only). Sets the governor, records the
  // environment (with a store), installs the signal handlers.
  Session(const LoadedStudy& study, store::StudyStore* store, SessionOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs the tasks in order. A run that fails is a result; an exception means a task could not
  // be executed (the runs in flight go back to pending, the governor is restored; on a full
  // disk the error says so and names resume_command). Each task's result is written to its file
  // and, with a store, stored.
  BatchEnd run(const std::vector<long long>& task_ids, const SessionHooks& hooks = {});
  // The study may change between batches (a tune adds tasks): the session runs this one next.
  void set_study(const LoadedStudy& study) { study_ = &study; }

  // Puts the governor back now (also done on every way out and by the destructor).
  void restore_governor();
  const std::string& governor_state() const;
  // The cancel flag (SIGINT/SIGTERM seen): for waits the caller does itself (Slurm batches).
  const std::atomic<bool>* cancel_flag() const;
  // Runs of the store in flight put back to pending (0 without a store).
  long long reset_in_flight();
  // Progress messages (a live line stays below them).
  void message(const std::string& line);

 private:
  struct State;
  void prepare(const std::vector<long long>& task_ids);
  BatchEnd run_tasks(const std::vector<long long>& task_ids, const SessionHooks& hooks);
  ExecuteOptions task_options(const SessionHooks& hooks);
  void cool_down_now(const ExecuteOptions& eo);
  const LoadedStudy* study_;
  store::StudyStore* store_;
  SessionOptions options_;
  std::unique_ptr<State> state_;
};

// The free space a task needs: below it no task starts, and a task that ends with less is not
// kept. Throws io_error "DIR: no space left ... continue with: RESUME_COMMAND".
void check_free_space(const std::string& dir, const std::string& resume_command);

}  // namespace greentune::exec
