#pragma once
// The result of one training run: what `greentune train --json` prints (one JSON object on
// stdout) and what the study runner parses from its child processes.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "greentune/core/hyperparameters.hpp"

namespace greentune {

struct DatasetInfo {
  std::string name;            // dataset actually used: mnist, fashion-mnist, cifar10, market1501, ...
  std::string path;            // directory or files read
  std::string substitute_for;  // non-empty when it stands in for another dataset (e.g. "mnist")
  std::string note;            // e.g. "Fashion-MNIST padded to 32x32x3"
  long long train_samples = 0;
  long long test_samples = 0;
};

struct TrainResult {
  std::string model;
  Configuration hyperparameters;   // every value actually used, exact
  std::string metric;              // e.g. test_accuracy
  bool higher_is_better = true;
  std::optional<double> performance;      // metric value in [0,1] for accuracies; empty if not measured
  std::optional<double> final_train_loss; // empty when diverged before any finite loss
  long long epochs_completed = 0;
  double wall_time_s = 0;
  std::string status = "ok";       // ok | diverged
  std::string reason;              // why diverged, etc.
  DatasetInfo dataset;
  std::string device = "cpu";
  std::string torch_version;
  int cpu_threads = 0;             // libtorch intra-op threads on the CPU; 0: not reported (CUDA, external)
};

nlohmann::json to_json(const TrainResult& r);
// Throws input_error naming the missing/invalid field.
TrainResult train_result_from_json(const nlohmann::json& j);

}  // namespace greentune
