#pragma once
// The tune report: one self-contained HTML page (inline SVG) for a `greentune tune` summary
// (tune/tuner.hpp tune_summary): the recommendation with its intervals, the Pareto plot of every
// evaluated configuration (objective vs performance) with the original and the recommendation
// marked, and the convergence of the best feasible objective over the search's runs.
#include <string>

#include <nlohmann/json.hpp>

namespace greentune::report {

std::string tune_report_html(const nlohmann::json& summary);

}  // namespace greentune::report
