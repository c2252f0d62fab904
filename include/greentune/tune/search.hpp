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

struct Candidate {
  Configuration hp;
  double objective_mean = 0;     // posterior mean of the objective (model)
  double performance_mean = 0;   // posterior mean of performance
  double feasible_probability = 0;
  int runs = 0;
};
// Evaluated configurations (not the original) predicted to use less than the original and to be
// feasible with probability >= min_probability, best (lowest predicted objective) first.
// `confirm_pairs` > 0 asks for room to confirm: the predicted performance must clear the
// threshold by 2.5 x the performance noise x sqrt(2 / confirm_pairs) (a candidate right at the
// margin could not pass a non-inferiority test with that many confirmation runs).
std::vector<Candidate> rank_candidates(const SearchInput& in, double min_probability, int confirm_pairs = 0);

// Configuration -> unit-cube point of the space.
std::vector<double> to_unit(const std::vector<SearchDimension>& space, const Configuration& hp);

}  // namespace greentune::tune
