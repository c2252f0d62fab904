// core/pattern.hpp: PCRE2 patterns over user data. The syntax std::regex (ECMAScript) accepted
// keeps its meaning, groups are read by number and by name, long subjects are matched without
// recursion, and patterns that backtrack without end stop at a limit with a clear error.
#include "greentune/core/pattern.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

using namespace greentune;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Every match as "begin:end=text|g1|g2...", unset groups as "-".
std::vector<std::string> all_matches(const Pattern& p, std::string_view subject) {
  std::vector<std::string> out;
  p.for_each_match(subject, [&](const Match& m) {
    std::string s = std::to_string(m.begin()) + ":" + std::to_string(m.end()) + "=" + m.str();
    for (int i = 1; i < static_cast<int>(m.size()); ++i) s += "|" + (m.matched(i) ? m.str(i) : std::string("-"));
    out.push_back(s);
    return true;
  });
  return out;
}

std::vector<std::string> all_std_matches(const std::string& pattern, const std::string& subject) {
  std::vector<std::string> out;
  std::regex re(pattern);
  for (auto it = std::sregex_iterator(subject.begin(), subject.end(), re); it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    std::string s = std::to_string(m.position(0)) + ":" + std::to_string(m.position(0) + m.length(0)) + "=" + m.str(0);
    for (size_t i = 1; i < m.size(); ++i) s += "|" + (m[i].matched ? m.str(i) : std::string("-"));
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST(Pattern, NumberedAndNamedGroups) {
  Pattern p(R"(epoch (?<epoch>\d+)(?: lr ([0-9.]+))? acc (?<metric>[0-9.]+))");
  EXPECT_EQ(p.group_count(), 3);
  EXPECT_EQ(p.group_names(), (std::vector<std::string>{"epoch", "metric"}));
  EXPECT_EQ(p.group_number("epoch"), 1);
  EXPECT_EQ(p.group_number("metric"), 3);
  EXPECT_FALSE(p.group_number("loss").has_value());

  std::string text = "start\nepoch 12 acc 0.875\n";
  auto m = p.search(text);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->size(), 4u);
  EXPECT_EQ(m->group(0), "epoch 12 acc 0.875");
  EXPECT_EQ(m->group("epoch"), "12");
  EXPECT_EQ(m->group(1), "12");
  EXPECT_EQ(m->group("metric"), "0.875");
  EXPECT_FALSE(m->matched(2));  // the optional lr group did not take part
  EXPECT_EQ(m->group(2), "");
  EXPECT_EQ(m->begin(2), std::string_view::npos);
  EXPECT_TRUE(m->matched("metric"));
  EXPECT_FALSE(m->matched("loss"));
  EXPECT_EQ(m->begin(), 6u);
  EXPECT_EQ(m->end(), 24u);
  EXPECT_EQ(m->begin(3), text.find("0.875"));
  EXPECT_FALSE(m->matched(4));
  EXPECT_FALSE(m->matched(-1));
  EXPECT_THROW(m->group(4), Error);
  try {
    m->group("loss");
    FAIL() << "no error for an unknown group name";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no group named 'loss'"), std::string::npos) << e.what();
  }
  auto m2 = p.search("epoch 3 lr 0.1 acc 0.5");
  ASSERT_TRUE(m2);
  EXPECT_EQ(m2->group(2), "0.1");
  EXPECT_FALSE(p.search("epoch x acc 1").has_value());
  // search from an offset; past the end is no match, not an error.
  EXPECT_FALSE(p.search(text, 7).has_value());
  EXPECT_FALSE(p.search(text, text.size() + 5).has_value());
}

TEST(Pattern, SyntaxErrorNamesThePatternAndTheOffset) {
  try {
    Pattern p("acc ([0-9.]+");
    FAIL() << "compiled";
  } catch (const PatternSyntaxError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_EQ(e.offset(), 12u);
    EXPECT_EQ(std::string(e.what()), "invalid pattern \"acc ([0-9.]+\" at offset 12: " + e.reason());
    EXPECT_NE(e.reason().find("missing closing parenthesis"), std::string::npos) << e.reason();
  }
  // A long pattern with control characters is shown shortened, on one line.
  std::string long_bad = "(" + std::string(70000, 'a') + "\n[";
  try {
    Pattern p(long_bad);
    FAIL() << "compiled";
  } catch (const PatternSyntaxError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos);
    EXPECT_LT(what.size(), 300u);
    EXPECT_NE(what.find("...\" (70003 bytes) at offset"), std::string::npos) << what;
  }
  EXPECT_EQ(quote_pattern("a\"b\r\x01\xff"), "\"a\\\"b\\r\\x01\\xff\"");
  EXPECT_THROW(Pattern("(*UTF)a"), PatternSyntaxError);  // subjects are bytes, never checked as UTF-8
  EXPECT_THROW(Pattern("a{2,1}"), PatternSyntaxError);
  EXPECT_THROW(Pattern("(?<n>a)(?<n>b)"), PatternSyntaxError);
}

TEST(Pattern, EcmaScriptMeaningsAreKept) {
  // `.` stops at \n and \r (a progress bar redraws with \r), as std::regex's ECMAScript.
  Pattern dot("acc ([0-9.]+)(.*)");
  auto m = dot.search("acc 0.5 epoch 1\racc 0.6\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->group(2), " epoch 1");
  EXPECT_EQ(all_matches(dot, "acc 0.5 a\racc 0.6 b\r\nacc 0.7"),
            (std::vector<std::string>{"0:9=acc 0.5 a|0.5| a", "10:19=acc 0.6 b|0.6| b", "21:28=acc 0.7|0.7|"}));
  // `$` only at the very end of the text, `^` only at its start (no multiline).
  EXPECT_FALSE(Pattern("acc ([0-9.]+)$").search("acc 0.5\n"));
  EXPECT_TRUE(Pattern("acc ([0-9.]+)$").search("acc 0.5"));
  EXPECT_FALSE(Pattern("^acc").search("x\nacc"));
  // \uHHHH, \xHH, classes, lazy repeats, look-ahead, back references.
  EXPECT_TRUE(Pattern(R"(\u0041\x42)").full_match("AB"));
  EXPECT_TRUE(Pattern(R"([[:digit:]]+\s\w+\b)").search("12 ab!"));
  EXPECT_EQ(Pattern("<(.+?)>").search("<a><b>")->group(1), "a");
  EXPECT_EQ(Pattern(R"(\d+(?=%))").search("5 of 80%")->group(0), "80");
  EXPECT_EQ(Pattern(R"(\d+(?!\d|%))").search("80% 7")->group(0), "7");
  EXPECT_TRUE(Pattern(R"((a)\1)").full_match("aa"));
  // A back reference to a group that did not take part matches the empty string (ECMAScript).
  EXPECT_TRUE(Pattern(R"((?:(a)|b)\1c)").full_match("bc"));
  // Case: exact unless asked.
  EXPECT_FALSE(Pattern("loss (nan|inf)").search("loss NaN"));
  PatternOptions icase;
  icase.ignore_case = true;
  EXPECT_TRUE(Pattern("loss (nan|inf)", icase).search("loss NaN"));
}

TEST(Pattern, ForEachMatchVisitsWhatStdRegexIteratorVisits) {
  // Short subjects that std::regex handles: the same matches, groups and empty matches.
  const std::vector<std::string> patterns = {
      "acc=([0-9.]+)", "a*", "", "(a)|b", "([0-9]+)?x?", R"(\b)", "(\\w+)=(\\w*)", "x*?", "(a|ab)(c|bcd)(d*)",
      "[^,]*", "(?:loss|acc) ([-+0-9.e]+|nan)", "(a*)*b", "\\s+",
  };
  const std::vector<std::string> subjects = {
      "", "a", "aaa", "acc=0.1\nacc=0.25\nacc=", "ba ab x 12x3", "k=v,k2=,=x", "abcd abcbcd", "a,,b,", "loss nan acc 1e-3 ",
      "aab ab b",
  };
  for (const auto& pattern : patterns) {
    Pattern p(pattern);
    for (const auto& subject : subjects)
      EXPECT_EQ(all_matches(p, subject), all_std_matches(pattern, subject))
          << "pattern '" << pattern << "' subject '" << subject << "'";
  }
  // Stopping early.
  Pattern digits("[0-9]");
  std::size_t seen = 0;
  EXPECT_EQ(digits.for_each_match("1 2 3 4", [&](const Match&) { return ++seen < 2; }), 2u);
}

TEST(Pattern, FullMatchAndBytes) {
  Pattern cuda(R"(cuda(:(\d+))?)");
  EXPECT_TRUE(cuda.full_match("cuda"));
  EXPECT_EQ(cuda.full_match("cuda:12")->group(2), "12");
  EXPECT_FALSE(cuda.full_match("cuda:1x"));
  EXPECT_FALSE(cuda.full_match("xcuda"));
  EXPECT_FALSE(cuda.full_match("cuda:" + std::string(300000, '1') + "x"));
  EXPECT_EQ(cuda.full_match("cuda:" + std::string(300000, '7'))->group(2).size(), 300000u);
  // NUL and high bytes in patterns and subjects (bytes, no UTF-8 check).
  std::string pat("a\0b[\x80-\xff]+", 9);
  std::string subject("xa\0b\xc3\x28\xff!", 8);
  auto m = Pattern(pat).search(subject);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->group(0), std::string("a\0b\xc3", 4));
}

TEST(Pattern, LongLinesMatchWithoutRecursion) {
  // std::regex overflowed the stack here (one frame per character): 300,000 characters and a
  // multi-megabyte line spanned by (.*).
  Pattern p("acc ([0-9.]+) (.*)");
  for (std::size_t n : {std::size_t(300000), std::size_t(8) << 20}) {
    std::string line = "noise acc 0.93 " + std::string(n, 'x') + "\nacc 0.94 tail\n";
    std::string last, rest;
    std::size_t count = p.for_each_match(line, [&](const Match& m) {
      last = m.str(1);
      rest = m.str(2);
      return true;
    });
    EXPECT_EQ(count, 2u) << n;
    EXPECT_EQ(last, "0.94");
    EXPECT_EQ(rest, "tail");
    auto first = p.search(line);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->group(2).size(), n);
  }
  // Numbers across a long line of them.
  std::string digits(4 << 20, '7');
  EXPECT_EQ(Pattern("([0-9.]+)").search(digits)->group(1).size(), digits.size());
}

TEST(Pattern, CatastrophicBacktrackingStopsAtALimit) {
  // Exponential: (a+)+$ on a's and a b. std::regex takes 2^n steps here.
  std::string as = std::string(40, 'a') + "b";
  auto t0 = std::chrono::steady_clock::now();
  try {
    Pattern("(a+)+$").search(as);
    FAIL() << "no limit reached";
  } catch (const PatternLimitError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    std::string what = e.what();
    EXPECT_NE(what.find("pattern \"(a+)+$\" reached the match limit (10000000 backtracking steps)"), std::string::npos)
        << what;
    EXPECT_NE(what.find("of a 41-byte text"), std::string::npos) << what;
  }
  EXPECT_LT(seconds_since(t0), 30);  // about 1 s on the 2-core VM under load
  // Also through for_each_match and full_match, and on a long subject.
  std::string long_as = std::string(100000, 'a') + "!";
  EXPECT_THROW(Pattern("^(\\w+\\s?)+$").for_each_match(long_as, [](const Match&) { return true; }), PatternLimitError);
  EXPECT_THROW(Pattern("(a|a)*").full_match(std::string(60, 'a') + "b"), PatternLimitError);

  // Quadratic: each start in a long line scans to its end. PCRE2's match limit counts per start
  // position, so the step budget of the whole call is what stops it.
  PatternOptions small;
  small.limits.step_limit = 2'000'000;
  small.limits.steps_per_byte = 1;
  std::string ys(1 << 20, 'y');
  t0 = std::chrono::steady_clock::now();
  try {
    Pattern("(*NO_START_OPT)y(.*?)q", small).search(ys);
    FAIL() << "no limit reached";
  } catch (const PatternLimitError& e) {
    EXPECT_NE(std::string(e.what()).find("reached its step limit (3048576 steps for this text)"), std::string::npos)
        << e.what();
  }
  // A possessive scan moves far inside one item: the distance is counted.
  EXPECT_THROW(Pattern("(*NO_START_OPT)y.*+q", small).search(ys), PatternLimitError);
  EXPECT_LT(seconds_since(t0), 30);

  // The wall-clock limit.
  PatternOptions timed;
  timed.limits.step_limit = UINT64_MAX / 2;
  timed.limits.time_limit_s = 0.2;
  t0 = std::chrono::steady_clock::now();
  try {
    Pattern("(*NO_START_OPT)y(.*?)q", timed).search(ys);
    FAIL() << "no limit reached";
  } catch (const PatternLimitError& e) {
    EXPECT_NE(std::string(e.what()).find("reached its time limit (0.2 s)"), std::string::npos) << e.what();
  }
  EXPECT_LT(seconds_since(t0), 10);
}

TEST(Pattern, RecursionLoopingInPlaceIsAMatchErrorNotAProgramError) {
  // PCRE2 refuses to recurse at the same place again: the same error class as a limit, so the
  // runner fails the run with the reason instead of stopping the study.
  for (const char* pattern : {"a|(?R)b", "((?1))", "(?(DEFINE)(?<r>(?&r)))(?&r)"}) {
    try {
      Pattern(pattern).search("xb");
      FAIL() << pattern;
    } catch (const PatternLimitError& e) {
      EXPECT_NE(std::string(e.what()).find("could not be matched from byte 0 of a 2-byte text: nested recursion"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(Pattern, RepeatedGroupsOverLongTextsStopAtTheHeapLimit) {
  PatternOptions o;
  o.limits.heap_limit_kib = 16 * 1024;
  std::string ys(1 << 20, 'y');
  try {
    Pattern("((?:y|z)*)", o).search(ys);
    FAIL() << "no limit reached";
  } catch (const PatternLimitError& e) {
    EXPECT_NE(std::string(e.what()).find("reached the heap limit (16384 KiB)"), std::string::npos) << e.what();
  }
  // A character class does the same without a frame per repetition.
  EXPECT_EQ(Pattern("([yz]*)", o).search(ys)->group(1).size(), ys.size());
}

TEST(Pattern, SharedBetweenThreads) {
  Pattern p(R"(acc (?<metric>[0-9.]+))");
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::string text = "x acc " + std::to_string(t) + "." + std::to_string(i) + "\n";
        auto m = p.search(text);
        if (m && m->group("metric") == std::to_string(t) + "." + std::to_string(i)) ++good;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 800);
}
