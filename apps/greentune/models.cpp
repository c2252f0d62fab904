// Placeholder: this subcommand is not registered yet (its owner replaces this file).
#include "commands.hpp"

namespace greentune::app {
void add_models_command(CLI::App&, CommandContext&) {}
}  // namespace greentune::app
