#pragma once
// `greentune report`: one self-contained HTML page (inline SVG charts, inline CSS, no
// scripts, nothing loaded from anywhere) plus Markdown tables and CSV files, from a study
// database or a runs interchange CSV.
//
// Sections: overview; environment and meter sources; correlations (RQ1: strength summary,
// heatmaps, full table); trade-off grids (RQ2); win-tie-loss details; energy and
// performance per mutant (box plots, original highlighted); power over time; parallel vs
// single (RQ3); greener configurations; method. A section without data says so.
// Values that come from an energy estimate (not a meter) are marked wherever they appear.
#include <cstddef>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "greentune/analysis/analysis.hpp"
#include "greentune/core/run_record.hpp"
#include "greentune/report/document.hpp"
#include "greentune/store/run_records.hpp"

namespace greentune::report {

// Everything a report is drawn from. Build it with load_report_input() or by hand (tests).
struct ReportInput {
  std::string title = "greentune report";
  std::string source;             // what was read, e.g. "study.db" or "runs.csv"
  bool from_database = false;     // environment and power samples exist only in a database
  std::vector<RunRecord> runs;    // every run read (all statuses)
  analysis::AnalysisResult analysis;
  std::map<std::string, std::string> environment;  // empty: not available
  std::map<std::string, std::map<std::string, std::string>> node_environments;
  std::map<long long, std::vector<store::PowerPoint>> power;  // by run id (extra "run_id")
  std::size_t max_power_runs = 12;  // runs drawn in the power-over-time section
  std::size_t max_box_groups = 24;  // (model, scenario, co-runner) groups drawn as box plots
  std::size_t max_heatmap_rows = 90;  // rows of a correlation heatmap (per scenario)
};

// One part of the report: its HTML and the tables also written as Markdown and CSV.
struct NamedTable {
  std::string file_stem;  // CSV file name without ".csv"
  Table table;
};
struct Section {
  std::string id;
  std::string heading;
  std::string html;
  std::vector<NamedTable> tables;
};

// Builds every section, in page order.
std::vector<Section> build_sections(const ReportInput& input);

// One page of a report, a study's or a tune run's (tune_report.hpp): the same sections, written by
// one writer per format (HTML with inline SVG, Markdown, one CSV per table).
struct Page {
  std::string title;
  std::string subtitle;
  std::string markdown_intro;  // report.md's lines after the subtitle
  std::vector<Section> sections;
  // report.md: true lists every section ("(no table: see report.html)" where it has none), a
  // blank line after each table; false leaves sections without a table out, no blank line.
  bool markdown_every_section = true;
};
std::string page_html(const Page& page);
std::string page_markdown(const Page& page);
struct ReportFiles;
// Writes report.html, report.md and one CSV per table (FILE_STEM.csv) into out_dir (created if
// needed). Throws io_error naming the path when something cannot be written.
ReportFiles write_page(const Page& page, const std::string& out_dir);
// Writes one file whole; io_error naming it when it cannot be written.
void write_report_file(const std::string& path, const std::string& text);
// The whole HTML page as text.
std::string render_html(const ReportInput& input);

struct ReportFiles {
  std::string html_path;
  std::string markdown_path;
  std::vector<std::string> csv_paths;
};
// Writes report.html, report.md and one CSV per table into out_dir (created if needed).
// Throws io_error naming the path when something cannot be written.
ReportFiles write_report(const ReportInput& input, const std::string& out_dir);

struct ReportOptions {
  std::string db_path;    // a study database (or a runs CSV, recognised by its first bytes), or
  std::string runs_csv;   // a runs interchange CSV
  std::string out_dir = "report";
  std::string title;      // empty: "greentune report: <source>"
  std::size_t max_power_runs = 12;
  std::size_t max_box_groups = 24;
  analysis::AnalysisOptions analysis;
};
// Reads the input (exactly one of db_path / runs_csv) and analyses it.
ReportInput load_report_input(const ReportOptions& options);
// The same from `st`, options.db_path's database already opened and checked (one open for the
// integrity check, the tune-run probe and the loaders).
ReportInput load_report_input(const ReportOptions& options, store::StudyStore& st);
// What `greentune report` does: load, analyse, write, print where the files are.
int run_report(const ReportOptions& options, std::ostream& out);
int run_report(const ReportOptions& options, store::StudyStore& st, std::ostream& out);

}  // namespace greentune::report
