#include "greentune/core/format.hpp"

#include <time.h>

#include <cctype>
#include <cmath>
#include <ctime>
#include <cstdio>

namespace greentune {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  long long s = std::llround(seconds);
  char buf[64];
  if (s < 60) std::snprintf(buf, sizeof(buf), "%lld s", s);
  else if (s < 3600) std::snprintf(buf, sizeof(buf), "%lld min %02lld s", s / 60, s % 60);
  else std::snprintf(buf, sizeof(buf), "%lld h %02lld min", s / 3600, (s % 3600) / 60);
  return buf;
}

std::string format_energy(double j) {
  char buf[64];
  if (!std::isfinite(j)) return "?";
  if (std::fabs(j) < 1000) std::snprintf(buf, sizeof(buf), "%.0f J", j);
  else if (std::fabs(j) < 1e6) std::snprintf(buf, sizeof(buf), "%.1f kJ", j / 1e3);
  else std::snprintf(buf, sizeof(buf), "%.2f MJ", j / 1e6);
  return buf;
}

std::string timestamped_dir_name(const std::string& prefix, const std::string& name) {
  time_t now = ::time(nullptr);
  struct tm tm {};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%d-%H%M%S", &tm);
  std::string clean;
  for (char c : name) clean += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return prefix + clean + "-" + buf;
}

}  // namespace greentune
