// Cliff's delta, the bootstrap interval of a mean saving, strength bins and the generator.
#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

#include "greentune/core/error.hpp"
#include "greentune/stats/stats.hpp"
#include "bootstrap_draw.hpp"

namespace greentune::stats {

double cliffs_delta(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.empty() || y.empty()) throw input_error("Cliff's delta of an empty sample");
  // Sort y once; for each x_i count the y below and above it by binary search.
  std::vector<double> ys(y);
  std::sort(ys.begin(), ys.end());
  double greater = 0, less = 0;
  for (double v : x) {
    const auto lo = std::lower_bound(ys.begin(), ys.end(), v);
    const auto hi = std::upper_bound(lo, ys.end(), v);
    greater += static_cast<double>(lo - ys.begin());
    less += static_cast<double>(ys.end() - hi);
  }
  return (greater - less) / (static_cast<double>(x.size()) * static_cast<double>(y.size()));
}

namespace {

// The order statistics at ranks lo and lo + 1 (0-based, lo + 1 < v.size()) of v.
// Near either end (the percentiles of a bootstrap interval) one pass keeps the few smallest
// or largest values in a heap; elsewhere nth_element. The values are the same either way.
std::pair<double, double> order_stats(std::vector<double>& v, std::size_t lo) {
  const std::size_t n = v.size();
  constexpr std::size_t kKeep = 64;
  double keep[kKeep];
  if (lo + 2 <= kKeep) {
    // The lo + 2 smallest values, kept sorted ascending.
    const std::size_t k = lo + 2;
    std::copy(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), keep);
    std::sort(keep, keep + k);
    for (std::size_t i = k; i < n; ++i) {
      const double x = v[i];
      if (!(x < keep[k - 1])) continue;
      std::size_t j = k - 1;
      for (; j > 0 && x < keep[j - 1]; --j) keep[j] = keep[j - 1];
      keep[j] = x;
    }
    return {keep[lo], keep[lo + 1]};
  }
  if (n - lo <= kKeep) {
    // The n - lo largest values, kept sorted ascending: the first two are ranks lo, lo + 1.
    const std::size_t k = n - lo;
    std::copy(v.end() - static_cast<std::ptrdiff_t>(k), v.end(), keep);
    std::sort(keep, keep + k);
    for (std::size_t i = 0; i + k < n; ++i) {
      const double x = v[i];
      if (!(x > keep[0])) continue;
      std::size_t j = 0;
      for (; j + 1 < k && x > keep[j + 1]; ++j) keep[j] = keep[j + 1];
      keep[j] = x;
    }
    return {keep[0], keep[1]};
  }
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  return {v[lo], *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end())};
}

// Percentile q with linear interpolation between order statistics (numpy's default).
double quantile(std::vector<double>& v, double q) {
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const double frac = pos - static_cast<double>(lo);
  if (frac != 0 && lo + 1 < v.size()) {
    const auto [a, b] = order_stats(v, lo);
    return a + (b - a) * frac;
  }
  if (lo + 1 < v.size()) return order_stats(v, lo).first;
  return *std::max_element(v.begin(), v.end());  // lo = n - 1
}

std::pair<double, double> quantiles(std::vector<double>& v, double q_low, double q_high) {
  const std::size_t n = v.size();
  const double pos_l = q_low * static_cast<double>(n - 1), pos_h = q_high * static_cast<double>(n - 1);
  const auto lo_l = static_cast<std::size_t>(std::floor(pos_l)), lo_h = static_cast<std::size_t>(std::floor(pos_h));
  constexpr std::size_t kKeep = 64;
  const std::size_t kl = lo_l + 2, kh = n - lo_h;  // the kl smallest and the kh largest values
  if (!(lo_l + 1 < n && lo_h + 1 < n && kl <= kKeep && kh <= kKeep && kl + kh <= n))
    return {quantile(v, q_low), quantile(v, q_high)};
  // Both tails in one pass, each kept sorted ascending. Once both are full, the values
  // between them change nothing and are skipped (8 at a time on the vector unit if any).
  double low[kKeep] = {}, high[kKeep] = {};
  std::size_t nl = 0, nh = 0;
  const std::size_t full = std::max(kl, kh);
  for (std::size_t i = 0; i < n; ++i) {
    if (i == full && detail::tails_vectorised(v.data(), i, n, low, kl, high, kh)) break;  // the rest, in registers
    if (i >= full && (i = detail::next_outside(v.data(), i, n, low[nl - 1], high[0])) == n) break;
    const double x = v[i];
    if (nl < kl || x < low[nl - 1]) {
      std::size_t j = nl < kl ? nl++ : nl - 1;
      for (; j > 0 && x < low[j - 1]; --j) low[j] = low[j - 1];
      low[j] = x;
    }
    if (nh < kh) {
      std::size_t j = nh++;
      for (; j > 0 && x < high[j - 1]; --j) high[j] = high[j - 1];
      high[j] = x;
    } else if (x > high[0]) {
      std::size_t j = 0;
      for (; j + 1 < kh && x > high[j + 1]; ++j) high[j] = high[j + 1];
      high[j] = x;
    }
  }
  // Linear interpolation between ranks lo and lo + 1, as quantile().
  const double frac_l = pos_l - static_cast<double>(lo_l), frac_h = pos_h - static_cast<double>(lo_h);
  const double a_l = low[lo_l], a_h = high[0];
  return {frac_l != 0 ? a_l + (low[lo_l + 1] - a_l) * frac_l : a_l,
          frac_h != 0 ? a_h + (high[1] - a_h) * frac_h : a_h};
}

double saving(double mo, double mm) { return mo == 0 ? 0.0 : 100.0 * (mo - mm) / mo; }

// The bootstrap draws with SplitMix64 (inline in stats.hpp, so these loops inline it).
using Rng = SplitMix64;

using detail::Draw;

// values[j][r]: the saving of metric j in resample r, for r from `from` on. Each resample
// draws n_o original runs, then n_m mutant runs, summing every metric in draw order.
template <std::size_t K>
void resample(Rng& rng, const Draw& d, std::vector<std::vector<double>>& values, std::size_t from) {
  double* out[K];
  for (std::size_t j = 0; j < K; ++j) out[j] = values[j].data();
  const double n_o = static_cast<double>(d.n_o), n_m = static_cast<double>(d.n_m);
  for (std::size_t r = from; r < d.b; ++r) {
    double so[K] = {}, sm[K] = {};
    for (std::uint64_t i = 0; i < d.n_o; ++i) {
      const double* row = d.rows_o + rng.below(d.n_o) * K;
      for (std::size_t j = 0; j < K; ++j) so[j] += row[j];
    }
    for (std::uint64_t i = 0; i < d.n_m; ++i) {
      const double* row = d.rows_m + rng.below(d.n_m) * K;
      for (std::size_t j = 0; j < K; ++j) sm[j] += row[j];
    }
    for (std::size_t j = 0; j < K; ++j) out[j][r] = saving(so[j] / n_o, sm[j] / n_m);
  }
}

void resample_any(Rng& rng, const Draw& d, std::size_t k, std::vector<std::vector<double>>& values, std::size_t from) {
  std::vector<double> so(k), sm(k);
  for (std::size_t r = from; r < d.b; ++r) {
    std::fill(so.begin(), so.end(), 0.0);
    std::fill(sm.begin(), sm.end(), 0.0);
    for (std::uint64_t i = 0; i < d.n_o; ++i) {
      const double* row = d.rows_o + rng.below(d.n_o) * k;
      for (std::size_t j = 0; j < k; ++j) so[j] += row[j];
    }
    for (std::uint64_t i = 0; i < d.n_m; ++i) {
      const double* row = d.rows_m + rng.below(d.n_m) * k;
      for (std::size_t j = 0; j < k; ++j) sm[j] += row[j];
    }
    for (std::size_t j = 0; j < k; ++j)
      values[j][r] = saving(so[j] / static_cast<double>(d.n_o), sm[j] / static_cast<double>(d.n_m));
  }
}

void check_samples(const std::vector<std::vector<double>>& samples, const char* which) {
  if (samples.empty()) throw input_error(std::string("bootstrap without ") + which + " metrics");
  for (const auto& s : samples) {
    if (s.empty()) throw input_error("bootstrap of an empty sample");
    if (s.size() != samples.front().size())
      throw input_error(std::string("bootstrap: the ") + which + " metrics have different sample sizes");
  }
}

}  // namespace

std::vector<Interval> bootstrap_saving_percent(const std::vector<std::vector<double>>& original,
                                               const std::vector<std::vector<double>>& mutant, int resamples,
                                               double confidence, std::uint64_t seed) {
  check_samples(original, "original");
  check_samples(mutant, "mutant");
  if (original.size() != mutant.size()) throw input_error("bootstrap: different metric counts");
  if (!(confidence > 0 && confidence < 1)) throw input_error("bootstrap confidence must be in (0, 1)");
  if (resamples < 0) throw input_error("bootstrap resamples must be >= 0");
  const std::size_t k = original.size();
  std::vector<Interval> out(k);
  for (std::size_t j = 0; j < k; ++j) {
    out[j].estimate = saving(mean(original[j]), mean(mutant[j]));
    out[j].low = out[j].high = out[j].estimate;
  }
  if (resamples == 0) return out;
  const auto n_o = static_cast<std::uint64_t>(original.front().size());
  const auto n_m = static_cast<std::uint64_t>(mutant.front().size());
  const auto b = static_cast<std::size_t>(resamples);
  thread_local std::vector<std::vector<double>> values;
  thread_local std::vector<double> rows_o, rows_m;
  values.resize(k);
  for (auto& v : values) v.resize(b);
  // Run-major copies: a drawn run's metrics side by side.
  rows_o.resize(n_o * k);
  rows_m.resize(n_m * k);
  for (std::size_t j = 0; j < k; ++j) {
    for (std::size_t i = 0; i < n_o; ++i) rows_o[i * k + j] = original[j][i];
    for (std::size_t i = 0; i < n_m; ++i) rows_m[i * k + j] = mutant[j][i];
  }
  const Draw d{rows_o.data(), n_o, rows_m.data(), n_m, b};
  // The first resamples on the vector unit where there is one (the same sums), the rest here
  // from the generator's state after them.
  double* savings[4];
  for (std::size_t j = 0; j < k && j < 4; ++j) savings[j] = values[j].data();
  const std::size_t done = detail::resample_vectorised(seed, d, k, savings);
  Rng rng(seed + static_cast<std::uint64_t>(done) * (n_o + n_m) * detail::kGamma);
  switch (k) {
    case 1: resample<1>(rng, d, values, done); break;
    case 2: resample<2>(rng, d, values, done); break;
    case 3: resample<3>(rng, d, values, done); break;
    case 4: resample<4>(rng, d, values, done); break;
    default: resample_any(rng, d, k, values, done); break;
  }
  const double tail = (1 - confidence) / 2;
  for (std::size_t j = 0; j < k; ++j) {
    std::tie(out[j].low, out[j].high) = quantiles(values[j], tail, 1 - tail);
  }
  return out;
}

Interval bootstrap_saving_percent(const std::vector<double>& original, const std::vector<double>& mutant,
                                  int resamples, double confidence, std::uint64_t seed) {
  return bootstrap_saving_percent(std::vector<std::vector<double>>{original}, std::vector<std::vector<double>>{mutant},
                                  resamples, confidence, seed)
      .front();
}

void set_bootstrap_vectorised(bool enabled) { detail::set_vectorised(enabled); }

const char* to_string(StrengthBin bin) {
  switch (bin) {
    case StrengthBin::strong_negative: return "strong negative";
    case StrengthBin::weak_negative: return "weak negative";
    case StrengthBin::negligible: return "negligible";
    case StrengthBin::weak_positive: return "weak positive";
    case StrengthBin::strong_positive: return "strong positive";
  }
  return "?";
}

StrengthBin strength_bin(double coefficient, const StrengthThresholds& t) {
  const double a = std::fabs(coefficient);
  if (a >= t.strong) return coefficient > 0 ? StrengthBin::strong_positive : StrengthBin::strong_negative;
  if (a >= t.weak) return coefficient > 0 ? StrengthBin::weak_positive : StrengthBin::weak_negative;
  return StrengthBin::negligible;
}

}  // namespace greentune::stats
