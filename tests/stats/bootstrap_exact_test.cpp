// The bootstrap and Mann-Whitney U, as optimised, against their plain definitions bit for
// bit: the resamples drawn from SplitMix64 in order, percentiles by sorting, U's exact p by
// summing the null distribution. Speed changes must not move a single result.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "greentune/stats/stats.hpp"

namespace gs = greentune::stats;

namespace {

// numpy's linear percentile on a fully sorted copy.
double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const double frac = pos - static_cast<double>(lo);
  if (frac != 0 && lo + 1 < v.size()) return v[lo] + (v[lo + 1] - v[lo]) * frac;
  return v[lo];
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

// The documented bootstrap, written plainly.
std::vector<gs::Interval> reference(const std::vector<std::vector<double>>& o, const std::vector<std::vector<double>>& m,
                                     int resamples, double confidence, std::uint64_t seed) {
  auto saving = [](double mo, double mm) { return mo == 0 ? 0.0 : 100.0 * (mo - mm) / mo; };
  const std::size_t k = o.size(), n_o = o[0].size(), n_m = m[0].size();
  std::vector<gs::Interval> out(k);
  for (std::size_t j = 0; j < k; ++j) out[j].estimate = out[j].low = out[j].high = saving(mean(o[j]), mean(m[j]));
  if (resamples == 0) return out;
  gs::SplitMix64 rng(seed);
  std::vector<std::vector<double>> values(k);
  for (int r = 0; r < resamples; ++r) {
    std::vector<double> so(k, 0.0), sm(k, 0.0);
    for (std::size_t i = 0; i < n_o; ++i) {
      const auto idx = rng.below(n_o);
      for (std::size_t j = 0; j < k; ++j) so[j] += o[j][idx];
    }
    for (std::size_t i = 0; i < n_m; ++i) {
      const auto idx = rng.below(n_m);
      for (std::size_t j = 0; j < k; ++j) sm[j] += m[j][idx];
    }
    for (std::size_t j = 0; j < k; ++j)
      values[j].push_back(saving(so[j] / static_cast<double>(n_o), sm[j] / static_cast<double>(n_m)));
  }
  const double tail = (1 - confidence) / 2;
  for (std::size_t j = 0; j < k; ++j) {
    out[j].low = percentile(values[j], tail);
    out[j].high = percentile(values[j], 1 - tail);
  }
  return out;
}

std::vector<double> noisy(std::size_t n, double base, std::uint64_t seed) {
  gs::SplitMix64 rng(seed);
  std::vector<double> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(base + static_cast<double>(rng.below(1000)) / 37.0);
  return v;
}

}  // namespace

TEST(StatsExact, BootstrapEqualsThePlainDefinition) {
  // Percentiles near the ends (a one-pass selection) and in the middle (nth_element), few and
  // many resamples, one and several metrics, ties (values from a small set).
  for (int resamples : {1, 2, 3, 10, 40, 99, 1000, 2500}) {
    for (double confidence : {0.95, 0.99, 0.9, 0.5, 0.2, 0.999}) {
      for (std::size_t k : {1u, 3u}) {
        std::vector<std::vector<double>> o, m;
        for (std::size_t j = 0; j < k; ++j) {
          o.push_back(noisy(5 + j, 100.0 * static_cast<double>(j + 1), 11 + j));
          m.push_back(noisy(5 + j, 90.0 * static_cast<double>(j + 1), 23 + j));
        }
        if (k == 3) {  // one set of runs: every metric the same length
          for (auto& v : o) v.resize(5);
          for (auto& v : m) v.resize(5);
        }
        const auto got = gs::bootstrap_saving_percent(o, m, resamples, confidence, 77);
        const auto want = reference(o, m, resamples, confidence, 77);
        ASSERT_EQ(got.size(), want.size());
        for (std::size_t j = 0; j < k; ++j) {
          SCOPED_TRACE(std::to_string(resamples) + " resamples, confidence " + std::to_string(confidence));
          EXPECT_EQ(got[j].estimate, want[j].estimate);
          EXPECT_EQ(got[j].low, want[j].low);
          EXPECT_EQ(got[j].high, want[j].high);
        }
      }
    }
  }
}

// The vectorised resampling (where the CPU has AVX-512) and the scalar loop, both against the
// plain definition: sample sizes for each way of picking runs (up to 8, up to 16, more), one
// to five metrics, resample counts around the blocks of 8.
TEST(StatsExact, BootstrapVectorisedAndScalarEqualThePlainDefinition) {
  for (bool vectorised : {true, false}) {
    gs::set_bootstrap_vectorised(vectorised);
    for (std::size_t n_o : {1u, 5u, 8u, 9u, 16u, 17u, 40u}) {
      for (std::size_t n_m : {1u, 5u, 12u, 33u}) {
        for (std::size_t k : {1u, 2u, 3u, 4u, 5u}) {
          std::vector<std::vector<double>> o, m;
          for (std::size_t j = 0; j < k; ++j) {
            o.push_back(noisy(n_o, 100.0 * static_cast<double>(j + 1), 5 + j + n_o));
            m.push_back(noisy(n_m, 95.0 * static_cast<double>(j + 1), 7 + j + n_m));
          }
          for (int resamples : {7, 8, 23, 1000}) {
            SCOPED_TRACE(std::to_string(n_o) + "/" + std::to_string(n_m) + " runs, " + std::to_string(k) +
                         " metrics, " + std::to_string(resamples) + " resamples, vectorised " +
                         std::to_string(vectorised));
            const auto got = gs::bootstrap_saving_percent(o, m, resamples, 0.95, 1234 + n_o * 7 + n_m);
            const auto want = reference(o, m, resamples, 0.95, 1234 + n_o * 7 + n_m);
            for (std::size_t j = 0; j < k; ++j) {
              EXPECT_EQ(got[j].low, want[j].low);
              EXPECT_EQ(got[j].high, want[j].high);
            }
          }
        }
      }
    }
  }
  gs::set_bootstrap_vectorised(true);
}

// A bounded draw that the generator rejects (its output 0: the state 0, since the mix maps 0
// to 0) shifts every later draw; the seed puts it at a chosen position of the stream, in the
// first block of 8 resamples, a later block, and the last resamples.
TEST(StatsExact, BootstrapWithARejectedDrawEqualsThePlainDefinition) {
  const std::uint64_t gamma = 0x9E3779B97F4A7C15ULL;
  std::vector<std::vector<double>> o{noisy(5, 100, 1), noisy(5, 200, 2)}, m{noisy(5, 90, 3), noisy(5, 180, 4)};
  for (bool vectorised : {true, false}) {
    gs::set_bootstrap_vectorised(vectorised);
    for (std::uint64_t position : {3u, 244u, 9991u, 9999u}) {
      const std::uint64_t seed = 0 - (position + 1) * gamma;  // the draw at `position` has state 0
      gs::SplitMix64 check(seed);
      for (std::uint64_t p = 0; p < position; ++p) check.next();
      ASSERT_EQ(check.next(), 0u);
      SCOPED_TRACE("rejected draw at " + std::to_string(position) + ", vectorised " + std::to_string(vectorised));
      const auto got = gs::bootstrap_saving_percent(o, m, 1000, 0.95, seed);
      const auto want = reference(o, m, 1000, 0.95, seed);
      for (std::size_t j = 0; j < 2; ++j) {
        EXPECT_EQ(got[j].low, want[j].low);
        EXPECT_EQ(got[j].high, want[j].high);
      }
    }
  }
  gs::set_bootstrap_vectorised(true);
}

TEST(StatsExact, MannWhitneyExactPIsTheSummedDistribution) {
  // P(U <= k) summed from U = 0 by brute force over every arrangement (m + n choose m).
  auto brute = [](std::size_t m, std::size_t n, double u_observed) {
    const std::size_t total = m + n;
    double count = 0, all = 0;
    std::vector<int> pick(total, 0);
    std::fill(pick.begin(), pick.begin() + static_cast<std::ptrdiff_t>(m), 1);
    std::vector<double> by_u(m * n + 1, 0.0);
    std::sort(pick.begin(), pick.end());
    do {
      // U of the first sample: pairs (x from sample 1, y from sample 2) with x ranked above y.
      double u = 0;
      std::size_t ys = 0;
      for (int p : pick) {
        if (p)
          u += static_cast<double>(ys);
        else
          ++ys;
      }
      by_u[static_cast<std::size_t>(u)] += 1;
      all += 1;
    } while (std::next_permutation(pick.begin(), pick.end()));
    const double u = std::max(u_observed, static_cast<double>(m * n) - u_observed);
    for (std::size_t k = 0; k <= static_cast<std::size_t>(static_cast<double>(m * n) - u); ++k) count += by_u[k];
    return std::min(1.0, 2 * count / all);
  };
  for (std::size_t m = 1; m <= 6; ++m)
    for (std::size_t n = 1; n <= 7; ++n) {
      std::vector<double> x, y;
      for (std::size_t i = 0; i < m; ++i) x.push_back(static_cast<double>(3 * i) + 0.5);
      for (std::size_t i = 0; i < n; ++i) y.push_back(static_cast<double>(2 * i) + 0.25);
      for (int repeat = 0; repeat < 2; ++repeat) {  // the second call reads the cache
        const auto r = gs::mann_whitney_u(x, y);
        ASSERT_EQ(r.method, "exact");
        EXPECT_NEAR(r.p, brute(m, n, r.statistic), 1e-12) << m << " x " << n;
      }
    }
}

TEST(StatsExact, MannWhitneyUByPairsEqualsTheRankSum) {
  // Small samples without ties take U from pair counts; U must be the rank sum's, exactly, and
  // samples with ties (or 17+ values) the ranked path's.
  auto rank_u = [](const std::vector<double>& x, const std::vector<double>& y) {
    std::vector<double> all(x);
    all.insert(all.end(), y.begin(), y.end());
    const auto ranks = gs::average_ranks(all);
    double r1 = 0;
    for (std::size_t i = 0; i < x.size(); ++i) r1 += ranks[i];
    return r1 - static_cast<double>(x.size()) * static_cast<double>(x.size() + 1) / 2;
  };
  gs::SplitMix64 rng(99);
  for (int trial = 0; trial < 400; ++trial) {
    const std::size_t n1 = 1 + rng.below(10), n2 = 1 + rng.below(10);
    const std::uint64_t spread = trial % 2 ? 1000000 : 6;  // odd trials: almost never a tie
    std::vector<double> x, y;
    for (std::size_t i = 0; i < n1; ++i) x.push_back(static_cast<double>(rng.below(spread)) / 4);
    for (std::size_t i = 0; i < n2; ++i) y.push_back(static_cast<double>(rng.below(spread)) / 4);
    const auto r = gs::mann_whitney_u(x, y);
    EXPECT_EQ(r.statistic, rank_u(x, y)) << n1 << " x " << n2 << ", trial " << trial;
  }
}

TEST(StatsExact, BootstrapTiesAndSignedZerosAsThePlainDefinition) {
  // Savings of exactly 0 (+0, and -0 where the original's mean is negative) and many ties: the
  // percentiles must be the same doubles, sign of zero included, vectorised or not.
  const std::vector<std::vector<double>> cases_o = {{-2, -2, -2, -2, -2}, {-1, 1, -1, 1, -2}, {3, 3, 3, 4, 4}};
  const std::vector<std::vector<double>> cases_m = {{-2, -2, -2, -2, -3}, {-1, 1, -1, 1, -2}, {3, 4, 3, 4, 3}};
  for (bool vectorised : {true, false}) {
    gs::set_bootstrap_vectorised(vectorised);
    for (std::size_t c = 0; c < cases_o.size(); ++c)
      for (double confidence : {0.95, 0.99, 0.9, 0.999}) {
        const auto got = gs::bootstrap_saving_percent(cases_o[c], cases_m[c], 1000, confidence, 3 + c);
        const auto want = reference({cases_o[c]}, {cases_m[c]}, 1000, confidence, 3 + c)[0];
        EXPECT_EQ(std::memcmp(&got.low, &want.low, sizeof(double)), 0) << c << " " << confidence << " " << got.low;
        EXPECT_EQ(std::memcmp(&got.high, &want.high, sizeof(double)), 0) << c << " " << confidence << " " << got.high;
      }
  }
  gs::set_bootstrap_vectorised(true);
}

// Average ranks (small samples counted on the vector unit where there is one, others sorted)
// against the definition: sort stably, each run of equal values gets the mean of the ranks it
// spans.
static void expect_ranks_as_defined(bool vectorised) {
  gs::set_bootstrap_vectorised(vectorised);
  std::uint64_t state = 7;
  auto next = [&] { return state = state * 6364136223846793005ULL + 1442695040888963407ULL; };
  for (std::size_t n = 1; n <= 40; ++n) {
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<double> v(n);
      for (auto& x : v) {
        const auto r = next() >> 33;
        // Few distinct values (ties), signed zeros, and spread values.
        x = trial % 3 == 0 ? static_cast<double>(r % 4) - 1.5
            : trial % 3 == 1 ? ((r & 1) ? -0.0 : 0.0) + static_cast<double>((r >> 1) % 3)
                             : static_cast<double>(r) / 3.0 - 1e8;
      }
      std::vector<std::size_t> order(n);
      for (std::size_t i = 0; i < n; ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
      std::vector<double> want(n);
      for (std::size_t i = 0; i < n;) {
        std::size_t j = i + 1;
        while (j < n && v[order[j]] == v[order[i]]) ++j;
        for (std::size_t k = i; k < j; ++k) want[order[k]] = 0.5 * static_cast<double>(i + 1 + j);
        i = j;
      }
      const auto got = gs::average_ranks(v);
      ASSERT_EQ(got.size(), n);
      for (std::size_t i = 0; i < n; ++i)
        EXPECT_EQ(std::memcmp(&got[i], &want[i], sizeof(double)), 0) << n << " " << i << " " << vectorised;
    }
  }
  // Spearman on samples with ties equals Pearson on their ranks, as defined.
  const std::vector<double> x = {1, 1, 2, 2, 3, 3, 3, 4}, y = {0.5, -0.0, 0.0, 2, 2, 7, 1, 1};
  EXPECT_EQ(gs::spearman(x, y).coefficient, gs::pearson(gs::average_ranks(x), gs::average_ranks(y)).coefficient);
  gs::set_bootstrap_vectorised(true);
}

TEST(StatsExact, AverageRanksEqualTheSortedDefinition) {
  expect_ranks_as_defined(true);
  expect_ranks_as_defined(false);
}
