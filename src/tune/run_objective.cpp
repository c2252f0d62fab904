#include "run_objective.hpp"

namespace greentune::tune {

RunObjective run_objective(const std::vector<store::DomainEnergy>& energy, std::optional<double> duration_s,
                           const std::string& objective) {
  RunObjective o;
  // energy_attributed: the run's process-tree share (by CPU time) of each domain instead of
  // the whole machine's energy (on a machine shared with other work).
  const bool attributed = objective == "energy_attributed";
  double total = 0;
  bool any = false;
  for (const auto& e : energy) {
    if (!e.joules || e.flagged) continue;
    if (attributed && !e.attributed_j) continue;
    total += attributed ? *e.attributed_j : *e.joules;
    any = true;
    o.estimated = o.estimated || is_estimated(e.source);
    if (to_string(e.domain) == objective) o.objective = *e.joules;
  }
  if (any) o.energy_j = total;
  if (objective == "energy" || attributed) o.objective = o.energy_j;
  if (objective == "time") o.objective = duration_s;
  return o;
}

}  // namespace greentune::tune
