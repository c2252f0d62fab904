#pragma once
// Exact number <-> text conversions. A value written with format_exact() parses back
// bit-for-bit with parse_double(): what is stored is exactly what was used.
#include <optional>
#include <string>
#include <string_view>

namespace greentune {

// Shortest text that round-trips to the same double ("0.1", "1e-05", "14").
std::string format_exact(double value);
// Strict parse: whole string must be a finite number (leading/trailing spaces allowed).
std::optional<double> parse_double(std::string_view text);
// Strict integer parse (accepts "14" and "14.0"/"1e2" only if integral).
std::optional<long long> parse_integer(std::string_view text);

}  // namespace greentune
