// The runs interchange CSV: round trip, unknown columns, empty cells, one-line errors.
#include <sstream>

#include <gtest/gtest.h>

#include "greentune/core/error.hpp"
#include "greentune/store/interchange.hpp"

namespace st = greentune::store;
using greentune::RunRecord;
using greentune::EnergyDomain;
using greentune::EnergySource;
using greentune::RunStatus;
using greentune::Scenario;

namespace {

const char* kHeader =
    "model,scenario,corunner,operator,repetition,hp.epochs,hp.lr,cpu_package_j,dram_j,gpu_j,duration_s,performance";

std::string error_of(const std::string& text) {
  try {
    std::istringstream in(text);
    st::read_runs_csv(in, "runs.csv");
  } catch (const greentune::Error& e) {
    EXPECT_EQ(e.kind(), greentune::ErrorKind::input);
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Interchange, RoundTripIsExact) {
  RunRecord a;
  a.model = "mnist_cnn";
  a.op = "lr";
  a.repetition = 3;
  a.hp = {{"epochs", 14}, {"lr", 0.1 + 0.2}, {"gamma", 1.0 / 3.0}};
  a.reading(EnergyDomain::cpu_package).joules = 1234.5678901234567;
  a.reading(EnergyDomain::dram).joules = 1e-300;
  a.duration_s = 61.25;
  a.performance = 0.9912;
  a.node = "node-1";
  a.reading(EnergyDomain::cpu_package).source = EnergySource::rapl;
  a.extra = {{"note", "has, a comma and \"quotes\"\nand a newline"}};
  RunRecord b;
  b.model = "resnet20";
  b.scenario = Scenario::parallel;
  b.corunner = "mnist_cnn";
  b.repetition = 0;
  b.hp = {{"epochs", 200}, {"weight_decay", 1e-4}};
  b.reading(EnergyDomain::gpu).joules = 5.0;
  b.status = RunStatus::failed;
  std::ostringstream out;
  st::write_runs_csv(out, {a, b});
  std::istringstream in(out.str());
  auto runs = st::read_runs_csv(in, "mem");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].model, "mnist_cnn");
  EXPECT_EQ(runs[0].op, "lr");
  EXPECT_EQ(runs[0].repetition, 3);
  EXPECT_EQ(runs[0].hp, a.hp);  // bit-for-bit
  EXPECT_EQ(runs[0].hp.at("lr"), 0.1 + 0.2);
  EXPECT_EQ(*runs[0].reading(EnergyDomain::cpu_package).joules, *a.reading(EnergyDomain::cpu_package).joules);
  EXPECT_EQ(*runs[0].reading(EnergyDomain::dram).joules, 1e-300);
  EXPECT_FALSE(runs[0].reading(EnergyDomain::gpu).joules.has_value());  // empty cell: not measured, not 0
  EXPECT_EQ(runs[0].node, "node-1");
  EXPECT_EQ(runs[0].status, RunStatus::succeeded);
  EXPECT_EQ(runs[0].reading(EnergyDomain::cpu_package).source, EnergySource::rapl);
  EXPECT_EQ(runs[0].extra, a.extra);
  EXPECT_EQ(runs[1].scenario, Scenario::parallel);
  EXPECT_EQ(runs[1].corunner, "mnist_cnn");
  EXPECT_EQ(runs[1].hp, b.hp);  // model without lr: no hp.lr value at all
  EXPECT_EQ(runs[1].status, RunStatus::failed);
  EXPECT_FALSE(runs[1].performance.has_value());
  // Writing what was read gives the same text.
  std::ostringstream again;
  st::write_runs_csv(again, runs);
  EXPECT_EQ(again.str(), out.str());
}

TEST(Interchange, UnknownColumnsAreKeptAndOrderIsFree) {
  std::istringstream in(
      "performance,gpu_j,extra_col,duration_s,dram_j,cpu_package_j,hp.epochs,repetition,operator,corunner,"
      "scenario,model\r\n0.5,,x y,10,1,2,14,4,original,,single,m\r\n");
  auto runs = st::read_runs_csv(in, "r.csv");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].model, "m");
  EXPECT_EQ(runs[0].repetition, 4);
  EXPECT_EQ(runs[0].extra.at("extra_col"), "x y");
  EXPECT_EQ(*runs[0].performance, 0.5);
  EXPECT_EQ(runs[0].hp.at("epochs"), 14);
}

TEST(Interchange, LinesAreTracked) {
  std::string text = std::string(kHeader) + "\nm,single,,original,0,14,1,1,1,,2,0.9\n\n\"m\nx\",single,,original,1,14,1,1,1,,2,0.9\n"
                     "m,single,,original,2,14,1,1,1,,2,0.9\n";
  auto table = st::read_runs_table(text, "t.csv");
  ASSERT_EQ(table.lines.size(), 3u);
  EXPECT_EQ(table.lines[0], 2);
  EXPECT_EQ(table.lines[1], 4);  // a blank line is skipped
  EXPECT_EQ(table.lines[2], 6);  // the quoted newline counts
  EXPECT_EQ(table.runs[1].model, "m\nx");
}

TEST(Interchange, MissingColumnIsAnErrorNamingIt) {
  auto msg = error_of("model,scenario,corunner,operator,repetition,hp.lr,cpu_package_j,dram_j,gpu_j,performance\n");
  EXPECT_NE(msg.find("runs.csv:1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'duration_s'"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  EXPECT_NE(error_of("").find("header"), std::string::npos);
}

TEST(Interchange, NonNumericCellNamesLineAndColumn) {
  auto msg = error_of(std::string(kHeader) + "\nm,single,,original,0,14,1,1,1,,2,0.9\nm,single,,original,1,14,1,abc,1,,2,0.9\n");
  EXPECT_NE(msg.find("runs.csv:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cpu_package_j"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'abc'"), std::string::npos) << msg;
  msg = error_of(std::string(kHeader) + "\nm,single,,original,0,fourteen,1,1,1,,2,0.9\n");
  EXPECT_NE(msg.find("runs.csv:2: column 'hp.epochs'"), std::string::npos) << msg;
  msg = error_of(std::string(kHeader) + "\nm,single,,original,0.5,14,1,1,1,,2,0.9\n");
  EXPECT_NE(msg.find("repetition"), std::string::npos) << msg;
  msg = error_of(std::string(kHeader) + "\nm,single,,original,0,14,1,inf,1,,2,0.9\n");
  EXPECT_NE(msg.find("not a number"), std::string::npos) << msg;
}

TEST(Interchange, OtherBadRows) {
  EXPECT_NE(error_of(std::string(kHeader) + "\nm,single,,original,0,14,1\n").find("runs.csv:2: 7 fields"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kHeader) + "\nm,alone,,original,0,14,1,1,1,,2,0.9\n").find("'alone'"),
            std::string::npos);
  // A mutant of gamma needs hp.gamma.
  auto msg = error_of(std::string(kHeader) + "\nm,single,,gamma,0,14,1,1,1,,2,0.9\n");
  EXPECT_NE(msg.find("runs.csv:2: column 'hp.gamma'"), std::string::npos) << msg;
  EXPECT_NE(error_of(std::string(kHeader) + ",model\n").find("duplicate"), std::string::npos);
  EXPECT_NE(error_of(std::string(kHeader) + "\nm,single,,\"orig").find("unterminated"), std::string::npos);
}

TEST(Interchange, MissingFileIsAnIoError) {
  try {
    st::read_runs_csv(std::string("/nonexistent/runs.csv"));
    FAIL();
  } catch (const greentune::Error& e) {
    EXPECT_EQ(e.kind(), greentune::ErrorKind::io);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/runs.csv"), std::string::npos);
  }
}

// ---- the performance metric's name and direction (higher_is_better) ----

namespace {
const char* kDirHeader =
    "model,scenario,corunner,operator,repetition,hp.epochs,cpu_package_j,dram_j,gpu_j,duration_s,performance,"
    "performance_metric,higher_is_better";
}  // namespace

TEST(Interchange, DirectionRoundTripsAsOneOrZero) {
  RunRecord a;
  a.model = "ext";
  a.hp = {{"epochs", 3}};
  a.performance = 0.25;
  a.performance_metric = "val_loss";
  a.higher_is_better = false;
  RunRecord b;
  b.model = "mnist_cnn";
  b.hp = {{"epochs", 3}};
  b.performance_metric = "test_accuracy";
  std::ostringstream out;
  st::write_runs_csv(out, {a, b});
  const std::string text = out.str();
  EXPECT_NE(text.find(",performance,performance_metric,higher_is_better,status,node"), std::string::npos) << text;
  EXPECT_NE(text.find(",0.25,val_loss,0,succeeded,"), std::string::npos) << text;
  EXPECT_NE(text.find(",,test_accuracy,1,succeeded,"), std::string::npos) << text;
  std::istringstream in(text);
  auto runs = st::read_runs_csv(in, "mem");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_FALSE(runs[0].higher_is_better);
  EXPECT_EQ(runs[0].performance_metric, "val_loss");
  EXPECT_TRUE(runs[1].higher_is_better);
  EXPECT_EQ(runs[1].performance_metric, "test_accuracy");
  EXPECT_TRUE(runs[0].extra.empty());  // known columns, not extras
}

TEST(Interchange, DirectionDefaultsAndSpellings) {
  // No column: higher-is-better, unnamed (files from older versions).
  std::istringstream old(std::string(kHeader) + "\nm,single,,original,0,14,1,1,1,,2,0.9\n");
  auto runs = st::read_runs_csv(old, "old.csv");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(runs[0].higher_is_better);
  EXPECT_EQ(runs[0].performance_metric, "");
  // true/false in any case; an empty cell takes its model's direction and name from its
  // other rows, or the default when none gives one.
  std::istringstream in(std::string(kDirHeader) +
                        "\na,single,,original,0,1,1,1,,2,0.9,,\n"
                        "a,single,,original,1,1,1,1,,2,0.9,loss, FALSE \n"
                        "b,single,,original,0,1,1,1,,2,0.9,acc,True\n"
                        "c,single,,original,0,1,1,1,,2,0.9,,0\n"
                        "d,single,,original,0,1,1,1,,2,0.9,,\n");
  runs = st::read_runs_csv(in, "r.csv");
  ASSERT_EQ(runs.size(), 5u);
  EXPECT_FALSE(runs[0].higher_is_better);  // from its model's second row
  EXPECT_EQ(runs[0].performance_metric, "loss");
  EXPECT_FALSE(runs[1].higher_is_better);
  EXPECT_TRUE(runs[2].higher_is_better);
  EXPECT_EQ(runs[2].performance_metric, "acc");
  EXPECT_FALSE(runs[3].higher_is_better);
  EXPECT_TRUE(runs[4].higher_is_better);  // nothing given: the default
}

TEST(Interchange, BadOrMixedDirectionIsAOneLineError) {
  auto msg = error_of(std::string(kDirHeader) + "\nm,single,,original,0,1,1,1,,2,0.9,loss,0\n"
                                                "m,single,,original,1,1,1,1,,2,0.9,loss,yes\n");
  EXPECT_NE(msg.find("runs.csv:3: column 'higher_is_better': 'yes'"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  msg = error_of(std::string(kDirHeader) + "\nm,single,,original,0,1,1,1,,2,0.9,loss,0\n"
                                           "n,single,,original,0,1,1,1,,2,0.9,acc,1\n"
                                           "m,single,,epochs,0,2,1,1,,2,0.9,loss,1\n");
  EXPECT_NE(msg.find("runs.csv:4: column 'higher_is_better'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'m'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 2"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  msg = error_of(std::string(kDirHeader) + "\nm,single,,original,0,1,1,1,,2,0.9,loss,0\n"
                                           "m,single,,epochs,0,2,1,1,,2,0.9,error_rate,0\n");
  EXPECT_NE(msg.find("runs.csv:3: column 'performance_metric'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'error_rate'"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
}

TEST(Interchange, StatusScenarioAndSourceTakeOneSpellingEach) {
  const std::string header = std::string(kHeader) + ",status,dram_source\n";
  auto table = st::read_runs_table(header + "m,parallel,x,original,0,14,1,1,1,,2,0.9,timeout,estimated\n"
                                            "m,single,,original,1,14,1,1,1,,2,0.9,,\n"
                                            "m,single,,original,2,14,1,1,1,,2,0.7,pruned,\n",
                                   "t.csv");
  ASSERT_EQ(table.runs.size(), 3u);
  EXPECT_EQ(table.runs[2].status, RunStatus::pruned);
  EXPECT_EQ(table.runs[0].scenario, Scenario::parallel);
  EXPECT_EQ(table.runs[0].status, RunStatus::timeout);
  EXPECT_EQ(table.runs[0].reading(EnergyDomain::dram).source, EnergySource::estimated);
  EXPECT_TRUE(table.runs[0].reading(EnergyDomain::dram).estimated());
  EXPECT_EQ(table.runs[1].status, RunStatus::succeeded);  // empty status: a finished run
  EXPECT_EQ(table.runs[1].reading(EnergyDomain::dram).source, EnergySource::unknown);
  EXPECT_TRUE(table.runs[0].extra.empty());  // sources are readings, not extra columns

  auto msg = error_of(header + "m,single,,original,0,14,1,1,1,,2,0.9,done,rapl\n");
  EXPECT_NE(msg.find("runs.csv:2: column 'status': unknown run status 'done' (one of: pending, running, "
                     "succeeded, failed, diverged, timeout, pruned)"),
            std::string::npos)
      << msg;
  msg = error_of(header + "m,single,,original,0,14,1,1,1,,2,0.9,succeeded,Estimate\n");
  EXPECT_NE(msg.find("runs.csv:2: column 'dram_source': unknown energy source 'Estimate'"), std::string::npos) << msg;
  msg = error_of(header + "m,solo,,original,0,14,1,1,1,,2,0.9,succeeded,rapl\n");
  EXPECT_NE(msg.find("runs.csv:2: column 'scenario': unknown scenario 'solo' (one of: single, parallel)"),
            std::string::npos)
      << msg;
}

TEST(Interchange, LargeFilesReadInPartsGiveTheSameRunsAndTheFirstError) {
  // Over 4 MB without quotes: read in parallel parts; the runs, their lines and the first
  // error are those of a reading from the top.
  std::string text = std::string(kHeader) + ",higher_is_better\n";
  std::string small = text;
  for (int i = 0; i < 90000; ++i) {
    std::string row = "model" + std::to_string(i % 97) + ",single,,original," + std::to_string(i) +
                      ",14,1,1.5,2.25,,3.125,0.5,1\n";
    text += row;
    if (i < 10) small += row;
  }
  ASSERT_GT(text.size(), 4u << 20);
  auto table = st::read_runs_table(text, "big.csv");
  ASSERT_EQ(table.runs.size(), 90000u);
  for (std::size_t i = 0; i < table.runs.size(); i += 997) {
    EXPECT_EQ(table.runs[i].repetition, static_cast<long long>(i));
    EXPECT_EQ(table.lines[i], static_cast<long long>(i) + 2);
  }
  EXPECT_EQ(st::read_runs_table(small, "small.csv").runs[9].model, table.runs[9].model);
  // Two errors: a direction conflict early and a bad number late; the early one is reported.
  std::string bad = text;
  const std::string early = "model5,single,,original,5,14,1,1.5,2.25,,3.125,0.5,1\n";
  bad.replace(bad.find(early), early.size(), "model5,single,,original,5,14,1,1.5,2.25,,3.125,0.5,0\n");
  const std::string late = "model78,single,,original,89900,14,1,1.5,2.25,,3.125,0.5,1\n";
  ASSERT_NE(bad.find(late), std::string::npos);
  bad.replace(bad.find(late), late.size(), "model78,single,,original,89900,14,1,x,2.25,,3.125,0.5,1\n");
  try {
    st::read_runs_table(bad, "big.csv");
    FAIL() << "no error";
  } catch (const greentune::Error& e) {
    EXPECT_NE(std::string(e.what()).find("big.csv:104: column 'higher_is_better'"), std::string::npos) << e.what();
  }
  // Only the late error: it is found in its part and named with its line.
  std::string late_only = text;
  late_only.replace(late_only.find(late), late.size(), "model78,single,,original,89900,14,1,x,2.25,,3.125,0.5,1\n");
  try {
    st::read_runs_table(late_only, "big.csv");
    FAIL() << "no error";
  } catch (const greentune::Error& e) {
    EXPECT_NE(std::string(e.what()).find("big.csv:89902: column 'cpu_package_j'"), std::string::npos) << e.what();
  }
}
