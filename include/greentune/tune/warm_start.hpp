#pragma once
// Warm start: `greentune tune FILE --from DIR...` takes the finished runs of existing studies
// or tune runs as search observations at no search energy (docs/tune.md, "Warm start").
//
// A directory is used only when its runs are comparable with what the tune will measure: the
// same model, metric and direction, measured on the same machine (hostname, CPU model, cores,
// GPU) with the same meters. Anything else is refused with one line naming the directory and
// why ("--from DIR: ..."): mixing machines or meters would make the search's energy model
// compare different things. Within a usable directory, runs are left out (and counted in the
// notes) when they are not single-scenario, not final, pruned, or their configuration is not a
// point of this tune's space (a searched value outside its range, a fixed hyperparameter with
// another value). Confirmation never uses these runs: they are search observations only.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "greentune/core/hyperparameters.hpp"
#include "greentune/core/run_model.hpp"
#include "greentune/tune/tune_definition.hpp"

namespace greentune::tune {

struct WarmObservation {
  std::string source;                  // "DIR run N"
  Configuration hp;                    // as the tune's configurations: its fixed values, the run's searched ones
  RunStatus status = RunStatus::succeeded;
  std::optional<double> objective;     // as this tune's objective measures it
  std::optional<double> performance;   // empty unless succeeded
  bool estimated = false;              // energy from an estimate
};

struct WarmStart {
  std::vector<WarmObservation> observations;
  std::vector<std::string> notes;      // one line per directory: used / left out and why
};

// The machine facts compared (keys of exec::collect_environment).
inline constexpr const char* kMachineKeys[] = {"hostname", "cpu_model", "cpu_cores", "gpu"};

// `this_machine`: the environment record of the machine the tune runs on, with "meters" the
// backends its meter uses. Throws input_error ("--from DIR: ...") on a directory that cannot be
// used, io_error on a missing or damaged database.
WarmStart load_warm_start(const TuneDefinition& def, const std::vector<std::string>& dirs,
                          const std::map<std::string, std::string>& this_machine);

// The tune database keeps the observations it started from (meta key kWarmStartMetaKey), so a
// resume uses exactly them even when the directories changed or are gone.
inline constexpr const char* kWarmStartMetaKey = "tune.warm_start";
nlohmann::json warm_start_to_json(const WarmStart& w);
// Throws input_error naming `where` on a malformed document.
WarmStart warm_start_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace greentune::tune
