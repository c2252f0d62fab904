#pragma once
// Small sysfs helpers shared by the rapl and perf backends (private to src/energy).
#include <string>

namespace greentune::energy::detail {

// Reads a whole small file; returns 0 or the errno of the failure.
int read_file(const std::string& path, std::string& out);
// Trimmed contents, or throws meter_error naming the file (permission denied gets `hint`).
std::string read_trimmed_or_throw(const std::string& path, const std::string& permission_hint = "");
std::string trim(const std::string& s);
bool is_directory(const std::string& path);

// The fix for root-only RAPL counters (CVE-2020-8694), for error messages.
std::string rapl_permission_hint();

}  // namespace greentune::energy::detail
