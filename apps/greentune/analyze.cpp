// greentune analyze: correlations (RQ1), win-tie-loss trade-offs (RQ2), parallel vs single (RQ3).
#include <iostream>
#include <memory>

#include "analysis_flags.hpp"
#include "commands.hpp"
#include "greentune/store/integrity.hpp"
#include "greentune/analysis/analyze_command.hpp"
#include "greentune/stats/stats.hpp"
#include "greentune/tune/inspect.hpp"

namespace greentune::app {

void add_analyze_command(CLI::App& app, CommandContext& ctx) {
  auto request = std::make_shared<analysis::AnalyzeRequest>();
  auto test = std::make_shared<std::string>("mann-whitney");
  auto* cmd = app.add_subcommand(
      "analyze",
      "Correlations between hyperparameters and energy/time/performance (Spearman, Pearson), each mutant "
      "against the original (win/tie/loss), trade-off grids, greener mutants, parallel vs single");
  auto& o = request->options;
  cmd->add_option("database", request->database, "Study database (SQLite) or runs CSV; a tune run's study.db (or directory) gets the tune summary");
  cmd->add_option("--runs", request->runs_csv, "Runs file in the interchange format (CSV)")
      ->envname("GREENTUNE_RUNS");
  add_analysis_flags(cmd, o, test);
  cmd->add_option("--threads", o.threads, "Threads analysing groups in parallel (0: one per core; same results)")
      ->capture_default_str()
      ->envname("GREENTUNE_THREADS");
  cmd->add_flag("--json", request->json, "Print one JSON object instead of tables");
  cmd->callback([&ctx, request, test] {
    request->options.test = stats::parse_test_kind(*test);
    ctx.run = [request] {
      store::check_if_database(request->database);
      if (request->runs_csv.empty() && tune::is_tune_database(request->database))  // a tune run: phases, not operators
        return tune::analyze_tune(request->database, request->json, std::cout);
      return analysis::run_analyze(*request, std::cout);
    };
  });
}

}  // namespace greentune::app
