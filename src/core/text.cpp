#include "greentune/core/text.hpp"

#include <cerrno>
#include <cstdlib>

namespace greentune {

namespace {
constexpr std::string_view kSpace = " \t\r\n";
}  // namespace

std::string trim(std::string_view text) {
  const auto b = text.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return "";
  const auto e = text.find_last_not_of(kSpace);
  return std::string(text.substr(b, e - b + 1));
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == separator) {
      out.emplace_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

std::vector<std::string> nonempty_lines(std::string_view text) {
  std::vector<std::string> out;
  for (const std::string& line : split(text, '\n')) {
    std::string t = trim(line);
    if (!t.empty()) out.push_back(std::move(t));
  }
  return out;
}

bool parse_whole_number(const std::string& text, long long& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0') return false;
  out = v;
  return true;
}

std::string tail(std::string_view text, std::size_t n) {
  return std::string(text.size() <= n ? text : text.substr(text.size() - n));
}

}  // namespace greentune
