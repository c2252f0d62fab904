// The report draws what the analysis returns: on a study that mixes measured and estimated
// energy domains (resnet20's DRAM is estimated, its CPU package measured; mnist_cnn all
// measured), every per-configuration energy, performance and duration figure of the report
// equals the analysis's own numbers, with estimates left out by default and included (and
// labelled) only when the analysis includes them.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <tuple>

#include "greentune/core/number_format.hpp"
#include "report_fixture.hpp"

using namespace greentune;
using namespace greentune::report;

namespace {

using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;  // model, scenario, corunner, hp, value

const Table& configurations_table(const std::vector<Section>& sections) {
  for (const auto& s : sections)
    for (const auto& t : s.tables)
      if (t.file_stem == "configurations") return t.table;
  throw std::runtime_error("no configurations table");
}

std::size_t column(const Table& t, const std::string& name) {
  for (std::size_t i = 0; i < t.columns.size(); ++i)
    if (t.columns[i] == name) return i;
  throw std::runtime_error("no column " + name);
}

ReportInput analysed(bool include_estimated) {
  ReportInput in;
  in.runs = fixture::make_runs();
  analysis::AnalysisOptions o;
  o.bootstrap_resamples = 50;
  o.include_estimated = include_estimated;
  in.analysis = analysis::analyze(in.runs, o);
  return in;
}

// The report's mean energy (and performance, duration) per configuration against the
// analysis's comparison rows of the same configuration.
void expect_agreement(bool include_estimated) {
  SCOPED_TRACE(include_estimated ? "with estimates" : "estimates left out");
  const ReportInput in = analysed(include_estimated);
  const auto sections = build_sections(in);
  const Table& t = configurations_table(sections);
  const std::size_t c_model = column(t, "model"), c_scenario = column(t, "scenario"),
                    c_corunner = column(t, "co-runner"), c_hp = column(t, "hyperparameter"),
                    c_value = column(t, "value"), c_original = column(t, "original"),
                    c_energy = column(t, "mean energy J"), c_kind = column(t, "energy"),
                    c_perf = column(t, "mean performance");
  std::map<std::pair<Key, analysis::Metric>, const analysis::ComparisonRow*> by_key;
  for (const auto& c : in.analysis.comparisons)
    by_key[{{c.model, to_string(c.scenario), c.corunner, c.hyperparameter, format_exact(c.value)}, c.metric}] = &c;

  std::size_t compared = 0, estimated_rows = 0;
  for (const auto& row : t.rows) {
    const Key key{row[c_model].text, row[c_scenario].text, row[c_corunner].text, row[c_hp].text, row[c_value].raw};
    if (row[c_original].text == "yes") continue;  // originals: checked through the mutants' mean_original below
    auto total = by_key.find({key, analysis::Metric::total_j});
    ASSERT_NE(total, by_key.end()) << std::get<0>(key) << " " << std::get<3>(key) << "=" << std::get<4>(key);
    EXPECT_EQ(row[c_energy].raw, format_exact(total->second->mean_mutant)) << std::get<0>(key);
    const bool est = row[c_kind].text == "estimate";
    EXPECT_EQ(est, total->second->estimated) << std::get<0>(key);
    estimated_rows += est;
    auto perf = by_key.find({key, analysis::Metric::performance});
    ASSERT_NE(perf, by_key.end());
    EXPECT_EQ(row[c_perf].raw, format_exact(perf->second->mean_mutant));
    ++compared;
  }
  EXPECT_GT(compared, 30u);
  // The original's figures: one report row per (group, hyperparameter) against mean_original.
  std::size_t originals = 0;
  for (const auto& row : t.rows) {
    if (row[c_original].text != "yes") continue;
    for (const auto& c : in.analysis.comparisons) {
      if (c.metric != analysis::Metric::total_j || c.model != row[c_model].text ||
          to_string(c.scenario) != row[c_scenario].text || c.corunner != row[c_corunner].text ||
          c.hyperparameter != row[c_hp].text)
        continue;
      EXPECT_EQ(row[c_energy].raw, format_exact(c.mean_original)) << c.model << " " << c.hyperparameter;
      ++originals;
      break;
    }
  }
  EXPECT_GT(originals, 5u);
  // resnet20's DRAM is estimated: marked only when included.
  if (include_estimated)
    EXPECT_GT(estimated_rows, 0u);
  else
    EXPECT_EQ(estimated_rows, 0u);
}

TEST(ReportAgreesWithAnalysis, EstimatesLeftOut) { expect_agreement(false); }
TEST(ReportAgreesWithAnalysis, EstimatesIncluded) { expect_agreement(true); }

TEST(ReportAgreesWithAnalysis, MixedDomainsTotalIsTheAnalysisTotal) {
  // resnet20: CPU package measured, DRAM estimated. Left out, the total is the package alone;
  // included, it is package + DRAM, and the report's per-run dots are those totals.
  for (bool include : {false, true}) {
    const ReportInput in = analysed(include);
    for (std::size_t i = 0; i < in.runs.size(); ++i) {
      const RunRecord& r = in.runs[i];
      if (r.model != "resnet20" || r.status != RunStatus::succeeded) continue;
      const auto total = in.analysis.run_values[i].get(analysis::Metric::total_j);
      ASSERT_TRUE(total.has_value());
      const double pkg = *r.reading(EnergyDomain::cpu_package).joules;
      const double dram = *r.reading(EnergyDomain::dram).joules;
      EXPECT_EQ(*total, include ? pkg + dram : pkg);
      EXPECT_EQ(in.analysis.run_values[i].is_estimated(analysis::Metric::total_j), include);
    }
  }
}

}  // namespace
