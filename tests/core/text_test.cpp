// core/text.hpp: the text helpers shared by the Slurm parsers, the environment probe and the
// result summaries.
#include "greentune/core/text.hpp"

#include <gtest/gtest.h>

using namespace greentune;

TEST(Text, TrimSplitJoinAndLines) {
  EXPECT_EQ(trim(" \t a b \r\n"), "a b");
  EXPECT_EQ(trim(" \n"), "");
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(split("", ','), (std::vector<std::string>{""}));
  EXPECT_EQ(split("a|", '|'), (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(join({}, ", "), "");
  EXPECT_EQ(nonempty_lines("  12|R \r\n\n  \nlast"), (std::vector<std::string>{"12|R", "last"}));
}

TEST(Text, WholeNumbersOnly) {
  long long v = -1;
  EXPECT_TRUE(parse_whole_number("123", v));
  EXPECT_EQ(v, 123);
  EXPECT_TRUE(parse_whole_number("-4", v));
  EXPECT_EQ(v, -4);
  for (const char* bad : {"", "12x", "1.5", "x", "99999999999999999999"}) {
    v = 7;
    EXPECT_FALSE(parse_whole_number(bad, v)) << bad;
    EXPECT_EQ(v, 7) << bad;
  }
}
