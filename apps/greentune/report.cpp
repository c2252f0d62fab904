// greentune report: one self-contained HTML page (inline SVG) plus Markdown tables and CSVs.
#include <iostream>
#include <memory>

#include "analysis_flags.hpp"
#include "commands.hpp"
#include "greentune/core/files.hpp"
#include "greentune/store/integrity.hpp"
#include "greentune/store/study_store.hpp"
#include "greentune/report/report.hpp"
#include "greentune/stats/stats.hpp"
#include "greentune/tune/inspect.hpp"

namespace greentune::app {

void add_report_command(CLI::App& app, CommandContext& ctx) {
  auto options = std::make_shared<report::ReportOptions>();
  auto test = std::make_shared<std::string>("mann-whitney");
  auto* cmd = app.add_subcommand(
      "report",
      "Write a self-contained HTML report (inline SVG charts; works offline) plus Markdown tables and "
      "CSV files: environment and meters, correlations, trade-off grids, per-mutant box plots, power "
      "over time, parallel vs single, greener configurations");
  auto& o = options->analysis;
  cmd->add_option("database", options->db_path, "Study database (SQLite) or runs CSV; a tune run's study.db (or directory) gets the tune report");
  cmd->add_option("--runs", options->runs_csv, "Runs file in the interchange format (CSV)")
      ->envname("GREENTUNE_RUNS");
  cmd->add_option("-o,--output", options->out_dir, "Folder for report.html, report.md and the CSV files")
      ->capture_default_str()
      ->envname("GREENTUNE_REPORT_DIR");
  cmd->add_option("--title", options->title, "Page title (default: \"greentune report: <input file>\")")
      ->envname("GREENTUNE_REPORT_TITLE");
  cmd->add_option("--power-runs", options->max_power_runs, "Most runs drawn in the power-over-time charts")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000))
      ->envname("GREENTUNE_POWER_RUNS");
  cmd->add_option("--box-groups", options->max_box_groups,
                  "Most model/scenario groups drawn as box plots (all are in configurations.csv)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000))
      ->envname("GREENTUNE_BOX_GROUPS");
  add_analysis_flags(cmd, o, test);
  cmd->callback([&ctx, options, test] {
    options->analysis.test = stats::parse_test_kind(*test);
    ctx.run = [options] {
      const std::string& db = options->db_path;
      std::string file = db;  // the database: db, or the study.db of a directory
      while (file.size() > 1 && file.back() == '/') file.pop_back();
      if (!file.empty() && is_directory(file)) file += "/study.db";
      if (options->runs_csv.empty() && file_exists(file) && store::looks_like_database(file)) {
        // One open database for the integrity check, the tune-run probe and the loaders.
        store::StudyStore st = store::open_checked(file);
        if (st.meta("kind").value_or("") == "tune")  // a tune run: its own report
          return tune::report_tune(db, st, options->out_dir, options->title, std::cout);
        if (file == db) return report::run_report(*options, st, std::cout);
      }
      store::check_if_database(db);
      return report::run_report(*options, std::cout);
    };
  });
}

}  // namespace greentune::app
