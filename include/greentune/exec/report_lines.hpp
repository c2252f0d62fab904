#pragma once
// The report lines of an external model: what the Python module's greentune.report writes
// on the run's standard output, one JSON object per line starting {"greentune":"report",
// e.g. {"greentune":"report","metric":0.91,"epoch":3,"train_loss":0.2,"window":{...}}.
// The runner keeps them (in order) in the run's details under kReportsDetailKey as a JSON
// array; the metric itself is read by the usual result = "json-lines" parsing.
#include <string>

#include <nlohmann/json.hpp>

namespace greentune::exec {

inline constexpr const char* kReportsDetailKey = "reports";

// Every line of `stdout_text` that is a JSON object whose "greentune" member is "report"
// (leading blanks allowed; other lines and unparsable ones are skipped). Empty array: none.
nlohmann::json collect_reports(const std::string& stdout_text);

}  // namespace greentune::exec
