// The one explicit list of model trainers. A model of the catalog (core/models.hpp) is
// trainable exactly when it is listed here; add one line (and its header) per model.
#include "greentune/torch/registry.hpp"

#include "greentune/torch/models/hrnet18.hpp"
#include "greentune/torch/models/mnist_cnn.hpp"
#include "greentune/torch/models/mnist_ff.hpp"
#include "greentune/torch/models/resnet20.hpp"
#include "greentune/torch/models/siamese.hpp"
#include "greentune/torch/trainer.hpp"

namespace greentune::dl {

const std::vector<TrainerEntry>& trainers() {
  static const std::vector<TrainerEntry> list = {
      {"mnist_cnn", &train_mnist_cnn},
      {"mnist_ff", &train_mnist_ff},
      {"siamese", &train_siamese},
      {"resnet20", &train_resnet20},
      {"hrnet18", &train_hrnet18},
  };
  return list;
}

TrainerFn find_trainer(const std::string& model) {
  for (const auto& t : trainers())
    if (model == t.model) return t.fn;
  return nullptr;
}

}  // namespace greentune::dl
