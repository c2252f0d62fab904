#include "greentune/core/pattern.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <utility>

namespace greentune {

namespace detail {

struct PatternCode {
  std::string pattern;
  pcre2_code* code = nullptr;
  pcre2_match_context* context = nullptr;
  PatternLimits limits;
  int groups = 0;
  std::map<std::string, int, std::less<>> names;

  PatternCode() = default;
  PatternCode(const PatternCode&) = delete;
  PatternCode& operator=(const PatternCode&) = delete;
  ~PatternCode() {
    pcre2_match_context_free(context);
    pcre2_code_free(code);
  }
};

}  // namespace detail

namespace {

using detail::PatternCode;

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  int n = pcre2_get_error_message(code, buffer, sizeof buffer);
  if (n < 0) return "PCRE2 error " + std::to_string(code);
  return std::string(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(n));
}

// The work one public call may do (PatternLimits): counted by PCRE2's automatic callout,
// which runs before every pattern item the matcher tries.
struct Budget {
  uint64_t steps = 0;
  uint64_t step_limit = 0;
  PCRE2_SIZE last_position = 0;
  std::chrono::steady_clock::time_point deadline;
  uint32_t until_clock = 0;
  int hit = 0;  // 0, or kStepLimit / kTimeLimit once reached

  static constexpr int kStepLimit = 1;
  static constexpr int kTimeLimit = 2;

  Budget(const PatternLimits& l, std::size_t subject_size) {
    uint64_t per_byte = l.steps_per_byte;
    uint64_t size = subject_size;
    uint64_t extra = per_byte != 0 && size > UINT64_MAX / per_byte ? UINT64_MAX : size * per_byte;
    step_limit = l.step_limit > UINT64_MAX - extra ? UINT64_MAX : l.step_limit + extra;
    auto limit = std::chrono::duration<double>(std::max(0.0, std::min(l.time_limit_s, 1e6)));
    deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(limit);
  }
};

// One step per item, plus the bytes moved over since the previous item: a matcher that scans
// far inside one item (a possessive repeat, a back reference) pays for the distance.
int count_step(pcre2_callout_block* block, void* data) {
  auto* b = static_cast<Budget*>(data);
  PCRE2_SIZE pos = block->current_position;
  uint64_t moved = pos > b->last_position ? pos - b->last_position : b->last_position - pos;
  b->last_position = pos;
  b->steps += 1 + moved;
  if (b->steps > b->step_limit) {
    b->hit = Budget::kStepLimit;
    return PCRE2_ERROR_CALLOUT;
  }
  // The clock every 16 items: work between two items is at most one scan of the subject.
  if (++b->until_clock >= 16) {
    b->until_clock = 0;
    if (std::chrono::steady_clock::now() > b->deadline) {
      b->hit = Budget::kTimeLimit;
      return PCRE2_ERROR_CALLOUT;
    }
  }
  return 0;
}

// Match data and a match context counting into one Budget, for the duration of one call.
struct MatchState {
  pcre2_match_data* data = nullptr;
  pcre2_match_context* context = nullptr;
  Budget budget;

  MatchState(const PatternCode& c, std::size_t subject_size) : budget(c.limits, subject_size) {
    data = pcre2_match_data_create_from_pattern(c.code, nullptr);
    context = pcre2_match_context_copy(c.context);
    if (!data || !context) {
      pcre2_match_data_free(data);
      pcre2_match_context_free(context);
      throw runtime_error("out of memory creating PCRE2 match data");
    }
    pcre2_set_callout(context, count_step, &budget);
  }
  MatchState(const MatchState&) = delete;
  MatchState& operator=(const MatchState&) = delete;
  ~MatchState() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
  }
};

std::string limit_message(const PatternCode& c, int rc, const Budget& b, std::size_t start,
                          std::size_t subject_size) {
  std::string what;
  // Backtracking limits, or memory for the backtracking state (a repeated group spanning much
  // of the text keeps one frame per repetition).
  std::string hint = "it backtracks too much there (nested or adjacent repeats such as (a+)+ or .*.*); simplify it";
  if (rc == PCRE2_ERROR_CALLOUT && b.hit == Budget::kStepLimit) {
    what = "its step limit (" + std::to_string(b.step_limit) + " steps for this text)";
  } else if (rc == PCRE2_ERROR_CALLOUT && b.hit == Budget::kTimeLimit) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%g", c.limits.time_limit_s);
    what = std::string("its time limit (") + seconds + " s)";
  } else if (rc == PCRE2_ERROR_MATCHLIMIT) {
    what = "the match limit (" + std::to_string(c.limits.match_limit) + " backtracking steps)";
  } else {
    if (rc == PCRE2_ERROR_DEPTHLIMIT)
      what = "the depth limit (" + std::to_string(c.limits.depth_limit) + " nested backtracking points)";
    else if (rc == PCRE2_ERROR_HEAPLIMIT)
      what = "the heap limit (" + std::to_string(c.limits.heap_limit_kib) + " KiB)";
    else
      what = "a resource limit (" + pcre2_message(rc) + ")";
    hint = "a repeated group spans too much of it (such as (a|b)* over a long line); use a character class ([ab]*) or "
           "a shorter span";
  }
  return "pattern " + quote_pattern(c.pattern) + " reached " + what + " matching from byte " + std::to_string(start) +
         " of a " + std::to_string(subject_size) + "-byte text: " + hint;
}

// One match attempt: the number of groups set (>= 1), 0 for no match; throws on a limit.
int run_match(const PatternCode& c, std::string_view subject, std::size_t start, uint32_t options, MatchState& st) {
  st.budget.last_position = start;
  int rc = pcre2_match(c.code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), start, options, st.data,
                       st.context);
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  if (rc < 0) {
    if (rc == PCRE2_ERROR_CALLOUT || rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
        rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_NOMEMORY)
      throw PatternLimitError(limit_message(c, rc, st.budget, start, subject.size()));
    // Anything else PCRE2 stops at (a recursion that loops without consuming text, such as
    // (?R) at the same place) is this pattern on this text as well, not a program error.
    throw PatternLimitError("pattern " + quote_pattern(c.pattern) + " could not be matched from byte " +
                            std::to_string(start) + " of a " + std::to_string(subject.size()) +
                            "-byte text: " + pcre2_message(rc));
  }
  // rc == 0 only when the ovector is too small, impossible with match data made from the code.
  return rc == 0 ? c.groups + 1 : rc;
}

}  // namespace

// Builds a Match from PCRE2's ovector (a friend of Match).
struct detail::MatchAccess {
  static Match build(const std::shared_ptr<const PatternCode>& code, std::string_view subject, int set,
                     pcre2_match_data* md) {
    Match m;
    m.subject_ = subject;
    m.code_ = code;
    std::size_t n = static_cast<std::size_t>(code->groups) + 1;
    m.offsets_.assign(2 * n, std::string_view::npos);
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    for (std::size_t i = 0; i < n && i < static_cast<std::size_t>(set); ++i) {
      if (ov[2 * i] == PCRE2_UNSET || ov[2 * i + 1] == PCRE2_UNSET) continue;
      std::size_t b = std::min<std::size_t>(ov[2 * i], subject.size());
      std::size_t e = std::min<std::size_t>(ov[2 * i + 1], subject.size());
      // \K inside a lookaround could end a match before it starts; PCRE2 refuses \K there by
      // default, but a view must never have a negative length.
      m.offsets_[2 * i] = b;
      m.offsets_[2 * i + 1] = std::max(b, e);
    }
    return m;
  }
};

namespace {
Match make_match(const std::shared_ptr<const PatternCode>& code, std::string_view subject, int set, MatchState& st) {
  return detail::MatchAccess::build(code, subject, set, st.data);
}
}  // namespace

std::string quote_pattern(std::string_view pattern, std::size_t max_chars) {
  std::string out = "\"";
  std::size_t shown = 0;
  for (unsigned char ch : pattern) {
    if (shown == max_chars) {
      out += "...";
      break;
    }
    ++shown;
    switch (ch) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '"': out += "\\\""; break;
      default:
        if (ch < 0x20 || ch >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", ch);
          out += buf;
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  out += '"';
  if (pattern.size() > max_chars) out += " (" + std::to_string(pattern.size()) + " bytes)";
  return out;
}

Pattern::Pattern(std::string_view pattern, PatternOptions options) {
  auto c = std::make_shared<PatternCode>();
  c->pattern = std::string(pattern);
  c->limits = options.limits;
  pcre2_compile_context* cc = pcre2_compile_context_create(nullptr);
  if (!cc) throw runtime_error("out of memory creating a PCRE2 compile context");
  // `.` excludes \r as well as \n (as ECMAScript's), so a progress bar's carriage returns end
  // what `.*` spans. The automatic callout before every item counts the steps (Budget).
  pcre2_set_newline(cc, PCRE2_NEWLINE_ANYCRLF);
  uint32_t flags = PCRE2_AUTO_CALLOUT | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX | PCRE2_MATCH_UNSET_BACKREF | PCRE2_NEVER_UTF;
  if (options.ignore_case) flags |= PCRE2_CASELESS;
  int error = 0;
  PCRE2_SIZE offset = 0;
  static const char kEmpty[] = "";
  const char* text = pattern.data() ? pattern.data() : kEmpty;
  c->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(text), pattern.size(), flags, &error, &offset, cc);
  pcre2_compile_context_free(cc);
  if (!c->code) {
    std::string reason = pcre2_message(error);
    throw PatternSyntaxError("invalid pattern " + quote_pattern(pattern) + " at offset " + std::to_string(offset) +
                                 ": " + reason,
                             offset, reason);
  }
  uint32_t groups = 0;
  pcre2_pattern_info(c->code, PCRE2_INFO_CAPTURECOUNT, &groups);
  c->groups = static_cast<int>(groups);
  uint32_t name_count = 0, entry_size = 0;
  PCRE2_SPTR table = nullptr;
  pcre2_pattern_info(c->code, PCRE2_INFO_NAMECOUNT, &name_count);
  pcre2_pattern_info(c->code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
  pcre2_pattern_info(c->code, PCRE2_INFO_NAMETABLE, &table);
  for (uint32_t i = 0; i < name_count && table; ++i) {
    PCRE2_SPTR entry = table + static_cast<std::size_t>(i) * entry_size;
    int number = (entry[0] << 8) | entry[1];
    c->names.emplace(std::string(reinterpret_cast<const char*>(entry + 2)), number);
  }
  c->context = pcre2_match_context_create(nullptr);
  if (!c->context) throw runtime_error("out of memory creating a PCRE2 match context");
  pcre2_set_match_limit(c->context, options.limits.match_limit);
  pcre2_set_depth_limit(c->context, options.limits.depth_limit);
  pcre2_set_heap_limit(c->context, options.limits.heap_limit_kib);
  code_ = std::move(c);
}

const std::string& Pattern::pattern() const noexcept { return code_->pattern; }

int Pattern::group_count() const noexcept { return code_->groups; }

std::vector<std::string> Pattern::group_names() const {
  std::vector<std::pair<int, std::string>> by_number;
  for (const auto& [name, number] : code_->names) by_number.emplace_back(number, name);
  std::sort(by_number.begin(), by_number.end());
  std::vector<std::string> out;
  for (auto& [number, name] : by_number) out.push_back(std::move(name));
  return out;
}

std::optional<int> Pattern::group_number(std::string_view name) const {
  auto it = code_->names.find(name);
  if (it == code_->names.end()) return std::nullopt;
  return it->second;
}

std::optional<Match> Pattern::search(std::string_view subject, std::size_t start) const {
  if (start > subject.size()) return std::nullopt;
  MatchState st(*code_, subject.size());
  int set = run_match(*code_, subject, start, 0, st);
  if (set == 0) return std::nullopt;
  return make_match(code_, subject, set, st);
}

std::optional<Match> Pattern::full_match(std::string_view subject) const {
  MatchState st(*code_, subject.size());
  int set = run_match(*code_, subject, 0, PCRE2_ANCHORED | PCRE2_ENDANCHORED, st);
  if (set == 0) return std::nullopt;
  return make_match(code_, subject, set, st);
}

std::size_t Pattern::for_each_match(std::string_view subject, const std::function<bool(const Match&)>& each) const {
  MatchState st(*code_, subject.size());
  std::size_t count = 0;
  std::size_t offset = 0;
  uint32_t options = 0;
  while (offset <= subject.size()) {
    int set = run_match(*code_, subject, offset, options, st);
    if (set == 0) {
      if (options == 0) break;
      // After an empty match no non-empty match starts there: move on by one character (a
      // CR LF pair counts as one, as the newline convention says).
      options = 0;
      if (offset + 1 < subject.size() && subject[offset] == '\r' && subject[offset + 1] == '\n') offset += 2;
      else offset += 1;
      continue;
    }
    Match m = make_match(code_, subject, set, st);
    ++count;
    if (!each(m)) break;
    std::size_t b = m.begin(0), e = std::max(m.end(0), offset);
    if (e == b) {
      // An empty match: next, a non-empty match at the same place, if any (as std::regex_iterator).
      options = PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED;
    } else {
      options = 0;
    }
    offset = e;
  }
  return count;
}

bool Match::matched(int i) const noexcept {
  if (i < 0 || static_cast<std::size_t>(i) >= size()) return false;
  return offsets_[2 * static_cast<std::size_t>(i)] != std::string_view::npos;
}

bool Match::matched(std::string_view name) const {
  auto it = code_->names.find(name);
  return it != code_->names.end() && matched(it->second);
}

std::string_view Match::group(int i) const {
  if (i < 0 || static_cast<std::size_t>(i) >= size())
    throw runtime_error("pattern " + quote_pattern(code_->pattern) + " has no group " + std::to_string(i) + " (it has " +
                        std::to_string(size() - 1) + ")");
  if (!matched(i)) return {};
  std::size_t b = offsets_[2 * static_cast<std::size_t>(i)], e = offsets_[2 * static_cast<std::size_t>(i) + 1];
  return subject_.substr(b, e - b);
}

std::string_view Match::group(std::string_view name) const {
  auto it = code_->names.find(name);
  if (it == code_->names.end())
    throw runtime_error("pattern " + quote_pattern(code_->pattern) + " has no group named '" + std::string(name) + "'");
  return group(it->second);
}

std::size_t Match::begin(int i) const {
  group(i);  // range check
  return offsets_[2 * static_cast<std::size_t>(i)];
}

std::size_t Match::end(int i) const {
  group(i);
  return offsets_[2 * static_cast<std::size_t>(i) + 1];
}

}  // namespace greentune
