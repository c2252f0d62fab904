#pragma once
// A tune run's tasks on Slurm nodes (`greentune tune --executor slurm`).
//
// A tune run plans batch by batch in its database (DIR/study.db), which only the tune process
// writes; nodes read no database. Before each batch is submitted, tune writes (atomically, with
// the directory's lock held) DIR/tune-plan.json: every configuration, task and run of the
// database, in the form of a study's plan.json (study::plan_to_json). `greentune run-task
// --study-dir DIR --task N` on a node reads the tune file (DIR/study.toml) and that plan,
// executes task N and writes DIR/results/task-N.json, as for a study; tune collects the results
// into its database and proposes the next batch. The database stays the only truth:
// tune-plan.json is rewritten from it before every submission.
#include <string>

#include "greentune/store/study_store.hpp"
#include "greentune/study/study_directory.hpp"
#include "greentune/tune/tune_definition.hpp"

namespace greentune::tune {

std::string tune_plan_file(const std::string& dir);  // DIR/tune-plan.json
// Writes DIR/tune-plan.json from the database's rows (atomically: temporary file, rename).
void write_tune_plan(const study::StudyPaths& paths, const TuneDefinition& def, store::StudyStore& st);

// Does DIR (or DIR/study.db) hold a tune run (its study.toml has a [tune] table)?
bool is_tune_directory(const std::string& dir_or_db);

// The tune run as a node executes its tasks: the definition from DIR/study.toml, the plan from
// DIR/tune-plan.json. Throws input_error naming the file when the plan is missing or unreadable.
study::LoadedStudy load_tune_directory_for_tasks(const study::StudyPaths& paths);

}  // namespace greentune::tune
