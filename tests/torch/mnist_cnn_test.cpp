// mnist_cnn end to end on a generated IDX fixture: learning, reproducibility, divergence,
// and the library entry point's errors.
#include <algorithm>
#include <iostream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "greentune/core/error.hpp"
#include "greentune/torch/models/mnist_cnn.hpp"
#include "greentune/torch/registry.hpp"
#include "greentune/torch/trainer.hpp"

using namespace greentune;
using namespace greentune::dl;
using greentune::testing::TempDir;
using ::testing::HasSubstr;

namespace {

class MnistCnnTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    greentune::testing::write_mnist(dir_->path() + "/mnist", {.train = 384, .test = 128, .gzip = true, .seed = 11});
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static TrainOptions options() {
    TrainOptions o;
    o.data_dir = dir_->path();
    o.fashion_mnist_default = "/nonexistent";
    o.verbosity = 0;
    return o;
  }
  static Configuration small(Configuration extra = {}) {
    Configuration c = {{"epochs", 2}, {"batch_size", 32}};
    for (auto& [k, v] : extra) c[k] = v;
    return c;
  }
  static TempDir* dir_;
};
TempDir* MnistCnnTest::dir_ = nullptr;

int64_t parameter_count(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

}  // namespace

TEST(MnistCnnModel, ArchitectureOfTheOriginalExample) {
  MnistCnn model(0.5);
  // conv 1->32 (320) + conv 32->64 (18,496) + fc 9216->128 (1,179,776) + fc 128->10 (1,290)
  EXPECT_EQ(parameter_count(*model), 1199882);
  model->eval();
  torch::Tensor out = model->forward(torch::randn({5, 1, 28, 28}));
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{5, 10}));
  // log-probabilities
  EXPECT_NEAR(out.exp().sum(1).sub(1).abs().max().item<double>(), 0.0, 1e-5);
}

// The forward pass pools before its second ReLU and may hold channels-last weights: it must
// compute exactly the original example's function, relu -> relu -> max_pool -> flatten ...
TEST(MnistCnnModel, ForwardIsTheOriginalExamplesFunctionInEitherLayout) {
  torch::manual_seed(2);
  MnistCnn model(0.5);
  model->eval();
  torch::Tensor x = torch::randn({6, 1, 28, 28});
  torch::Tensor reference;
  {
    torch::NoGradGuard no_grad;
    torch::Tensor h = torch::relu(model->conv1(x));
    h = torch::max_pool2d(torch::relu(model->conv2(h)), 2);
    h = torch::relu(model->fc1(torch::flatten(h, 1)));
    reference = torch::log_softmax(model->fc2(h), 1);
  }
  EXPECT_TRUE(torch::allclose(model->forward(x), reference, 1e-5, 1e-6));
  use_channels_last(*model);
  ASSERT_TRUE(model->conv2->weight.is_contiguous(torch::MemoryFormat::ChannelsLast));
  ASSERT_FALSE(model->conv2->weight.is_contiguous());
  EXPECT_TRUE(torch::allclose(model->forward(x), reference, 1e-5, 1e-6));
  // Training mode drops activations (dropout .25 and .5): another output, still log-probabilities.
  model->train();
  torch::Tensor dropped = model->forward(x);
  EXPECT_FALSE(torch::allclose(dropped, reference, 1e-3, 1e-3));
  EXPECT_NEAR(dropped.exp().sum(1).sub(1).abs().max().item<double>(), 0.0, 1e-5);
}

// Channels-last weights must also give the gradients of the plain layout: both compared with
// a float64 computation of the same model (eval mode: no dropout).
TEST(MnistCnnModel, ChannelsLastGradientsAreAsAccurateAsThePlainLayouts) {
  auto make = [] {
    torch::manual_seed(6);
    return MnistCnn(0.5);
  };
  MnistCnn plain = make(), cl = make(), exact = make();
  use_channels_last(*cl);
  exact->to(torch::kFloat64);
  torch::manual_seed(7);
  torch::Tensor x = torch::randn({16, 1, 28, 28});
  torch::Tensor y = torch::randint(0, 10, {16});
  double worst[2] = {0, 0};
  for (auto* net : {&plain, &cl, &exact}) {
    (*net)->eval();
    torch::Tensor input = net == &exact ? x.to(torch::kFloat64) : x;
    torch::nn::functional::nll_loss((*net)->forward(input), y).backward();
  }
  auto pe = exact->parameters();
  int k = 0;
  for (auto* net : {&plain, &cl}) {
    auto p = (*net)->parameters();
    for (size_t i = 0; i < p.size(); ++i) {
      const double scale = pe[i].grad().abs().max().item<double>() + 1e-12;
      worst[k] = std::max(worst[k], (p[i].grad().to(torch::kFloat64) - pe[i].grad()).abs().max().item<double>() / scale);
    }
    ++k;
  }
  std::cout << "relative gradient error against float64: plain " << worst[0] << ", channels-last " << worst[1] << "\n";
  EXPECT_LT(worst[0], 1e-4);
  EXPECT_LT(worst[1], 1e-4);
}

TEST(MnistCnnModel, IsRegistered) { EXPECT_EQ(find_trainer("mnist_cnn"), &train_mnist_cnn); }

TEST_F(MnistCnnTest, LearnsTheFixtureAndReportsEverything) {
  TrainResult r = train("mnist_cnn", small(), options());
  EXPECT_EQ(r.status, "ok") << r.reason;
  EXPECT_EQ(r.model, "mnist_cnn");
  EXPECT_EQ(r.metric, "test_accuracy");
  EXPECT_TRUE(r.higher_is_better);
  EXPECT_EQ(r.epochs_completed, 2);
  ASSERT_TRUE(r.performance);
  EXPECT_GT(*r.performance, 0.6);  // chance is 0.1; the fixture's classes are easy
  ASSERT_TRUE(r.final_train_loss);
  EXPECT_LT(*r.final_train_loss, 2.0);
  EXPECT_GT(r.wall_time_s, 0);
  EXPECT_EQ(r.device, "cpu");
  EXPECT_EQ(r.cpu_threads, effective_threads(0));
  EXPECT_EQ(r.dataset.name, "mnist");
  EXPECT_EQ(r.dataset.train_samples, 384);
  EXPECT_EQ(r.dataset.test_samples, 128);
  // every hyperparameter actually used, defaults included
  EXPECT_EQ(r.hyperparameters.at("epochs"), 2);
  EXPECT_EQ(r.hyperparameters.at("lr"), 1.0);
  EXPECT_EQ(r.hyperparameters.at("gamma"), 0.7);
  EXPECT_EQ(r.hyperparameters.at("dropout"), 0.5);
  EXPECT_EQ(r.hyperparameters.at("seed"), 1);
  // The learning curve and StepLR's schedule, epoch by epoch.
  greentune::testing::expect_history(r, 2, 1);
  EXPECT_EQ(r.history[0].lr[0], 1.0);
  EXPECT_DOUBLE_EQ(r.history[1].lr[0], 0.7);
  EXPECT_TRUE(r.history[0].metric.has_value());
}

TEST_F(MnistCnnTest, SameSeedSameLossOtherSeedOtherLoss) {
  Configuration c = small({{"epochs", 1}, {"train_limit", 160}, {"test_limit", 32}, {"seed", 5}});
  TrainResult a = train("mnist_cnn", c, options());
  TrainResult b = train("mnist_cnn", c, options());
  c["seed"] = 6;
  TrainResult other = train("mnist_cnn", c, options());
  ASSERT_TRUE(a.final_train_loss && b.final_train_loss && other.final_train_loss);
  EXPECT_EQ(*a.final_train_loss, *b.final_train_loss);
  EXPECT_EQ(*a.performance, *b.performance);
  EXPECT_NE(*a.final_train_loss, *other.final_train_loss);
  EXPECT_EQ(a.dataset.train_samples, 160);
}

TEST_F(MnistCnnTest, HugeLearningRateDivergesWithAValidResult) {
  // Adadelta's step is scale-free, so lr 1000 alone only kills the ReLUs; a learning rate that
  // grows tenfold per epoch (gamma 10) overflows the weights within a dozen epochs.
  TrainResult r = train("mnist_cnn",
                        {{"lr", 1000}, {"gamma", 10}, {"epochs", 40}, {"batch_size", 64}, {"train_limit", 64},
                         {"test_limit", 16}},
                        options());
  EXPECT_EQ(r.status, "diverged");
  EXPECT_LT(r.epochs_completed, 40);
  EXPECT_THAT(r.reason, HasSubstr("loss became"));
  EXPECT_FALSE(r.performance);
  // and it serialises like any other result
  TrainResult back = train_result_from_json(to_json(r));
  EXPECT_EQ(back.status, "diverged");
  EXPECT_EQ(back.model, "mnist_cnn");
  EXPECT_EQ(back.hyperparameters.at("lr"), 1000);
}

TEST_F(MnistCnnTest, BadInputIsAnInputError) {
  auto kind_of = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::make_pair(e.kind(), std::string(e.what()));
    }
    return std::make_pair(ErrorKind::runtime, std::string("nothing thrown"));
  };
  auto [k1, m1] = kind_of([&] { train("no_such_model", {}, options()); });
  EXPECT_EQ(k1, ErrorKind::input);
  EXPECT_THAT(m1, HasSubstr("unknown model 'no_such_model'"));
  auto [k2, m2] = kind_of([&] { train("mnist_cnn", {{"momentum", 0.9}}, options()); });
  EXPECT_EQ(k2, ErrorKind::input);
  EXPECT_THAT(m2, HasSubstr("'momentum'"));
  auto [k3, m3] = kind_of([&] { train("mnist_cnn", {{"lr", -1}}, options()); });
  EXPECT_EQ(k3, ErrorKind::input);
  EXPECT_THAT(m3, HasSubstr("lr"));
  auto [k4, m4] = kind_of([&] { train("mnist_cnn", {{"epochs", 1.5}}, options()); });
  EXPECT_EQ(k4, ErrorKind::input);
  EXPECT_THAT(m4, HasSubstr("not an integer"));
}

TEST_F(MnistCnnTest, MissingDatasetIsADataError) {
  TempDir empty;
  TrainOptions o = options();
  o.data_dir = empty.path();
  try {
    train("mnist_cnn", small(), o);
    FAIL() << "expected a data_error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::data);
    EXPECT_THAT(e.what(), HasSubstr(empty.path()));
  }
}

TEST(Device, CudaWithoutCudaIsAClearErrorAndAutoFallsBack) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has CUDA";
  try {
    resolve_device("cuda");
    FAIL() << "expected usage_error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_THAT(e.what(), HasSubstr("CUDA is not available"));
  }
  EXPECT_EQ(resolve_device("auto").str(), "cpu");
  EXPECT_EQ(resolve_device("cpu").str(), "cpu");
  EXPECT_THROW(resolve_device("gpu"), Error);
  EXPECT_THROW(resolve_device("cuda:x"), Error);
  // An index of more digits than an int holds is refused by its form (std::stoi would throw
  // std::out_of_range).
  try {
    resolve_device("cuda:99999999999");
    FAIL() << "expected usage_error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_THAT(e.what(), HasSubstr("is not one of cpu, cuda, cuda:N, auto"));
  }
}
