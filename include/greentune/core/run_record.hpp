#pragma once
// One run as the analysis sees it: a row of the runs interchange format (CSV), which
// `greentune export` writes and `greentune analyze --runs` reads.
//
// Columns: model, scenario (single|parallel), corunner (empty when single), operator
// ("original" or the hyperparameter the mutant changes), repetition, hp.<name>... (full
// configuration), cpu_package_j, dram_j, gpu_j, duration_s, performance (empty = not
// measured), performance_metric and higher_is_better (the performance metric's name and
// direction; optional, higher-is-better when absent), then extra columns (status,
// <domain>_source, attributed energy, node, ...).
#include <array>
#include <map>
#include <optional>
#include <string>

#include "greentune/core/hyperparameters.hpp"
#include "greentune/core/run_model.hpp"

namespace greentune {

// One domain's whole-machine energy of a run and where it came from.
struct EnergyReading {
  std::optional<double> joules;                // empty: not measured (never 0 for missing)
  EnergySource source = EnergySource::unknown; // unknown: not recorded
  bool estimated() const { return is_estimated(source); }
};

struct RunRecord {
  std::string model;
  Scenario scenario = Scenario::single;
  std::string corunner;             // empty when single
  std::string op = "original";      // "original" or the mutated hyperparameter's name
  long long repetition = 0;
  Configuration hp;
  std::array<EnergyReading, kEnergyDomainCount> energy{};  // by EnergyDomain (see reading())
  std::optional<double> duration_s;
  std::optional<double> performance;
  std::string performance_metric;   // name of the model's metric (e.g. val_loss); empty: not named
  bool higher_is_better = true;     // direction of `performance` (one per model); energy and
                                    // time are always lower-is-better
  RunStatus status = RunStatus::succeeded;
  std::string node;                  // hostname the run was measured on
  std::map<std::string, std::string> extra;  // every other column, verbatim

  EnergyReading& reading(EnergyDomain d) { return energy[index(d)]; }
  const EnergyReading& reading(EnergyDomain d) const { return energy[index(d)]; }
};

}  // namespace greentune
