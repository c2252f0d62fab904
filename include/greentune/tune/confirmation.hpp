#pragma once
// Confirmation statistics: the recommended configuration's runs against the original's,
// interleaved. Welch intervals (Student's t with Welch-Satterthwaite degrees of freedom, from
// Boost.Math) for differences of means, a one-sided Welch test of non-inferiority, and the
// sequential rule that decides when to stop. tests/tune/confirmation_reference.py computes the
// same quantities with SciPy; the tests compare.
#include <string>
#include <utility>
#include <vector>

namespace greentune::tune {

struct Difference {
  double estimate = 0;        // mean(candidate) - mean(original)
  double low = 0, high = 0;   // two-sided interval at `confidence`
  double se = 0, df = 0;      // Welch standard error and degrees of freedom
};
// Needs at least 2 values on each side (throws input_error otherwise).
Difference welch_difference(const std::vector<double>& candidate, const std::vector<double>& original,
                            double confidence);

// One-sided Welch p-value of H0: mean(candidate) - mean(original) <= shift against
// H1: ... > shift (scipy.stats.ttest_ind(candidate, original + shift, equal_var=False,
// alternative="greater")). Zero variance on both sides: 0 when the difference is above shift, else 1.
double welch_greater_p(const std::vector<double>& candidate, const std::vector<double>& original, double shift);

// Non-inferiority of the candidate's performance with margin (>= 0): H0: candidate worse than the
// original by at least margin. Orientation follows higher_is_better.
double non_inferiority_p(const std::vector<double>& candidate, const std::vector<double>& original, double margin,
                         bool higher_is_better);
// H0: the candidate does not use less (objective) than the original.
double saving_p(const std::vector<double>& candidate_objective, const std::vector<double>& original_objective);

enum class Verdict { undecided, confirmed, rejected };
const char* to_string(Verdict v);

struct SequentialLook {
  Verdict verdict = Verdict::undecided;
  double level = 0;              // per-look significance level (alpha / looks, Bonferroni)
  double non_inferiority_p = 1;
  double saving_p = 1;
  std::string reason;
};
// One look of the sequential test with `looks` planned looks at overall level alpha: confirmed
// when both non-inferiority and a saving are significant at alpha/looks; rejected when the
// performance is significantly worse than the margin allows, or the objective significantly
// higher (one-sided at alpha/looks); otherwise undecided (more runs, or the budget decides).
SequentialLook sequential_look(const std::vector<double>& candidate_performance,
                               const std::vector<double>& original_performance,
                               const std::vector<double>& candidate_objective,
                               const std::vector<double>& original_objective, double margin, bool higher_is_better,
                               double alpha, int looks);

// One look of a candidate's planned confirmation: `pairs_planned` interleaved pairs with a total
// false-confirmation level `level` (its share of alpha; the shares of all candidates sum to at most
// alpha, so the overall false-confirmation rate stays <= alpha). Looks happen after every pair from
// `first_look` on. Interim looks (before the planned pairs) share 10% of the level equally; the
// final look has the other 90% (Bonferroni within the candidate, in the manner of Haybittle-Peto).
// confirmed: non-inferiority and a lower objective both significant at the look's level;
// rejected: at the final look when not confirmed, or earlier when the performance is significantly
// worse than the margin allows, the objective significantly higher (one-sided at `level`), or the
// conditional power of reaching confirmation at the final look, were the current estimates true,
// is below 5% (futility; stopping for futility never raises the false-confirmation rate).
SequentialLook planned_look(const std::vector<double>& candidate_performance,
                            const std::vector<double>& original_performance,
                            const std::vector<double>& candidate_objective,
                            const std::vector<double>& original_objective, double margin, bool higher_is_better,
                            double level, int pairs_planned, int first_look);
// The per-look levels of planned_look: {interim, final}.
std::pair<double, double> planned_levels(double level, int pairs_planned, int first_look);

}  // namespace greentune::tune
