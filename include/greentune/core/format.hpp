#pragma once
// Small text helpers for the study runner's output.
#include <string>

namespace greentune {

std::string format_duration(double seconds);   // "45 s", "3 min 20 s", "2 h 05 min"
std::string format_energy(double joules);      // "812 J", "12.3 kJ", "1.52 MJ"
// "<prefix><name>-<UTC yyyymmdd-hhmmss>", the name reduced to [A-Za-z0-9_-] (others become _):
// the default folder of a new study or tune run.
std::string timestamped_dir_name(const std::string& prefix, const std::string& name);

}  // namespace greentune
