// Cliff's delta, the bootstrap interval of a mean saving, strength bins and the generator.
#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

#include "greentune/core/error.hpp"
#include "greentune/stats/stats.hpp"

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

std::uint64_t SplitMix64::next() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t SplitMix64::below(std::uint64_t bound) {
  // Lemire's multiply-shift with rejection: unbiased, deterministic, one division at most.
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

namespace {

// Percentiles q_low <= q_high with linear interpolation between order statistics (numpy's
// default), by selection rather than a full sort; reorders v.
std::pair<double, double> quantiles(std::vector<double>& v, double q_low, double q_high) {
  auto at = [&](double q, std::size_t from) {
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const double frac = pos - static_cast<double>(lo);
    auto first = v.begin() + static_cast<std::ptrdiff_t>(from);
    std::nth_element(first, v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
    const double a = v[lo];
    double result = a;
    if (frac != 0 && lo + 1 < v.size())
      result = a + (*std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end()) - a) * frac;
    return std::make_pair(result, lo);
  };
  auto [low, lo_index] = at(q_low, 0);
  // Everything from lo_index on is >= v[lo_index]: select the high percentile in that part only.
  auto [high, hi_index] = at(q_high, lo_index);
  (void)hi_index;
  return {low, high};
}

double saving(double mo, double mm) { return mo == 0 ? 0.0 : 100.0 * (mo - mm) / mo; }

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
  SplitMix64 rng(seed);
  std::vector<std::vector<double>> values(k, std::vector<double>(b));
  std::vector<double> sum_o(k), sum_m(k);
  for (std::size_t r = 0; r < b; ++r) {
    std::fill(sum_o.begin(), sum_o.end(), 0.0);
    std::fill(sum_m.begin(), sum_m.end(), 0.0);
    for (std::uint64_t i = 0; i < n_o; ++i) {
      const auto idx = rng.below(n_o);
      for (std::size_t j = 0; j < k; ++j) sum_o[j] += original[j][idx];
    }
    for (std::uint64_t i = 0; i < n_m; ++i) {
      const auto idx = rng.below(n_m);
      for (std::size_t j = 0; j < k; ++j) sum_m[j] += mutant[j][idx];
    }
    for (std::size_t j = 0; j < k; ++j)
      values[j][r] = saving(sum_o[j] / static_cast<double>(n_o), sum_m[j] / static_cast<double>(n_m));
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
