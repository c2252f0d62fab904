#include "greentune/core/format.hpp"

#include <cmath>
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

}  // namespace greentune
