#pragma once
// Flags shared by the subcommands that run tasks (`study`, `tune`, `run-task`), declared once:
// the executor, the Slurm submission options and the overrides (--meter, --cooldown), which
// travel one path (exec/overrides.hpp) whichever command takes them.
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "greentune/core/error.hpp"
#include "greentune/exec/overrides.hpp"
#include "greentune/slurm/client.hpp"
#include "greentune/slurm/study.hpp"

namespace greentune::app {

// --meter and --cooldown, overriding what `source` ("study", "file") says.
struct OverrideFlags {
  std::string meter;
  double cooldown = -1;
  exec::StudyOverrides overrides() const {
    exec::StudyOverrides o;
    o.meter = meter;
    if (cooldown >= 0) o.cooldown_s = cooldown;
    return o;
  }
};

inline void add_override_flags(CLI::App* cmd, OverrideFlags& f, const std::string& source,
                               const std::string& cooldown_when = "") {
  cmd->add_option("--meter", f.meter,
                  "energy meter, overriding the " + source + "'s (auto, rapl, perf, nvml, estimate, none)")
      ->capture_default_str()
      ->envname("GREENTUNE_METER");
  cmd->add_option("--cooldown", f.cooldown,
                  "fixed cool-down in seconds" + cooldown_when + ", overriding the " + source + "'s (< 0: as the " +
                      source + " says)")
      ->capture_default_str()
      ->envname("GREENTUNE_COOLDOWN");
}

// --executor; `choices` are local and slurm (tune also takes "" = as the run was).
inline void add_executor_flag(CLI::App* cmd, std::string& executor, const std::string& help,
                              const std::vector<std::string>& choices) {
  auto* opt = cmd->add_option("--executor", executor, help)->check(CLI::IsMember(choices))->envname("GREENTUNE_EXECUTOR");
  if (!executor.empty()) opt->capture_default_str();
}

// --partition, --sbatch-arg, --exclusive/--no-exclusive, --max-parallel.
inline void add_slurm_flags(CLI::App* cmd, slurm::SlurmOptions& s) {
  cmd->add_option("--partition", s.partition, "slurm: partition to submit to (empty = the cluster's default)")
      ->capture_default_str()
      ->envname("GREENTUNE_PARTITION");
  cmd->add_option("--sbatch-arg", s.sbatch_args, "slurm: extra sbatch option, verbatim (repeatable)");
  cmd->add_flag("--exclusive,!--no-exclusive", s.exclusive,
                "slurm: whole nodes per task (sbatch --exclusive), so no foreign job disturbs a measurement "
                "(default: --exclusive)")
      ->envname("GREENTUNE_SLURM_EXCLUSIVE");
  cmd->add_option("--max-parallel", s.max_parallel, "slurm: at most this many tasks at once (array throttle; 0 = no limit)")
      ->capture_default_str()
      ->envname("GREENTUNE_SLURM_MAX_PARALLEL");
}

// The Slurm options apply only to the Slurm executor.
inline void check_slurm_flags(const std::string& executor, const slurm::SlurmOptions& s) {
  if (executor != "slurm" && slurm::slurm_options_given(s))
    throw usage_error("--partition, --sbatch-arg, --no-exclusive and --max-parallel apply only with --executor slurm");
}

}  // namespace greentune::app
