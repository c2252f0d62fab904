#pragma once
// Internal: the report's section builders and the small formatting helpers they share.
#include <string>
#include <vector>

#include "greentune/analysis/analysis.hpp"
#include "greentune/report/report.hpp"

namespace greentune::report::detail {

// ---- formatting ----
std::string metric_title(analysis::Metric metric);  // "CPU package energy (J)"
std::string metric_name(analysis::Metric metric);   // "cpu_package_j"
// The model's performance metric with its direction: "val_loss (lower is better)".
std::string performance_label(const ReportInput& input, const std::string& model);
// A metric cell of one model's row: performance shows its name and direction (CSV keeps
// "performance"); the other metrics their name.
Cell metric_cell(const ReportInput& input, analysis::Metric metric, const std::string& model);
// "better" of a metric for one model: "higher" or "lower".
std::string better_text(const ReportInput& input, analysis::Metric metric, const std::string& model);
// The models' performance metrics and directions, grouped: "val_loss (lower is better) for
// ext; accuracy (higher is better) for a, b".
std::string performance_directions(const ReportInput& input);
// A paragraph for sections drawn from estimated energy: why, and how to get real readings.
std::string estimated_energy_explanation();
// True when some model's performance metric is lower-is-better.
bool any_lower_is_better(const ReportInput& input);
std::string group_label(const std::string& model, Scenario scenario, const std::string& corunner);
std::string value_text(double value);  // hyperparameter value, 4 significant digits
Cell num_cell(double value, int digits = 3);
Cell p_cell(double p);
Cell count_cell(std::size_t n);
Cell outcome_cell(analysis::Outcome outcome);
std::string details(const std::string& summary, const std::string& inner_html);
std::string estimate_badge();

// ---- sections (sections_overview.cpp) ----
Section overview_section(const ReportInput& input);
Section environment_section(const ReportInput& input);
Section method_section(const ReportInput& input);

// ---- sections (sections_analysis.cpp) ----
Section correlation_section(const ReportInput& input);
Section tradeoff_section(const ReportInput& input);
Section comparison_section(const ReportInput& input);
Section parallel_section(const ReportInput& input);
Section greener_section(const ReportInput& input);

// ---- sections (sections_runs.cpp) ----
Section boxplot_section(const ReportInput& input);
Section power_section(const ReportInput& input);

}  // namespace greentune::report::detail
