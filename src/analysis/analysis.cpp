// Placeholder while the analysis is written: the interface compiles, the functions throw.
#include "greentune/analysis/analysis.hpp"

#include "greentune/core/error.hpp"

namespace greentune::analysis {

AnalysisResult analyze(const std::vector<RunRecord>& runs, const AnalysisOptions& options) {
  return analyze(runs, options, {});
}
AnalysisResult analyze(const std::vector<RunRecord>&, const AnalysisOptions&, const std::vector<std::string>&) {
  throw runtime_error("analysis: not implemented yet");
}
nlohmann::json to_json(const AnalysisResult&) { throw runtime_error("analysis: not implemented yet"); }
std::string format_text(const AnalysisResult&) { throw runtime_error("analysis: not implemented yet"); }

}  // namespace greentune::analysis
