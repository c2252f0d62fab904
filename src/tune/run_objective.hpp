#pragma once
// Internal: a finished run's objective as a tune measures it (state.cpp for the tune's own runs,
// warm_start.cpp for runs of other studies), from its stored energy and duration.
#include <optional>
#include <string>
#include <vector>

#include "greentune/store/study_store.hpp"

namespace greentune::tune {

struct RunObjective {
  std::optional<double> objective;  // J (energy objectives) or s (time); empty when not measured
  std::optional<double> energy_j;   // every measured domain (attributed shares for energy_attributed)
  bool estimated = false;
};

// objective: energy | energy_attributed | cpu_package | dram | gpu | time. Flagged readings
// are left out; energy_attributed uses each domain's process-tree share.
RunObjective run_objective(const std::vector<store::DomainEnergy>& energy, std::optional<double> duration_s,
                           const std::string& objective);

}  // namespace greentune::tune
