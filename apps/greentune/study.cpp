// greentune study: plan a study of hyperparameter mutants, run every configuration under an
// energy meter (locally, or on Slurm), store every run. The work is exec::run_study().
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "run_flags.hpp"
#include "greentune/core/error.hpp"
#include "greentune/exec/local_executor.hpp"
#include "greentune/slurm/study.hpp"
#include "greentune/study/study_definition.hpp"

namespace greentune::app {
namespace {

struct StudyArgs {
  std::string file;
  std::string out;
  std::string resume;
  bool dry_run = false;
  bool print_default = false;
  OverrideFlags overrides;
  std::string progress = "auto";
  std::string executor = "local";
  slurm::SlurmOptions slurm;
  bool ignore_slurm_jobs = false;
};

}  // namespace

void add_study_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<StudyArgs>();
  CLI::App* cmd = app.add_subcommand(
      "study",
      "Run a study: train the original and every mutant configuration several times under an energy meter, "
      "alone and beside a co-runner, and store every run in a SQLite database.\n"
      "Without FILE, runs the embedded quick study (about ten minutes on a 2-core CPU).");
  cmd->add_option("file", args->file, "study definition (TOML); empty = the embedded default study");
  cmd->add_option("-o,--out", args->out, "study directory to create (database, copies, results); empty = ./greentune-<name>-<UTC time>")
      ->capture_default_str()
      ->envname("GREENTUNE_STUDY_DIR");
  cmd->add_option("--resume", args->resume, "continue the study in this directory (or its study.db); runs in flight are re-run");
  cmd->add_flag("-n,--dry-run", args->dry_run, "print the plan (mutant values, counts) and its estimated duration; run nothing");
  cmd->add_flag("--print-default", args->print_default, "print the embedded default study definition and exit");
  add_override_flags(cmd, args->overrides, "study");
  cmd->add_option("--progress", args->progress, "auto (live line on a terminal, log lines otherwise), line, log or none")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "line", "log", "none"}))
      ->envname("GREENTUNE_PROGRESS");
  add_executor_flag(cmd, args->executor, "where runs execute: local (this machine) or slurm (a job array)",
                    {"local", "slurm"});
  add_slurm_flags(cmd, args->slurm);
  // No environment twin: a forgotten variable must not silently switch this safety check off.
  cmd->add_flag("--ignore-slurm-jobs", args->ignore_slurm_jobs,
                "local --resume of a study submitted to Slurm: run its tasks here even though Slurm still lists "
                "them as queued or running (only when you know those jobs are dead; default: refuse)");
  cmd->callback([&ctx, args] {
    ctx.run = [args]() -> int {
      if (args->print_default) {
        std::cout << study::default_study_text();
        return 0;
      }
      check_slurm_flags(args->executor, args->slurm);
      exec::StudyRunOptions o;
      o.study_file = args->file;
      o.out_dir = args->out;
      o.resume = args->resume;
      o.dry_run = args->dry_run;
      o.meter_override = args->overrides.meter;
      o.cooldown_s = args->overrides.overrides().cooldown_s;
      o.progress = args->progress;
      if (args->executor == "slurm") {
        slurm::SlurmStudyOptions so;
        so.run = o;
        so.slurm = args->slurm;
        if (args->ignore_slurm_jobs)
          throw usage_error("--ignore-slurm-jobs applies only to a local resume (--executor local)");
        return slurm::run_study_on_slurm(so);
      }
      // A local --resume first asks Slurm whether the study's tasks are still queued there.
      return slurm::run_study_here(o, args->ignore_slurm_jobs);
    };
  });
}

}  // namespace greentune::app
