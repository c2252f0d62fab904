#pragma once
// A tune file: the model section of a study file (study/study_definition.hpp) plus a [tune]
// table (objective, constraint, budget, seed) and optional [models.search] ranges. Errors are
// one line "FILE:LINE: KEY: what is wrong", as for study files. docs/tune.md has the format.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "greentune/study/study_definition.hpp"

namespace greentune::tune {

// One searched hyperparameter. Values are searched on [min, max] (log scale when `log`),
// rounded to integers when `integer`, or taken from `choices` when that is not empty.
struct SearchDimension {
  std::string name;
  double min = 0, max = 0;
  bool log = false;
  bool integer = false;
  std::vector<double> choices;
  double default_value = 0;        // the original configuration's value

  // Unit-cube coordinate <-> value (choices: equal-width cells in the listed order).
  double to_unit(double value) const;
  double from_unit(double u) const;  // rounded/snapped and clamped to the range
  std::string describe() const;      // "lr: log-uniform on [0.1, 10]"
};

// Default range for a hyperparameter searched by paper rule `rule` from default d (the range its
// mutation operator reaches), intersected with the hyperparameter's allowed range.
SearchDimension default_dimension(const std::string& name, const std::string& rule, double d,
                                  const HyperparameterSpec& spec, const mutation::OperatorOptions& options);

struct TuneDefinition {
  study::StudyDefinition study;    // exactly one model; its operators name the searched hyperparameters
  std::string objective = "energy";  // energy | cpu_package | dram | gpu | time
  double margin = 0;               // non-inferiority margin on the performance metric
  bool margin_relative = false;    // "1%" -> margin = 0.01 x |original performance|
  double alpha = 0.05;
  std::optional<long long> budget_runs;
  std::optional<double> budget_j, budget_h;
  std::uint64_t seed = 1;
  int batch = 4;                   // proposals per batch
  int initial = 0;                 // space-filling proposals before the model is used (0 = auto)
  int original_runs = 3;           // runs of the original during the search
  double confirm_fraction = 0.25;  // share of the budget kept for confirmation
  int confirm_min = 3;             // runs of each side before the sequential test looks
  // Pruning of search runs by their learning curves (tune/pruning.hpp); unset: on when the runs
  // report progress. Confirmation runs are never pruned.
  std::optional<bool> prune;
  // Warm start: study or tune directories whose runs are search observations (tune/warm_start.hpp);
  // relative paths are relative to the tune file. `--from` on the command line adds to them.
  std::vector<std::string> from;
  std::vector<SearchDimension> space;

  const study::ModelDefinition& model() const { return study.models.front(); }
  // Margin in metric units for an original performance (relative margins scale with it).
  double margin_for(double original_performance) const;
};

TuneDefinition parse_tune(const std::string& text, const std::string& source_name, const std::string& base_dir);
TuneDefinition load_tune_file(const std::string& path);

}  // namespace greentune::tune
