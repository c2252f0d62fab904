#include "greentune/mutation/operators.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"

namespace greentune::mutation {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

const std::vector<double>& default_batch_sizes() {
  static const std::vector<double> sizes = {16, 32, 64, 128, 256, 512};
  return sizes;
}

// int(x) as the study writes it: truncation toward zero.
double trunc_int(double x) { return std::trunc(x); }

// Number of distinct values a discrete rule can produce other than d, or -1 when the
// support is continuous / too large to matter.
long long discrete_support(const std::string& op, double d, const OperatorOptions& o) {
  if (op == "epochs") {
    // int(d*U*0.25) over U in (0,1) takes 0..kmax.
    double top = d * 0.25;
    long long kmax = (std::floor(top) == top) ? static_cast<long long>(top) - 1
                                             : static_cast<long long>(std::floor(top));
    if (kmax < 0) kmax = 0;
    long long n = 0;
    for (long long k = 1; k <= kmax; ++k) {
      if (d - k >= 1) ++n;
      ++n;  // d + k
    }
    return n;
  }
  if (op == "threshold") {
    double top = d * 5;
    long long vmax = (std::floor(top) == top) ? static_cast<long long>(top) - 1
                                             : static_cast<long long>(std::floor(top));
    if (vmax < 0) return 0;
    long long n = vmax + 1;  // 0..vmax
    if (std::floor(d) == d && d >= 0 && d <= static_cast<double>(vmax)) --n;
    return n;
  }
  if (op == "batch_size") {
    const auto& c = o.choices.empty() ? default_batch_sizes() : o.choices;
    std::set<double> s(c.begin(), c.end());
    s.erase(d);
    return static_cast<long long>(s.size());
  }
  return -1;
}

}  // namespace

Rng::Rng(std::uint64_t seed) {
  std::uint64_t x = seed;
  for (auto& s : s_) s = splitmix64(x);
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform_open() {
  while (true) {
    std::uint64_t bits = next_u64() >> 11;  // 53 bits
    if (bits == 0) continue;
    return static_cast<double>(bits) * 0x1.0p-53;
  }
}

bool Rng::coin() { return (next_u64() >> 63) != 0; }

std::uint64_t Rng::below(std::uint64_t n) {
  if (n == 0) return 0;
  // Rejection sampling for an unbiased result.
  std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  while (true) {
    std::uint64_t v = next_u64();
    if (v < limit) return v % n;
  }
}

std::uint64_t derive_seed(std::uint64_t study_seed, const std::string& a, const std::string& b) {
  // FNV-1a over the names, mixed with the seed through splitmix64.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    h ^= 0xff;
    h *= 0x100000001b3ULL;
  };
  mix(a);
  mix(b);
  std::uint64_t x = study_seed ^ h;
  return splitmix64(x);
}

const std::vector<std::string>& operator_names() {
  static const std::vector<std::string> names = {"epochs",     "lr",      "gamma",    "weight_decay",
                                                 "threshold",  "batch_size", "dropout", "momentum",
                                                 "seed"};
  return names;
}

bool is_operator(const std::string& name) {
  const auto& n = operator_names();
  return std::find(n.begin(), n.end(), name) != n.end();
}

std::string describe_operator(const std::string& op) {
  if (op == "epochs") return "d - int(d*U*0.25) or d + int(d*U*0.25), integer >= 1";
  if (op == "lr") return "d*10^U or d/10^U (log-uniform on [d/10, 10d])";
  if (op == "gamma" || op == "weight_decay") return "d/(1+4U) or d+2dU ([d/5, 3d])";
  if (op == "threshold") return "int(d*U*5), integer";
  if (op == "batch_size") return "a value of the candidate set";
  if (op == "dropout") return "0.9*U (uniform on (0, 0.9))";
  if (op == "momentum") return "1-(1-d)*10^U or 1-(1-d)/10^U, within [0, 0.999]";
  if (op == "seed") return "integer uniform on [0, 2^31-1]";
  return "unknown operator";
}

double draw_once(const std::string& op, double d, const OperatorOptions& options, Rng& rng) {
  if (op == "epochs") {
    bool up = rng.coin();
    double step = trunc_int(d * rng.uniform_open() * 0.25);
    return up ? d + step : d - step;
  }
  if (op == "lr") {
    bool up = rng.coin();
    double f = std::pow(10.0, rng.uniform_open());
    return up ? d * f : d / f;
  }
  if (op == "gamma" || op == "weight_decay") {
    bool up = rng.coin();
    double u = rng.uniform_open();
    return up ? d + 2 * d * u : d / (1 + 4 * u);
  }
  if (op == "threshold") return trunc_int(d * rng.uniform_open() * 5);
  if (op == "batch_size") {
    const auto& c = options.choices.empty() ? default_batch_sizes() : options.choices;
    return c[static_cast<size_t>(rng.below(c.size()))];
  }
  if (op == "dropout") return 0.9 * rng.uniform_open();
  if (op == "momentum") {
    bool up = rng.coin();
    double f = std::pow(10.0, rng.uniform_open());
    double dist = 1 - d;
    return up ? 1 - dist / f : 1 - dist * f;
  }
  if (op == "seed") return static_cast<double>(rng.below(2147483648ULL));
  std::string known;
  for (const auto& n : operator_names()) known += (known.empty() ? "" : ", ") + n;
  throw input_error("unknown mutation operator '" + op + "' (known: " + known + ")");
}

static bool in_range(const std::string& op, double v, const HyperparameterSpec* spec) {
  if (!std::isfinite(v)) return false;
  if (op == "epochs" && v < 1) return false;
  if (op == "momentum" && (v < 0 || v > 0.999)) return false;
  if (!spec) return true;
  if (spec->type == HpType::integer && std::floor(v) != v) return false;
  bool low_ok = spec->min_exclusive ? v > spec->min_value : v >= spec->min_value;
  return low_ok && v <= spec->max_value;
}

std::vector<double> mutate(const std::string& op, double d, int count, Rng& rng,
                           const OperatorOptions& options, const HyperparameterSpec* spec) {
  if (!is_operator(op)) draw_once(op, d, options, rng);  // throws the "unknown" error
  if (count < 0) throw input_error("operator '" + op + "': mutants must be >= 0");
  if (!std::isfinite(d)) throw input_error("operator '" + op + "': default must be finite");
  if (op == "batch_size") {
    for (double c : options.choices)
      if (!(c >= 1) || std::floor(c) != c)
        throw input_error("operator 'batch_size': choice " + format_exact(c) + " is not a positive integer");
  }
  long long support = discrete_support(op, d, options);
  if (support >= 0 && support < count)
    throw input_error("operator '" + op + "' cannot give " + std::to_string(count) +
                      " distinct mutants of default " + format_exact(d) + " (its rule, " +
                      describe_operator(op) + ", reaches only " + std::to_string(support) +
                      " other value" + (support == 1 ? "" : "s") + ")");
  std::vector<double> out;
  std::set<double> seen{d};
  int draws = 0;
  while (static_cast<int>(out.size()) < count) {
    if (++draws > options.max_draws)
      throw input_error("operator '" + op + "': found only " + std::to_string(out.size()) + " of " +
                        std::to_string(count) + " distinct mutants of default " + format_exact(d) +
                        " within the allowed range after " + std::to_string(options.max_draws) +
                        " draws");
    double v = draw_once(op, d, options, rng);
    if (v == 0.0) v = 0.0;  // no negative zero
    if (!in_range(op, v, spec) || seen.count(v)) continue;
    seen.insert(v);
    out.push_back(v);
  }
  return out;
}

}  // namespace greentune::mutation
