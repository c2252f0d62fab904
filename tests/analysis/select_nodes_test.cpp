#include <gtest/gtest.h>

#include <sstream>

#include "greentune/analysis/load_runs.hpp"
#include "greentune/core/error.hpp"

using namespace greentune;

namespace {
analysis::LoadedRuns three_nodes() {
  analysis::LoadedRuns l;
  l.path = "study.db";
  for (const char* n : {"node-a", "node-b", "node-a", "node-c"}) {
    RunRecord r;
    r.model = "m";
    r.node = n;
    l.runs.push_back(r);
  }
  l.origins = [](std::size_t i) { return "study.db run " + std::to_string(i + 1); };
  return l;
}
}  // namespace

TEST(SelectNodes, KeepsOnlyTheChosenNodesAndTheirOrigins) {
  auto l = three_nodes();
  std::ostringstream warn;
  analysis::select_nodes(l, {"node-a"}, &warn);
  ASSERT_EQ(l.runs.size(), 2u);
  EXPECT_EQ(l.runs[0].node, "node-a");
  EXPECT_EQ(l.runs[1].node, "node-a");
  EXPECT_EQ(l.origin(1), "study.db run 3");
  EXPECT_TRUE(warn.str().empty());
}

TEST(SelectNodes, WarnsWhenSeveralNodesAreMixed) {
  auto l = three_nodes();
  std::ostringstream warn;
  analysis::select_nodes(l, {}, &warn);
  EXPECT_EQ(l.runs.size(), 4u);
  EXPECT_NE(warn.str().find("3 nodes (node-a, node-b, node-c)"), std::string::npos) << warn.str();
  EXPECT_EQ(warn.str().find('\n'), warn.str().size() - 1);
}

TEST(SelectNodes, UnknownNodeIsAnInputError) {
  auto l = three_nodes();
  try {
    analysis::select_nodes(l, {"node-z"}, nullptr);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_NE(std::string(e.what()).find("node-z"), std::string::npos);
  }
  EXPECT_EQ(l.runs.size(), 4u);
}
