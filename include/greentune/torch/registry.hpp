#pragma once
// The one explicit list of model trainers (src/torch/registry.cpp): model name -> function.
// No static self-registration; a model is trainable exactly when it is listed there.
#include <string>
#include <vector>

#include "greentune/core/train_result.hpp"

namespace greentune::dl {

class TrainContext;

using TrainerFn = TrainResult (*)(const TrainContext&);

struct TrainerEntry {
  const char* model;  // name in the catalog (core/models.hpp)
  TrainerFn fn;
};

// Every registered trainer, in catalog order.
const std::vector<TrainerEntry>& trainers();

// The trainer for `model`, or nullptr when none is registered.
TrainerFn find_trainer(const std::string& model);

}  // namespace greentune::dl
