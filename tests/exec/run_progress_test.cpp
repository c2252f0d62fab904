// Live progress (exec/run_progress.hpp): report lines read from output as it grows.
#include "greentune/exec/run_progress.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "common/greentune_cli.hpp"

namespace greentune::exec {
namespace {

const char* kOutput =
    "starting\n"
    "{\"greentune\": \"report\", \"epoch\": 1, \"metric\": 0.5, \"train_loss\": 1.2}\n"
    "{\"performance\": 0.4}\n"                                   // not a report
    "  {\"greentune\":\"report\",\"epoch\":2,\"metric\":0.625}\r\n"  // blanks before, CRLF
    "{\"greentune\": \"report\", \"epoch\": 2, \"metric\": 0.7}\n"   // epoch 2 again: skipped
    "{\"greentune\": \"report\", \"epoch\": 3, \"metric\": \"nan\"}\n"  // non-finite: skipped
    "{\"greentune\": \"report\", \"epoch\": 3.5, \"metric\": 0.7}\n"    // not an integer epoch
    "{\"greentune\": \"report\", \"epoch\": 0, \"metric\": 0.7}\n"      // epochs start at 1
    "{\"greentune\": \"report\", \"epoch\": 4, \"metric\": 0.75\n"      // broken JSON
    "{\"greentune\": \"report\", \"epoch\": 4, \"metric\": 0.8}\n"
    "{\"greentune\": \"report\", \"epoch\": 5, \"metric\": 0.875}";     // no newline at the end

std::vector<ProgressReport> all_at_once(const std::string& text, ProgressLineMatcher m = nullptr) {
  ProgressParser p(std::move(m));
  auto out = p.feed(text);
  for (auto r : p.finish()) out.push_back(r);
  return out;
}

TEST(RunProgress, ProtocolLinesInOrderAndNothingElse) {
  const auto r = all_at_once(kOutput);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].epoch, 1);
  EXPECT_EQ(r[0].metric, 0.5);
  EXPECT_EQ(r[1].epoch, 2);
  EXPECT_EQ(r[1].metric, 0.625);
  EXPECT_EQ(r[2].epoch, 4);
  EXPECT_EQ(r[2].metric, 0.8);
  EXPECT_EQ(r[3].epoch, 5);
  EXPECT_EQ(r[3].metric, 0.875);
}

TEST(RunProgress, AnySplitOfTheOutputGivesTheSameReports) {
  const std::string text = kOutput;
  const auto whole = all_at_once(text);
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 16u, 61u}) {
    ProgressParser p;
    std::vector<ProgressReport> got;
    for (std::size_t i = 0; i < text.size(); i += chunk)
      for (auto r : p.feed(std::string_view(text).substr(i, chunk))) got.push_back(r);
    for (auto r : p.finish()) got.push_back(r);
    ASSERT_EQ(got.size(), whole.size()) << "chunk " << chunk;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].epoch, whole[i].epoch);
      EXPECT_EQ(got[i].metric, whole[i].metric);
    }
    EXPECT_EQ(p.last_epoch(), 5);
  }
}

TEST(RunProgress, AMatcherReadsOtherLines) {
  // What a progress_regex gives: "Epoch 3 ... acc=0.91".
  auto matcher = [](std::string_view line) -> std::optional<ProgressReport> {
    if (line.rfind("Epoch ", 0) != 0) return std::nullopt;
    const auto acc = line.find("acc=");
    return ProgressReport{std::stoi(std::string(line.substr(6))), std::stod(std::string(line.substr(acc + 4)))};
  };
  const auto r = all_at_once("Epoch 1 loss=2 acc=0.5\nnoise\nEpoch 2 loss=1 acc=0.75\nEpoch 2 acc=0.9\n", matcher);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].epoch, 2);
  EXPECT_EQ(r[1].metric, 0.75);
}

TEST(RunProgress, AVeryLongLineIsNoReportAndDoesNotGrowWithoutBound) {
  ProgressParser p;
  const std::string junk(1 << 16, 'x');
  for (int i = 0; i < 40; ++i) EXPECT_TRUE(p.feed(junk).empty());  // 2.5 MiB without a newline
  const auto r = p.feed("\n{\"greentune\": \"report\", \"epoch\": 1, \"metric\": 0.5}\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].metric, 0.5);
}

TEST(RunProgress, FileTailReadsWhatWasAppended) {
  const std::string dir = testing::make_temp_dir("tail");
  const std::string path = dir + "/run-1.out";
  FileTail tail(path);
  EXPECT_EQ(tail.read_new(), "");  // not there yet
  {
    std::ofstream out(path, std::ios::binary);
    out << "abc";
  }
  EXPECT_EQ(tail.read_new(), "abc");
  EXPECT_EQ(tail.read_new(), "");
  {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << "def\n";
  }
  EXPECT_EQ(tail.read_new(), "def\n");
}

}  // namespace
}  // namespace greentune::exec
