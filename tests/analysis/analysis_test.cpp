// The analyses on small hand-made studies whose answers can be worked out.
#include <cmath>
#include <sstream>

#include <gtest/gtest.h>

#include "greentune/analysis/analysis.hpp"
#include "greentune/core/error.hpp"

namespace ga = greentune::analysis;
namespace gs = greentune::stats;
using greentune::RunRecord;
using greentune::EnergyDomain;
using greentune::EnergySource;
using greentune::RunStatus;
using greentune::Scenario;

namespace {

// A model with an original (epochs 10, lr 1) and mutants epochs 5, epochs 20, lr 0.1, five
// repetitions each. cpu energy ~ 10 J per epoch plus noise, dram a tenth of it, no GPU;
// performance: epochs 5 is as good as the original (same values), epochs 20 better, lr 0.1 worse.
std::vector<RunRecord> study(const std::string& model = "m", const std::string& scenario = "single",
                             const std::string& corunner = "", double energy_factor = 1.0) {
  std::vector<RunRecord> runs;
  const double noise[5] = {-1.0, 0.5, 0.0, 1.5, -0.5};
  auto add = [&](const std::string& op, double epochs, double lr, double perf_base, double perf_step) {
    for (int r = 0; r < 5; ++r) {
      RunRecord run;
      run.model = model;
      run.scenario = greentune::scenario_from(scenario, "test");
      run.corunner = corunner;
      run.op = op;
      run.repetition = r;
      run.hp = {{"epochs", epochs}, {"lr", lr}};
      run.reading(EnergyDomain::cpu_package).joules = (10 * epochs + noise[r]) * energy_factor;
      run.reading(EnergyDomain::dram).joules = *run.reading(EnergyDomain::cpu_package).joules / 10;
      run.duration_s = epochs + noise[r] / 10;
      run.performance = perf_base + perf_step * r;
      runs.push_back(run);
    }
  };
  add("original", 10, 1, 0.90, 0.001);
  add("epochs", 5, 1, 0.90, 0.001);
  add("epochs", 20, 1, 0.95, 0.001);
  add("lr", 10, 0.1, 0.80, 0.001);
  return runs;
}

const ga::ComparisonRow* find(const ga::AnalysisResult& r, const std::string& hp, double value, ga::Metric m,
                              Scenario scenario = Scenario::single) {
  for (const auto& c : r.comparisons)
    if (c.hyperparameter == hp && c.value == value && c.metric == m && c.scenario == scenario) return &c;
  return nullptr;
}

const ga::CorrelationRow* find_corr(const ga::AnalysisResult& r, const std::string& hp, ga::Metric m,
                                    Scenario scenario = Scenario::single) {
  for (const auto& c : r.correlations)
    if (c.hyperparameter == hp && c.metric == m && c.scenario == scenario) return &c;
  return nullptr;
}

std::string error_of(const std::vector<RunRecord>& runs, const std::vector<std::string>& origins = {}) {
  try {
    ga::analyze(runs, ga::AnalysisOptions(), origins);
  } catch (const greentune::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Analysis, CorrelationUsesOriginalPlusThatOperatorsRuns) {
  auto runs = study();
  auto r = ga::analyze(runs, ga::AnalysisOptions());
  const auto* c = find_corr(r, "epochs", ga::Metric::cpu_package_j);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->n, 15u);  // 5 original + 10 epochs mutants; the lr mutants are not in it
  std::vector<double> x, y;
  for (const auto& run : runs)
    if (run.op == "original" || run.op == "epochs") x.push_back(run.hp.at("epochs")), y.push_back(*run.reading(EnergyDomain::cpu_package).joules);
  auto s = gs::spearman(x, y);
  auto p = gs::pearson(x, y);
  EXPECT_DOUBLE_EQ(c->spearman_rho, s.coefficient);
  EXPECT_DOUBLE_EQ(c->spearman_p, s.p);
  EXPECT_DOUBLE_EQ(c->pearson_r, p.coefficient);
  EXPECT_GT(c->spearman_rho, 0.8);
  EXPECT_EQ(c->strength, gs::StrengthBin::strong_positive);
  // lr: lower lr, same energy, lower performance: a positive correlation with performance.
  const auto* lp = find_corr(r, "lr", ga::Metric::performance);
  ASSERT_NE(lp, nullptr);
  EXPECT_EQ(lp->n, 10u);
  EXPECT_GT(lp->spearman_rho, 0.5);
}

TEST(Analysis, UnmeasuredMetricIsSkippedNotZero) {
  auto r = ga::analyze(study(), ga::AnalysisOptions());
  EXPECT_EQ(find_corr(r, "epochs", ga::Metric::gpu_j), nullptr);  // no GPU values at all
  EXPECT_EQ(find(r, "epochs", 5, ga::Metric::gpu_j), nullptr);
  // total_j = cpu + dram (the measured components).
  const auto* t = find(r, "epochs", 5, ga::Metric::total_j);
  ASSERT_NE(t, nullptr);
  const auto* cpu = find(r, "epochs", 5, ga::Metric::cpu_package_j);
  EXPECT_NEAR(t->mean_mutant, cpu->mean_mutant * 1.1, 1e-9);
  // every metric row: 6 metrics minus gpu per hp
  EXPECT_EQ(r.correlations.size(), 2u * 5u);
}

TEST(Analysis, WinTieLoss) {
  auto r = ga::analyze(study(), ga::AnalysisOptions());
  // epochs 5: energy halves (5 vs 5 values, no ties: exact Mann-Whitney p = 2/252), a win.
  const auto* e5 = find(r, "epochs", 5, ga::Metric::cpu_package_j);
  ASSERT_NE(e5, nullptr);
  EXPECT_EQ(e5->method, "exact");
  EXPECT_NEAR(e5->p, 2.0 / 252.0, 1e-12);
  EXPECT_EQ(e5->cliffs_delta, -1.0);
  EXPECT_EQ(e5->outcome, ga::Outcome::win);
  EXPECT_EQ(e5->original_value, 10);
  EXPECT_EQ(e5->n_mutant, 5u);
  // epochs 20: more energy, a loss; better performance, a win.
  EXPECT_EQ(find(r, "epochs", 20, ga::Metric::total_j)->outcome, ga::Outcome::loss);
  EXPECT_EQ(find(r, "epochs", 20, ga::Metric::duration_s)->outcome, ga::Outcome::loss);
  EXPECT_EQ(find(r, "epochs", 20, ga::Metric::performance)->outcome, ga::Outcome::win);
  // epochs 5 keeps the original's performance values exactly: p = 1, delta = 0, a tie.
  const auto* p5 = find(r, "epochs", 5, ga::Metric::performance);
  EXPECT_EQ(p5->p, 1.0);
  EXPECT_EQ(p5->cliffs_delta, 0.0);
  EXPECT_EQ(p5->outcome, ga::Outcome::tie);
  // lr 0.1: same energy (identical values): tie; worse performance: loss.
  EXPECT_EQ(find(r, "lr", 0.1, ga::Metric::cpu_package_j)->outcome, ga::Outcome::tie);
  EXPECT_EQ(find(r, "lr", 0.1, ga::Metric::performance)->outcome, ga::Outcome::loss);
}

TEST(Analysis, AlphaAndNegligibleDecideTies) {
  ga::AnalysisOptions o;
  o.alpha = 0.005;  // the exact p of 2/252 = 0.0079 is no longer significant
  auto r = ga::analyze(study(), o);
  EXPECT_EQ(find(r, "epochs", 5, ga::Metric::cpu_package_j)->outcome, ga::Outcome::tie);
  // One epochs-5 run above every original: Cliff's delta -0.6, Student's t p = 0.0052 (SciPy).
  auto runs = study();
  runs[5].reading(EnergyDomain::cpu_package).joules = 102;
  ga::AnalysisOptions n;
  n.test = gs::TestKind::t_test;
  r = ga::analyze(runs, n);
  const auto* c = find(r, "epochs", 5, ga::Metric::cpu_package_j);
  EXPECT_NEAR(c->p, 0.005157325740911508, 1e-12);
  EXPECT_DOUBLE_EQ(c->cliffs_delta, -0.6);
  EXPECT_EQ(c->outcome, ga::Outcome::win);
  n.negligible = 0.7;
  r = ga::analyze(runs, n);
  EXPECT_EQ(find(r, "epochs", 5, ga::Metric::cpu_package_j)->outcome, ga::Outcome::tie);
  n.negligible = 0.6;  // |delta| < negligible is a tie; equal is not
  r = ga::analyze(runs, n);
  EXPECT_EQ(find(r, "epochs", 5, ga::Metric::cpu_package_j)->outcome, ga::Outcome::win);
  ga::AnalysisOptions t;
  t.test = gs::TestKind::welch;
  r = ga::analyze(study(), t);
  EXPECT_EQ(find(r, "epochs", 5, ga::Metric::cpu_package_j)->test, "welch");
  EXPECT_LT(find(r, "epochs", 5, ga::Metric::cpu_package_j)->p, 1e-6);
}

TEST(Analysis, TradeoffGridsCountMutants) {
  auto r = ga::analyze(study(), ga::AnalysisOptions());
  const ga::TradeoffGrid* epochs_cpu = nullptr;
  for (const auto& g : r.tradeoffs)
    if (g.hyperparameter == "epochs" && g.metric == ga::Metric::cpu_package_j) epochs_cpu = &g;
  ASSERT_NE(epochs_cpu, nullptr);
  EXPECT_EQ(epochs_cpu->total(), 2u);
  // epochs 5: energy win, performance tie; epochs 20: energy loss, performance win.
  EXPECT_EQ(epochs_cpu->counts[0][1], 1u);
  EXPECT_EQ(epochs_cpu->counts[2][0], 1u);
  // Summed over models: a second model doubles every count.
  auto two = study();
  auto other = study("m2");
  two.insert(two.end(), other.begin(), other.end());
  auto r2 = ga::analyze(two, ga::AnalysisOptions());
  for (const auto& g : r2.tradeoffs)
    if (g.hyperparameter == "epochs" && g.metric == ga::Metric::cpu_package_j) {
      EXPECT_EQ(g.counts[0][1], 2u);
      EXPECT_EQ(g.total(), 4u);
    }
  // tradeoffs exist only for energy metrics: cpu, dram, total for two hyperparameters.
  EXPECT_EQ(r.tradeoffs.size(), 6u);
}

TEST(Analysis, GreenerMutantsWithBootstrapInterval) {
  auto r = ga::analyze(study(), ga::AnalysisOptions());
  ASSERT_EQ(r.greener.size(), 3u);  // epochs 5 on cpu, dram, total
  for (const auto& g : r.greener) {
    EXPECT_EQ(g.hyperparameter, "epochs");
    EXPECT_EQ(g.value, 5);
    EXPECT_EQ(g.performance_outcome, ga::Outcome::tie);
    // cpu: original mean 100.1, mutant mean 50.1 (noise mean 0.1); dram and total scale alike
    EXPECT_NEAR(g.saving_percent, 100 * (100.1 - 50.1) / 100.1, 1e-9);
    EXPECT_LE(g.saving_low, g.saving_percent);
    EXPECT_GE(g.saving_high, g.saving_percent);
    EXPECT_GT(g.saving_low, 45.0);
    EXPECT_LT(g.saving_high, 55.0);
  }
  // Same seed, same intervals; another seed, other intervals.
  auto again = ga::analyze(study(), ga::AnalysisOptions());
  EXPECT_EQ(again.greener[0].saving_low, r.greener[0].saving_low);
  ga::AnalysisOptions o;
  o.bootstrap_seed = 99;
  auto other = ga::analyze(study(), o);
  EXPECT_TRUE(other.greener[0].saving_low != r.greener[0].saving_low ||
              other.greener[0].saving_high != r.greener[0].saving_high)
      << other.greener[0].saving_low << " " << other.greener[0].saving_high;
}

TEST(Analysis, StrengthSummaryCountsBins) {
  auto r = ga::analyze(study(), ga::AnalysisOptions());
  std::size_t total = 0;
  for (const auto& s : r.strength_summary) {
    for (auto c : s.counts) total += c;
    total += s.undefined;
    if (s.hyperparameter == "epochs" && s.metric == ga::Metric::cpu_package_j) {
      EXPECT_EQ(s.counts[static_cast<std::size_t>(gs::StrengthBin::strong_positive)], 1u);
    }
    // lr does not change energy: x varies, cpu varies only by noise repeated per config.
  }
  EXPECT_EQ(total, r.correlations.size());
}

TEST(Analysis, ConstantMetricGivesUndefinedCorrelationNotNan) {
  auto runs = study();
  for (auto& run : runs) run.performance = 0.5;
  auto r = ga::analyze(runs, ga::AnalysisOptions());
  const auto* c = find_corr(r, "epochs", ga::Metric::performance);
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->defined);
  EXPECT_EQ(c->spearman_p, 1.0);
  for (const auto& cmp : r.comparisons) {
    EXPECT_FALSE(std::isnan(cmp.p));
    if (cmp.metric == ga::Metric::performance) EXPECT_EQ(cmp.outcome, ga::Outcome::tie);
  }
}

TEST(Analysis, FailedRunsAreLeftOutWithANote) {
  auto runs = study();
  runs[5].status = RunStatus::failed;  // an epochs-5 run
  runs[5].reading(EnergyDomain::cpu_package).joules = 1e9;
  auto r = ga::analyze(runs, ga::AnalysisOptions());
  EXPECT_EQ(r.runs_not_succeeded, 1u);
  EXPECT_EQ(r.runs_used, runs.size() - 1);
  EXPECT_EQ(find(r, "epochs", 5, ga::Metric::cpu_package_j)->n_mutant, 4u);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes[0].find("did not succeed"), std::string::npos);
}

// A pruned run (stopped early by tune) is neither a success nor a failure: left out of every
// comparison (its partial energy would make the configuration look greener), counted apart.
TEST(Analysis, PrunedRunsAreLeftOutAndCountedApartFromFailures) {
  auto runs = study();
  runs[5].status = RunStatus::pruned;  // an epochs-5 run stopped early: little energy, low metric
  runs[5].reading(EnergyDomain::cpu_package).joules = 1.0;
  runs[5].performance = 0.1;
  runs[6].status = RunStatus::diverged;
  auto r = ga::analyze(runs, ga::AnalysisOptions());
  EXPECT_EQ(r.runs_pruned, 1u);
  EXPECT_EQ(r.runs_not_succeeded, 1u);
  EXPECT_EQ(r.runs_used, runs.size() - 2);
  EXPECT_EQ(find(r, "epochs", 5, ga::Metric::cpu_package_j)->n_mutant, 3u);
  ASSERT_EQ(r.notes.size(), 2u);
  EXPECT_NE(r.notes[0].find("1 of 20 runs did not succeed"), std::string::npos) << r.notes[0];
  EXPECT_NE(r.notes[1].find("1 of 20 runs were pruned"), std::string::npos) << r.notes[1];
  auto j = ga::to_json(r);
  EXPECT_EQ(j["input"]["pruned"], 1);
  EXPECT_EQ(j["input"]["not_succeeded"], 1);
  // Inputs without pruned runs keep their JSON as it was (no "pruned" key).
  EXPECT_FALSE(ga::to_json(ga::analyze(study(), ga::AnalysisOptions()))["input"].contains("pruned"));
}

TEST(Analysis, EstimatedEnergyIsLeftOutUnlessAsked) {
  auto runs = study();
  for (auto& run : runs) run.reading(EnergyDomain::cpu_package).source = EnergySource::estimated;
  auto r = ga::analyze(runs, ga::AnalysisOptions());
  EXPECT_EQ(find_corr(r, "epochs", ga::Metric::cpu_package_j), nullptr);
  EXPECT_NE(find_corr(r, "epochs", ga::Metric::dram_j), nullptr);
  // total_j is then dram only
  EXPECT_NEAR(find(r, "epochs", 5, ga::Metric::total_j)->mean_mutant,
              find(r, "epochs", 5, ga::Metric::dram_j)->mean_mutant, 1e-12);
  EXPECT_EQ(r.estimated_values, runs.size());
  bool noted = false;
  for (const auto& n : r.notes) noted = noted || n.find("--include-estimated") != std::string::npos;
  EXPECT_TRUE(noted);

  ga::AnalysisOptions o;
  o.include_estimated = true;
  auto e = ga::analyze(runs, o);
  const auto* c = find_corr(e, "epochs", ga::Metric::cpu_package_j);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->estimated);
  EXPECT_TRUE(find(e, "epochs", 5, ga::Metric::total_j)->estimated);
  EXPECT_FALSE(find(e, "epochs", 5, ga::Metric::dram_j)->estimated);
  EXPECT_FALSE(find(e, "epochs", 5, ga::Metric::duration_s)->estimated);
}

TEST(Analysis, GroupWithoutOriginalNamesTheLine) {
  auto runs = study();
  auto par = study("m", "parallel", "other");
  for (auto& run : par)
    if (run.op == "original") run.op = "epochs", run.hp["epochs"] = 7;
  runs.insert(runs.end(), par.begin(), par.end());
  std::vector<std::string> origins;
  for (std::size_t i = 0; i < runs.size(); ++i) origins.push_back("runs.csv:" + std::to_string(i + 2));
  auto msg = error_of(runs, origins);
  EXPECT_NE(msg.find("runs.csv:22:"), std::string::npos) << msg;  // first run of the parallel group
  EXPECT_NE(msg.find("no 'original' runs"), std::string::npos) << msg;
  EXPECT_NE(msg.find("co-runner 'other'"), std::string::npos) << msg;
}

TEST(Analysis, InconsistentOriginalOrMissingValueIsAnError) {
  auto runs = study();
  runs[2].hp["lr"] = 0.5;  // an original run with another lr
  EXPECT_NE(error_of(runs).find("disagree on hp.lr"), std::string::npos);
  runs = study();
  runs[1].hp.erase("epochs");
  auto msg = error_of(runs);
  EXPECT_NE(msg.find("run #2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hp.epochs"), std::string::npos) << msg;
}

TEST(Analysis, BadOptionsAreUsageErrors) {
  ga::AnalysisOptions o;
  o.alpha = 0;
  EXPECT_THROW(ga::analyze(study(), o), greentune::Error);
  o = ga::AnalysisOptions();
  o.strength = {0.7, 0.5};
  EXPECT_THROW(ga::analyze(study(), o), greentune::Error);
}

TEST(Analysis, ParallelVsSingle) {
  auto runs = study();
  auto par = study("m", "parallel", "resnet20", 1.5);
  runs.insert(runs.end(), par.begin(), par.end());
  auto r = ga::analyze(runs, ga::AnalysisOptions());
  ASSERT_FALSE(r.parallel_correlations.empty());
  for (const auto& p : r.parallel_correlations) {
    EXPECT_EQ(p.corunner, "resnet20");
    const auto* s = find_corr(r, p.hyperparameter, p.metric, Scenario::single);
    const auto* q = find_corr(r, p.hyperparameter, p.metric, Scenario::parallel);
    EXPECT_EQ(p.single_rho, s->spearman_rho);
    EXPECT_EQ(p.parallel_rho, q->spearman_rho);
    EXPECT_EQ(p.bin_changed, s->strength != q->strength);
  }
  // The original alone and beside the co-runner: cpu energy 1.5x, +50 %.
  bool found = false;
  for (const auto& e : r.parallel_energy) {
    if (e.configuration == "original" && e.metric == ga::Metric::cpu_package_j) {
      found = true;
      EXPECT_NEAR(e.change_percent, 50.0, 1e-9);
      EXPECT_EQ(e.n_single, 5u);
      EXPECT_EQ(e.n_parallel, 5u);
      EXPECT_LT(e.p, 0.05);
    }
  }
  EXPECT_TRUE(found);
  bool mutant = false;
  for (const auto& e : r.parallel_energy) mutant = mutant || e.configuration == "epochs=5";
  EXPECT_TRUE(mutant);
}

TEST(Analysis, JsonFieldNamesAndStreamedJsonAgree) {
  auto runs = study();
  auto par = study("m", "parallel", "resnet20", 1.5);
  runs.insert(runs.end(), par.begin(), par.end());
  auto r = ga::analyze(runs, ga::AnalysisOptions());
  auto j = ga::to_json(r);
  for (const char* k : {"correlations", "comparisons", "tradeoffs", "greener", "strength_summary",
                        "parallel_vs_single", "options", "input", "notes"})
    EXPECT_TRUE(j.contains(k)) << k;
  for (const char* k : {"model", "scenario", "corunner", "hyperparameter", "metric", "n", "spearman_rho", "spearman_p",
                        "pearson_r", "pearson_p"})
    EXPECT_TRUE(j["correlations"][0].contains(k)) << k;
  for (const char* k : {"model", "scenario", "corunner", "hyperparameter", "value", "metric", "test", "p",
                        "cliffs_delta", "outcome"})
    EXPECT_TRUE(j["comparisons"][0].contains(k)) << k;
  for (const auto& c : j["comparisons"]) {
    const std::string o = c["outcome"];
    EXPECT_TRUE(o == "win" || o == "tie" || o == "loss");
  }
  EXPECT_EQ(j["tradeoffs"][0]["counts"]["win"].size(), 3u);
  std::ostringstream out;
  ga::write_json(out, r);
  EXPECT_EQ(nlohmann::json::parse(out.str()), j);
  EXPECT_NE(ga::format_text(r).find("Trade-off grids"), std::string::npos);
}

TEST(Analysis, ThreadsDoNotChangeResults) {
  std::vector<RunRecord> runs;
  for (int m = 0; m < 40; ++m) {
    auto s = study("model" + std::to_string(m), "single", "", 1.0 + m * 0.01);
    runs.insert(runs.end(), s.begin(), s.end());
  }
  ga::AnalysisOptions one, four;
  one.threads = 1;
  four.threads = 4;
  std::ostringstream a, b;
  ga::write_json(a, ga::analyze(runs, one));
  ga::write_json(b, ga::analyze(runs, four));
  EXPECT_EQ(a.str(), b.str());
}
