// greentune: how do my hyperparameters drive my model's energy?
// main() only parses, dispatches and maps errors to exit codes.
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "greentune/core/allocator.hpp"
#include "greentune/core/error.hpp"

#ifndef GREENTUNE_VERSION
#define GREENTUNE_VERSION "dev"
#endif

int main(int argc, char** argv) {
  greentune::tune_allocator();
  using namespace greentune::app;
  CLI::App app{
      "greentune " GREENTUNE_VERSION " - measure how hyperparameters drive the energy of deep-learning\n"
      "training, and find greener settings that keep performance.\n\n"
      "Typical use:\n"
      "  greentune study                 run the embedded quick study, then see its report\n"
      "  greentune train --model mnist_cnn --set epochs=1 --json\n"
      "  greentune measure -- python3 train.py\n"
      "  greentune analyze study.db      correlations and win-tie-loss trade-offs\n"
      "  greentune report study.db -o report/\n",
      "greentune"};
  app.set_version_flag("--version", "greentune " GREENTUNE_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  CommandContext ctx;
  add_study_command(app, ctx);
  add_tune_command(app, ctx);
  add_train_command(app, ctx);
  add_models_command(app, ctx);
  add_measure_command(app, ctx);
  add_meters_command(app, ctx);
  add_analyze_command(app, ctx);
  add_report_command(app, ctx);
  add_export_command(app, ctx);
  add_status_command(app, ctx);
  add_run_task_command(app, ctx);
  add_collect_command(app, ctx);
  add_help_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      std::cerr << "greentune: error: " << e.what() << " (see 'greentune --help')\n";
      return 2;
    }
    return app.exit(e);
  } catch (const greentune::Error& e) {
    std::cerr << "greentune: error: " << e.what() << "\n";
    return e.exit_code();
  }
  if (!ctx.run) {
    std::cerr << "greentune: error: no command (see 'greentune --help')\n";
    return 2;
  }
  try {
    int rc = ctx.run();
    std::cout.flush();
    return rc;
  } catch (const greentune::Error& e) {
    std::cout.flush();
    std::cerr << "greentune: error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "greentune: error: " << e.what() << "\n";
    return 1;
  }
}
