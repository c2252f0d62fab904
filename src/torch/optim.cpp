#include "greentune/torch/optim.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <type_traits>

#include "greentune/torch/kernels.hpp"

namespace greentune::dl {
namespace {

// libtorch keys optimizer state by the parameter's TensorImpl: as a string in 1.13, as a
// void* in later versions. Build whichever key type this libtorch declares.
template <typename Key>
Key state_key(const torch::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream key;  // the same text libtorch 1.13 uses (pointer printed by a stream)
    key << p.unsafeGetTensorImpl();
    return key.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

// True when the one-pass CPU kernel (kernels.hpp) applies: float32 CPU tensors laid out identically
// in one dense block (any dense layout, channels-last included), so element i of each is at
// the same offset.
bool fusable(const torch::Tensor& p, const torch::Tensor& grad, const torch::Tensor& v, const torch::Tensor& u) {
  for (const torch::Tensor* t : {&p, &grad, &v, &u}) {
    if (!t->device().is_cpu() || t->scalar_type() != torch::kFloat || !t->is_non_overlapping_and_dense())
      return false;
    if (t->sizes() != p.sizes() || t->strides() != p.strides()) return false;
  }
  return true;
}

}  // namespace

Adadelta::Adadelta(std::vector<torch::optim::OptimizerParamGroup> param_groups, AdadeltaOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<AdadeltaOptions>(defaults)) {
  TORCH_CHECK(defaults.lr() >= 0, "Invalid learning rate: ", defaults.lr());
  TORCH_CHECK(defaults.rho() >= 0 && defaults.rho() <= 1, "Invalid rho value: ", defaults.rho());
  TORCH_CHECK(defaults.eps() >= 0, "Invalid epsilon value: ", defaults.eps());
  TORCH_CHECK(defaults.weight_decay() >= 0, "Invalid weight_decay value: ", defaults.weight_decay());
}

Adadelta::Adadelta(std::vector<torch::Tensor> params, AdadeltaOptions defaults)
    : Adadelta(std::vector<torch::optim::OptimizerParamGroup>{torch::optim::OptimizerParamGroup(std::move(params))},
               defaults) {}

torch::Tensor Adadelta::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss = {};
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  using Key = typename std::decay_t<decltype(state_)>::key_type;
  for (auto& group : param_groups_) {
    const auto& options = static_cast<const AdadeltaOptions&>(group.options());
    const double lr = options.lr(), rho = options.rho(), eps = options.eps(), wd = options.weight_decay();
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      torch::Tensor grad = p.grad();
      TORCH_CHECK(!grad.is_sparse(), "Adadelta does not support sparse gradients");
      Key key = state_key<Key>(p);
      auto it = state_.find(key);
      if (it == state_.end()) {
        auto state = std::make_unique<AdadeltaParamState>();
        state->square_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        state->acc_delta(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        it = state_.emplace(key, std::move(state)).first;
      }
      auto& state = static_cast<AdadeltaParamState&>(*it->second);
      state.step(state.step() + 1);
      torch::Tensor& square_avg = state.square_avg();
      torch::Tensor& acc_delta = state.acc_delta();
      if (fusable(p, grad, square_avg, acc_delta)) {
        adadelta_update(p.data_ptr<float>(), grad.data_ptr<float>(), square_avg.data_ptr<float>(),
                        acc_delta.data_ptr<float>(), p.numel(), {lr, rho, eps, wd});
        continue;
      }
      if (wd != 0) grad = grad.add(p, wd);
      square_avg.mul_(rho).addcmul_(grad, grad, 1 - rho);
      torch::Tensor std = square_avg.add(eps).sqrt_();
      torch::Tensor delta = acc_delta.add(eps).sqrt_().div_(std).mul_(grad);
      acc_delta.mul_(rho).addcmul_(delta, delta, 1 - rho);
      p.add_(delta, -lr);
    }
  }
  return loss;
}

const AdadeltaParamState* Adadelta::param_state(const torch::Tensor& param) const {
  using Key = typename std::decay_t<decltype(state_)>::key_type;
  auto it = state_.find(state_key<Key>(param));
  if (it == state_.end()) return nullptr;
  return static_cast<const AdadeltaParamState*>(it->second.get());
}

StepLR::StepLR(torch::optim::Optimizer& optimizer, unsigned step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  TORCH_CHECK(step_size > 0, "StepLR: step_size must be positive");
}

std::vector<double> StepLR::get_lrs() {
  ++epoch_;
  std::vector<double> lrs = get_current_lrs();
  if (epoch_ % step_size_ == 0)
    for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

MultiStepLR::MultiStepLR(torch::optim::Optimizer& optimizer, std::vector<unsigned> milestones, double gamma)
    : LRScheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  std::sort(milestones_.begin(), milestones_.end());
}

std::vector<double> MultiStepLR::get_lrs() {
  ++epoch_;
  std::vector<double> lrs = get_current_lrs();
  // A milestone listed twice decays twice (as in PyTorch's Counter of milestones).
  auto hits = std::count(milestones_.begin(), milestones_.end(), epoch_);
  if (hits > 0) {
    double factor = std::pow(gamma_, double(hits));
    for (double& lr : lrs) lr *= factor;
  }
  return lrs;
}

double current_lr(const torch::optim::Optimizer& optimizer) {
  return optimizer.param_groups().at(0).options().get_lr();
}

std::vector<double> group_lrs(const torch::optim::Optimizer& optimizer) {
  std::vector<double> out;
  for (const auto& group : optimizer.param_groups()) out.push_back(group.options().get_lr());
  return out;
}

}  // namespace greentune::dl
