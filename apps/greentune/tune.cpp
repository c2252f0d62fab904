// greentune tune: find the configuration with the least energy (or time) whose performance is
// non-inferior to the original's, confirm it, report saving, intervals and payback.
// The work is tune::run_tune().
#include <memory>

#include "commands.hpp"
#include "greentune/tune/tuner.hpp"

namespace greentune::app {

void add_tune_command(CLI::App& app, CommandContext& ctx) {
  auto o = std::make_shared<tune::TuneOptions>();
  auto cooldown = std::make_shared<double>(-1);
  CLI::App* cmd = app.add_subcommand(
      "tune",
      "Search the hyperparameters of one model for the configuration that uses the least energy while "
      "staying non-inferior to the original's performance; confirm it against the original (interleaved "
      "re-runs, sequential one-sided test) and report the saving with 95% intervals and its payback.");
  cmd->add_option("file", o->tune_file, "tune file (TOML: a study file's [[models]] entry plus a [tune] table)");
  cmd->add_option("-o,--out", o->out_dir, "tune directory to create; empty = ./greentune-tune-<name>-<UTC time>")
      ->capture_default_str()
      ->envname("GREENTUNE_TUNE_DIR");
  cmd->add_option("--resume", o->resume, "continue the tune run in this directory (or its study.db)");
  cmd->add_flag("-n,--dry-run", o->dry_run, "print the search space, objective, constraint and budget; run nothing");
  cmd->add_flag("--json", o->json, "print the summary as one JSON object on stdout (progress stays on stderr)");
  cmd->add_option("--executor", o->executor,
                  "where runs execute: local (this machine) or slurm (each batch one job array); empty = local, or "
                  "with --resume the executor the run used")
      ->check(CLI::IsMember({"", "local", "slurm"}))
      ->envname("GREENTUNE_EXECUTOR");
  cmd->add_option("--partition", o->slurm.partition, "slurm: partition to submit to (empty = the cluster's default)")
      ->capture_default_str()
      ->envname("GREENTUNE_PARTITION");
  cmd->add_option("--sbatch-arg", o->slurm.sbatch_args, "slurm: extra sbatch option, verbatim (repeatable)");
  cmd->add_flag("--exclusive,!--no-exclusive", o->slurm.exclusive,
                "slurm: whole nodes per task (sbatch --exclusive), so no foreign job disturbs a measurement "
                "(default: --exclusive)")
      ->envname("GREENTUNE_SLURM_EXCLUSIVE");
  cmd->add_option("--max-parallel", o->slurm.max_parallel, "slurm: at most this many tasks at once (array throttle; 0 = no limit)")
      ->capture_default_str()
      ->envname("GREENTUNE_SLURM_MAX_PARALLEL");
  cmd->add_option("--meter", o->meter_override, "energy meter, overriding the file's (auto, rapl, perf, nvml, estimate, none)")
      ->capture_default_str()
      ->envname("GREENTUNE_METER");
  cmd->add_option("--cooldown", *cooldown, "fixed cool-down in seconds, overriding the file's (< 0: as the file says)")
      ->capture_default_str()
      ->envname("GREENTUNE_COOLDOWN");
  cmd->add_flag("-q,--quiet", o->quiet, "no line per run on stderr");
  cmd->callback([&ctx, o, cooldown] {
    ctx.run = [o, cooldown]() -> int {
      if (*cooldown >= 0) o->cooldown_s = *cooldown;
      return tune::run_tune(*o);
    };
  });
}

}  // namespace greentune::app
