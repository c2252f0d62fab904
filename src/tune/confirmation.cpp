#include "greentune/tune/confirmation.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <boost/math/distributions/students_t.hpp>

#include "greentune/core/error.hpp"

namespace greentune::tune {

namespace {

struct Moments {
  double mean = 0, var = 0;
  double n = 0;
};

Moments moments(const std::vector<double>& v) {
  Moments m;
  m.n = static_cast<double>(v.size());
  for (double x : v) m.mean += x;
  m.mean /= m.n;
  for (double x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var = v.size() > 1 ? m.var / (m.n - 1) : 0;
  return m;
}

void need_two(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() < 2 || b.size() < 2) throw input_error("confirmation statistics need at least 2 runs on each side");
}

// Welch standard error and degrees of freedom.
void welch(const Moments& a, const Moments& b, double& se, double& df) {
  double va = a.var / a.n, vb = b.var / b.n;
  se = std::sqrt(va + vb);
  double den = va * va / (a.n - 1) + vb * vb / (b.n - 1);
  df = den > 0 ? (va + vb) * (va + vb) / den : a.n + b.n - 2;
}

}  // namespace

Difference welch_difference(const std::vector<double>& candidate, const std::vector<double>& original,
                            double confidence) {
  need_two(candidate, original);
  Moments c = moments(candidate), o = moments(original);
  Difference d;
  d.estimate = c.mean - o.mean;
  welch(c, o, d.se, d.df);
  if (d.se == 0) {
    d.low = d.high = d.estimate;
    return d;
  }
  boost::math::students_t t(d.df);
  double q = boost::math::quantile(t, 0.5 + confidence / 2);
  d.low = d.estimate - q * d.se;
  d.high = d.estimate + q * d.se;
  return d;
}

double welch_greater_p(const std::vector<double>& candidate, const std::vector<double>& original, double shift) {
  need_two(candidate, original);
  Moments c = moments(candidate), o = moments(original);
  double se, df;
  welch(c, o, se, df);
  double diff = c.mean - o.mean - shift;
  if (se == 0) return diff > 0 ? 0.0 : 1.0;
  boost::math::students_t t(df);
  return boost::math::cdf(boost::math::complement(t, diff / se));
}

double non_inferiority_p(const std::vector<double>& candidate, const std::vector<double>& original, double margin,
                         bool higher_is_better) {
  if (higher_is_better) return welch_greater_p(candidate, original, -margin);
  // Lower is better: H0 candidate - original >= margin; flip signs.
  std::vector<double> c(candidate), o(original);
  for (auto& v : c) v = -v;
  for (auto& v : o) v = -v;
  return welch_greater_p(c, o, -margin);
}

double saving_p(const std::vector<double>& candidate_objective, const std::vector<double>& original_objective) {
  return welch_greater_p(original_objective, candidate_objective, 0);
}

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::undecided: return "undecided";
    case Verdict::confirmed: return "confirmed";
    case Verdict::rejected: return "rejected";
  }
  return "?";
}

SequentialLook sequential_look(const std::vector<double>& cp, const std::vector<double>& op,
                               const std::vector<double>& ce, const std::vector<double>& oe, double margin,
                               bool higher_is_better, double alpha, int looks) {
  SequentialLook s;
  s.level = alpha / std::max(1, looks);
  s.non_inferiority_p = non_inferiority_p(cp, op, margin, higher_is_better);
  s.saving_p = saving_p(ce, oe);
  // Inferior: H0' "not worse than the margin allows" rejected, i.e. the mirrored one-sided test.
  std::vector<double> a(cp), b(op);
  if (!higher_is_better) {
    for (auto& v : a) v = -v;
    for (auto& v : b) v = -v;
  }
  double inferior_p = welch_greater_p(b, a, margin);   // H1: original - candidate > margin
  double costlier_p = welch_greater_p(ce, oe, 0);      // H1: candidate uses more
  if (s.non_inferiority_p < s.level && s.saving_p < s.level) {
    s.verdict = Verdict::confirmed;
    s.reason = "non-inferior and greener";
  } else if (inferior_p < s.level) {
    s.verdict = Verdict::rejected;
    s.reason = "performance worse than the margin allows";
  } else if (costlier_p < s.level) {
    s.verdict = Verdict::rejected;
    s.reason = "uses more than the original";
  }
  return s;
}

std::pair<double, double> planned_levels(double level, int pairs_planned, int first_look) {
  int interim = std::max(0, pairs_planned - first_look);
  if (interim == 0) return {0.0, level};
  return {0.1 * level / interim, 0.9 * level};
}

namespace {

// Conditional power of a one-sided test of "difference > 0" reaching significance at the final
// look with n pairs, from k pairs now (estimate d, standard error se_k), were d the truth.
double conditional_power(double d, double se_k, int k, int n, double final_level) {
  if (se_k <= 0) return d > 0 ? 1.0 : 0.0;
  double se_n = se_k * std::sqrt(static_cast<double>(k) / n);
  boost::math::students_t t(std::max(1, 2 * n - 2));
  double crit = boost::math::quantile(boost::math::complement(t, final_level));
  double spread = se_n * std::sqrt(static_cast<double>(n - k) / n);
  if (spread <= 0) return d - crit * se_n > 0 ? 1.0 : 0.0;
  return 0.5 * std::erfc(-((d - crit * se_n) / spread) / std::sqrt(2.0));
}

}  // namespace

SequentialLook planned_look(const std::vector<double>& cp, const std::vector<double>& op,
                            const std::vector<double>& ce, const std::vector<double>& oe, double margin,
                            bool higher_is_better, double level, int pairs_planned, int first_look) {
  need_two(cp, op);
  need_two(ce, oe);
  SequentialLook s;
  const int k = static_cast<int>(std::min(std::min(cp.size(), op.size()), std::min(ce.size(), oe.size())));
  const bool final_look = k >= pairs_planned;
  auto [interim_level, final_level] = planned_levels(level, pairs_planned, first_look);
  s.level = final_look ? final_level : interim_level;
  s.non_inferiority_p = non_inferiority_p(cp, op, margin, higher_is_better);
  s.saving_p = saving_p(ce, oe);
  if (s.non_inferiority_p < s.level && s.saving_p < s.level) {
    s.verdict = Verdict::confirmed;
    s.reason = "non-inferior and greener";
    return s;
  }
  if (final_look) {
    s.verdict = Verdict::rejected;
    s.reason = s.non_inferiority_p >= s.level ? "non-inferiority not shown in " + std::to_string(k) + " pairs"
                                              : "saving not shown in " + std::to_string(k) + " pairs";
    return s;
  }
  std::vector<double> a(cp), b(op);
  if (!higher_is_better) {
    for (auto& v : a) v = -v;
    for (auto& v : b) v = -v;
  }
  if (welch_greater_p(b, a, margin) < level) {
    s.verdict = Verdict::rejected;
    s.reason = "performance worse than the margin allows";
  } else if (welch_greater_p(ce, oe, 0) < level) {
    s.verdict = Verdict::rejected;
    s.reason = "uses more than the original";
  } else {
    Difference perf = welch_difference(a, b, 0.95);   // oriented candidate - original
    Difference save = welch_difference(oe, ce, 0.95);  // original - candidate objective
    double power = conditional_power(perf.estimate + margin, perf.se, k, pairs_planned, final_level) *
                   conditional_power(save.estimate, save.se, k, pairs_planned, final_level);
    if (power < 0.05) {
      s.verdict = Verdict::rejected;
      s.reason = "futile: conditional power " + std::to_string(static_cast<int>(std::lround(power * 100))) +
                 "% of confirmation within " + std::to_string(pairs_planned) + " pairs";
    }
  }
  return s;
}

}  // namespace greentune::tune
