// greentune analyze: correlations (RQ1), win-tie-loss trade-offs (RQ2), parallel vs single (RQ3).
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "greentune/analysis/analyze_command.hpp"
#include "greentune/stats/stats.hpp"

namespace greentune::app {

void add_analyze_command(CLI::App& app, CommandContext& ctx) {
  auto request = std::make_shared<analysis::AnalyzeRequest>();
  auto test = std::make_shared<std::string>("mann-whitney");
  auto* cmd = app.add_subcommand(
      "analyze",
      "Correlations between hyperparameters and energy/time/performance (Spearman, Pearson), each mutant "
      "against the original (win/tie/loss), trade-off grids, greener mutants, parallel vs single");
  auto& o = request->options;
  cmd->add_option("database", request->database, "Study database (SQLite) or runs CSV");
  cmd->add_option("--runs", request->runs_csv, "Runs file in the interchange format (CSV)")
      ->envname("GREENTUNE_RUNS");
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
  cmd->add_option("--threads", o.threads, "Threads analysing groups in parallel (0: one per core; same results)")
      ->capture_default_str()
      ->envname("GREENTUNE_THREADS");
  cmd->add_option("--node", o.nodes, "Analyse only runs measured on this host (repeatable; default: all, with a warning when several)");
  cmd->add_flag("--json", request->json, "Print one JSON object instead of tables");
  cmd->callback([&ctx, request, test] {
    request->options.test = stats::parse_test_kind(*test);
    ctx.run = [request] { return analysis::run_analyze(*request, std::cout); };
  });
}

}  // namespace greentune::app
