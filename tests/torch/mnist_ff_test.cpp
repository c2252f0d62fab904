#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <torch/torch.h>

#include "greentune/torch/models/mnist_ff.hpp"
#include "greentune/torch/trainer.hpp"
#include "fixtures.hpp"

namespace gm = greentune::dl;

TEST(MnistFF, OverlayWritesOneHotLabelWithImageMaximum) {
  auto x = torch::rand({3, 20}) + 0.5;
  auto y = gm::overlay_label(x, torch::tensor({0, 9, 4}, torch::kLong), 10);
  using torch::indexing::Slice;
  const float mx = x.max().item<float>();
  for (int i = 0; i < 3; ++i) {
    const int label = i == 0 ? 0 : (i == 1 ? 9 : 4);
    for (int j = 0; j < 10; ++j) EXPECT_EQ(y[i][j].item<float>(), j == label ? mx : 0.0f);
  }
  EXPECT_TRUE(torch::equal(y.index({Slice(), Slice(10)}), x.index({Slice(), Slice(10)})));
}

TEST(MnistFF, WrongLabelsNeverEqualTheTrueOnes) {
  torch::manual_seed(3);
  auto labels = torch::randint(0, 10, {5000}, torch::kLong);
  auto wrong = gm::wrong_labels(labels, 10);
  EXPECT_EQ((wrong == labels).sum().item<int64_t>(), 0);
  EXPECT_EQ(std::get<0>(torch::_unique(wrong)).numel(), 10);
}

TEST(MnistFF, LossIsSoftplusOfThresholdMargins) {
  auto loss = gm::ff_loss(torch::tensor({3.0f}), torch::tensor({1.0f}), 2.0).item<double>();
  EXPECT_NEAR(loss, std::log1p(std::exp(-1.0)), 1e-6);
}

TEST(MnistFF, LayerNormalisesInputAndNetScoresEveryLabel) {
  torch::manual_seed(0);
  gm::FFLayer layer(784, 500);
  auto x = torch::rand({4, 784});
  // The input direction only matters: scaling the input leaves the output (almost) unchanged.
  EXPECT_TRUE(torch::allclose(layer(x), layer(x * 5), 1e-4, 1e-4));
  gm::FFNet net(std::vector<int64_t>{784, 500, 500});
  EXPECT_EQ(net->layers().size(), 2u);
  auto g = net->goodness_per_label(x);
  EXPECT_EQ(g.sizes(), (std::vector<int64_t>{4, 10}));
  EXPECT_TRUE(torch::equal(net->predict(x), g.argmax(1)));
}

TEST(MnistFF, LossOverflowsLikeUpstreamForHugeGoodness) {
  auto loss = gm::ff_loss(torch::tensor({3.0f}), torch::tensor({500.0f}), 2.0).item<double>();
  EXPECT_TRUE(std::isinf(loss));
}

namespace {

void write_mnist_fixture(const std::string& root, int train, int test) {
  greentune::testing::IdxFixture f;
  f.train = train;
  f.test = test;
  greentune::testing::write_mnist(root + "/mnist", f);
}

}  // namespace

TEST(MnistFF, TrainsOnMnistFixtureAndBeatsChance) {
  greentune::testing::TempDir dir;
  write_mnist_fixture(dir.path(), 256, 64);
  std::string log;
  auto r = greentune::testing::train_on_fixture("mnist_ff", dir.path(), {{"epochs", 60}, {"batch_size", 200}, {"lr", 0.03}}, &log);
  EXPECT_EQ(r.status, "ok") << r.reason;
  EXPECT_EQ(r.model, "mnist_ff");
  EXPECT_EQ(r.metric, "test_accuracy");
  EXPECT_EQ(r.epochs_completed, 60);
  EXPECT_EQ(r.dataset.name, "mnist");
  EXPECT_EQ(r.hyperparameters.at("threshold"), 2.0);
  ASSERT_TRUE(r.final_train_loss.has_value());
  EXPECT_TRUE(std::isfinite(*r.final_train_loss));
  ASSERT_TRUE(r.performance.has_value());
  EXPECT_GT(*r.performance, 0.3) << log;  // 10 classes: chance is 0.1
  EXPECT_NE(log.find("training batch 200"), std::string::npos) << log;
  // One history entry per layer (its 60 iterations), the test accuracy on the last.
  greentune::testing::expect_history(r, 2, 1, /*layers=*/2);
  EXPECT_EQ(r.history[0].epoch, 60);
  EXPECT_EQ(r.history[0].lr[0], 0.03);
  EXPECT_FALSE(r.history[0].metric.has_value());
  ASSERT_EQ(r.extra_metrics.count("train_accuracy"), 1u);  // upstream prints the train error too
}

TEST(MnistFF, SameSeedSameLossOtherSeedOtherLoss) {
  greentune::testing::TempDir dir;
  write_mnist_fixture(dir.path(), 128, 32);
  const greentune::Configuration base = {{"epochs", 5}, {"batch_size", 128}};
  auto a = greentune::testing::train_on_fixture("mnist_ff", dir.path(), base);
  auto b = greentune::testing::train_on_fixture("mnist_ff", dir.path(), base);
  auto other = base;
  other["seed"] = 2;
  auto c = greentune::testing::train_on_fixture("mnist_ff", dir.path(), other);
  ASSERT_TRUE(a.final_train_loss && b.final_train_loss && c.final_train_loss);
  EXPECT_EQ(*a.final_train_loss, *b.final_train_loss);
  EXPECT_EQ(*a.performance, *b.performance);
  EXPECT_NE(*a.final_train_loss, *c.final_train_loss);
}

TEST(MnistFF, HugeLearningRateEndsAsDivergedResult) {
  greentune::testing::TempDir dir;
  write_mnist_fixture(dir.path(), 128, 32);
  auto r = greentune::testing::train_on_fixture("mnist_ff", dir.path(), {{"epochs", 50}, {"batch_size", 128}, {"lr", 1000}});
  EXPECT_EQ(r.status, "diverged");
  EXPECT_NE(r.reason.find("layer"), std::string::npos) << r.reason;
  EXPECT_LT(r.epochs_completed, 50);
  EXPECT_FALSE(r.performance.has_value());
}

TEST(MnistFF, LimitsBoundTheData) {
  greentune::testing::TempDir dir;
  write_mnist_fixture(dir.path(), 256, 64);
  auto r = greentune::testing::train_on_fixture("mnist_ff", dir.path(), {{"epochs", 2}, {"train_limit", 100}, {"test_limit", 20}});
  EXPECT_EQ(r.status, "ok");
  EXPECT_EQ(r.dataset.train_samples, 100);
  EXPECT_EQ(r.dataset.test_samples, 20);
}
