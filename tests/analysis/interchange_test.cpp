// The runs interchange CSV: round trip, unknown columns, empty cells, one-line errors.
#include <sstream>

#include <gtest/gtest.h>

#include "greentune/core/error.hpp"
#include "greentune/store/interchange.hpp"

namespace st = greentune::store;
using greentune::RunRecord;

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
  a.cpu_package_j = 1234.5678901234567;
  a.dram_j = 1e-300;
  a.duration_s = 61.25;
  a.performance = 0.9912;
  a.node = "node-1";
  a.extra = {{"cpu_package_source", "rapl"}, {"note", "has, a comma and \"quotes\"\nand a newline"}};
  RunRecord b;
  b.model = "resnet20";
  b.scenario = "parallel";
  b.corunner = "mnist_cnn";
  b.repetition = 0;
  b.hp = {{"epochs", 200}, {"weight_decay", 1e-4}};
  b.gpu_j = 5.0;
  b.status = "failed";
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
  EXPECT_EQ(*runs[0].cpu_package_j, *a.cpu_package_j);
  EXPECT_EQ(*runs[0].dram_j, 1e-300);
  EXPECT_FALSE(runs[0].gpu_j.has_value());  // empty cell: not measured, not 0
  EXPECT_EQ(runs[0].node, "node-1");
  EXPECT_EQ(runs[0].status, "succeeded");
  EXPECT_EQ(runs[0].extra, a.extra);
  EXPECT_EQ(runs[1].scenario, "parallel");
  EXPECT_EQ(runs[1].corunner, "mnist_cnn");
  EXPECT_EQ(runs[1].hp, b.hp);  // model without lr: no hp.lr value at all
  EXPECT_EQ(runs[1].status, "failed");
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
