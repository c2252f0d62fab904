// `greentune help [COMMAND] [--markdown]`: the command-line reference, generated from the same
// CLI11 definitions that parse the flags. docs/cli.md is `greentune help --markdown`; a test
// fails when the committed page drifts from the binary.
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "greentune/core/error.hpp"

namespace greentune::app {
namespace {

std::string escape_cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::string option_names(const CLI::Option& o) {
  if (o.get_positional()) return o.get_name(true, false);
  std::string names;
  for (const auto& s : o.get_snames()) names += (names.empty() ? "" : ", ") + std::string("-") + s;
  for (const auto& l : o.get_lnames()) names += (names.empty() ? "" : ", ") + std::string("--") + l;
  std::string type = o.get_type_name();
  if (o.get_expected_min() > 0 && !type.empty()) names += " " + type;
  return names;
}

void command_markdown(const CLI::App& cmd, const std::string& path, std::ostream& out) {
  out << "## `" << path << "`\n\n";
  std::string desc = cmd.get_description();
  if (!desc.empty()) out << desc << "\n\n";
  std::vector<const CLI::Option*> options;
  for (const CLI::Option* o : cmd.get_options()) {
    if (o->get_lnames().size() == 1 && o->get_lnames()[0] == "help") continue;
    if (o->get_group().empty()) continue;  // hidden (an alias kept for old scripts)
    options.push_back(o);
  }
  if (!options.empty()) {
    out << "| flag | default | environment | meaning |\n|---|---|---|---|\n";
    for (const CLI::Option* o : options) {
      std::string def = o->get_default_str();
      out << "| `" << escape_cell(option_names(*o)) << "`" << (o->get_required() ? " (required)" : "") << " | "
          << (def.empty() ? "" : "`" + escape_cell(def) + "`") << " | "
          << (o->get_envname().empty() ? "" : "`" + o->get_envname() + "`") << " | "
          << escape_cell(o->get_description()) << " |\n";
    }
    out << "\n";
  }
  for (const CLI::App* sub : cmd.get_subcommands([](const CLI::App*) { return true; })) command_markdown(*sub, path + " " + sub->get_name(), out);
}

}  // namespace

void add_help_command(CLI::App& app, CommandContext& ctx) {
  auto* cmd = app.add_subcommand("help", "Show the help of greentune or of one command; --markdown writes the whole "
                                         "command-line reference (docs/cli.md) as Markdown");
  auto command = std::make_shared<std::string>();
  auto markdown = std::make_shared<bool>(false);
  cmd->add_option("command", *command, "the command to explain (default: all)");
  cmd->add_flag("--markdown", *markdown, "print the reference of every command as Markdown");
  const CLI::App* root = &app;
  cmd->callback([&ctx, root, command, markdown] {
    ctx.run = [root, command, markdown]() -> int {
      if (*markdown) {
        std::cout << "# Command-line reference\n\n"
                  << "Generated from the binary by `greentune help --markdown` (a test fails when this page and "
                     "the binary disagree). Every flag also has `--help` text in the terminal.\n\n";
        for (const CLI::App* sub : root->get_subcommands([](const CLI::App*) { return true; })) {
          if (*command != "" && sub->get_name() != *command) continue;
          command_markdown(*sub, "greentune " + sub->get_name(), std::cout);
        }
        return 0;
      }
      if (command->empty()) {
        std::cout << root->help();
        return 0;
      }
      for (const CLI::App* sub : root->get_subcommands([](const CLI::App*) { return true; }))
        if (sub->get_name() == *command) {
          std::cout << sub->help();
          return 0;
        }
      throw input_error("help: no command '" + *command + "' (see 'greentune --help')");
    };
  });
}

}  // namespace greentune::app
