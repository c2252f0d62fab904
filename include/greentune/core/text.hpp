#pragma once
// Small text helpers used across areas: trim, split, join, the lines of a command's output,
// and a strict whole-number parse.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace greentune {

// Without leading and trailing spaces, tabs, CRs and LFs.
std::string trim(std::string_view text);
// Every field between separators, empty ones too: split("a,,b", ',') is {"a", "", "b"}; "" is {""}.
std::vector<std::string> split(std::string_view text, char separator);
// The parts with the separator between each two.
std::string join(const std::vector<std::string>& parts, std::string_view separator);
// Each line of the text trimmed, the empty ones left out.
std::vector<std::string> nonempty_lines(std::string_view text);
// The last `n` characters of the text (all of it when shorter): the end of a long output.
std::string tail(std::string_view text, std::size_t n);
// A base-10 integer (strtoll: leading white space and a sign allowed) that is the whole text,
// into `out`; false (out unchanged) when it is not, or is out of range.
bool parse_whole_number(const std::string& text, long long& out);

}  // namespace greentune
