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
      // Every line below runs as written from a source checkout with only the quick start's
      // packages (tests/cli/examples_test.cpp runs them); the text after two spaces is a comment.
      "Typical use:\n"
      "  greentune study -o quick                  the embedded quick study (Fashion-MNIST, minutes)\n"
      "  greentune analyze quick/study.db --include-estimated   correlations, trade-offs\n"
      "  greentune report quick/study.db -o quick/report --include-estimated\n"
      "  greentune train --model mnist_cnn --substitute-data --set epochs=1 --json\n"
      "  greentune measure -- greentune train -m mnist_cnn --substitute-data -s epochs=1\n"
      "  greentune study examples/paper/mnist_cnn.toml --dry-run   the paper's design (docs/replicating.md)\n"
      "(--substitute-data: Debian's Fashion-MNIST stands in for a missing MNIST; --include-estimated: use\n"
      "estimated energy where the machine has no sensor.)\n",
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
