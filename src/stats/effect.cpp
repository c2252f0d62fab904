// Cliff's delta, the bootstrap interval of a mean saving, strength bins and the generator.
#include <algorithm>
#include <cmath>

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
  // Rejection sampling on the top of the range: unbiased, deterministic.
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % bound + 1) % bound;
  std::uint64_t r;
  do r = next();
  while (r > limit);
  return r % bound;
}

namespace {

// Linear interpolation between order statistics (numpy's default percentile).
double quantile_sorted(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

double resampled_mean(const std::vector<double>& v, SplitMix64& rng) {
  double sum = 0;
  const auto n = static_cast<std::uint64_t>(v.size());
  for (std::uint64_t i = 0; i < n; ++i) sum += v[rng.below(n)];
  return sum / static_cast<double>(n);
}

}  // namespace

Interval bootstrap_saving_percent(const std::vector<double>& original, const std::vector<double>& mutant,
                                  int resamples, double confidence, std::uint64_t seed) {
  if (original.empty() || mutant.empty()) throw input_error("bootstrap of an empty sample");
  if (!(confidence > 0 && confidence < 1)) throw input_error("bootstrap confidence must be in (0, 1)");
  if (resamples < 0) throw input_error("bootstrap resamples must be >= 0");
  auto saving = [](double mo, double mm) { return mo == 0 ? 0.0 : 100.0 * (mo - mm) / mo; };
  Interval out;
  out.estimate = saving(mean(original), mean(mutant));
  out.low = out.high = out.estimate;
  if (resamples == 0) return out;
  SplitMix64 rng(seed);
  std::vector<double> values(static_cast<std::size_t>(resamples));
  for (auto& v : values) {
    const double mo = resampled_mean(original, rng);
    const double mm = resampled_mean(mutant, rng);
    v = saving(mo, mm);
  }
  std::sort(values.begin(), values.end());
  const double tail = (1 - confidence) / 2;
  out.low = quantile_sorted(values, tail);
  out.high = quantile_sorted(values, 1 - tail);
  return out;
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
