// Adadelta, StepLR and MultiStepLR against PyTorch's Python implementation
// (reference values: tests/torch/optim_reference.py -> tests/torch/data/optim_reference.json).
#include <cmath>
#include <fstream>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "greentune/torch/optim.hpp"

using nlohmann::json;
using namespace greentune::dl;

namespace {

json reference() {
  std::ifstream in(GREENTUNE_SOURCE_DIR "/tests/torch/data/optim_reference.json");
  EXPECT_TRUE(in.good()) << "missing reference file";
  return json::parse(in);
}

torch::Tensor vec(const json& j) {
  auto v = j.get<std::vector<double>>();
  return torch::tensor(v, torch::kFloat64);
}

torch::Tensor loss_fn(const torch::Tensor& p, const json& ref) {
  return (vec(ref["weight"]) * (p - vec(ref["target"])).pow(2)).sum() + torch::cos(p).sum();
}

}  // namespace

// Runs every Adadelta case of the reference file with the parameter held in `dtype` and
// checks each step's parameters to `tolerance` x (1 + |expected|).
static void check_adadelta_trajectories(torch::ScalarType dtype, double tolerance) {
  json ref = reference();
  ASSERT_EQ(ref["adadelta"].size(), 3u);
  for (const auto& c : ref["adadelta"]) {
    const json& o = c["options"];
    torch::Tensor p = vec(ref["initial"]).to(dtype).set_requires_grad(true);
    Adadelta opt({p}, AdadeltaOptions(o["lr"].get<double>())
                          .rho(o["rho"].get<double>())
                          .eps(o["eps"].get<double>())
                          .weight_decay(o["weight_decay"].get<double>()));
    int step = 0;
    for (const auto& expected_row : c["trajectory"]) {
      ++step;
      opt.zero_grad();
      loss_fn(p.to(torch::kFloat64), ref).backward();
      opt.step();
      auto expected = expected_row.get<std::vector<double>>();
      for (size_t i = 0; i < expected.size(); ++i)
        EXPECT_NEAR(p[int64_t(i)].item<double>(), expected[i], tolerance * (1 + std::abs(expected[i])))
            << "options " << o.dump() << ", step " << step << ", element " << i;
    }
    ASSERT_NE(opt.param_state(p), nullptr);
    EXPECT_EQ(opt.param_state(p)->step(), step);
  }
}

TEST(Adadelta, MatchesPyTorchTrajectories) { check_adadelta_trajectories(torch::kFloat64, 1e-9); }

// float32 CPU parameters take the fused one-pass kernel; it must follow the same
// trajectories (to float precision) as PyTorch's float64 reference.
TEST(Adadelta, FusedFloatKernelMatchesPyTorchTrajectories) { check_adadelta_trajectories(torch::kFloat, 1e-5); }

// The fused kernel walks memory in storage order: a parameter stored transposed (dense but
// not contiguous) must end exactly where its contiguous twin ends, and a parameter that is
// not dense (a strided view) takes the tensor-operation path and agrees to float precision.
TEST(Adadelta, FusedKernelIsLayoutIndependent) {
  torch::manual_seed(3);
  torch::Tensor init = torch::randn({5, 7});
  torch::Tensor target = torch::randn({5, 7});
  torch::Tensor plain = init.clone().set_requires_grad(true);
  torch::Tensor transposed = init.t().contiguous().t().set_requires_grad(true);  // strides {1, 5}
  torch::Tensor base = torch::zeros({5, 14});
  base.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, 14, 2)}, init);
  torch::Tensor strided = base.index({torch::indexing::Slice(), torch::indexing::Slice(0, 14, 2)});
  strided.set_requires_grad(true);  // a leaf view with strides {14, 2}: not dense
  ASSERT_FALSE(transposed.is_contiguous());
  ASSERT_FALSE(strided.is_non_overlapping_and_dense());
  for (torch::Tensor* p : {&transposed, &strided}) {
    torch::Tensor reference = plain.detach().clone().set_requires_grad(true);
    Adadelta a({reference}, AdadeltaOptions(0.5).weight_decay(0.01));
    Adadelta b({*p}, AdadeltaOptions(0.5).weight_decay(0.01));
    for (int step = 0; step < 20; ++step) {
      for (auto [opt, t] : {std::pair{&a, &reference}, std::pair{&b, p}}) {
        opt->zero_grad();
        ((*t - target).pow(2) * torch::arange(35).reshape({5, 7})).sum().backward();
        opt->step();
      }
    }
    if (p == &transposed)
      EXPECT_TRUE(torch::equal(reference.detach(), p->detach())) << "transposed layout";
    else
      EXPECT_TRUE(torch::allclose(reference.detach(), p->detach(), 1e-5, 1e-6)) << "strided layout";
    EXPECT_FALSE(torch::equal(reference.detach(), init)) << "the parameters moved";
  }
}

TEST(Adadelta, SkipsParametersWithoutGradient) {
  torch::Tensor a = torch::ones({3}, torch::kFloat64).set_requires_grad(true);
  torch::Tensor b = torch::ones({3}, torch::kFloat64).set_requires_grad(true);
  Adadelta opt({a, b});
  (a * 2).sum().backward();
  opt.step();
  EXPECT_LT(a[0].item<double>(), 1.0);
  EXPECT_EQ(b[0].item<double>(), 1.0);
  EXPECT_EQ(opt.param_state(b), nullptr);
}

TEST(Adadelta, LearningRateIsVisibleToSchedulers) {
  torch::Tensor a = torch::ones({1}).set_requires_grad(true);
  Adadelta opt({a}, AdadeltaOptions(2.0));
  EXPECT_DOUBLE_EQ(current_lr(opt), 2.0);
  StepLR sched(opt, 1, 0.5);
  sched.step();
  EXPECT_DOUBLE_EQ(current_lr(opt), 1.0);
}

TEST(Schedulers, StepLRMatchesPyTorch) {
  json ref = reference();
  for (const char* key : {"step_lr", "step_lr_3"}) {
    const json& c = ref[key];
    torch::Tensor p = torch::zeros({1}).set_requires_grad(true);
    torch::optim::SGD opt({p}, torch::optim::SGDOptions(1.0));
    StepLR sched(opt, c["step_size"].get<unsigned>(), c["gamma"].get<double>());
    int epoch = 0;
    for (const auto& lr : c["lrs"]) {
      ++epoch;
      sched.step();
      EXPECT_NEAR(current_lr(opt), lr.get<double>(), 1e-15) << key << " epoch " << epoch;
    }
  }
}

TEST(Schedulers, MultiStepLRMatchesPyTorch) {
  json ref = reference();
  const json& c = ref["multi_step_lr"];
  torch::Tensor p = torch::zeros({1}).set_requires_grad(true);
  torch::optim::SGD opt({p}, torch::optim::SGDOptions(1.0));
  MultiStepLR sched(opt, c["milestones"].get<std::vector<unsigned>>(), c["gamma"].get<double>());
  int epoch = 0;
  for (const auto& lr : c["lrs"]) {
    ++epoch;
    sched.step();
    EXPECT_NEAR(current_lr(opt), lr.get<double>(), 1e-15) << "epoch " << epoch;
  }
}
