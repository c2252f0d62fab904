// greentune run-task: perform one task of a study on this machine (what each Slurm array
// element runs), writing its result file atomically into the study folder.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "run_flags.hpp"
#include "greentune/slurm/run_task.hpp"
#include "greentune/tune/tune_task.hpp"

namespace greentune::app {
namespace {
struct RunTaskArgs {
  std::string study_dir;
  long long task = 0;
  std::string greentune_bin;
  OverrideFlags overrides;
  bool no_cooldown = false;
  bool force = false;
};
}  // namespace

void add_run_task_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<RunTaskArgs>();
  CLI::App* cmd = app.add_subcommand(
      "run-task",
      "Perform one task of a study (one run, or a parallel set sharing this node) and write its result to "
      "DIR/results/task-<N>.json. Slurm array elements run this; `greentune collect DIR` stores the results.");
  cmd->add_option("--study-dir", args->study_dir, "the study folder (on a file system the submitting machine sees)")
      ->required()
      ->envname("GREENTUNE_STUDY_DIR");
  cmd->add_option("--task", args->task, "task number (1-based, as in the study's plan.json, or a tune run's tune-plan.json)")
      ->required()
      ->envname("GREENTUNE_TASK");
  cmd->add_option("--greentune-bin", args->greentune_bin, "greentune executable for built-in models (empty = this one)")
      ->capture_default_str()
      ->envname("GREENTUNE_BIN");
  add_override_flags(cmd, args->overrides, "study", " before the task");
  // The spelling of earlier versions (batch scripts of studies submitted by them use it).
  cmd->add_option("--cooldown-s", args->overrides.cooldown, "alias of --cooldown")->group("");
  cmd->add_flag("--no-cooldown", args->no_cooldown, "skip the cool-down before the task")->envname("GREENTUNE_NO_COOLDOWN");
  cmd->add_flag("--force", args->force, "run even when the task already has a result (the database keeps the first)");
  cmd->callback([&ctx, args] {
    ctx.run = [args]() -> int {
      slurm::RunTaskOptions o;
      o.study_dir = args->study_dir;
      o.task_id = args->task;
      o.greentune_bin = args->greentune_bin;
      o.meter_override = args->overrides.meter;
      o.cooldown_s = args->overrides.overrides().cooldown_s;
      o.cooldown = !args->no_cooldown;
      o.force = args->force;
      // A tune run's folder: its batches' plan is DIR/tune-plan.json (tune/tune_task.hpp).
      if (tune::is_tune_directory(args->study_dir)) o.load = tune::load_tune_directory_for_tasks;
      return slurm::run_task(o, std::cout);
    };
  });
}

}  // namespace greentune::app
