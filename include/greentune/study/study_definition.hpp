#pragma once
// A study definition: what to train, which hyperparameters to mutate and how, how often,
// in which scenarios, and how to measure. Read from a TOML file (docs/readme/study.md has
// the format); errors are one line "FILE:LINE: KEY: what is wrong".
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "greentune/core/hyperparameters.hpp"
#include "greentune/core/run_model.hpp"
#include "greentune/mutation/operators.hpp"

namespace greentune::study {

struct OperatorDefinition {
  std::string hyperparameter;      // which hyperparameter it mutates (the "operator" column)
  std::string rule;                // mutation rule (operators.hpp); default = hyperparameter
  int mutants = 5;
  mutation::OperatorOptions options;
  std::vector<double> values;      // explicit mutant values instead of drawing (optional)
};

struct ModelDefinition {
  std::string name;                // as stored (model column)
  std::string builtin;             // catalog name for built-in models; empty for external
  // External models: a command template run through /bin/sh -c; {name} is replaced by the
  // value of hyperparameter `name` (exact text), {{ and }} give literal braces.
  std::string command;
  std::string result = "regex";    // regex | json-lines (external only)
  std::string metric_regex;        // regex: first capture group of the last match in stdout
  std::string metric_key = "performance";  // json-lines: key of the last JSON line with it
  std::string diverged_regex;      // optional: a match in stdout/stderr means "diverged"
  std::string metric = "performance";      // metric name (built-in: the catalog's)
  bool higher_is_better = true;
  std::string working_dir;         // external: where the command runs (relative to the study file)
  std::map<std::string, std::string> env;
  std::vector<HyperparameterSpec> hyperparameters;
  Configuration defaults;          // the original configuration (with budgets / fixed values)
  std::vector<OperatorDefinition> operators;
  double estimate_s = 0;           // one run at the defaults, seconds (dry-run estimate); 0 = unknown
  double estimate_w = 0;           // mean power of a run, W, every meter domain (dry-run energy); 0 = unknown
  std::string device = "cpu";      // the study's device: built-in models get --device, external GREENTUNE_DEVICE
  bool is_builtin() const { return !builtin.empty(); }
  const HyperparameterSpec* find(const std::string& hp) const;
};

struct ScenarioDefinition {
  ScenarioKind kind = ScenarioKind::single;
  std::string corunner;            // parallel: model name (at its defaults, restarted in a loop)
  int jobs = 1;                    // symmetric: k copies of the configuration at once
  Scenario scenario() const { return scenario_of(kind); }  // what its runs are recorded as
  std::string corunner_label() const;  // "" | model name | "symmetric:k"
};

struct CooldownDefinition {
  CooldownMode mode = CooldownMode::fixed;  // fixed sleep, or until power is back to the idle baseline
  double seconds = 60;             // fixed: sleep after every run (the paper's 60 s)
  double tolerance = 0.05;         // until-idle: power within (1 + tolerance) * idle baseline
  double max_s = 300;              // until-idle: give up waiting after this
  double baseline_s = 10;          // until-idle: idle measurement length at the start
};

struct StudyDefinition {
  std::string name = "study";
  std::string source;              // file name used in error messages
  std::string text;                // the definition as given (stored in the database)
  std::string base_dir;            // folder of the study file (relative paths resolve here)
  std::uint64_t seed = 1;
  int mutants = 5;                 // default per operator
  int repetitions = 5;             // of the original and of every mutant
  std::vector<ScenarioDefinition> scenarios;   // default: single
  std::string meter = "auto";
  int meter_interval_ms = 100;
  CooldownDefinition cooldown;
  double run_timeout_s = 21600;    // per run; 0 = none
  std::string order = "interleaved";  // grouped | interleaved
  std::string governor = "performance";  // performance | keep
  std::string device = "cpu";      // cpu | cuda | cuda:N | auto (built-in models train there)
  std::vector<ModelDefinition> models;
  // Models referenced only as co-runners (kept apart: they are not studied).
  std::vector<ModelDefinition> corunners;

  const ModelDefinition* find_model(const std::string& name) const;  // models, then corunners
};

StudyDefinition parse_study(const std::string& text, const std::string& source_name);
// base_dir: where relative working_dir entries of external models are resolved.
StudyDefinition parse_study(const std::string& text, const std::string& source_name,
                            const std::string& base_dir);
StudyDefinition load_study_file(const std::string& path);
// A definition file (study or tune file) read whole, with the absolute folder its relative
// paths are resolved against; io_error "cannot read <what> <path>" when unreadable.
struct DefinitionFile {
  std::string text;
  std::string base_dir;
};
DefinitionFile read_definition_file(const std::string& path, const std::string& what);
// For files that extend the study format (tune files): extra keys accepted at the top level and in
// [[models]] entries; parse_study ignores them (the caller reads them from the same text).
struct ParseExtensions {
  std::set<std::string> root_keys;
  std::set<std::string> model_keys;
};
StudyDefinition parse_study(const std::string& text, const std::string& source_name, const std::string& base_dir,
                            const ParseExtensions& extensions);
// The embedded quick default study (default_study.toml in the source tree).
const std::string& default_study_text();

}  // namespace greentune::study
