// The pruning rule (include/greentune/tune/pruning.hpp) on curves whose answers are known:
// hopeless, stalled, slow-starting and fast-then-worse shapes, costs, both metric directions.
#include "greentune/tune/pruning.hpp"

#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"

namespace greentune::tune {
namespace {

// A saturating curve: metric(t) = floor + (top - floor) * (1 - exp(-t / tau)); cost per epoch
// `per_epoch` (the first epoch costs `first_epoch` more: start-up).
LearningCurve curve(int epochs, int upto, double floor, double top, double tau, double per_epoch = 10,
                    double first_epoch = 0) {
  LearningCurve c;
  c.planned_epochs = epochs;
  double cost = first_epoch;
  for (int t = 1; t <= upto; ++t) {
    cost += per_epoch;
    c.points.push_back({t, floor + (top - floor) * (1 - std::exp(-t / tau)), cost});
  }
  return c;
}

// Two good runs trained to the end (20 epochs, fast learners reaching 0.90 and 0.91).
PruningReference reference() {
  PruningReference r;
  r.complete = {curve(20, 20, 0.1, 0.90, 1.5), curve(20, 20, 0.1, 0.91, 2.0)};
  r.threshold = 0.89;  // original 0.90, margin 0.01
  r.noise_sd = 0.002;
  return r;
}

// The first rung (if any) at which the whole curve would be stopped; 0 when it never is.
int stopped_at(const LearningCurve& full, const PruningReference& ref, const PruningOptions& o = {}) {
  LearningCurve so_far;
  so_far.planned_epochs = full.planned_epochs;
  for (const auto& p : full.points) {
    so_far.points.push_back(p);
    if (decide(so_far, ref, o).stop()) return p.epoch;
  }
  return 0;
}

TEST(Pruning, RungsAreGeometric) {
  PruningOptions o;
  std::vector<int> rungs;
  for (int e = 1; e <= 40; ++e)
    if (is_rung(e, o)) rungs.push_back(e);
  EXPECT_EQ(rungs, (std::vector<int>{2, 4, 8, 16, 32}));
  o.rung_factor = 1.5;
  o.first_rung = 2;
  rungs.clear();
  for (int e = 1; e <= 12; ++e)
    if (is_rung(e, o)) rungs.push_back(e);
  EXPECT_EQ(rungs, (std::vector<int>{2, 3, 5, 7, 11}));  // 2, 3, 4.5, 6.75, 10.1
  o.rung_factor = 1;
  EXPECT_TRUE(is_rung(2, o));
  EXPECT_TRUE(is_rung(3, o));
  EXPECT_FALSE(is_rung(1, o));
}

TEST(Pruning, AHopelessRunIsStoppedAtTheFirstRung) {
  // A learning rate ten times too high: stuck near chance.
  const LearningCurve bad = curve(20, 20, 0.1, 0.12, 1.0);
  const PruneDecision d = [&] {
    LearningCurve two = bad;
    two.points.resize(2);
    return decide(two, reference());
  }();
  EXPECT_EQ(d.verdict, PruneVerdict::infeasible);
  EXPECT_EQ(d.epoch, 2);
  ASSERT_TRUE(d.metric_bound);
  EXPECT_LT(*d.metric_bound, 0.89);
  EXPECT_NE(d.reason.find("pruned at epoch 2 of 20"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find(">= 0.89"), std::string::npos) << d.reason;
  EXPECT_EQ(stopped_at(bad, reference()), 2);
}

TEST(Pruning, AStalledRunIsStoppedOnceItsCurveFlattens) {
  // A weight decay that stalls training: rises to 0.6 and stays.
  const LearningCurve stalled = curve(20, 20, 0.1, 0.6, 1.2);
  const int at = stopped_at(stalled, reference());
  EXPECT_GT(at, 0);
  EXPECT_LE(at, 4);
}

TEST(Pruning, ASlowStarterThatStillClimbsIsKept) {
  // The misleading shape: a small learning rate, far behind the reference early (0.37 at epoch
  // 2 where they are at 0.70), yet still climbing and feasible at the end (0.905).
  const LearningCurve slow = curve(20, 20, 0.1, 0.92, 5.0);
  ASSERT_GE(slow.points.back().metric, 0.89);
  ASSERT_LT(slow.points[1].metric, 0.4);
  EXPECT_EQ(stopped_at(slow, reference()), 0);
  // A median rule (stop when below the reference runs' median at the same epoch) would stop it
  // at the first rung: the slow starter is behind both reference curves at epoch 2.
  EXPECT_LT(slow.points[1].metric, reference().complete[0].points[1].metric);
}

TEST(Pruning, AFastStarterIsNotStoppedWhileItLooksFeasible) {
  // The other misleading shape: a higher learning rate leads early and ends worse (0.85). The
  // rule cannot know while it leads; it stops it once the curve flattens below the threshold.
  const LearningCurve fast = curve(20, 20, 0.1, 0.85, 0.8);
  LearningCurve two = fast;
  two.points.resize(2);
  EXPECT_FALSE(decide(two, reference()).stop());
  const int at = stopped_at(fast, reference());
  EXPECT_GT(at, 2);
}

TEST(Pruning, FeasibilityNeedsEnoughCompleteCurves) {
  PruningReference ref = reference();
  ref.complete.pop_back();  // one complete curve: not enough to know what is reachable
  EXPECT_EQ(stopped_at(curve(20, 20, 0.1, 0.12, 1.0), ref), 0);
  ref.complete = {curve(20, 3, 0.1, 0.9, 1.5), curve(20, 3, 0.1, 0.9, 1.5)};  // none went past epoch 4
  LearningCurve four = curve(20, 4, 0.1, 0.12, 1.0);
  EXPECT_FALSE(decide(four, ref).stop());
}

TEST(Pruning, AReferenceThatGainedLateProtectsLikeRuns) {
  // When a complete curve gained a lot after epoch 2, a run as far behind is kept at epoch 2.
  PruningReference ref = reference();
  ref.complete.push_back(curve(20, 20, 0.1, 0.9, 8.0));  // 0.27 at epoch 2, 0.83 at 20: gained 0.56
  LearningCurve flat = curve(20, 2, 0.30, 0.30, 1.0);    // flat at 0.30: no own trend
  EXPECT_FALSE(decide(flat, ref).stop());
  EXPECT_TRUE(decide(flat, reference()).stop());
}

TEST(Pruning, TooCostlyWhenEvenItsCheapestPaceEndsAboveTheBestFeasible) {
  PruningReference ref = reference();
  ref.best_feasible_cost = 150;  // J: a feasible configuration trained in 15 epochs of 10 J
  // 20 epochs of 10 J (the first with 30 J of start-up): at epoch 2, at least 50 + 18 * 9 = 212 J.
  LearningCurve longer = curve(20, 2, 0.1, 0.95, 1.5, 10, 30);
  PruneDecision d = decide(longer, ref);
  EXPECT_EQ(d.verdict, PruneVerdict::too_costly);
  ASSERT_TRUE(d.cost_bound);
  EXPECT_DOUBLE_EQ(*d.cost_bound, 50 + 18 * 9.0);
  EXPECT_NE(d.reason.find("above the best feasible 150"), std::string::npos) << d.reason;
  // 12 epochs: 50 + 10 * 9 = 140 J, below 150: kept (the start-up cost is not extrapolated).
  LearningCurve shorter = curve(12, 2, 0.1, 0.95, 1.5, 10, 30);
  EXPECT_FALSE(decide(shorter, ref).stop());
  EXPECT_DOUBLE_EQ(*decide(shorter, ref).cost_bound, 140);
  // Without a feasible configuration yet, cost never stops a run.
  ref.best_feasible_cost.reset();
  EXPECT_FALSE(decide(longer, ref).stop());
}

TEST(Pruning, OnlyAtRungsAndNeverAtTheEnd) {
  LearningCurve bad = curve(20, 3, 0.1, 0.12, 1.0);
  EXPECT_FALSE(decide(bad, reference()).stop());  // epoch 3 is not a rung
  LearningCurve done = curve(4, 4, 0.1, 0.12, 1.0);
  EXPECT_FALSE(decide(done, reference()).stop());  // nothing left to save
  EXPECT_FALSE(decide(LearningCurve{}, reference()).stop());
}

TEST(Pruning, LowerIsBetterMirrorsHigherIsBetter) {
  PruningReference ref = reference();
  PruningReference loss_ref;
  for (auto c : ref.complete) {
    for (auto& p : c.points) p.metric = 1 - p.metric;  // a loss
    loss_ref.complete.push_back(c);
  }
  loss_ref.threshold = 1 - ref.threshold;
  loss_ref.noise_sd = ref.noise_sd;
  PruningOptions lower;
  lower.higher_is_better = false;
  for (const auto& full : {curve(20, 20, 0.1, 0.12, 1.0), curve(20, 20, 0.1, 0.6, 1.2), curve(20, 20, 0.1, 0.92, 5.0)}) {
    LearningCurve loss = full;
    for (auto& p : loss.points) p.metric = 1 - p.metric;
    EXPECT_EQ(stopped_at(loss, loss_ref, lower), stopped_at(full, ref));
  }
  LearningCurve bad = curve(20, 2, 0.1, 0.12, 1.0);
  for (auto& p : bad.points) p.metric = 1 - p.metric;
  const PruneDecision d = decide(bad, loss_ref, lower);
  EXPECT_TRUE(d.stop());
  EXPECT_GT(*d.metric_bound, loss_ref.threshold);
  EXPECT_NE(d.reason.find("<= 0.11"), std::string::npos) << d.reason;
}

// Seeded simulation over saturating curves with noise (per-epoch sd 0.002, like the metric's
// noise): no run whose true final metric clears the threshold is stopped, and most runs that
// end clearly infeasible are.
TEST(Pruning, SimulatedCurvesNeverStopAFeasibleRun) {
  std::mt19937_64 rng(20261208);
  std::uniform_real_distribution<double> top(0.3, 0.95), tau(0.5, 10), floor(0.05, 0.15);
  std::normal_distribution<double> noise(0, 0.002);
  auto noisy = [&](double fl, double tp, double ta, int epochs) {
    LearningCurve c = curve(epochs, epochs, fl, tp, ta);
    for (auto& p : c.points) p.metric += noise(rng);
    return c;
  };
  PruningReference ref;
  ref.threshold = 0.89;
  ref.noise_sd = 0.002;
  for (int i = 0; i < 3; ++i) ref.complete.push_back(noisy(0.1, 0.9 + 0.005 * i, 1.5 + i, 20));
  int feasible = 0, feasible_stopped = 0, hopeless = 0, hopeless_stopped = 0;
  for (int i = 0; i < 4000; ++i) {
    const double fl = floor(rng), tp = top(rng), ta = tau(rng);
    const int epochs = 15 + static_cast<int>(rng() % 11);
    const double true_final = fl + (tp - fl) * (1 - std::exp(-epochs / ta));
    const int at = stopped_at(noisy(fl, tp, ta, epochs), ref);
    if (true_final >= ref.threshold) {
      ++feasible;
      feasible_stopped += at > 0;
    } else if (true_final < ref.threshold - 0.1) {
      ++hopeless;
      hopeless_stopped += at > 0;
    }
  }
  ASSERT_GT(feasible, 50);
  ASSERT_GT(hopeless, 1000);
  EXPECT_EQ(feasible_stopped, 0) << "of " << feasible;
  EXPECT_GT(hopeless_stopped, hopeless * 9 / 10) << "of " << hopeless;
}

TEST(Pruning, CurveJsonRoundTripsAndBadInputNamesWhere) {
  const LearningCurve c = curve(5, 3, 0.1, 0.9, 1.5, 10, 2);
  const LearningCurve back = curve_from_json(curve_to_json(c), 5, "run 3: progress");
  ASSERT_EQ(back.points.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back.points[i].epoch, c.points[i].epoch);
    EXPECT_EQ(back.points[i].metric, c.points[i].metric);
    EXPECT_EQ(back.points[i].cost, c.points[i].cost);
  }
  EXPECT_EQ(back.planned_epochs, 5);
  auto error = [](const char* text) {
    try {
      curve_from_json(nlohmann::json::parse(text), 5, "run 3: progress");
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::input);
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error("{}"), "run 3: progress: expected a list of {\"epoch\", \"metric\", \"cost\"}");
  EXPECT_EQ(error(R"([{"epoch": 1, "metric": 0.5}])"),
            "run 3: progress[0]: expected {\"epoch\": integer, \"metric\": number, \"cost\": number}");
  EXPECT_EQ(error(R"([{"epoch": 2, "metric": 0.5, "cost": 1}, {"epoch": 2, "metric": 0.6, "cost": 2}])"),
            "run 3: progress[1]: epoch 2 does not follow epoch 2");
}

}  // namespace
}  // namespace greentune::tune
