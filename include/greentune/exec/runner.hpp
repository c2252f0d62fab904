#pragma once
// Building and judging one run's child process (used by execute_task, exposed for tests).
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "greentune/core/subprocess.hpp"
#include "greentune/energy/meter.hpp"
#include "greentune/exec/task.hpp"

namespace greentune::exec {

// Value as passed to the child: integers without decimals, reals in the shortest text that
// parses back to the same double (what is stored is exactly what was used).
std::string format_hp_value(const ModelDefinition& m, const std::string& name, double value);
// The external command template with {name} replaced ({{ and }} are literal braces).
std::string expand_command(const ModelDefinition& m, const Configuration& hp);
// argv/env/working dir of the child: `greentune train --model M --set k=v ... --json` for a
// built-in model, `/bin/sh -c <expanded template>` for an external one. Every child also gets
// GREENTUNE_HP_<NAME>=value in its environment. `threads` > 0 adds `--threads N` for a
// built-in model (execute_task passes each one its share of the CPUs when several trainings
// run at once; external commands choose their own threads).
SubprocessOptions child_options(const ModelDefinition& m, const Configuration& hp, const ExecuteOptions& options,
                                int threads = 0);

struct ParsedOutcome {
  RunStatus status = RunStatus::failed;  // succeeded | failed | diverged | timeout
  std::string reason;
  std::optional<double> performance;
  nlohmann::json train_result;     // built-in models: the child's TrainResult JSON
};
// Success needs exit code 0 and a parsed, finite metric. diverged: the trainer's status, a
// diverged_regex match, a JSON line with "status": "diverged", or a NaN/inf metric.
ParsedOutcome parse_outcome(const ModelDefinition& m, const Configuration& planned, const SubprocessResult& r,
                            const std::string& stdout_text, const std::string& stderr_text, double timeout_s);

// The meter a study asks for (the one place MeterOptions are built from a definition; a
// --meter override is already applied to it: exec/overrides.hpp).
energy::MeterOptions meter_options(const StudyDefinition& def);

// The study's cool-down (fixed sleep, or until power is back within tolerance of the idle
// baseline); returns the seconds waited. Throws Cancelled when options.cancel is set.
double cool_down(const LoadedStudy& study, const ExecuteOptions& options);
// Idle power (W, all measured domains) for the until-idle cool-down.
double measure_idle_baseline(const StudyDefinition& def);

}  // namespace greentune::exec
