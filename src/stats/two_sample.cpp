// Two-sample tests: Mann-Whitney U (exact and asymptotic), Student's and Welch's t-tests,
// as scipy.stats 1.10.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

#include "greentune/core/error.hpp"
#include "greentune/stats/stats.hpp"

namespace greentune::stats {

const char* to_string(TestKind kind) {
  switch (kind) {
    case TestKind::mann_whitney: return "mann-whitney";
    case TestKind::t_test: return "t-test";
    case TestKind::welch: return "welch";
  }
  return "?";
}

TestKind parse_test_kind(const std::string& text) {
  if (text == "mann-whitney" || text == "mannwhitney" || text == "mwu") return TestKind::mann_whitney;
  if (text == "t-test" || text == "ttest" || text == "student") return TestKind::t_test;
  if (text == "welch") return TestKind::welch;
  throw input_error("unknown test '" + text + "' (expected mann-whitney, t-test or welch)");
}

namespace {

// Cumulative counts of the U statistic's null distribution for sample sizes (m, n): entry k
// is the number of arrangements with U <= k, for k = 0..m*n, summed from k = 0 up in doubles
// (the order the p-value's sum takes). The counts use the recursion
// f(m, n, k) = f(m-1, n, k-n) + f(m, n-1, k) (Mann and Whitney 1947; SciPy's [3] Thm 2.5),
// iterating over n with all m' <= m kept, in doubles as SciPy does. Cached per (m, n) and
// per thread (no lock on the path of a million tests; every thread computes the same values).
const std::vector<double>& u_cumulative(std::size_t m, std::size_t n, std::vector<double>& uncached) {
  thread_local std::map<std::pair<std::size_t, std::size_t>, std::vector<double>> cache;
  thread_local std::pair<std::size_t, std::size_t> last_key{0, 0};
  thread_local const std::vector<double>* last = nullptr;
  if (last && last_key == std::make_pair(m, n)) return *last;
  auto it = cache.find({m, n});
  if (it != cache.end()) {
    last_key = {m, n};
    last = &it->second;
    return it->second;
  }
  const std::size_t kmax = m * n;
  // f[mm][k] for the current n' (starting at n' = 0: only U = 0, one arrangement).
  std::vector<std::vector<double>> f(m + 1, std::vector<double>(kmax + 1, 0.0));
  for (std::size_t mm = 0; mm <= m; ++mm) f[mm][0] = 1;
  for (std::size_t nn = 1; nn <= n; ++nn) {
    // f_nn(mm, k) = f_nn(mm-1, k-nn) + f_{nn-1}(mm, k); mm increasing so f[mm-1] is already f_nn.
    for (std::size_t mm = 1; mm <= m; ++mm) {
      const std::size_t top = mm * nn;
      for (std::size_t k = top + 1; k-- > 0;) {
        double v = f[mm][k];  // f_{nn-1}(mm, k)
        if (k >= nn) v += f[mm - 1][k - nn];
        f[mm][k] = v;
      }
    }
  }
  std::vector<double> cum(kmax + 1);
  double sum = 0;
  for (std::size_t k = 0; k <= kmax; ++k) cum[k] = sum += f[m][k];
  // At most 4096 sizes and 4M values (32 MB) per thread; beyond that, computed each time.
  thread_local std::size_t cached_values = 0;
  if (cache.size() >= 4096 || cached_values + cum.size() > (std::size_t{1} << 22)) {
    uncached = std::move(cum);
    return uncached;
  }
  cached_values += cum.size();
  auto& stored = cache.emplace(std::make_pair(m, n), std::move(cum)).first->second;
  last_key = {m, n};
  last = &stored;
  return stored;
}

double binomial(std::size_t n, std::size_t k) {
  // exact for the sizes used (k <= 8); doubles as SciPy's special.binom
  k = std::min(k, n - k);
  double r = 1;
  for (std::size_t i = 1; i <= k; ++i) r = r * static_cast<double>(n - k + i) / static_cast<double>(i);
  return r < 9e15 ? std::round(r) : r;
}

double variance(const std::vector<double>& v, double m) {
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / static_cast<double>(v.size() - 1);
}

double t_two_sided(double t, double dof) {
  if (std::isnan(t)) return 1;
  if (std::isinf(t)) return 0;
  boost::math::students_t_distribution<double> dist(dof);
  return std::min(1.0, 2 * boost::math::cdf(boost::math::complement(dist, std::fabs(t))));
}

double nn_product(std::size_t a, std::size_t b) { return static_cast<double>(a) * static_cast<double>(b); }

void check_nonempty(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.empty() || y.empty()) throw input_error("two-sample test with an empty sample");
}

}  // namespace

namespace {

// U of x, the tie term sum(t^3 - t) over groups of tied values, and whether there are ties:
// by counting pairs for small samples without ties (the common case), otherwise from the
// sorted values' average ranks. Both give the same exact numbers (U is a small integer, or a
// half-integer with ties, either way exact in a double).
struct RankSums {
  double u1 = 0, tie_term = 0;
  bool ties = false;
};

bool count_pairs(const std::vector<double>& x, const std::vector<double>& y, RankSums& out) {
  const std::size_t n1 = x.size(), n2 = y.size();
  unsigned greater = 0, equal = 0;
  for (std::size_t i = 0; i < n1; ++i)
    for (std::size_t j = 0; j < n2; ++j) greater += x[i] > y[j], equal += x[i] == y[j];
  for (std::size_t i = 0; i < n1; ++i)
    for (std::size_t k = i + 1; k < n1; ++k) equal += x[i] == x[k];
  for (std::size_t j = 0; j < n2; ++j)
    for (std::size_t k = j + 1; k < n2; ++k) equal += y[j] == y[k];
  bool nan = false;
  for (double v : x) nan = nan || v != v;
  for (double v : y) nan = nan || v != v;
  if (equal > 0 || nan) return false;  // ties (or NaN): ranked below
  out.u1 = static_cast<double>(greater);
  return true;
}

RankSums rank_sums(const std::vector<double>& x, const std::vector<double>& y) {
  RankSums out;
  const std::size_t n1 = x.size(), n2 = y.size();
  const std::size_t n = n1 + n2;
  if (n <= 16 && count_pairs(x, y, out)) return out;
  // The values with whether each is from x, sorted by value (on the stack for small samples).
  using Item = std::pair<double, bool>;
  Item local[64];
  std::vector<Item> heap;
  Item* sorted = local;
  if (n > 64) {
    heap.resize(n);
    sorted = heap.data();
  }
  for (std::size_t i = 0; i < n1; ++i) sorted[i] = {x[i], true};
  for (std::size_t i = 0; i < n2; ++i) sorted[n1 + i] = {y[i], false};
  const auto by_value = [](const Item& a, const Item& b) { return a.first < b.first; };
  if (n <= 32) {
    for (std::size_t i = 1; i < n; ++i) {
      const Item v = sorted[i];
      std::size_t j = i;
      for (; j > 0 && v.first < sorted[j - 1].first; --j) sorted[j] = sorted[j - 1];
      sorted[j] = v;
    }
  } else {
    std::sort(sorted, sorted + n, by_value);
  }
  // Ranks (average for ties) and the tie term sum(t^3 - t) in one pass over the sorted values.
  double r1 = 0, tie_term = 0;
  bool ties = false;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    while (j < n && sorted[j].first == sorted[i].first) ++j;
    const double rank = 0.5 * static_cast<double>(i + 1 + j);
    const double t = static_cast<double>(j - i);
    if (j - i > 1) ties = true;
    tie_term += t * t * t - t;
    for (std::size_t k = i; k < j; ++k)
      if (sorted[k].second) r1 += rank;
    i = j;
  }
  out.u1 = r1 - static_cast<double>(n1) * static_cast<double>(n1 + 1) / 2;
  out.tie_term = tie_term;
  out.ties = ties;
  return out;
}

}  // namespace

TestResult mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y) {
  check_nonempty(x, y);
  const std::size_t n1 = x.size(), n2 = y.size();
  const std::size_t n = n1 + n2;
  const auto [u1, tie_term, ties] = rank_sums(x, y);
  const double nn = static_cast<double>(n1) * static_cast<double>(n2);
  const double u2 = nn - u1;
  const double u = std::max(u1, u2);

  TestResult result;
  result.statistic = u1;
  // SciPy's rule, plus a size cap: the exact distribution costs about (n1 n2)^2 / 2 steps, so
  // beyond n1 n2 = 40000 (e.g. 8 against 5000) the normal approximation is used (SciPy would
  // compute for minutes there; its approximation error is far below any alpha at that size).
  const bool exact = !(n1 > 8 && n2 > 8) && !ties && nn_product(n1, n2) <= 40000;
  double p;
  if (exact) {
    result.method = "exact";
    std::vector<double> uncached;
    const auto& cumulative = u_cumulative(std::min(n1, n2), std::max(n1, n2), uncached);
    // sf(U) = P(U' >= U) = cdf(m*n - U) by symmetry, including the mass at U.
    const auto k = static_cast<std::size_t>(nn - u);
    // The binomial of the last sizes is kept (the same sizes test after test).
    thread_local std::size_t binomial_n = 0, binomial_k = 0;
    thread_local double binomial_value = 1;
    if (binomial_n != n1 + n2 || binomial_k != std::min(n1, n2))
      binomial_n = n1 + n2, binomial_k = std::min(n1, n2), binomial_value = binomial(binomial_n, binomial_k);
    p = 2 * cumulative[k] / binomial_value;
  } else {
    result.method = "asymptotic";
    const double total = static_cast<double>(n);
    const double s = std::sqrt(nn / 12 * ((total + 1) - tie_term / (total * (total - 1))));
    const double numerator = u - nn / 2 - 0.5;
    if (!(s > 0)) {
      p = 1;  // every value tied: no evidence of a difference
      result.method = "degenerate";
    } else {
      boost::math::normal_distribution<double> normal;
      p = 2 * boost::math::cdf(boost::math::complement(normal, numerator / s));
    }
  }
  result.p = std::max(0.0, std::min(1.0, p));
  return result;
}

TestResult student_t_test(const std::vector<double>& x, const std::vector<double>& y) {
  check_nonempty(x, y);
  TestResult result;
  result.method = "student";
  const double n1 = static_cast<double>(x.size()), n2 = static_cast<double>(y.size());
  const double dof = n1 + n2 - 2;
  const double m1 = mean(x), m2 = mean(y);
  if (dof <= 0) {
    result.method = "degenerate";  // one value per sample: no variance estimate
    return result;
  }
  const double v1 = x.size() > 1 ? variance(x, m1) : 0, v2 = y.size() > 1 ? variance(y, m2) : 0;
  const double svar = ((n1 - 1) * v1 + (n2 - 1) * v2) / dof;
  const double denom = std::sqrt(svar * (1.0 / n1 + 1.0 / n2));
  if (!(denom > 0)) {
    if (m1 == m2) {
      result.method = "degenerate";
      return result;  // identical constant samples: p = 1
    }
    result.statistic = m1 > m2 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    result.p = 0;
    return result;
  }
  result.statistic = (m1 - m2) / denom;
  result.p = t_two_sided(result.statistic, dof);
  return result;
}

TestResult welch_t_test(const std::vector<double>& x, const std::vector<double>& y) {
  check_nonempty(x, y);
  TestResult result;
  result.method = "welch";
  if (x.size() < 2 || y.size() < 2) {
    result.method = "degenerate";  // a sample of one value has no variance estimate
    return result;
  }
  const double n1 = static_cast<double>(x.size()), n2 = static_cast<double>(y.size());
  const double m1 = mean(x), m2 = mean(y);
  const double vn1 = variance(x, m1) / n1, vn2 = variance(y, m2) / n2;
  const double se2 = vn1 + vn2;
  if (!(se2 > 0)) {
    if (m1 == m2) {
      result.method = "degenerate";
      return result;
    }
    result.statistic = m1 > m2 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    result.p = 0;
    return result;
  }
  const double dof = se2 * se2 / (vn1 * vn1 / (n1 - 1) + vn2 * vn2 / (n2 - 1));
  result.statistic = (m1 - m2) / std::sqrt(se2);
  result.p = t_two_sided(result.statistic, dof);
  return result;
}

TestResult two_sample_test(TestKind kind, const std::vector<double>& x, const std::vector<double>& y) {
  switch (kind) {
    case TestKind::mann_whitney: return mann_whitney_u(x, y);
    case TestKind::t_test: return student_t_test(x, y);
    case TestKind::welch: return welch_t_test(x, y);
  }
  return mann_whitney_u(x, y);
}

}  // namespace greentune::stats
