#include "greentune/core/models.hpp"

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"

namespace greentune {
namespace {

HyperparameterSpec integer_hp(std::string name, double def, double lo, double hi, std::string desc,
                              bool budget = false) {
  HyperparameterSpec s;
  s.name = std::move(name);
  s.type = HpType::integer;
  s.default_value = def;
  s.min_value = lo;
  s.max_value = hi;
  s.description = std::move(desc);
  s.budget = budget;
  return s;
}

HyperparameterSpec real_hp(std::string name, double def, double lo, double hi, bool lo_exclusive,
                           std::string desc) {
  HyperparameterSpec s;
  s.name = std::move(name);
  s.type = HpType::real;
  s.default_value = def;
  s.min_value = lo;
  s.max_value = hi;
  s.min_exclusive = lo_exclusive;
  s.description = std::move(desc);
  return s;
}

// Where a default comes from: the paper's replication package (IIllIlllIl/greenAi, folder
// mutation/: each model's run.sh sets the three studied hyperparameters), the upstream training
// code where run.sh is silent, or greentune for its own knobs.
constexpr const char* kRunSh = "package run.sh";
constexpr const char* kOurs = "greentune";

HyperparameterSpec from(HyperparameterSpec s, std::string source) {
  s.default_source = std::move(source);
  return s;
}

void add_common(std::vector<HyperparameterSpec>& hps) {
  hps.push_back(from(integer_hp("seed", 1, 0, 4294967295.0, "random seed (weights, shuffling, dropout)"), kOurs));
  hps.push_back(from(integer_hp("train_limit", 0, 0, 1e9,
                                "budget: train on the first N training samples (0 = all)", true),
                     kOurs));
  hps.push_back(from(integer_hp("test_limit", 0, 0, 1e9,
                                "budget: evaluate on the first N test samples (0 = all)", true),
                     kOurs));
  hps.push_back(from(integer_hp("substitute_data", 0, 0, 1,
                           "budget: 1 lets a stand-in dataset replace a missing one (Fashion-MNIST for MNIST or "
                           "CIFAR-10, with the original's sample counts; recorded in the result); 0: a missing "
                           "dataset is an error",
                           true),
                     kOurs));
}

std::vector<ModelSpec> make_catalog() {
  std::vector<ModelSpec> models;
  {
    ModelSpec m;
    m.name = "mnist_cnn";
    m.description = "pytorch/examples mnist CNN: 2 conv, dropout, 2 fc; Adadelta + StepLR(step 1)";
    m.dataset = "mnist";
    m.metric = "test_accuracy";
    m.hyperparameters = {
        from(integer_hp("epochs", 14, 1, 10000, "training epochs"), kRunSh),
        from(real_hp("lr", 1.0, 0, 1000, true, "Adadelta learning rate"), kRunSh),
        from(real_hp("gamma", 0.7, 0, 10, true, "StepLR decay factor per epoch"), kRunSh),
        from(integer_hp("batch_size", 64, 1, 65536, "training batch size"), "upstream mnist/main.py"),
        from(real_hp("dropout", 0.5, 0, 0.99, false, "dropout before the last fc layer"), "upstream mnist/main.py"),
    };
    add_common(m.hyperparameters);
    m.studied = {"epochs", "lr", "gamma"};
    models.push_back(m);
  }
  {
    ModelSpec m;
    m.name = "mnist_ff";
    m.description = "pytorch/examples mnist_forward_forward: Hinton's Forward-Forward, layer-local goodness";
    m.dataset = "mnist";
    m.metric = "test_accuracy";
    m.hyperparameters = {
        from(integer_hp("epochs", 1000, 1, 100000, "training iterations per layer"), kRunSh),
        from(real_hp("lr", 0.03, 0, 1000, true, "Adam learning rate"), kRunSh),
        from(real_hp("threshold", 2, 0, 1000, false, "goodness threshold"), kRunSh),
        from(integer_hp("batch_size", 50000, 1, 1000000, "training batch size (the original uses the whole set)"),
             "upstream mnist_forward_forward/main.py"),
    };
    add_common(m.hyperparameters);
    m.studied = {"epochs", "lr", "threshold"};
    models.push_back(m);
  }
  {
    ModelSpec m;
    m.name = "siamese";
    m.description = "pytorch/examples siamese_network: ResNet-18 trunk on image pairs, BCE; Adadelta + StepLR";
    m.dataset = "mnist";
    m.metric = "test_accuracy";
    m.hyperparameters = {
        from(integer_hp("epochs", 14, 1, 10000, "training epochs"), kRunSh),
        from(real_hp("lr", 1.0, 0, 1000, true, "Adadelta learning rate"), kRunSh),
        from(real_hp("gamma", 0.7, 0, 10, true, "StepLR decay factor per epoch"), kRunSh),
        from(integer_hp("batch_size", 64, 1, 65536, "training batch size (pairs)"), "upstream siamese_network/main.py"),
    };
    add_common(m.hyperparameters);
    m.studied = {"epochs", "lr", "gamma"};
    models.push_back(m);
  }
  {
    ModelSpec m;
    m.name = "resnet20";
    m.description = "ResNet-20 for CIFAR-10 (option A shortcuts); SGD momentum, MultiStepLR at epochs 100 and 150";
    m.dataset = "cifar10";
    m.metric = "top1_accuracy";
    m.hyperparameters = {
        from(integer_hp("epochs", 200, 1, 10000, "training epochs"), kRunSh),
        // The package's run.sh passes --learning-rate=0.2 (trainer.py's own default is 0.1).
        from(real_hp("lr", 0.2, 0, 1000, true, "SGD learning rate (upstream trainer.py's own default: 0.1)"), kRunSh),
        from(real_hp("weight_decay", 1e-4, 0, 1, false, "L2 weight decay"), kRunSh),
        from(integer_hp("batch_size", 128, 1, 65536, "training batch size"), "upstream trainer.py"),
        from(real_hp("momentum", 0.9, 0, 0.999, false, "SGD momentum"), "upstream trainer.py"),
    };
    add_common(m.hyperparameters);
    m.studied = {"epochs", "lr", "weight_decay"};
    models.push_back(m);
  }
  {
    ModelSpec m;
    m.name = "hrnet18";
    m.description = "HRNet-W18 person re-identification + ClassBlock (bottleneck 512); SGD momentum, backbone at 0.1 lr";
    m.dataset = "market1501";
    m.metric = "val_accuracy";
    m.hyperparameters = {
        from(integer_hp("epochs", 60, 1, 10000, "training epochs"), kRunSh),
        from(real_hp("lr", 0.05, 0, 1000, true, "SGD learning rate"), kRunSh),
        from(real_hp("weight_decay", 5e-4, 0, 1, false, "L2 weight decay"), kRunSh),
        from(integer_hp("batch_size", 32, 1, 65536, "training batch size"), "upstream train.py"),
        from(real_hp("dropout", 0.5, 0, 0.99, false, "ClassBlock dropout"), "upstream train.py"),
        from(real_hp("momentum", 0.9, 0, 0.999, false, "SGD momentum"), "upstream train.py"),
        from(integer_hp("image_height", 256, 32, 1024,
                        "budget: input height in pixels, width = height/2 (upstream 256x128)", true),
             "upstream train.py"),
        from(integer_hp("retrieval", 0, 0, 1,
                        "budget: 1 adds upstream's retrieval evaluation after training (rank-1 and mAP over query and "
                        "gallery, about 19,700 images twice on Market-1501)",
                        true),
             kOurs),
    };
    add_common(m.hyperparameters);
    m.studied = {"epochs", "lr", "weight_decay"};
    models.push_back(m);
  }
  return models;
}

}  // namespace

const HyperparameterSpec* ModelSpec::find(const std::string& hp) const {
  for (const auto& s : hyperparameters)
    if (s.name == hp) return &s;
  return nullptr;
}

Configuration ModelSpec::defaults() const {
  Configuration c;
  for (const auto& s : hyperparameters) c[s.name] = s.default_value;
  return c;
}

Configuration ModelSpec::resolve(const Configuration& overrides) const {
  Configuration c = defaults();
  for (const auto& [k, v] : overrides) {
    const HyperparameterSpec* s = find(k);
    if (!s) {
      std::string known;
      for (const auto& h : hyperparameters) known += (known.empty() ? "" : ", ") + h.name;
      throw input_error("model '" + name + "' has no hyperparameter '" + k + "' (known: " + known + ")");
    }
    try {
      s->validate(v);
    } catch (const Error& e) {
      throw input_error("model '" + name + "': " + e.what());
    }
    c[k] = v;
  }
  return c;
}

const std::vector<ModelSpec>& builtin_models() {
  static const std::vector<ModelSpec> catalog = make_catalog();
  return catalog;
}

const ModelSpec* find_model(const std::string& name) {
  for (const auto& m : builtin_models())
    if (m.name == name) return &m;
  return nullptr;
}

const ModelSpec& model_or_throw(const std::string& name) {
  if (const ModelSpec* m = find_model(name)) return *m;
  std::string known;
  for (const auto& m : builtin_models()) known += (known.empty() ? "" : ", ") + m.name;
  throw input_error("unknown model '" + name + "' (known: " + known + ")");
}

std::pair<std::string, double> parse_assignment(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw input_error("expected key=value, got '" + text + "'");
  std::string key = text.substr(0, eq);
  auto value = parse_double(text.substr(eq + 1));
  if (!value)
    throw input_error("hyperparameter '" + key + "': '" + text.substr(eq + 1) + "' is not a number");
  return {key, *value};
}

}  // namespace greentune
