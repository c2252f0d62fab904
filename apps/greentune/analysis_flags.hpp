#pragma once
// The analysis flags shared by `greentune analyze` and `greentune report`.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "greentune/analysis/analysis.hpp"

namespace greentune::app {

// Adds --test, --alpha, --negligible, --weak, --strong, --bootstrap, --confidence, --seed,
// --include-estimated and --node, bound to `o`; --test goes to *test (parse it in the callback).
inline void add_analysis_flags(CLI::App* cmd, analysis::AnalysisOptions& o, const std::shared_ptr<std::string>& test) {
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
  cmd->add_option("--node", o.nodes,
                  "Only runs measured on this host (repeatable; default: all, with a warning when several)");
}

}  // namespace greentune::app
