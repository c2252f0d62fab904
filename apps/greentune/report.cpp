// greentune report: one self-contained HTML page (inline SVG) plus Markdown tables and CSVs.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "greentune/report/report.hpp"
#include "greentune/stats/stats.hpp"

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
  cmd->add_option("database", options->db_path, "Study database (SQLite) or runs CSV");
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
  cmd->add_option("--test", *test, "Significance test: mann-whitney, t-test (Student) or welch")
      ->capture_default_str()
      ->check(CLI::IsMember({"mann-whitney", "t-test", "welch"}))
      ->envname("GREENTUNE_TEST");
  cmd->add_option("--alpha", o.alpha, "Significance level: tie when p > alpha")
      ->capture_default_str()
      ->envname("GREENTUNE_ALPHA");
  cmd->add_option("--negligible", o.negligible, "Tie when |Cliff's delta| < this")
      ->capture_default_str()
      ->envname("GREENTUNE_NEGLIGIBLE");
  cmd->add_option("--weak", o.strength.weak, "Correlation strength bins: |rho| >= this is weak (below: negligible)")
      ->capture_default_str()
      ->envname("GREENTUNE_WEAK");
  cmd->add_option("--strong", o.strength.strong, "Correlation strength bins: |rho| >= this is strong")
      ->capture_default_str()
      ->envname("GREENTUNE_STRONG");
  cmd->add_option("--bootstrap", o.bootstrap_resamples, "Bootstrap resamples for the saving intervals (0: none)")
      ->capture_default_str()
      ->envname("GREENTUNE_BOOTSTRAP");
  cmd->add_option("--confidence", o.bootstrap_confidence, "Confidence of the bootstrap intervals")
      ->capture_default_str()
      ->envname("GREENTUNE_CONFIDENCE");
  cmd->add_option("--seed", o.bootstrap_seed, "Bootstrap seed")->capture_default_str()->envname("GREENTUNE_SEED");
  cmd->add_flag("--include-estimated", o.include_estimated,
                "Also analyse energy values whose source is an estimate (default: left out, with a note)")
      ->envname("GREENTUNE_INCLUDE_ESTIMATED");
  cmd->add_option("--node", o.nodes, "Report only runs measured on this host (repeatable; default: all, with a warning when several)");
  cmd->callback([&ctx, options, test] {
    options->analysis.test = stats::parse_test_kind(*test);
    ctx.run = [options] { return report::run_report(*options, std::cout); };
  });
}

}  // namespace greentune::app
