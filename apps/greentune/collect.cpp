// greentune collect: merge the result files that tasks wrote (e.g. on Slurm nodes) into the
// study database. Idempotent: collecting twice changes nothing.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "greentune/slurm/study.hpp"

namespace greentune::app {
namespace {
struct CollectArgs {
  std::string dir;
};
}  // namespace

void add_collect_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<CollectArgs>();
  CLI::App* cmd = app.add_subcommand(
      "collect", "Merge DIR/results/task-*.json into DIR/study.db (safe to repeat; a run is never stored twice)");
  cmd->add_option("dir", args->dir, "study folder (or its study.db)")->required()->envname("GREENTUNE_STUDY_DIR");
  cmd->callback([&ctx, args] {
    ctx.run = [args]() -> int {
      exec::CollectReport r = exec::collect_results(args->dir);
      std::cout << exec::format_collect(r, args->dir);
      for (const auto& b : r.bad_files) std::cerr << "greentune: error: " << b << "\n";
      // Unreadable result files are skipped (everything else is stored); exit 2 says so.
      return r.bad_files.empty() ? 0 : 2;
    };
  });
}

}  // namespace greentune::app
