#pragma once
// Internal: pruning in a local tune run. The hook a batch's tasks get (exec::ExecuteOptions::
// on_progress), built from the tune's state when the batch starts (so a resume, which rebuilds
// the same state, makes the same decisions): search-phase runs only (never the original's or a
// confirmation's), when [tune] prune is not false, for models with an `epochs` hyperparameter.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "greentune/exec/run_progress.hpp"
#include "greentune/tune/pruning.hpp"
#include "state.hpp"

namespace greentune::tune {

struct PruneHook {
  std::function<std::string(long long, const std::vector<exec::ProgressPoint>&)> on_progress;  // empty: off
  std::shared_ptr<std::map<long long, PruneDecision>> decisions = std::make_shared<std::map<long long, PruneDecision>>();
  std::map<long long, int> planned_epochs;  // the search runs asked about, and their planned epochs
};

PruneHook pruning_hook(const TuneState& s, store::StudyStore& st);

// The curve stored in a run's details ("progress"), as the rule reads it (cost: the objective's
// units: energy J, or seconds for time); empty when the run reported nothing.
LearningCurve stored_curve(const std::map<std::string, std::string>& details, int planned_epochs,
                           const std::string& objective);

}  // namespace greentune::tune
