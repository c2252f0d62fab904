// greentune export: a study database's runs as the interchange CSV or as JSON.
#include <fstream>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "greentune/core/error.hpp"
#include "greentune/exec/task.hpp"
#include "greentune/store/export.hpp"
#include "greentune/store/integrity.hpp"

namespace greentune::app {
namespace {
struct ExportArgs {
  std::string db;
  std::string format = "csv";
  std::string output;
  std::string status;
};
}  // namespace

void add_export_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand("export", "Write a study's runs in the runs interchange format (CSV) or as JSON");
  cmd->add_option("db", args->db, "study database (study.db) or study directory")->required();
  cmd->add_option("-f,--format", args->format, "csv (the interchange format read by 'analyze --runs') or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"csv", "json"}))
      ->envname("GREENTUNE_EXPORT_FORMAT");
  cmd->add_option("-o,--output", args->output, "output file (empty = stdout)")->capture_default_str();
  cmd->add_option("--status", args->status, "only runs with this status (succeeded, failed, diverged, timeout, pruned, pending, running); empty = all")
      ->capture_default_str();
  cmd->callback([&ctx, args] {
    ctx.run = [args]() -> int {
      std::string db = exec::StudyPaths::from_path(args->db).db();
      store::check_database_integrity(db);  // a damaged database: one line, nothing exported
      if (args->output.empty()) {
        store::export_runs(db, args->format, std::cout, args->status);
        return 0;
      }
      std::string tmp = args->output + ".tmp";
      {
        std::ofstream out(tmp, std::ios::binary);
        if (!out) throw io_error("cannot write " + tmp);
        store::export_runs(db, args->format, out, args->status);
        out.close();
        if (!out) throw io_error("cannot write " + tmp);
      }
      if (std::rename(tmp.c_str(), args->output.c_str()) != 0) throw io_error("cannot write " + args->output);
      return 0;
    };
  });
}

}  // namespace greentune::app
