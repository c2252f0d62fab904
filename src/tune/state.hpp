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
#include "greentune/tune/warm_start.hpp"

namespace greentune::tune {

struct RunData {
  long long id = 0, task_id = 0, configuration_id = 0;
  std::string op;
  RunStatus status = RunStatus::pending;
  std::optional<double> objective, energy_j, performance, duration_s;
  bool estimated = false;
  // pruned runs: the rule's optimistic final metric and projected final cost when it stopped
  // them (details pruned_metric_bound, pruned_cost_projection)
  std::optional<double> metric_bound, cost_bound;
  bool pruned_infeasible = false;  // pruned because it could not reach the feasible region
  bool final() const { return is_final(status); }
  bool ok() const { return status == RunStatus::succeeded && performance.has_value(); }
};

struct TuneState {
  study::LoadedStudy study;      // its plan is rebuilt from the database
  TuneDefinition def;
  std::vector<store::ConfigurationRow> configurations;  // by id (1 = original)
  std::vector<RunData> runs;                             // by id
  std::vector<long long> candidates;                     // configuration ids confirmed, in order
  std::vector<long long> candidate_first_run;            // first confirmation run of each
  std::vector<int> candidate_pairs;                      // planned pairs of each (0: legacy rule)
  std::vector<double> candidate_level;                   // its share of alpha (0: legacy rule)
  int looks = 1;                                         // legacy rule: planned looks of all candidates
  WarmStart warm;                                        // runs of other studies (--from): search only

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
  double margin() const { return original_mean_performance(false) - threshold(); }  // metric units
  size_t candidate_index(long long configuration_id) const;  // in candidates (throws if absent)
  SearchInput search_input() const;                // search-phase runs (original and proposals), warm start first
};

TuneState load_tune_state(const study::StudyPaths& paths, store::StudyStore& st);
// The plan the rows of a tune database describe (study/plan_rows.hpp), each run's operator as
// exec describes a run ("original" or a hyperparameter of the configuration).
study::Plan tune_plan(const TuneDefinition& d, const std::vector<store::ConfigurationRow>& configurations,
                      const std::vector<store::TaskRow>& tasks, const std::vector<store::RunRow>& runs);
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

// The next configuration to confirm (candidate_plan.cpp): among configurations not tried yet
// (evaluated ones and points of the space the models score), the one and the number of pairs (from confirm_min to the pairs `left_runs` allows) that
// maximise the expected confirmed saving (the models' probability of confirmation times the
// predicted saving), counting what a next candidate could still do with the pairs that remain.
// Its level is its share of the alpha left, in proportion to its share of the pairs left. Empty
// when no plan reaches kMinConfirmProbability.
struct CandidatePlan {
  long long configuration = 0;  // 0: a point of the space not evaluated yet (hp)
  Configuration hp;
  int pairs = 0;
  double level = 0;
  double probability = 0;  // predicted probability of confirmation
  double saving = 0;       // predicted saving (objective units)
};
inline constexpr int kMaxPlannedPairs = 200;
inline constexpr double kMinConfirmProbability = 0.1;
inline constexpr size_t kMaxPlannedCandidates = 150;
std::optional<CandidatePlan> plan_next_candidate(const TuneState& s, long long left_runs);

}  // namespace greentune::tune
