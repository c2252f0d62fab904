// greentune train: one configuration of a built-in model, trained in-process.
#include <iostream>
#include <memory>
#include <set>

#include "commands.hpp"
#include "greentune/core/error.hpp"
#include "greentune/core/models.hpp"
#include "greentune/core/number_format.hpp"
#include "greentune/core/train_result.hpp"
#ifdef GREENTUNE_WITH_TORCH
#include "greentune/torch/trainer.hpp"
#endif

namespace greentune::app {
namespace {

struct TrainArgs {
  std::string model;
  std::vector<std::string> sets;
  bool json = false;
  std::string device = "cpu";
  std::string data_dir;
  std::string fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";
  int threads = 0;
  int data_workers = -1;
  bool quiet = false;
  bool verbose = false;
  bool substitute_data = false;
};

Configuration parse_sets(const std::vector<std::string>& sets) {
  Configuration overrides;
  for (const auto& text : sets) {
    auto [key, value] = parse_assignment(text);
    if (!overrides.emplace(key, value).second)
      throw input_error("--set: hyperparameter '" + key + "' given more than once");
  }
  return overrides;
}

void print_human(const TrainResult& r, std::ostream& out) {
  auto line = [&](const std::string& k, const std::string& v) {
    out << "  " << k << std::string(k.size() < 18 ? 18 - k.size() : 1, ' ') << v << "\n";
  };
  out << "greentune train: " << r.model << "\n";
  line("status", r.status + (r.reason.empty() ? "" : " (" + r.reason + ")"));
  line(r.metric, r.performance ? format_exact(*r.performance) : "not measured");
  for (const auto& [name, value] : r.extra_metrics) line(name, format_exact(value));
  line("final train loss", r.final_train_loss ? format_exact(*r.final_train_loss) : "none");
  line("epochs completed", std::to_string(r.epochs_completed));
  line("wall time", format_exact(r.wall_time_s) + " s");
  std::string ds = r.dataset.name;
  if (!r.dataset.substitute_for.empty()) ds += " (standing in for " + r.dataset.substitute_for + ")";
  line("dataset", ds + ", " + std::to_string(r.dataset.train_samples) + " train / " +
                      std::to_string(r.dataset.test_samples) + " test, " + r.dataset.path);
  line("device", r.device + (r.cpu_threads > 0 ? ", " + std::to_string(r.cpu_threads) + " threads" : "") + ", libtorch " + r.torch_version);
  line("hyperparameters", format_configuration(r.hyperparameters));
  if (!r.history.empty()) line("history", std::to_string(r.history.size()) + " entries (--json shows them)");
}

}  // namespace

void add_train_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<TrainArgs>();
#ifdef GREENTUNE_WITH_TORCH
  const char* about = "Train one configuration of a built-in model in-process and print the result";
#else
  const char* about =
      "Train one configuration of a built-in model in-process and print the result. Not in this greentune: it was "
      "built without libtorch, so it cannot train (build it with libtorch: pip install . in a venv that has torch, "
      "or libtorch-dev; studies of external commands work without)";
#endif
  CLI::App* cmd = app.add_subcommand("train", about);
  cmd->add_option("-m,--model", args->model, "model to train (see 'greentune models')")->required();
  cmd->add_option("-s,--set", args->sets, "hyperparameter override key=value (repeatable), e.g. --set epochs=1");
  cmd->add_flag("--json", args->json, "print the result as one JSON object on stdout (progress stays on stderr)");
  cmd->add_option("--device", args->device, "cpu, cuda, cuda:N or auto (cuda when available, else cpu)")
      ->capture_default_str()
      ->envname("GREENTUNE_DEVICE");
  cmd->add_option("--data-dir", args->data_dir,
                  "datasets root holding mnist/, fashion-mnist/, cifar10/ (or cifar-10-batches-bin/), market1501/ "
                  "(empty: only the Fashion-MNIST default below)")
      ->capture_default_str()
      ->envname("GREENTUNE_DATA");
  cmd->add_option("--fashion-mnist-dir", args->fashion_mnist_dir,
                  "where Debian's dataset-fashion-mnist is looked for, after --data-dir (empty = nowhere)")
      ->capture_default_str()
      ->envname("GREENTUNE_FASHION_MNIST_DIR");
  cmd->add_option("--threads", args->threads, "CPU threads for libtorch (0: $OMP_NUM_THREADS if set, else every CPU this process may run on)")
      ->capture_default_str()
      ->envname("GREENTUNE_THREADS")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--data-workers", args->data_workers,
                  "threads preparing training batches ahead for resnet20 and hrnet18 (-1: 2, as upstream's "
                  "DataLoader; 0: on the training thread); the batches are the same for any value")
      ->capture_default_str()
      ->envname("GREENTUNE_DATA_WORKERS")
      ->check(CLI::Range(-1, 64));
  cmd->add_flag("--substitute-data", args->substitute_data,
                "let a stand-in replace a missing dataset (Fashion-MNIST for MNIST or CIFAR-10, with the original's "
                "sample counts; recorded in the result); same as --set substitute_data=1");
  cmd->add_flag("-q,--quiet", args->quiet, "no progress on stderr");
  cmd->add_flag("-v,--verbose", args->verbose, "progress every ~10% of an epoch");
  cmd->callback([&ctx, args] {
    ctx.run = [args]() -> int {
      Configuration overrides = parse_sets(args->sets);
      if (args->substitute_data) {
        auto it = overrides.find("substitute_data");
        if (it != overrides.end() && it->second == 0)
          throw input_error("--substitute-data contradicts --set substitute_data=0");
        overrides["substitute_data"] = 1;
      }
      // Validate model and hyperparameters first: the same one-line errors with or without libtorch.
      model_or_throw(args->model).resolve(overrides);
#ifdef GREENTUNE_WITH_TORCH
      dl::TrainOptions options;
      options.device = args->device;
      options.data_dir = args->data_dir;
      options.fashion_mnist_default = args->fashion_mnist_dir;
      options.threads = args->threads;
      options.data_workers = args->data_workers;
      options.verbosity = args->quiet ? 0 : (args->verbose ? 2 : 1);
      TrainResult result = dl::train(args->model, overrides, options);
      if (args->json)
        std::cout << to_json(result).dump() << "\n";
      else
        print_human(result, std::cout);
      return 0;
#else
      throw usage_error("this greentune was built without libtorch (GREENTUNE_WITH_TORCH=OFF), so it cannot train; "
                        "rebuild it with libtorch (pip install . in a venv that has torch, or libtorch-dev)");
#endif
    };
  });
}

}  // namespace greentune::app
