#pragma once
// The catalog of built-in subject models: names, datasets, metrics and hyperparameter
// spaces. Specs only: the libtorch implementations live in torch/ (and only there).
#include <string>
#include <vector>

#include "greentune/core/hyperparameters.hpp"

namespace greentune {

struct ModelSpec {
  std::string name;           // mnist_cnn, mnist_ff, siamese, resnet20, hrnet18
  std::string description;
  std::string dataset;        // the paper's dataset: mnist, cifar10, market1501
  std::string metric;         // test_accuracy, top1_accuracy, rank1_accuracy, ...
  bool higher_is_better = true;
  std::vector<HyperparameterSpec> hyperparameters;
  std::vector<std::string> studied;  // the paper's three hyperparameters for this model

  const HyperparameterSpec* find(const std::string& hp) const;
  Configuration defaults() const;
  // Defaults overridden by `overrides`; unknown names and out-of-range values throw
  // input_error naming the model, the hyperparameter and the allowed range.
  Configuration resolve(const Configuration& overrides) const;
};

const std::vector<ModelSpec>& builtin_models();
const ModelSpec* find_model(const std::string& name);
// Throws input_error listing the known models.
const ModelSpec& model_or_throw(const std::string& name);

// Parses "key=value" (as given to --set); throws input_error naming the text.
std::pair<std::string, double> parse_assignment(const std::string& text);

}  // namespace greentune
