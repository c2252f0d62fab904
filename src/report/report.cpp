// Report assembly: sections -> HTML page, Markdown and CSV files; input loading.
#include "greentune/report/report.hpp"

#include <iostream>
#include <filesystem>
#include <optional>
#include <fstream>
#include <ostream>

#include <fmt/format.h>

#include "greentune/core/error.hpp"
#include "greentune/analysis/load_runs.hpp"
#include "greentune/store/study_store.hpp"
#include "sections.hpp"

namespace greentune::report {

std::vector<Section> build_sections(const ReportInput& in) {
  using namespace detail;
  std::vector<Section> out;
  out.push_back(overview_section(in));
  out.push_back(environment_section(in));
  out.push_back(correlation_section(in));
  out.push_back(tradeoff_section(in));
  out.push_back(boxplot_section(in));
  out.push_back(power_section(in));
  out.push_back(parallel_section(in));
  out.push_back(greener_section(in));
  out.push_back(comparison_section(in));
  out.push_back(method_section(in));
  return out;
}

static std::string subtitle(const ReportInput& in) {
  return fmt::format("{} runs from {} \u00b7 {} test, alpha {}, negligible |delta| < {}", in.runs.size(),
                     in.source.empty() ? "(unnamed input)" : in.source,
                     stats::to_string(in.analysis.options.test), in.analysis.options.alpha,
                     in.analysis.options.negligible);
}

namespace {

Page study_page(const ReportInput& in, std::vector<Section> sections) {
  Page page;
  page.title = in.title;
  page.subtitle = subtitle(in);
  page.markdown_intro = "Charts are in report.html; every table below is also a CSV file in this folder.\n";
  if (!in.analysis.notes.empty()) {
    page.markdown_intro += "\nNotes from the analysis:\n\n";
    for (const auto& n : in.analysis.notes) page.markdown_intro += "- " + n + "\n";
  }
  page.sections = std::move(sections);
  return page;
}

}  // namespace

std::string page_html(const Page& p) {
  HtmlPage page(p.title, p.subtitle);
  for (const auto& s : p.sections) page.add_section(s.id, s.heading, s.html);
  return page.str();
}

std::string page_markdown(const Page& p) {
  std::string md = "# " + p.title + "\n\n" + p.subtitle + "\n\n" + p.markdown_intro;
  for (const auto& s : p.sections) {
    if (s.tables.empty() && !p.markdown_every_section) continue;
    md += "\n## " + s.heading + "\n\n";
    if (s.tables.empty()) md += "(no table: see report.html)\n";
    for (const auto& t : s.tables)
      md += table_markdown(t.table) + "\n(" + t.file_stem + ".csv)\n" + (p.markdown_every_section ? "\n" : "");
  }
  return md;
}

void write_report_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw io_error(fmt::format("cannot write '{}'", path));
  f << text;
  f.close();
  if (!f) throw io_error(fmt::format("cannot write '{}' (disk full?)", path));
}

ReportFiles write_page(const Page& page, const std::string& out_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir))
    throw io_error(fmt::format("cannot create report directory '{}': {}", out_dir,
                               ec ? ec.message() : "not a directory"));
  ReportFiles files;
  fs::path dir(out_dir);
  files.html_path = (dir / "report.html").string();
  write_report_file(files.html_path, page_html(page));
  for (const auto& s : page.sections)
    for (const auto& t : s.tables) {
      fs::path csv = dir / (t.file_stem + ".csv");
      write_report_file(csv.string(), table_csv(t.table));
      files.csv_paths.push_back(csv.string());
    }
  files.markdown_path = (dir / "report.md").string();
  write_report_file(files.markdown_path, page_markdown(page));
  return files;
}

std::string render_html(const ReportInput& in) { return page_html(study_page(in, build_sections(in))); }

ReportFiles write_report(const ReportInput& in, const std::string& out_dir) {
  return write_page(study_page(in, build_sections(in)), out_dir);
}

namespace {

// The input from `st` (the database, open) or from the path when st is null.
ReportInput load_input(const ReportOptions& o, store::StudyStore* st) {
  const bool csv = !o.runs_csv.empty();
  const std::string path = csv ? o.runs_csv : o.db_path;
  auto loaded = st ? analysis::load_runs(*st) : analysis::load_runs(path, csv);
  analysis::select_nodes(loaded, o.analysis.nodes, &std::cerr);
  ReportInput in;
  in.max_power_runs = o.max_power_runs;
  in.max_box_groups = o.max_box_groups;
  in.runs = std::move(loaded.runs);
  in.source = path;
  in.from_database = loaded.kind == "database";
  if (st) {
    in.environment = store::load_environment(*st);
    in.node_environments = store::load_node_environments(*st);
    in.power = store::load_all_power_series(*st);
  }
  in.title = o.title.empty() ? "greentune report: " + std::filesystem::path(path).filename().string() : o.title;
  in.analysis = analysis::analyze(in.runs, o.analysis, loaded.origins);
  return in;
}

void check_one_input(const ReportOptions& o) {
  if (o.db_path.empty() == o.runs_csv.empty())
    throw usage_error("report needs exactly one input: a study database (DB) or --runs FILE.csv");
}

int print_written(const ReportOptions& o, const ReportInput& in, std::ostream& out) {
  ReportFiles files = write_report(in, o.out_dir);
  out << "report: " << files.html_path << "\n";
  out << "tables: " << files.markdown_path << " and " << files.csv_paths.size() << " CSV file(s) in "
      << o.out_dir << "\n";
  return 0;
}

}  // namespace

ReportInput load_report_input(const ReportOptions& o) {
  check_one_input(o);
  // A database is opened once, for the runs, the environments and the power samples.
  std::optional<store::StudyStore> st;
  if (o.runs_csv.empty() && analysis::is_sqlite_file(o.db_path)) st.emplace(store::StudyStore::open(o.db_path));
  return load_input(o, st ? &*st : nullptr);
}

ReportInput load_report_input(const ReportOptions& o, store::StudyStore& st) {
  check_one_input(o);
  return load_input(o, &st);
}

int run_report(const ReportOptions& o, std::ostream& out) { return print_written(o, load_report_input(o), out); }

int run_report(const ReportOptions& o, store::StudyStore& st, std::ostream& out) {
  return print_written(o, load_report_input(o, st), out);
}

}  // namespace greentune::report
