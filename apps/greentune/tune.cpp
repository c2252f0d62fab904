// greentune tune: find the configuration with the least energy (or time) whose performance is
// non-inferior to the original's, confirm it, report saving, intervals and payback.
// The work is tune::run_tune().
#include <memory>

#include "commands.hpp"
#include "run_flags.hpp"
#include "greentune/tune/tuner.hpp"

namespace greentune::app {

void add_tune_command(CLI::App& app, CommandContext& ctx) {
  auto o = std::make_shared<tune::TuneOptions>();
  auto overrides = std::make_shared<OverrideFlags>();
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
  add_executor_flag(cmd, o->executor,
                    "where runs execute: local (this machine) or slurm (each batch one job array); empty = local, or "
                    "with --resume the executor the run used",
                    {"", "local", "slurm"});
  add_slurm_flags(cmd, o->slurm);
  add_override_flags(cmd, *overrides, "file");
  cmd->add_option("--from", o->from,
                  "warm start: a study or tune directory of the same model, metric, machine and meters whose runs "
                  "are search observations (repeatable; added to the file's [tune] from)");
  cmd->add_flag("-q,--quiet", o->quiet, "no line per run on stderr");
  cmd->callback([&ctx, o, overrides] {
    ctx.run = [o, overrides]() -> int {
      o->meter_override = overrides->meter;
      o->cooldown_s = overrides->overrides().cooldown_s;
      return tune::run_tune(*o);
    };
  });
}

}  // namespace greentune::app
