#pragma once
// Optimisers and learning-rate schedules the subject models need that libtorch lacks (or
// implements with other semantics), written against the API common to libtorch 1.13 and 2.x.
//
//  - Adadelta (Zeiler 2012, PyTorch's update rule incl. weight decay):
//        g  <- grad + weight_decay * p
//        v  <- rho * v + (1 - rho) * g^2
//        dx <- sqrt(u + eps) / sqrt(v + eps) * g
//        u  <- rho * u + (1 - rho) * dx^2
//        p  <- p - lr * dx
//  - StepLR / MultiStepLR with PyTorch's Python semantics: the k-th call of step() (one per
//    epoch, after the epoch) sets lr = base * gamma^(k / step_size), resp. gamma^(number of
//    milestones <= k). libtorch's own torch::optim::StepLR lags one step behind Python's
//    (its first step() never decays), so the models use these.
#include <cstdint>
#include <memory>
#include <vector>

#include <torch/torch.h>

namespace greentune::dl {

struct AdadeltaOptions : public torch::optim::OptimizerCloneableOptions<AdadeltaOptions> {
  AdadeltaOptions(double lr = 1.0) : lr_(lr) {}
  TORCH_ARG(double, lr) = 1.0;
  TORCH_ARG(double, rho) = 0.9;
  TORCH_ARG(double, eps) = 1e-6;
  TORCH_ARG(double, weight_decay) = 0;

 public:
  double get_lr() const override { return lr(); }
  void set_lr(const double lr) override { this->lr(lr); }
};

struct AdadeltaParamState : public torch::optim::OptimizerCloneableParamState<AdadeltaParamState> {
  TORCH_ARG(int64_t, step) = 0;
  TORCH_ARG(torch::Tensor, square_avg);
  TORCH_ARG(torch::Tensor, acc_delta);
};

class Adadelta : public torch::optim::Optimizer {
 public:
  explicit Adadelta(std::vector<torch::optim::OptimizerParamGroup> param_groups, AdadeltaOptions defaults = {});
  explicit Adadelta(std::vector<torch::Tensor> params, AdadeltaOptions defaults = {});

  torch::Tensor step(LossClosure closure = nullptr) override;

  // State of one parameter (nullptr before its first update); for tests.
  const AdadeltaParamState* param_state(const torch::Tensor& param) const;
};

class StepLR : public torch::optim::LRScheduler {
 public:
  StepLR(torch::optim::Optimizer& optimizer, unsigned step_size, double gamma = 0.1);

 protected:
  std::vector<double> get_lrs() override;

 private:
  unsigned step_size_;
  double gamma_;
  unsigned epoch_ = 0;
};

class MultiStepLR : public torch::optim::LRScheduler {
 public:
  MultiStepLR(torch::optim::Optimizer& optimizer, std::vector<unsigned> milestones, double gamma = 0.1);

 protected:
  std::vector<double> get_lrs() override;

 private:
  std::vector<unsigned> milestones_;
  double gamma_;
  unsigned epoch_ = 0;
};

// Current learning rate of the first parameter group.
double current_lr(const torch::optim::Optimizer& optimizer);

// Current learning rate of every parameter group, in group order.
std::vector<double> group_lrs(const torch::optim::Optimizer& optimizer);

}  // namespace greentune::dl
