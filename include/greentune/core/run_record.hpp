#pragma once
// One run as the analysis sees it: a row of the runs interchange format (CSV), which
// `greentune export` writes and `greentune analyze --runs` reads.
//
// Columns: model, scenario (single|parallel), corunner (empty when single), operator
// ("original" or the hyperparameter the mutant changes), repetition, hp.<name>... (full
// configuration), cpu_package_j, dram_j, gpu_j, duration_s, performance (empty = not
// measured), performance_metric and higher_is_better (the performance metric's name and
// direction; optional, higher-is-better when absent), then extra columns (status, sources,
// attributed energy, node, ...).
#include <map>
#include <optional>
#include <string>

#include "greentune/core/hyperparameters.hpp"

namespace greentune {

struct RunRecord {
  std::string model;
  std::string scenario = "single";  // single | parallel
  std::string corunner;             // empty when single
  std::string op = "original";      // "original" or the mutated hyperparameter's name
  long long repetition = 0;
  Configuration hp;
  std::optional<double> cpu_package_j;
  std::optional<double> dram_j;
  std::optional<double> gpu_j;
  std::optional<double> duration_s;
  std::optional<double> performance;
  std::string performance_metric;   // name of the model's metric (e.g. val_loss); empty: not named
  bool higher_is_better = true;     // direction of `performance` (one per model); energy and
                                    // time are always lower-is-better
  std::string status = "succeeded";  // succeeded | failed | diverged | timeout
  std::string node;                  // hostname the run was measured on
  std::map<std::string, std::string> extra;  // every other column, verbatim
};

}  // namespace greentune
