#pragma once
// Statistics used by the analysis: ranks, correlations, two-sample tests, Cliff's delta,
// bootstrap intervals and correlation-strength bins. Every p-value matches SciPy 1.10
// (scripts/stats_reference.py generates the reference values the tests compare with);
// distributions come from Boost.Math. Degenerate inputs never produce NaN: a constant
// sample gives a correlation of 0 with p = 1 (flagged `defined = false`), identical
// constant samples give a test p of 1.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace greentune::stats {

// 1-based ranks; tied values get the average of the ranks they span (SciPy rankdata "average").
std::vector<double> average_ranks(const std::vector<double>& values);

struct Correlation {
  double coefficient = 0;  // rho or r, in [-1, 1]
  double p = 1;            // two-sided
  std::size_t n = 0;
  bool defined = true;     // false when an input is constant or n < 2 (then coefficient 0, p 1)
};

// Spearman's rho over average ranks; p from Student's t with n-2 degrees of freedom (as
// scipy.stats.spearmanr). n = 2 gives rho = +-1 with p = 1 (SciPy gives NaN there).
Correlation spearman(const std::vector<double>& x, const std::vector<double>& y);
// Pearson's r with the exact two-sided p from the beta distribution (as scipy.stats.pearsonr).
Correlation pearson(const std::vector<double>& x, const std::vector<double>& y);

enum class TestKind { mann_whitney, t_test, welch };
const char* to_string(TestKind kind);
// "mann-whitney", "t-test", "welch"; throws input_error otherwise.
TestKind parse_test_kind(const std::string& text);

struct TestResult {
  double statistic = 0;  // U of the first sample (Mann-Whitney) or t
  double p = 1;          // two-sided
  std::string_view method;  // exact | asymptotic | student | welch | degenerate (static text)
};

// Two-sided Mann-Whitney U, as scipy.stats.mannwhitneyu(method="auto"): exact when either
// sample has at most 8 values and there are no ties, otherwise the normal approximation
// with tie and continuity correction. One deviation: when n1 * n2 > 40000 (a tiny sample
// against thousands of values) the approximation is used, where SciPy would take minutes.
TestResult mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y);
// Student's two-sample t-test (equal variances), as scipy.stats.ttest_ind.
TestResult student_t_test(const std::vector<double>& x, const std::vector<double>& y);
// Welch's t-test, as scipy.stats.ttest_ind(equal_var=False).
TestResult welch_t_test(const std::vector<double>& x, const std::vector<double>& y);
TestResult two_sample_test(TestKind kind, const std::vector<double>& x, const std::vector<double>& y);

// Cliff's delta of x against y: (#{x_i > y_j} - #{x_i < y_j}) / (n_x n_y), in [-1, 1].
double cliffs_delta(const std::vector<double>& x, const std::vector<double>& y);

double mean(const std::vector<double>& values);

struct Interval {
  double estimate = 0;
  double low = 0;
  double high = 0;
};

// Percent saving of the mutant's mean against the original's mean,
// 100 * (mean(original) - mean(mutant)) / mean(original), with a percentile bootstrap
// interval: both samples are resampled with replacement `resamples` times from a
// generator seeded with `seed` (same seed, same interval on every platform).
// resamples = 0 gives low = high = estimate.
Interval bootstrap_saving_percent(const std::vector<double>& original, const std::vector<double>& mutant,
                                  int resamples, double confidence, std::uint64_t seed);
// The same for several metrics of the same runs at once: original[k][i] is metric k of
// original run i (every original[k] has the same length, likewise every mutant[k]). Each
// resample draws the runs once and uses them for every metric, so the intervals of one
// mutant come from one set of resamples. With one metric this is exactly the function above.
std::vector<Interval> bootstrap_saving_percent(const std::vector<std::vector<double>>& original,
                                               const std::vector<std::vector<double>>& mutant, int resamples,
                                               double confidence, std::uint64_t seed);

// Whether the bootstrap may resample on the CPU's vector unit (AVX-512; on by default where
// the CPU has it). The intervals are the same bit for bit either way; tests compare the two.
void set_bootstrap_vectorised(bool enabled);

// The study's five correlation-strength bins.
enum class StrengthBin { strong_negative = 0, weak_negative, negligible, weak_positive, strong_positive };
constexpr std::size_t kStrengthBins = 5;
const char* to_string(StrengthBin bin);

// |rho| < weak: negligible; weak <= |rho| < strong: weak; |rho| >= strong: strong.
struct StrengthThresholds {
  double weak = 0.3;
  double strong = 0.6;
};
StrengthBin strength_bin(double coefficient, const StrengthThresholds& thresholds);

// Deterministic 64-bit generator (SplitMix64), identical on every platform, with an
// unbiased bounded draw. Used by the bootstrap.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound), bound > 0: Lemire's multiply-shift with rejection (unbiased,
  // deterministic, one division at most). Inline: the bootstrap's inner loops call it.
  std::uint64_t below(std::uint64_t bound) {
    std::uint64_t r = next();
    unsigned __int128 m = static_cast<unsigned __int128>(r) * bound;
    auto low = static_cast<std::uint64_t>(m);
    if (low < bound) {
      const std::uint64_t threshold = (0 - bound) % bound;
      while (low < threshold) {
        r = next();
        m = static_cast<unsigned __int128>(r) * bound;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

 private:
  std::uint64_t state_;
};

}  // namespace greentune::stats
