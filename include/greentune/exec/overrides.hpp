#pragma once
// Command-line overrides of a study's settings (`greentune study|tune|run-task --meter/--cooldown`).
// One path for all of them: they apply to the parsed definition, never to its text
// (DIR/study.toml stays the file as given), are recorded in the database (meta "overrides", a
// JSON object) so that --resume keeps them, and reach Slurm's nodes (which read no database) as
// run-task arguments (run_task_arguments).
#include <optional>
#include <string>
#include <vector>

#include "greentune/store/study_store.hpp"
#include "greentune/study/study_definition.hpp"

namespace greentune::exec {

struct StudyOverrides {
  std::string meter;                 // replaces the study's meter (empty: as the study says)
  std::optional<double> cooldown_s;  // replaces the study's cool-down with a fixed one
  bool empty() const { return meter.empty() && !cooldown_s; }
};

// Throws usage_error for a negative cool-down or an unknown meter name (check_overrides).
void check_overrides(const StudyOverrides& o);
void apply_overrides(study::StudyDefinition& def, const StudyOverrides& o);
// `given` wins over `recorded`, flag by flag.
StudyOverrides merge_overrides(const StudyOverrides& recorded, const StudyOverrides& given);
StudyOverrides recorded_overrides(store::StudyStore& st);
// Stores merge_overrides(recorded, o) (nothing when o is empty).
void record_overrides(store::StudyStore& st, const StudyOverrides& o);
// "--meter estimate --cooldown 1" (empty when none).
std::string describe_overrides(const StudyOverrides& o);
// A study or tune run with a database: records `given` (joining what was recorded before) and
// applies everything recorded to def. Returns the overrides in force.
StudyOverrides settle_overrides(store::StudyStore& st, study::StudyDefinition& def, const StudyOverrides& given);
// The run-task arguments that carry the overrides in force to a Slurm element.
std::vector<std::string> run_task_arguments(const StudyOverrides& in_force);

}  // namespace greentune::exec
