#pragma once
// The search: constrained Bayesian optimisation with two Gaussian processes over the unit cube
// of the search space, one for log(objective) and one for performance. A seeded Latin
// hypercube starts it; then each batch maximises expected improvement of the objective times
// the probability that performance stays above the threshold (original minus margin), with
// kriging-believer fantasies for the rest of the batch. Pure function of its inputs and seed.
#include <cstdint>
#include <optional>
#include <vector>

#include "greentune/core/hyperparameters.hpp"
#include "greentune/tune/tune_definition.hpp"

namespace greentune::tune {

// One measured run. Performance is oriented so that higher is better (negated otherwise).
struct Observation {
  Configuration hp;
  std::optional<double> objective;     // J or s; empty when not measured
  std::optional<double> performance;   // empty when the run failed/diverged/timed out
  bool performance_unknown = false;    // not measured and not a failure (a run pruned for its cost): left out
};

struct SearchInput {
  std::vector<SearchDimension> space;
  std::vector<Observation> observations;  // every run so far (original included)
  Configuration original;
  double threshold = 0;                    // feasible: performance >= threshold
  int initial = 0;                         // Latin-hypercube proposals (0: max(6, 2d+2))
  std::uint64_t seed = 1;
};

// `count` new configurations (distinct from each other, the original and those evaluated).
std::vector<Configuration> propose(const SearchInput& in, int count);

// What the models predict about confirming a configuration against the original in
// fresh interleaved pairs (both sides' posteriors are independent normals; one run's noise is the
// models' noise). Performance is oriented (higher is better); the objective is modelled on a log scale.
struct CandidateModel {
  Configuration hp;
  int runs = 0;
  double objective_mean = 0;       // predicted objective (J or s)
  double saving = 0;               // predicted objective of the original minus this one's
  double advantage = 0;            // predicted performance - original's + margin (> 0: non-inferior)
  double advantage_var = 0;        // its posterior variance
  double performance_noise = 0;    // sd of one run's performance
  double log_saving = 0;           // predicted log objective of the original minus this one's
  double log_saving_var = 0;
  double log_noise = 0;            // sd of one run's log objective
  // Probability that a planned confirmation with `pairs` pairs confirms at final level `level`
  // (normal approximation of both one-sided tests' power, averaged over the posterior).
  double confirm_probability(int pairs, double level) const;
};
// Every evaluated configuration (not the original) predicted to use less than the original; with
// `unevaluated`, also points of the space never run (the same seeded points the search scores).
std::vector<CandidateModel> candidate_models(const SearchInput& in, double margin, bool unevaluated = false);

// Configuration -> unit-cube point of the space.
std::vector<double> to_unit(const std::vector<SearchDimension>& space, const Configuration& hp);

}  // namespace greentune::tune
