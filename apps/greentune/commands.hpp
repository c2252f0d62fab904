#pragma once
// The explicit list of subcommands: main.cpp calls every add_*_command below, in order.
// Each lives in its own file (apps/greentune/<name>.cpp), parses its flags with CLI11 and
// calls a library function, which is what the tests call in-process.
#include <functional>

#include <CLI/CLI.hpp>

namespace greentune::app {

struct CommandContext {
  std::function<int()> run;  // set by the chosen subcommand's parse callback
};

void add_models_command(CLI::App& app, CommandContext& ctx);    // models.cpp
void add_train_command(CLI::App& app, CommandContext& ctx);     // train.cpp
void add_meters_command(CLI::App& app, CommandContext& ctx);    // meters.cpp
void add_measure_command(CLI::App& app, CommandContext& ctx);   // measure.cpp
void add_study_command(CLI::App& app, CommandContext& ctx);     // study.cpp
void add_status_command(CLI::App& app, CommandContext& ctx);    // status.cpp
void add_export_command(CLI::App& app, CommandContext& ctx);    // export.cpp
void add_analyze_command(CLI::App& app, CommandContext& ctx);   // analyze.cpp
void add_report_command(CLI::App& app, CommandContext& ctx);    // report.cpp
void add_run_task_command(CLI::App& app, CommandContext& ctx);  // run_task.cpp
void add_collect_command(CLI::App& app, CommandContext& ctx);   // collect.cpp
void add_tune_command(CLI::App& app, CommandContext& ctx);      // tune.cpp
void add_help_command(CLI::App& app, CommandContext& ctx);      // help.cpp

}  // namespace greentune::app
