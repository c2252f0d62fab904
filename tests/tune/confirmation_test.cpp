// Confirmation statistics against SciPy (tests/tune/confirmation_reference.py wrote the JSON).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"
#include "greentune/core/files.hpp"
#include "greentune/stats/stats.hpp"
#include "greentune/tune/confirmation.hpp"

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

}  // namespace
}  // namespace greentune::tune
