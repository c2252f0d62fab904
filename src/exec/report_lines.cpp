#include "greentune/exec/report_lines.hpp"

#include <sstream>

namespace greentune::exec {

nlohmann::json collect_reports(const std::string& stdout_text) {
  nlohmann::json out = nlohmann::json::array();
  std::istringstream in(stdout_text);
  std::string line;
  while (std::getline(in, line)) {
    auto b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] != '{' || line.find("\"greentune\"") == std::string::npos) continue;
    try {
      nlohmann::json j = nlohmann::json::parse(line);
      auto it = j.find("greentune");
      if (j.is_object() && it != j.end() && *it == "report") out.push_back(std::move(j));
    } catch (const std::exception&) {
      // not a protocol line
    }
  }
  return out;
}

}  // namespace greentune::exec
