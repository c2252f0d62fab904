#pragma once
// Internal: a tune directory as the tuner and the summary see it (everything from the database).
#include <optional>
#include <string>
#include <vector>

#include "greentune/store/study_store.hpp"
#include "greentune/study/study_directory.hpp"
#include "greentune/tune/confirmation.hpp"
#include "greentune/tune/search.hpp"
#include "greentune/tune/tune_definition.hpp"

namespace greentune::tune {

struct RunData {
  long long id = 0, task_id = 0, configuration_id = 0;
  std::string op, status;
  std::optional<double> objective, energy_j, performance, duration_s;
  bool estimated = false;
  bool final() const { return store::is_final_status(status); }
  bool ok() const { return status == "succeeded" && performance.has_value(); }
};

struct TuneState {
  study::LoadedStudy study;      // its plan is rebuilt from the database
  TuneDefinition def;
  std::vector<store::ConfigurationRow> configurations;  // by id (1 = original)
  std::vector<RunData> runs;                             // by id
  std::vector<long long> candidates;                     // configuration ids confirmed, in order
  std::vector<long long> candidate_first_run;            // first confirmation run of each
  int looks = 1;                                         // planned looks of the sequential test

  const store::ConfigurationRow& configuration(long long id) const;
  // Runs of a configuration in a phase ("" = any), final and succeeded only when ok_only.
  std::vector<const RunData*> runs_of(long long configuration_id, const std::string& op, bool ok_only) const;
  long long runs_in(const std::string& op) const;  // created runs of a phase
  double energy_spent_j() const;                   // measured energy of every finished run
  double hours_spent() const;                      // run time plus fixed cool-downs
  bool any_estimated() const;
  // Performance oriented so that higher is better.
  double oriented(double performance) const { return def.model().higher_is_better ? performance : -performance; }
  double original_mean_performance(bool confirm_phase_too) const;
  double threshold() const;                        // oriented: feasible when >= threshold
  SearchInput search_input() const;                // search-phase runs (original and proposals)
};

TuneState load_tune_state(const study::StudyPaths& paths, store::StudyStore& st);
// Search runs allowed (runs budget minus the confirmation reserve); empty when no runs budget.
std::optional<long long> search_run_budget(const TuneDefinition& d);
long long confirm_reserve_runs(const TuneDefinition& d);

struct ConfirmationData {
  std::vector<double> candidate_performance, original_performance, candidate_objective, original_objective,
      candidate_energy, original_energy;
};
ConfirmationData confirmation_data(const TuneState& s, long long candidate_id);
// The sequential test's latest look for a candidate (undecided while there are too few runs).
SequentialLook look_at(const TuneState& s, long long candidate_id);

}  // namespace greentune::tune
