// greentune status: where a study stands (runs done, failures, energy, ETA), also while it
// runs elsewhere.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "greentune/slurm/study.hpp"
#include "greentune/exec/status.hpp"

namespace greentune::app {
namespace {
struct StatusArgs {
  std::string db;
};
}  // namespace

void add_status_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<StatusArgs>();
  CLI::App* cmd = app.add_subcommand("status", "Show a study's progress: runs done/pending/running/failed, energy, ETA");
  cmd->add_option("db", args->db, "study database (study.db) or study directory")->required();
  cmd->callback([&ctx, args] {
    ctx.run = [args]() -> int {
      std::cout << exec::format_status(exec::study_status(args->db));
      // Studies submitted to Slurm: each task's queue state (squeue/sacct) and result file.
      std::cout << slurm::format_slurm_summary(slurm::slurm_task_summary(args->db), args->db);
      return 0;
    };
  });
}

}  // namespace greentune::app
