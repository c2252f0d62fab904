#pragma once
// Command-line overrides of a study's settings (`greentune study --meter/--cooldown`,
// `greentune run-task --meter/--cooldown-s`). They apply to the parsed definition, never to
// its text (DIR/study.toml stays the file as given), and are recorded in the database (meta
// "overrides", a JSON object) so that --resume and the Slurm tasks keep them.
#include <optional>
#include <string>

#include "greentune/store/study_store.hpp"
#include "greentune/study/study_definition.hpp"

namespace greentune::exec {

struct StudyOverrides {
  std::string meter;                 // replaces the study's meter (empty: as the study says)
  std::optional<double> cooldown_s;  // replaces the study's cool-down with a fixed one
  bool empty() const { return meter.empty() && !cooldown_s; }
};

// Throws usage_error for a negative cool-down or an unknown meter name.
void apply_overrides(study::StudyDefinition& def, const StudyOverrides& o);
// `given` wins over `recorded`, flag by flag.
StudyOverrides merge_overrides(const StudyOverrides& recorded, const StudyOverrides& given);
StudyOverrides recorded_overrides(store::StudyStore& st);
// Stores merge_overrides(recorded, o) (nothing when o is empty).
void record_overrides(store::StudyStore& st, const StudyOverrides& o);
// "--meter estimate --cooldown 1" (empty when none).
std::string describe_overrides(const StudyOverrides& o);

}  // namespace greentune::exec
