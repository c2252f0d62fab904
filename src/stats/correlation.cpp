// Ranks and correlations (Spearman, Pearson), as scipy.stats 1.10.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <utility>
#include <unordered_map>

#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/students_t.hpp>

#include "greentune/core/error.hpp"
#include "greentune/stats/stats.hpp"
#include "bootstrap_draw.hpp"

namespace greentune::stats {

namespace {

// 1-based average ranks of v[0..n) into out[0..n): the values sorted with their positions
// (insertion sort for small samples, the usual ones here), then each run of equal values gets
// the mean of the ranks it spans. The ranks depend on the values alone, not on the sort.
void ranks_into(const double* v, std::size_t n, double* out) {
  // Small samples without NaN (the usual ones) on the vector unit: each value's rank from the
  // counts of values below and equal to it (see detail::ranks_vectorised; the same ranks).
  if (detail::ranks_vectorised(v, n, out)) return;
  thread_local std::vector<std::pair<double, std::size_t>> items;
  items.resize(n);
  for (std::size_t i = 0; i < n; ++i) items[i] = {v[i], i};
  const auto by_value = [](const std::pair<double, std::size_t>& a, const std::pair<double, std::size_t>& b) {
    return a.first < b.first;
  };
  if (n <= 32) {
    for (std::size_t i = 1; i < n; ++i) {
      const auto item = items[i];
      std::size_t j = i;
      for (; j > 0 && item.first < items[j - 1].first; --j) items[j] = items[j - 1];
      items[j] = item;
    }
  } else {
    std::sort(items.begin(), items.end(), by_value);
  }
  std::size_t i = 0;
  while (i < n) {
    std::size_t j = i + 1;
    while (j < n && items[j].first == items[i].first) ++j;
    // positions i..j-1 (0-based) share ranks i+1..j: average (i + 1 + j) / 2
    const double rank = 0.5 * static_cast<double>(i + 1 + j);
    for (std::size_t k = i; k < j; ++k) out[items[k].second] = rank;
    i = j;
  }
}

}  // namespace

std::vector<double> average_ranks(const std::vector<double>& values) {
  std::vector<double> ranks(values.size());
  ranks_into(values.data(), values.size(), ranks.data());
  return ranks;
}

double mean(const std::vector<double>& values) {
  if (values.empty()) return 0;
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

namespace {

void check_pair(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size())
    throw input_error("correlation of samples of different sizes (" + std::to_string(x.size()) + " and " +
                      std::to_string(y.size()) + ")");
}

bool constant(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [&](double a) { return a == v.front(); });
}

// Scaled-norm dot product of centred vectors, as SciPy (linalg.norm is overflow-safe; the
// plain sum of squares is enough for measured values).
double centred_correlation(const std::vector<double>& x, const std::vector<double>& y) {
  const double mx = mean(x), my = mean(y);
  double sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  const double nx = std::sqrt(sxx), ny = std::sqrt(syy);
  double r = 0;
  for (std::size_t i = 0; i < x.size(); ++i) r += ((x[i] - mx) / nx) * ((y[i] - my) / ny);
  return std::max(-1.0, std::min(1.0, r));
}

double sign(double v) { return (v > 0) - (v < 0); }

}  // namespace

Correlation pearson(const std::vector<double>& x, const std::vector<double>& y) {
  check_pair(x, y);
  Correlation c;
  c.n = x.size();
  if (c.n < 2 || constant(x) || constant(y)) {
    c.defined = false;
    return c;
  }
  if (c.n == 2) {
    c.coefficient = sign(x[1] - x[0]) * sign(y[1] - y[0]);
    c.p = 1;
    return c;
  }
  c.coefficient = centred_correlation(x, y);
  // Under H0, (r + 1) / 2 ~ Beta(n/2 - 1, n/2 - 1); two-sided p = 2 * sf(|r|).
  const double ab = static_cast<double>(c.n) / 2 - 1;
  boost::math::beta_distribution<double> dist(ab, ab);
  const double q = 0.5 * (1 - std::fabs(c.coefficient));  // sf of |r| on (-1, 1) = cdf at (1-|r|)/2
  c.p = std::min(1.0, 2 * boost::math::cdf(dist, q));
  return c;
}

Correlation spearman(const std::vector<double>& x, const std::vector<double>& y) {
  check_pair(x, y);
  Correlation c;
  c.n = x.size();
  if (c.n < 2 || constant(x) || constant(y)) {
    c.defined = false;
    return c;
  }
  // x is often the previous call's x (one hyperparameter against each metric): its ranks,
  // a function of its values alone, are then reused.
  thread_local std::vector<double> last_x, rx, ry;
  if (last_x.size() != c.n || std::memcmp(last_x.data(), x.data(), c.n * sizeof(double)) != 0) {
    last_x = x;
    rx.resize(c.n);
    ranks_into(x.data(), c.n, rx.data());
  }
  ry.resize(c.n);
  ranks_into(y.data(), c.n, ry.data());
  c.coefficient = centred_correlation(rx, ry);
  if (c.n == 2) {
    c.coefficient = sign(c.coefficient);
    c.p = 1;  // no degrees of freedom left (SciPy: NaN)
    return c;
  }
  const double dof = static_cast<double>(c.n) - 2;
  const double r = c.coefficient;
  const double denom = (r + 1.0) * (1.0 - r);
  if (denom <= 0) {
    c.p = 0;  // |rho| = 1: t is infinite
    return c;
  }
  // p depends on (n, rho) only, and rho takes few values when one input has few distinct
  // values (a hyperparameter): the p of an (n, rho) seen before on this thread is reused.
  struct Key {
    std::size_t n;
    std::uint64_t rho;
    bool operator==(const Key& o) const { return n == o.n && rho == o.rho; }
  };
  struct Hash {
    std::size_t operator()(const Key& k) const { return std::hash<std::uint64_t>()(k.rho * 31 + k.n); }
  };
  thread_local std::unordered_map<Key, double, Hash> seen;
  Key key{c.n, 0};
  std::memcpy(&key.rho, &r, sizeof(r));
  if (auto it = seen.find(key); it != seen.end()) {
    c.p = it->second;
    return c;
  }
  const double t = r * std::sqrt(std::max(0.0, dof / denom));
  boost::math::students_t_distribution<double> dist(dof);
  c.p = std::min(1.0, 2 * boost::math::cdf(boost::math::complement(dist, std::fabs(t))));
  if (seen.size() > (1u << 16)) seen.clear();  // bounded
  seen.emplace(key, c.p);
  return c;
}

}  // namespace greentune::stats
