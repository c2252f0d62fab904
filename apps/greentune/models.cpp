// greentune models: the built-in models with their hyperparameters, defaults (and where each
// default comes from: the paper's package, upstream code or greentune), types and ranges.
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "greentune/core/models.hpp"
#ifdef GREENTUNE_WITH_TORCH
#include "greentune/torch/registry.hpp"
#endif

namespace greentune::app {
namespace {

bool trainable(const std::string& model) {
#ifdef GREENTUNE_WITH_TORCH
  return dl::find_trainer(model) != nullptr;
#else
  (void)model;
  return false;
#endif
}

nlohmann::json models_json() {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : builtin_models()) {
    nlohmann::json hps = nlohmann::json::array();
    for (const auto& h : m.hyperparameters)
      hps.push_back({{"name", h.name}, {"type", to_string(h.type)}, {"default", h.default_value},
                     {"min", h.min_value}, {"max", h.max_value}, {"min_exclusive", h.min_exclusive},
                     {"range", h.range_text()}, {"budget", h.budget}, {"description", h.description},
                     {"default_source", h.default_source}});
    out.push_back({{"name", m.name}, {"description", m.description}, {"dataset", m.dataset},
                   {"metric", m.metric}, {"higher_is_better", m.higher_is_better}, {"studied", m.studied},
                   {"trainable", trainable(m.name)}, {"hyperparameters", hps}});
  }
  return out;
}

void print_models(std::ostream& out) {
  for (const auto& m : builtin_models()) {
    out << m.name << (trainable(m.name) ? "" : "  [no trainer in this build]") << "\n";
    out << "  " << m.description << "\n";
    out << "  dataset " << m.dataset << ", metric " << m.metric << " (" << (m.higher_is_better ? "higher" : "lower")
        << " is better), studied:";
    for (const auto& s : m.studied) out << " " << s;
    out << "\n";
    for (const auto& h : m.hyperparameters) {
      std::string name = h.name;
      name.resize(std::max<size_t>(name.size(), 13), ' ');
      std::string def = h.format(h.default_value);
      def.resize(std::max<size_t>(def.size(), 8), ' ');
      std::string type = to_string(h.type);
      type.resize(5, ' ');
      std::string range = h.range_text();
      range.resize(std::max<size_t>(range.size(), 18), ' ');
      out << "    " << name << " " << type << " default " << def << " range " << range << " " << h.description;
      if (!h.default_source.empty()) out << " [default from " << h.default_source << "]";
      out << "\n";
    }
    out << "\n";
  }
}

}  // namespace

void add_models_command(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("models", "List the built-in models with their hyperparameters, defaults, types and ranges");
  cmd->add_flag("--json", *json, "print a JSON array instead of text");
  cmd->callback([&ctx, json] {
    ctx.run = [json]() -> int {
      if (*json)
        std::cout << models_json().dump(2) << "\n";
      else
        print_models(std::cout);
      return 0;
    };
  });
}

}  // namespace greentune::app
