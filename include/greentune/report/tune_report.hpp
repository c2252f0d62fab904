#pragma once
// The tune report: one self-contained HTML page (inline SVG, the study report's page skeleton from
// report/document.hpp) for a `greentune tune` summary (tune/tuner.hpp tune_summary): the
// recommendation with its intervals and payback, the confirmation of every candidate against the
// original, the Pareto plot of every evaluated configuration (objective vs performance) with the
// original and the recommendation marked, the convergence of the best feasible objective over the
// search's runs, and every configuration. Its tables are also written as Markdown and CSV.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace greentune::report {

std::string tune_report_html(const nlohmann::json& summary, const std::string& title = {});

struct TuneReportFiles {
  std::string html_path, markdown_path, json_path;
  std::vector<std::string> csv_paths;
};
// Writes report.html, report.md, summary.json and the tables as tune-*.csv into out_dir (created).
TuneReportFiles write_tune_report(const nlohmann::json& summary, const std::string& out_dir,
                                  const std::string& title = {});

}  // namespace greentune::report
