// Confirmation statistics against SciPy (tests/tune/confirmation_reference.py wrote the JSON).
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <random>

#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/stats/stats.hpp"
#include "greentune/tune/confirmation.hpp"
#include "greentune/tune/search.hpp"

namespace greentune::tune {
namespace {

nlohmann::json reference() {
  return nlohmann::json::parse(read_file(std::string(GREENTUNE_SOURCE_DIR) + "/tests/tune/confirmation_reference.json"));
}

TEST(Confirmation, WelchIntervalsAndOneSidedPValuesMatchSciPy) {
  auto ref = reference();
  ASSERT_GE(ref["cases"].size(), 8u);
  for (const auto& c : ref["cases"]) {
    auto a = c["a"].get<std::vector<double>>();
    auto b = c["b"].get<std::vector<double>>();
    double shift = c["shift"];
    Difference d = welch_difference(a, b, 0.95);
    EXPECT_NEAR(d.estimate, c["difference"].get<double>(), 1e-12);
    EXPECT_NEAR(d.se, c["se"].get<double>(), 1e-12 * (1 + c["se"].get<double>()));
    EXPECT_NEAR(d.df, c["df"].get<double>(), 1e-9 * c["df"].get<double>());
    // SciPy 1.10's t.ppf at non-integer degrees of freedom is accurate to about 2e-9 relative
    // (checked against mpmath at 30 digits); Boost.Math's quantile is closer, hence 1e-8.
    EXPECT_NEAR(d.low, c["low"].get<double>(), 1e-8 * (1 + std::fabs(c["low"].get<double>())));
    EXPECT_NEAR(d.high, c["high"].get<double>(), 1e-8 * (1 + std::fabs(c["high"].get<double>())));
    double p = welch_greater_p(a, b, shift);
    EXPECT_NEAR(p, c["p_greater"].get<double>(), 1e-10 + 1e-8 * c["p_greater"].get<double>()) << c.dump();
    // The project's two-sided Welch test agrees with the same reference.
    EXPECT_NEAR(stats::welch_t_test(a, b).p, c["p_two_sided"].get<double>(), 1e-9);
  }
}

TEST(Confirmation, NonInferiorityFollowsTheMetricDirection) {
  std::vector<double> orig = {0.90, 0.91, 0.92, 0.905, 0.915};
  std::vector<double> same = {0.90, 0.91, 0.92, 0.905, 0.915};
  // Equal means and margin 0.01: H0 (worse by >= margin) is rejected.
  EXPECT_LT(non_inferiority_p(same, orig, 0.01, true), 0.05);
  // Lower is better (e.g. a loss): the candidate 0.02 higher is inferior at margin 0.01.
  std::vector<double> worse_loss = {0.92, 0.93, 0.94, 0.925, 0.935};
  EXPECT_GT(non_inferiority_p(worse_loss, orig, 0.01, false), 0.5);
  // Mirror image: negating everything and flipping the direction gives the same p.
  std::vector<double> na, nb;
  for (double v : same) na.push_back(-v + 0.003);
  for (double v : orig) nb.push_back(-v);
  std::vector<double> pa;
  for (double v : same) pa.push_back(v - 0.003);
  EXPECT_NEAR(non_inferiority_p(na, nb, 0.01, false), non_inferiority_p(pa, orig, 0.01, true), 1e-14);
  std::vector<double> one = {1.0}, two = {1.0, 2.0};
  EXPECT_THROW(welch_difference(one, two, 0.95), Error);
}

TEST(Confirmation, SequentialLookConfirmsRejectsOrWaits) {
  std::vector<double> op = {0.90, 0.91, 0.92, 0.905, 0.915, 0.91};
  std::vector<double> oe = {100, 101, 99, 100.5, 99.5, 100};
  std::vector<double> ce = {80, 81, 79, 80.5, 79.5, 80};
  SequentialLook ok = sequential_look(op, op, ce, oe, 0.02, true, 0.05, 5);
  EXPECT_EQ(ok.verdict, Verdict::confirmed) << ok.reason;
  EXPECT_DOUBLE_EQ(ok.level, 0.01);
  std::vector<double> bad = {0.80, 0.81, 0.82, 0.805, 0.815, 0.81};
  EXPECT_EQ(sequential_look(bad, op, ce, oe, 0.02, true, 0.05, 5).verdict, Verdict::rejected);
  EXPECT_EQ(sequential_look(op, op, oe, ce, 0.02, true, 0.05, 5).verdict, Verdict::rejected);  // costlier
  std::vector<double> noisy = {0.85, 0.95, 0.88, 0.93};
  EXPECT_EQ(sequential_look(noisy, op, ce, oe, 0.02, true, 0.05, 5).verdict, Verdict::undecided);
}

TEST(Confirmation, PlannedLookSplitsItsLevelAndDecidesAtTheLastPair) {
  auto [interim, final_level] = planned_levels(0.03, 8, 3);
  EXPECT_DOUBLE_EQ(interim, 0.1 * 0.03 / 5);
  EXPECT_DOUBLE_EQ(final_level, 0.9 * 0.03);
  EXPECT_LE(5 * interim + final_level, 0.03 + 1e-15);
  EXPECT_EQ(planned_levels(0.03, 3, 3).second, 0.03);  // no interim look
  std::vector<double> op = {0.90, 0.91, 0.92, 0.905};
  std::vector<double> oe = {100, 101, 99, 100.5};
  std::vector<double> ce = {80, 81, 79, 80.5};
  // Clearly non-inferior and greener: confirmed at an interim look.
  std::vector<double> tight_o = {0.900, 0.902, 0.901, 0.899}, tight_c = {0.905, 0.906, 0.904, 0.905};
  SequentialLook ok = planned_look(tight_c, tight_o, ce, oe, 0.02, true, 0.05, 8, 3);
  EXPECT_EQ(ok.verdict, Verdict::confirmed) << ok.reason;
  EXPECT_DOUBLE_EQ(ok.level, 0.1 * 0.05 / 5);
  // Right at the margin: undecided before the last pair, rejected at it.
  std::vector<double> edge = {0.885, 0.895, 0.9, 0.89};
  SequentialLook mid = planned_look(edge, op, ce, oe, 0.02, true, 0.05, 8, 3);
  EXPECT_EQ(mid.verdict, Verdict::undecided) << mid.reason;
  SequentialLook last = planned_look(edge, op, ce, oe, 0.02, true, 0.05, 4, 3);
  EXPECT_EQ(last.verdict, Verdict::rejected);
  EXPECT_DOUBLE_EQ(last.level, 0.9 * 0.05);
  EXPECT_NE(last.reason.find("non-inferiority not shown in 4 pairs"), std::string::npos) << last.reason;
  // Much worse than the margin allows: rejected early; no saving in sight: futile.
  std::vector<double> bad = {0.80, 0.81, 0.82, 0.805};
  EXPECT_EQ(planned_look(bad, op, ce, oe, 0.02, true, 0.05, 8, 3).verdict, Verdict::rejected);
  std::vector<double> same = {100.2, 100.8, 99.1, 100.1};
  SequentialLook futile = planned_look(op, op, same, oe, 0.02, true, 0.05, 5, 3);
  EXPECT_EQ(futile.verdict, Verdict::rejected);
  EXPECT_NE(futile.reason.find("futile"), std::string::npos) << futile.reason;
}

// The false-confirmation rate of a planned confirmation (interim looks and the final one) stays
// at most its level when the candidate is exactly at the margin (the worst case of H0), here
// with a large saving so that only non-inferiority decides. Seeded simulation of normal runs.
TEST(Confirmation, PlannedLookKeepsItsFalseConfirmationRate) {
  std::mt19937_64 rng(20261202);
  std::normal_distribution<double> noise(0.0, 1.0);
  const double sd = 0.006, margin = 0.01, level = 0.05;
  const int trials = 4000, pairs = 8, first = 3;
  int confirmed = 0;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> cp, op, ce, oe;
    for (int k = 1; k <= pairs; ++k) {
      cp.push_back(0.9 - margin + sd * noise(rng));
      op.push_back(0.9 + sd * noise(rng));
      ce.push_back(70 * (1 + 0.02 * noise(rng)));
      oe.push_back(100 * (1 + 0.02 * noise(rng)));
      if (k < first) continue;
      SequentialLook l = planned_look(cp, op, ce, oe, margin, true, level, pairs, first);
      if (l.verdict == Verdict::undecided) continue;
      confirmed += l.verdict == Verdict::confirmed;
      break;
    }
  }
  double rate = static_cast<double>(confirmed) / trials;
  std::cout << "false-confirmation rate at the margin: " << rate << " (level " << level << ")\n";
  EXPECT_LE(rate, level + 3 * std::sqrt(level * (1 - level) / trials)) << rate;
  EXPECT_GT(rate, 0.01) << "the test has no power at all at the boundary";
}

TEST(Confirmation, PredictedConfirmationProbabilityIsThePowerOfBothTests) {
  CandidateModel c;
  c.saving = 10;
  c.performance_noise = 0.006;
  c.log_noise = 0.02;
  c.log_saving = 0.3;  // far beyond what 8 pairs need: the saving test has power ~1
  const int pairs = 8;
  const double level = 0.045, se = 0.006 * std::sqrt(2.0 / pairs);
  const double crit = 1.8212669605089455;  // scipy.stats.t.isf(0.045, 14)
  c.advantage = (crit + 0.8416) * se;  // 80% power with a known noise
  EXPECT_NEAR(c.confirm_probability(pairs, level), 0.80, 0.0005);
  c.advantage_var = se * se;  // as uncertain as the confirmation itself: Phi(0.8416 / sqrt(2)) (SciPy: 0.72411)
  EXPECT_NEAR(c.confirm_probability(pairs, level), 0.72411, 0.0005);
  c.advantage_var = 0;
  EXPECT_GT(c.confirm_probability(12, level), c.confirm_probability(pairs, level));
  EXPECT_LT(c.confirm_probability(pairs, level / 10), c.confirm_probability(pairs, level));
  c.saving = -1;
  EXPECT_EQ(c.confirm_probability(pairs, level), 0.0);
}

}  // namespace
}  // namespace greentune::tune
