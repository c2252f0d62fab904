// RunTable: the analysis's own CSV reader gives what the store's reader gives (values, lines,
// errors), in one part and in parallel parts, and the analysis of either is the same document.
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "greentune/analysis/analysis.hpp"
#include "greentune/analysis/load_runs.hpp"
#include "greentune/analysis/run_table.hpp"
#include "greentune/core/error.hpp"

namespace ga = greentune::analysis;

namespace {

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    static int counter = 0;
    path_ = ::testing::TempDir() + "/run_table_test_" + std::to_string(++counter) + ".csv";
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The table read by the analysis's reader against the store's RunRecords, run by run.
void expect_same(const ga::LoadedTable& fast, const ga::LoadedRuns& store) {
  const ga::RunTable& t = fast.table;
  ASSERT_EQ(t.size(), store.runs.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    SCOPED_TRACE("run " + std::to_string(i));
    const greentune::RunRecord& r = store.runs[i];
    EXPECT_EQ(t.str(t.model[i]), r.model);
    EXPECT_EQ(t.str(t.corunner[i]), r.corunner);
    EXPECT_EQ(t.str(t.op[i]), r.op);
    EXPECT_EQ(t.str(t.performance_metric[i]), r.performance_metric);
    EXPECT_EQ(t.str(t.node[i]), r.node);
    EXPECT_EQ(t.scenario[i], r.scenario);
    EXPECT_EQ(t.status[i], r.status);
    EXPECT_EQ(static_cast<bool>(t.higher_is_better[i]), r.higher_is_better);
    const auto& m = t.measures[i];
    for (std::size_t d = 0; d < 3; ++d) {
      ASSERT_EQ(m.has(d), r.energy[d].joules.has_value());
      if (m.has(d)) EXPECT_EQ(m.value[d], *r.energy[d].joules);
      EXPECT_EQ(m.is_estimated(d), r.energy[d].estimated());
    }
    ASSERT_EQ(m.has(ga::RunMeasures::kDuration), r.duration_s.has_value());
    if (r.duration_s) EXPECT_EQ(m.value[ga::RunMeasures::kDuration], *r.duration_s);
    ASSERT_EQ(m.has(ga::RunMeasures::kPerformance), r.performance.has_value());
    if (r.performance) EXPECT_EQ(m.value[ga::RunMeasures::kPerformance], *r.performance);
    std::size_t present = 0;
    for (std::size_t c = 0; c < t.hp_names.size(); ++c) {
      const std::size_t k = i * t.hp_names.size() + c;
      auto it = r.hp.find(t.hp_names[c]);
      ASSERT_EQ(static_cast<bool>(t.hp_present[k]), it != r.hp.end()) << t.hp_names[c];
      if (t.hp_present[k]) {
        EXPECT_EQ(t.hp[k], it->second);
        ++present;
      }
    }
    EXPECT_EQ(present, r.hp.size());
    EXPECT_EQ(fast.origins(i), store.origin(i));
  }
}

std::string json_of(const ga::AnalysisResult& r) {
  std::ostringstream out;
  ga::write_json(out, r);
  return out.str();
}

void expect_same_file(const std::string& text) {
  TempFile file(text);
  const auto fast = ga::load_run_table(file.path());
  const auto store = ga::load_runs(file.path());
  expect_same(fast, store);
  ga::AnalysisOptions o;
  o.include_estimated = true;
  EXPECT_EQ(json_of(ga::analyze(fast.table, o, fast.origins)), json_of(ga::analyze(store.runs, o, store.origins)));
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const greentune::Error& e) {
    return e.what();
  }
  return "(no error)";
}

const char* kHeader =
    "model,scenario,corunner,operator,repetition,hp.epochs,hp.lr,cpu_package_j,dram_j,gpu_j,duration_s,performance";

// A small study as CSV rows: an original and two epochs mutants, `reps` repetitions.
std::string rows(const std::string& model, const std::string& scenario, const std::string& corunner, int reps,
                 const std::string& tail = "") {
  std::string out;
  const char* ops[3][2] = {{"original", "10"}, {"epochs", "5"}, {"epochs", "20"}};
  for (const auto& op : ops)
    for (int r = 0; r < reps; ++r) {
      const double e = std::stod(op[1]);
      out += model + "," + scenario + "," + corunner + "," + op[0] + "," + std::to_string(r) + "," + op[1] + ",0.1," +
             std::to_string(10 * e + r * 0.37) + "," + std::to_string(e + r * 0.11) + ",," +
             std::to_string(e / 2 + r * 0.05) + "," + std::to_string(0.8 + e / 100 + r * 0.003) + tail + "\n";
    }
  return out;
}

}  // namespace

TEST(RunTable, SameAsTheStoreReader) {
  expect_same_file(std::string(kHeader) + "\n" + rows("a", "single", "", 5) + rows("b", "single", "", 5) +
                   rows("a", "parallel", "b", 5));
}

TEST(RunTable, OptionalColumnsBlankCellsAndBlankLines) {
  std::string text = "\xEF\xBB\xBF\n" + std::string(kHeader) +
                     ",performance_metric,higher_is_better,status,node,cpu_package_source,note\n";
  text += "m,single,,original,0,10,0.1,100, ,,5,0.5,val_loss,0,succeeded,n1,estimated,x\n\n\n";
  text += "m,single,,original,1,10,0.1,101,3,,5.5,0.4,,,,n1,rapl,\n";
  text += "m,single,,lr,0,10,0.2,90,3,,4,0.3,, FALSE ,failed,n2,,y\n";
  text += "m,single,,lr,1,10,0.2,91,2,,+4.5,0.35,,,succeeded,n2,perf,\n";
  text += "k,single,,original,0,10,0.1,100,3,,5,0.5,acc,,succeeded,,,\n";
  text += "k,single,,epochs,1, 20 ,0.1,200,3,,9,0.6,,TRUE,diverged,,nvml-energy,";  // no final line end
  expect_same_file(text);
}

TEST(RunTable, QuotesAndCarriageReturnsAreReadByTheStore) {
  std::string text = std::string(kHeader) + ",note\r\n";
  text += "\"a\",single,,original,0,10,0.1,1,2,,3,0.5,\"x, y\"\r\n";
  text += "a,single,,epochs,0,20,0.1,2,2,,3,0.5,\"multi\nline\"\r\n";
  text += "a,single,,epochs,1,20,0.1,2.5,2,,3,0.6,\r\n";
  expect_same_file(text);
}

TEST(RunTable, ParallelPartsGiveTheSameTable) {
  // Over 4 MB: read in parallel parts, whose text ids are merged.
  std::string text = std::string(kHeader) + ",performance_metric,higher_is_better,node\n";
  for (int m = 0; text.size() < (5u << 20); ++m) {
    const std::string model = "model" + std::to_string(m % 97) + "_" + std::to_string(m);
    text += rows(model, "single", "", 5, ",metric" + std::to_string(m % 3) + "," + std::to_string(m % 2) + ",n" +
                                             std::to_string(m % 5));
    if (m % 7 == 0) text += "\n";
  }
  expect_same_file(text);
}

TEST(RunTable, ErrorsAreTheStoreReadersErrors) {
  const std::string head = std::string(kHeader) + ",higher_is_better,status,cpu_package_source\n";
  const std::string good = "m,single,,original,0,10,0.1,1,2,,3,0.5,1,succeeded,rapl\n";
  const std::vector<std::string> bad = {
      head + good + "m,single,,original,1,10,0.1,1,2x,,3,0.5,1,succeeded,rapl\n",   // not a number
      head + good + "m,single,,original,1,10,0.1,1,2,,3,0.5,1,done,rapl\n",         // unknown status
      head + good + "m,single,,original,1,10,0.1,1,2,,3,0.5,1,succeeded,Estimate\n", // unknown source
      head + good + "m,alone,,original,1,10,0.1,1,2,,3,0.5,1,succeeded,rapl\n",      // unknown scenario
      head + good + "m,single,,original,1,10,0.1,1,2,,3,0.5,0,succeeded,rapl\n",     // direction conflict
      head + good + "m,single,,original,1,10,0.1,1,2,,3,0.5,yes,succeeded,rapl\n",   // bad direction
      head + good + "m,single,,gamma,1,10,0.1,1,2,,3,0.5,1,succeeded,rapl\n",        // no hp.gamma
      head + good + "m,single,,epochs,1,,0.1,1,2,,3,0.5,1,succeeded,rapl\n",         // no value to mutate
      head + good + "m,single,,original,1.5,10,0.1,1,2,,3,0.5,1,succeeded,rapl\n",   // repetition
      head + good + "m,single,,original,1,10,0.1,1,2,,3,0.5,1,succeeded\n",          // field count
      head + good + ",single,,original,1,10,0.1,1,2,,3,0.5,1,succeeded,rapl\n",      // empty model
      head + good + "m,single,,,1,10,0.1,1,2,,3,0.5,1,succeeded,rapl\n",             // empty operator
      "model,scenario,operator\nm,single,original\n",                                // missing column
      std::string(kHeader) + ",hp.\n",                                               // hp without name
      std::string(kHeader) + ",model\n",                                             // duplicate
      "",                                                                            // empty file
  };
  for (const auto& text : bad) {
    SCOPED_TRACE(text);
    TempFile file(text);
    const std::string expected = error_of([&] { ga::load_runs(file.path(), true); });
    EXPECT_NE(expected, "(no error)");
    EXPECT_EQ(error_of([&] { ga::load_run_table(file.path(), true); }), expected);
  }
  EXPECT_EQ(error_of([] { ga::load_run_table("/nonexistent/runs.csv"); }),
            error_of([] { ga::load_runs("/nonexistent/runs.csv"); }));
}

TEST(RunTable, SelectNodesAsOnRunRecords) {
  std::string text = std::string(kHeader) + ",node\n" + rows("a", "single", "", 2, ",n1") + rows("a", "single", "", 2, ",n2");
  TempFile file(text);
  auto fast = ga::load_run_table(file.path());
  auto store = ga::load_runs(file.path());
  std::ostringstream warn_fast, warn_store;
  ga::select_nodes(fast, {}, &warn_fast);
  ga::select_nodes(store, {}, &warn_store);
  EXPECT_EQ(warn_fast.str(), warn_store.str());
  EXPECT_NE(warn_fast.str(), "");
  ga::select_nodes(fast, {"n2"}, nullptr);
  ga::select_nodes(store, {"n2"}, nullptr);
  expect_same(fast, store);
  EXPECT_EQ(error_of([&] { ga::select_nodes(fast, {"n9"}, nullptr); }),
            error_of([&] { ga::select_nodes(store, {"n9"}, nullptr); }));
}
