// Fuzz target: patterns over output (core/pattern.hpp), as the runner matches metric_regex and
// diverged_regex on a run's stdout. The input is a pattern, a newline, and the subject (the
// rest). Only PatternSyntaxError escapes compiling and only PatternLimitError escapes matching;
// every match lies inside the subject, matches come left to right without overlap, named groups
// read as their numbers, search() finds what for_each_match() finds first, and full_match()
// spans the whole subject. Smaller limits than the defaults keep executions fast; the code
// path that reaches them is the same.
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "greentune/core/pattern.hpp"

namespace {

using greentune::Match;
using greentune::fuzz::violated;

void check_match(const Match& m, std::string_view subject, int groups, const std::string& where) {
  if (m.size() != static_cast<std::size_t>(groups) + 1) violated("match size is not group_count + 1", where);
  if (!m.matched(0)) violated("group 0 not set", where);
  for (int i = 0; i <= groups; ++i) {
    if (!m.matched(i)) {
      if (!m.group(i).empty() || m.begin(i) != std::string_view::npos) violated("unset group has text", where);
      continue;
    }
    std::size_t b = m.begin(i), e = m.end(i);
    if (b > e || e > subject.size()) violated("group outside the subject", where);
    if (m.group(i) != subject.substr(b, e - b)) violated("group text differs from its offsets", where);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace greentune;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t nl = input.find('\n');
  std::string_view pattern_text = input.substr(0, nl);
  std::string_view subject = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
  std::string where = std::string(input.substr(0, 200));

  PatternOptions options;
  options.limits.step_limit = 1'000'000;
  options.limits.steps_per_byte = 8;
  options.limits.time_limit_s = 2;
  options.limits.match_limit = 1'000'000;
  options.limits.depth_limit = 100'000;
  options.limits.heap_limit_kib = 32 * 1024;
  std::optional<Pattern> p;
  try {
    p.emplace(pattern_text, options);
  } catch (const PatternSyntaxError& e) {
    std::string what = e.what();
    if (what.find('\n') != std::string::npos) violated("syntax error message spans lines", what);
    if (e.offset() > pattern_text.size()) violated("syntax error offset past the pattern", what);
    return 0;
  } catch (...) {
    violated("compiling threw something other than PatternSyntaxError", where);
  }
  int groups = p->group_count();
  for (const std::string& name : p->group_names())
    if (!p->group_number(name)) violated("a group name without a number", where + " / " + name);

  try {
    std::optional<Match> first;
    std::size_t previous_end = 0;
    bool previous_empty = false;
    std::size_t count = 0;
    p->for_each_match(subject, [&](const Match& m) {
      check_match(m, subject, groups, where);
      if (m.begin() < previous_end) violated("matches overlap or go backwards", where);
      if (count > 0 && previous_empty && m.begin() == previous_end && m.end() == m.begin())
        violated("two empty matches at the same place", where);
      for (const std::string& name : p->group_names())
        if (m.group(name) != m.group(*p->group_number(name))) violated("named group differs from its number", where);
      previous_empty = m.end() == m.begin();
      previous_end = m.end();
      if (!first) first = m;
      if (++count > 2 * subject.size() + 2) violated("more matches than the subject allows", where);
      return true;
    });
    auto s = p->search(subject);
    if (s.has_value() != first.has_value() || (s && (s->begin() != first->begin() || s->end() != first->end())))
      violated("search() and the first match of for_each_match() differ", where);
    if (auto f = p->full_match(subject)) {
      check_match(*f, subject, groups, where);
      if (f->begin() != 0 || f->end() != subject.size()) violated("full_match does not span the subject", where);
    }
  } catch (const PatternLimitError& e) {
    std::string what = e.what();
    if (what.rfind("pattern \"", 0) != 0 ||
        (what.find(" reached ") == std::string::npos && what.find(" could not be matched ") == std::string::npos) ||
        what.find('\n') != std::string::npos)
      violated("a match error that does not say what stopped", what);
  } catch (...) {
    violated("matching threw something other than PatternLimitError", where);
  }
  return 0;
}
