// The direction of the performance metric: a lower-is-better metric (a validation loss)
// turns the performance outcomes around, and only those; read from the runs CSV.
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "greentune/analysis/analysis.hpp"
#include "greentune/core/error.hpp"
#include "greentune/store/interchange.hpp"
#include "study_db.hpp"

namespace ga = greentune::analysis;
namespace st = greentune::store;
using greentune::RunRecord;
using greentune::EnergyDomain;
using greentune::EnergySource;
using greentune::RunStatus;
using greentune::Scenario;

namespace {

// An external model "ext" measuring val_loss: original epochs 10 (loss ~0.50, ~100 J);
// epochs 5 halves the energy and raises the loss to ~0.70; epochs 20 doubles the energy and
// lowers the loss to ~0.30. Five repetitions each.
std::vector<RunRecord> loss_study(bool higher_is_better, const std::string& model = "ext") {
  std::vector<RunRecord> runs = greentune::test::epochs_study(model, {{10, 0.50}, {5, 0.70}, {20, 0.30}});
  for (auto& run : runs) {
    run.performance_metric = "val_loss";
    run.higher_is_better = higher_is_better;
  }
  return runs;
}

// Through the interchange CSV, as `greentune analyze --runs` reads it.
std::vector<RunRecord> via_csv(const std::vector<RunRecord>& runs) {
  std::ostringstream out;
  st::write_runs_csv(out, runs);
  std::istringstream in(out.str());
  return st::read_runs_csv(in, "runs.csv");
}

const ga::ComparisonRow& row(const ga::AnalysisResult& r, double value, ga::Metric m, const std::string& model = "ext") {
  for (const auto& c : r.comparisons)
    if (c.model == model && c.value == value && c.metric == m) return c;
  ADD_FAILURE() << "no comparison " << model << " epochs=" << value << " " << ga::to_string(m);
  static const ga::ComparisonRow none;
  return none;
}

const ga::TradeoffGrid& grid(const ga::AnalysisResult& r, ga::Metric m) {
  for (const auto& g : r.tradeoffs)
    if (g.metric == m && g.hyperparameter == "epochs") return g;
  ADD_FAILURE() << "no grid for " << ga::to_string(m);
  static const ga::TradeoffGrid none;
  return none;
}

constexpr auto win = ga::Outcome::win;
constexpr auto tie = ga::Outcome::tie;
constexpr auto loss = ga::Outcome::loss;
std::size_t idx(ga::Outcome o) { return static_cast<std::size_t>(o); }

}  // namespace

TEST(Direction, LowerLossIsAPerformanceWinForALowerIsBetterMetric) {
  const auto lower = ga::analyze(via_csv(loss_study(false)), ga::AnalysisOptions());
  // epochs 20: significantly lower val_loss (delta -1, exact p 2/252): a win.
  const auto& p20 = row(lower, 20, ga::Metric::performance);
  EXPECT_EQ(p20.cliffs_delta, -1.0);
  EXPECT_NEAR(p20.p, 2.0 / 252.0, 1e-12);
  EXPECT_FALSE(p20.higher_is_better);
  EXPECT_EQ(p20.outcome, win);
  // epochs 5: significantly higher val_loss: a loss.
  EXPECT_EQ(row(lower, 5, ga::Metric::performance).outcome, loss);
  // Energy and time stay lower-is-better whatever the performance metric.
  EXPECT_EQ(row(lower, 5, ga::Metric::total_j).outcome, win);
  EXPECT_FALSE(row(lower, 5, ga::Metric::total_j).higher_is_better);
  EXPECT_EQ(row(lower, 20, ga::Metric::total_j).outcome, loss);
  EXPECT_EQ(row(lower, 20, ga::Metric::duration_s).outcome, loss);
  // epochs 5 saves energy but loses performance: it is not a greener mutant.
  EXPECT_TRUE(lower.greener.empty());
  // Grid: epochs 5 = energy win x performance loss, epochs 20 = energy loss x performance win.
  const auto& g = grid(lower, ga::Metric::total_j);
  EXPECT_EQ(g.counts[idx(win)][idx(loss)], 1u);
  EXPECT_EQ(g.counts[idx(loss)][idx(win)], 1u);
  EXPECT_EQ(g.total(), 2u);
  ASSERT_EQ(lower.performance_metrics.size(), 1u);
  EXPECT_EQ(lower.performance_metrics[0].model, "ext");
  EXPECT_EQ(lower.performance_metrics[0].metric, "val_loss");
  EXPECT_FALSE(lower.performance_metrics[0].higher_is_better);
  EXPECT_EQ(ga::describe(lower.performance_metric("ext")), "val_loss (lower is better)");
}

TEST(Direction, TheSameDataFlaggedHigherIsBetterIsTheOppositeOutcome) {
  const auto lower = ga::analyze(via_csv(loss_study(false)), ga::AnalysisOptions());
  const auto higher = ga::analyze(via_csv(loss_study(true)), ga::AnalysisOptions());
  EXPECT_EQ(row(higher, 20, ga::Metric::performance).outcome, loss);
  EXPECT_EQ(row(higher, 5, ga::Metric::performance).outcome, win);
  EXPECT_TRUE(row(higher, 5, ga::Metric::performance).higher_is_better);
  // Now epochs 5 is greener with a performance "win".
  ASSERT_FALSE(higher.greener.empty());
  for (const auto& g : higher.greener) {
    EXPECT_EQ(g.value, 5);
    EXPECT_EQ(g.performance_outcome, win);
    EXPECT_TRUE(g.performance_higher_is_better);
  }
  const auto& g = grid(higher, ga::Metric::total_j);
  EXPECT_EQ(g.counts[idx(win)][idx(win)], 1u);
  EXPECT_EQ(g.counts[idx(loss)][idx(loss)], 1u);
  // The statistics themselves do not depend on the direction: same p, delta, means and
  // correlations; only outcomes differ, and only for performance.
  ASSERT_EQ(lower.comparisons.size(), higher.comparisons.size());
  for (std::size_t i = 0; i < lower.comparisons.size(); ++i) {
    const auto& a = lower.comparisons[i];
    const auto& b = higher.comparisons[i];
    EXPECT_EQ(a.p, b.p);
    EXPECT_EQ(a.cliffs_delta, b.cliffs_delta);
    EXPECT_EQ(a.mean_mutant, b.mean_mutant);
    if (a.metric == ga::Metric::performance && a.outcome != tie)
      EXPECT_NE(a.outcome, b.outcome) << a.value;
    else
      EXPECT_EQ(a.outcome, b.outcome) << a.value << " " << ga::to_string(a.metric);
  }
  EXPECT_EQ(ga::to_json(lower)["correlations"], ga::to_json(higher)["correlations"]);
}

TEST(Direction, ModelsInOneFileFollowTheirOwnDirection) {
  auto runs = loss_study(false, "ext");
  auto acc = loss_study(true, "acc");  // the same numbers, read as an accuracy
  for (auto& r : acc) r.performance_metric = "accuracy";
  runs.insert(runs.end(), acc.begin(), acc.end());
  const auto r = ga::analyze(via_csv(runs), ga::AnalysisOptions());
  EXPECT_EQ(row(r, 20, ga::Metric::performance, "ext").outcome, win);
  EXPECT_EQ(row(r, 20, ga::Metric::performance, "acc").outcome, loss);
  // The grid sums outcomes, each already in its model's direction.
  const auto& g = grid(r, ga::Metric::total_j);
  EXPECT_EQ(g.counts[idx(win)][idx(loss)], 1u);  // ext epochs 5
  EXPECT_EQ(g.counts[idx(win)][idx(win)], 1u);   // acc epochs 5
  EXPECT_EQ(g.total(), 4u);
  ASSERT_EQ(r.greener.size() > 0, true);
  for (const auto& gr : r.greener) EXPECT_EQ(gr.model, "acc");
  ASSERT_EQ(r.performance_metrics.size(), 2u);
  EXPECT_EQ(r.performance_metrics[0].model, "acc");
  EXPECT_TRUE(r.performance_metrics[0].higher_is_better);
  EXPECT_EQ(r.performance_metric("unknown").higher_is_better, true);  // the default
}

TEST(Direction, AFileWithoutTheColumnIsHigherIsBetter) {
  // What older versions (and users) write: no performance_metric / higher_is_better.
  std::string text =
      "model,scenario,corunner,operator,repetition,hp.epochs,cpu_package_j,dram_j,gpu_j,duration_s,performance\n";
  for (const auto& r : loss_study(false))
    text += r.model + ",single,," + r.op + "," + std::to_string(r.repetition) + "," +
            std::to_string(r.hp.at("epochs")) + "," + std::to_string(*r.reading(EnergyDomain::cpu_package).joules) + ",,," +
            std::to_string(*r.duration_s) + "," + std::to_string(*r.performance) + "\n";
  std::istringstream in(text);
  const auto runs = st::read_runs_csv(in, "old.csv");
  for (const auto& r : runs) {
    EXPECT_TRUE(r.higher_is_better);
    EXPECT_EQ(r.performance_metric, "");
  }
  const auto res = ga::analyze(runs, ga::AnalysisOptions());
  EXPECT_EQ(row(res, 20, ga::Metric::performance).outcome, loss);
  EXPECT_EQ(ga::describe(res.performance_metric("ext")), "performance (higher is better)");
}

TEST(Direction, DisagreeingRunsOfOneModelAreAnErrorNamingBoth) {
  auto runs = loss_study(false);
  runs[7].higher_is_better = true;
  std::vector<std::string> origins;
  for (std::size_t i = 0; i < runs.size(); ++i) origins.push_back("runs.csv:" + std::to_string(i + 2));
  try {
    ga::analyze(runs, ga::AnalysisOptions(), origins);
    FAIL() << "no error";
  } catch (const greentune::Error& e) {
    EXPECT_EQ(e.kind(), greentune::ErrorKind::input);
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos);
    EXPECT_NE(msg.find("runs.csv:9"), std::string::npos) << msg;
    EXPECT_NE(msg.find("runs.csv:2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'ext'"), std::string::npos) << msg;
  }
  // Across scenarios too: a parallel group may not flip the model's direction.
  auto more = loss_study(false);
  auto par = loss_study(true);
  for (auto& r : par) r.scenario = Scenario::parallel, r.corunner = "x";
  more.insert(more.end(), par.begin(), par.end());
  EXPECT_THROW(ga::analyze(more, ga::AnalysisOptions()), greentune::Error);
}

TEST(Direction, JsonAndTextShowTheDirection) {
  const auto r = ga::analyze(via_csv(loss_study(false)), ga::AnalysisOptions());
  const auto j = ga::to_json(r);
  ASSERT_EQ(j.at("performance_metrics").size(), 1u);
  EXPECT_EQ(j["performance_metrics"][0]["metric"], "val_loss");
  EXPECT_EQ(j["performance_metrics"][0]["higher_is_better"], false);
  bool seen = false;
  for (const auto& c : j.at("comparisons"))
    if (c.at("metric") == "performance") {
      EXPECT_EQ(c.at("higher_is_better"), false);
      seen = true;
    }
  EXPECT_TRUE(seen);
  std::ostringstream streamed;
  ga::write_json(streamed, r);
  EXPECT_EQ(nlohmann::json::parse(streamed.str()), j);
  const std::string text = ga::format_text(r);
  EXPECT_NE(text.find("performance: val_loss (lower is better) for ext\n"), std::string::npos) << text;
  EXPECT_NE(text.find("performance (lower is better)"), std::string::npos);
}

TEST(Direction, SummaryLineGroupsModelsAndStaysShort) {
  std::vector<ga::PerformanceMetric> ms;
  for (int i = 0; i < 1000; ++i) ms.push_back({"m" + std::to_string(1000 + i), "acc", true});
  EXPECT_EQ(ga::describe(ms), "acc (higher is better) for all 1000 models");
  ms.push_back({"ext", "val_loss", false});
  EXPECT_EQ(ga::describe(ms), "acc (higher is better) for m1000, m1001, m1002 and 997 more; "
                              "val_loss (lower is better) for ext");
  EXPECT_EQ(ga::describe(std::vector<ga::PerformanceMetric>{{"a", "", true}, {"b", "", true}}),
            "performance (higher is better) for a, b");
}
