#pragma once
// The result of one training run: what `greentune train --json` prints (one JSON object on
// stdout) and what the study runner parses from its child processes.
#include <map>
#include <optional>
#include <string>
#include <vector>

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

// One entry of a run's learning curve: one training epoch (for mnist_ff one layer's block of
// iterations, `layer` set).
struct EpochRecord {
  long long epoch = 0;               // 1-based epoch (mnist_ff: iterations completed in the layer)
  long long layer = 0;               // mnist_ff: 1-based layer; 0 otherwise (omitted in JSON)
  std::vector<double> lr;            // each parameter group's learning rate during the epoch
  std::optional<double> train_loss;  // mean training loss of the epoch
  std::optional<double> metric;      // the val/test metric when computed after this epoch
  double seconds = 0;                // wall time of the epoch, evaluation included
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
  std::vector<EpochRecord> history;  // per-epoch learning curve and schedule ("history" in JSON)
  std::map<std::string, double> extra_metrics;  // optional evaluations besides the metric (hrnet18: rank1, mAP)
};

nlohmann::json to_json(const TrainResult& r);
// Throws input_error naming the missing/invalid field.
TrainResult train_result_from_json(const nlohmann::json& j);

}  // namespace greentune
