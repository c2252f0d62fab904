#pragma once
// Mutation operators: how practitioners adjust one hyperparameter away from its default.
// Each operator is a pure function of (default value, options, seeded RNG): the same seed
// gives the same mutants on every machine (our own uniform draw, not the library's
// distributions, whose output is implementation-defined).
//
// With d the default and U uniform on (0,1), "up or down" chosen with probability 1/2:
//   epochs        d - int(d*U*0.25) or d + int(d*U*0.25); integer >= 1, != d
//   lr            d*10^U or d/10^U                       (log-uniform on [d/10, 10d])
//   gamma         d/(1+4U) or d+2dU                      ([d/5, 3d])
//   weight_decay  d/(1+4U) or d+2dU                      ([d/5, 3d])
//   threshold     int(d*U*5), integer != d               (Forward-Forward goodness threshold)
//   batch_size    a value of a set (default {16,32,64,128,256,512}) != d
//   dropout       0.9*U (uniform on (0, 0.9)) != d
//   momentum      1 - (1-d)*10^U or 1 - (1-d)/10^U, kept within [0, 0.999]
//                 (log-uniform distance to 1: 0.9 -> [0, 0.99])
//   seed          integer uniform on [0, 2^31-1] != d
// Every mutant differs from d and from the other mutants (duplicates are redrawn); when the
// rule cannot give that many distinct values (e.g. epochs with d=3) it throws input_error.
// Values that fall outside the hyperparameter's allowed range (HyperparameterSpec) are
// redrawn too. The values returned are exactly the ones that are stored and used.
#include <cstdint>
#include <string>
#include <vector>

#include "greentune/core/hyperparameters.hpp"

namespace greentune::mutation {

// Deterministic RNG (splitmix64-seeded xoshiro256**): identical streams everywhere.
class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t next_u64();
  double uniform_open();         // U on (0,1), 53-bit resolution, never 0 or 1
  bool coin();                   // true with probability 1/2
  std::uint64_t below(std::uint64_t n);  // uniform integer in [0, n)

 private:
  std::uint64_t s_[4];
};

// Mixes a study seed with names (model, operator) so that each operator's stream is
// independent of the order operators are listed in.
std::uint64_t derive_seed(std::uint64_t study_seed, const std::string& a, const std::string& b = "");

struct OperatorOptions {
  std::vector<double> choices;   // batch_size: the candidate set (empty = default set)
  int max_draws = 100000;        // redraw cap before giving up on distinct values
};

// Names of the rules above.
const std::vector<std::string>& operator_names();
bool is_operator(const std::string& name);

// One draw of rule `op` from default d (may equal d or be out of range; mutate() filters).
double draw_once(const std::string& op, double d, const OperatorOptions& options, Rng& rng);

// `count` distinct mutants of default d under rule `op`, in draw order. `spec` (optional)
// gives the allowed range; integer specs only ever get integers. Throws input_error
// naming the operator and default when count distinct values are impossible.
std::vector<double> mutate(const std::string& op, double d, int count, Rng& rng,
                           const OperatorOptions& options = {},
                           const HyperparameterSpec* spec = nullptr);

// Human description of the rule, for --dry-run and docs ("d*10^U or d/10^U").
std::string describe_operator(const std::string& op);

}  // namespace greentune::mutation
