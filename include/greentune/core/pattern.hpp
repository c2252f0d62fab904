#pragma once
// Regular expressions over user data (metric_regex and diverged_regex on a run's output, file
// names, device names): PCRE2 with limits, so that no pattern and no subject can crash or hang
// greentune. libstdc++'s std::regex recurses once per character matched and overflows the stack
// on long lines; PCRE2's matcher keeps its backtracking state on the heap, under a limit.
//
// Syntax: Perl-compatible (PCRE2), compiled so that what std::regex's ECMAScript grammar accepts
// means the same (docs/studies.md, "Patterns"): `.` matches neither \n nor \r, `$` matches only
// at the very end of the subject, `\uHHHH` is a character, a back reference to a group that did
// not take part matches the empty string. Subjects are bytes (no UTF-8 check; `(*UTF)` refused).
//
// Limits (PatternLimits): one search, full_match or for_each_match call may take at most
// step_limit + steps_per_byte * (subject bytes) steps, where a step is one pattern item tried
// plus every byte the matcher moved over since the previous one, so scanning is linear and a
// pattern that backtracks quadratically or exponentially stops early; besides, PCRE2's own
// limits bound each match attempt (match_limit, depth_limit, heap_limit_kib), and a wall-clock
// limit bounds the whole call. Reaching any limit throws PatternLimitError (never a crash or a
// hang): the caller decides what the run or the input becomes, and says so.
//
// A Pattern is immutable after construction and may be shared by threads; a Match holds
// views into the subject it was found in, which must outlive it.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "greentune/core/error.hpp"

namespace greentune {

// The pattern does not compile. what(): `invalid pattern "P" at offset N: reason` (the pattern
// shown shortened and with control characters escaped, on one line).
class PatternSyntaxError : public Error {
 public:
  PatternSyntaxError(const std::string& message, std::size_t offset, std::string reason)
      : Error(ErrorKind::input, message), offset_(offset), reason_(std::move(reason)) {}
  std::size_t offset() const noexcept { return offset_; }   // in the pattern's bytes
  const std::string& reason() const noexcept { return reason_; }  // PCRE2's message

 private:
  std::size_t offset_;
  std::string reason_;
};

// Matching could not finish: a limit was reached (steps, time, backtracking, heap: the pattern
// backtracks too much on this subject, typically nested repeats such as (a+)+ on a long run of
// a's), or PCRE2 stopped otherwise on this subject (a recursion such as (?R) looping in place).
class PatternLimitError : public Error {
 public:
  explicit PatternLimitError(const std::string& message) : Error(ErrorKind::input, message) {}
};

struct PatternLimits {
  // Steps per call: step_limit plus steps_per_byte for each byte of the subject (a linear scan
  // of any output always fits; docs/studies.md has the measurements).
  uint64_t step_limit = 50'000'000;
  uint64_t steps_per_byte = 8;
  // Wall-clock time per call, in seconds (a backstop for work the step count does not see).
  double time_limit_s = 10;
  // PCRE2's limits per match attempt: backtracking steps, nested backtracking points, heap for
  // the backtracking state (KiB).
  uint32_t match_limit = 10'000'000;
  uint32_t depth_limit = 1'000'000;
  uint32_t heap_limit_kib = 256 * 1024;
};

struct PatternOptions {
  bool ignore_case = false;  // ASCII letters
  PatternLimits limits{};
};

namespace detail {
struct PatternCode;
struct MatchAccess;
}  // namespace detail

// One match: group 0 is the whole match, 1..group_count() the capture groups.
class Match {
 public:
  // group_count() + 1.
  std::size_t size() const noexcept { return offsets_.size() / 2; }
  // Whether group i took part in the match (an optional group may not). Out of range: false.
  bool matched(int i) const noexcept;
  bool matched(std::string_view name) const;
  // The text of group i; empty when it did not take part. Out of range: throws Error.
  std::string_view group(int i) const;
  // The text of the group named `name` ((?<name>...)); empty when it did not take part. A name
  // the pattern does not have: throws Error naming the pattern and the name.
  std::string_view group(std::string_view name) const;
  std::string str(int i = 0) const { return std::string(group(i)); }
  // Byte offsets of group i in the subject; npos when it did not take part.
  std::size_t begin(int i = 0) const;
  std::size_t end(int i = 0) const;

 private:
  friend struct detail::MatchAccess;
  std::string_view subject_;
  std::vector<std::size_t> offsets_;  // begin, end per group; npos when unset
  std::shared_ptr<const detail::PatternCode> code_;
};

class Pattern {
 public:
  // Compiles `pattern` (any bytes, NUL included); throws PatternSyntaxError.
  explicit Pattern(std::string_view pattern, PatternOptions options = {});

  const std::string& pattern() const noexcept;
  // Number of capture groups (named ones included).
  int group_count() const noexcept;
  // Names of the named groups, in the order of their numbers.
  std::vector<std::string> group_names() const;
  // The number of the group named `name`, or nullopt.
  std::optional<int> group_number(std::string_view name) const;

  // The first match starting at or after byte `start` of `subject`, or nullopt.
  std::optional<Match> search(std::string_view subject, std::size_t start = 0) const;
  // A match of the whole subject (anchored at both ends), or nullopt.
  std::optional<Match> full_match(std::string_view subject) const;
  // Calls `each` for every non-overlapping match, left to right (the matches
  // std::sregex_iterator visits, empty ones included); stops early when `each` returns false.
  // Returns the number of matches visited.
  std::size_t for_each_match(std::string_view subject, const std::function<bool(const Match&)>& each) const;

 private:
  std::shared_ptr<const detail::PatternCode> code_;
};

// The pattern as shown in messages: at most `max_chars` characters (then "..."), control
// characters and non-ASCII bytes escaped, in double quotes; a longer one is followed by its
// length, e.g. "abc..." (70003 bytes).
std::string quote_pattern(std::string_view pattern, std::size_t max_chars = 80);

}  // namespace greentune
