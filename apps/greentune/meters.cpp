// greentune meters: which energy meters work on this machine, and why the others do not.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "greentune/energy/measure.hpp"
#include "meter_flags.hpp"

namespace greentune::app {

void add_meters_command(CLI::App& app, CommandContext& ctx) {
  struct Flags {
    energy::MeterOptions meter;
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand("meters", "List the energy meters detected here and why each other one is unavailable");
  sub->add_flag("--json", flags->json, "Print one JSON object instead of the table");
  add_meter_source_flags(sub, flags->meter);
  sub->callback([&ctx, flags] {
    ctx.run = [flags] { return energy::run_meters(flags->meter, flags->json, std::cout); };
  });
}

}  // namespace greentune::app
