// greentune measure: run any command and report its energy per domain (like perf stat).
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "greentune/energy/measure.hpp"
#include "meter_flags.hpp"

namespace greentune::app {

void add_measure_command(CLI::App& app, CommandContext& ctx) {
  auto opts = std::make_shared<energy::MeasureOptions>();
  CLI::App* sub = app.add_subcommand(
      "measure",
      "Run a command and report its duration and energy per domain (CPU package, DRAM, GPU) with the source of\n"
      "every value; the command's exit code is passed through.\n"
      "Example: greentune measure -- python3 train.py --epochs 2");
  sub->add_flag("--json", opts->json, "Print one JSON object (on stdout) instead of the table (on stderr)");
  sub->add_flag("--samples", opts->include_samples, "Include the power time series in the JSON");
  sub->add_option("-o,--output", opts->output_path, "Write the report to this file instead")
      ->envname("GREENTUNE_MEASURE_OUTPUT");
  sub->add_option("--idle-baseline", opts->idle_baseline_s,
                  "Measure idle power for this many seconds first and report net-of-idle energy (0 = off)")
      ->envname("GREENTUNE_IDLE_BASELINE_S")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  add_meter_flags(sub, opts->meter);
  sub->add_option("command", opts->command, "The command to run and its arguments (after --)")->required();
  sub->callback([&ctx, opts] {
    ctx.run = [opts] { return energy::run_measure(*opts, std::cout, std::cerr); };
  });
}

}  // namespace greentune::app
