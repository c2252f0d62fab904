#pragma once
// Integers read from JSON written outside this process (trainer output, plan.json, task results).
// nlohmann's get<int>() of a float such as 1e300 is undefined behaviour (an out-of-range
// float-to-integer conversion; found by the fuzz targets, docs/fuzzing.md): json_integer accepts
// a JSON integer, or a float with an integral value, that fits T, and throws input_error otherwise.
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"

namespace greentune {

template <class T>
T json_integer(const nlohmann::json& v, const std::string& what) {
  static_assert(std::is_integral_v<T> && std::is_signed_v<T>, "signed integers only");
  constexpr T lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  if (v.is_number_unsigned()) {
    auto u = v.get<unsigned long long>();
    if (u <= static_cast<unsigned long long>(hi)) return static_cast<T>(u);
  } else if (v.is_number_integer()) {
    auto x = v.get<long long>();
    if (x >= lo && x <= hi) return static_cast<T>(x);
  } else if (v.is_number_float()) {
    double d = v.get<double>();
    // [lo, -lo) is exactly representable as doubles (powers of two).
    if (std::isfinite(d) && d == std::trunc(d) && d >= static_cast<double>(lo) && d < -static_cast<double>(lo))
      return static_cast<T>(d);
  } else {
    throw input_error(what + ": expected an integer, got " + std::string(v.type_name()));
  }
  throw input_error(what + ": " + v.dump() + " is not an integer in range");
}

// json_integer of j[key], or `fallback` when the key is missing.
template <class T>
T json_integer(const nlohmann::json& j, const char* key, T fallback, const std::string& what) {
  if (!j.is_object() || !j.contains(key)) return fallback;
  return json_integer<T>(j.at(key), what + key);
}

}  // namespace greentune
