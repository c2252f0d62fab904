#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <torch/torch.h>

#include "greentune/core/error.hpp"
#include "greentune/torch/models/siamese.hpp"
#include "greentune/torch/trainer.hpp"
#include "fixtures.hpp"

namespace gm = greentune::dl;

TEST(Siamese, TrunkAndPairForwardShapes) {
  torch::manual_seed(0);
  gm::ResNet18Trunk trunk(1);
  EXPECT_EQ(trunk->forward(torch::randn({3, 1, 28, 28})).sizes(), (std::vector<int64_t>{3, 512}));
  int64_t params = 0;
  for (const auto& p : trunk->parameters()) params += p.numel();
  // torchvision resnet18 has 11,689,512 parameters; minus the fc layer (513,000) and with a
  // 1-channel stem (64*49*2 = 6,272 fewer weights).
  EXPECT_EQ(params, 11689512 - 513000 - 6272);

  gm::SiameseNetwork net(1);
  net->eval();
  auto p = net->forward(torch::randn({4, 1, 28, 28}), torch::randn({4, 1, 28, 28}));
  ASSERT_EQ(p.sizes(), (std::vector<int64_t>{4}));
  EXPECT_TRUE((p >= 0).all().item<bool>() && (p <= 1).all().item<bool>());
}

TEST(Siamese, PairsAreBalancedAndLabelledCorrectly) {
  auto labels = torch::tensor({0, 1, 2, 0, 1, 2, 2, 0, 1, 3}, torch::kLong);
  std::mt19937_64 rng(7);
  auto pairs = gm::make_pairs(labels, 1000, rng);
  ASSERT_EQ(pairs.target.numel(), 1000);
  EXPECT_EQ(pairs.target.sum().item<float>(), 500.0f);
  auto a = labels.index({pairs.first}), b = labels.index({pairs.second});
  EXPECT_TRUE(torch::equal((a == b).to(torch::kFloat), pairs.target));
  // every class shows up on both sides
  EXPECT_EQ(std::get<0>(torch::_unique(a)).numel(), 4);
  EXPECT_EQ(std::get<0>(torch::_unique(b)).numel(), 4);

  std::mt19937_64 again(7);
  auto pairs2 = gm::make_pairs(labels, 1000, again);
  EXPECT_TRUE(torch::equal(pairs.first, pairs2.first));
  EXPECT_TRUE(torch::equal(pairs.second, pairs2.second));
}

TEST(Siamese, PairsNeedTwoClasses) {
  std::mt19937_64 rng(1);
  EXPECT_THROW(gm::make_pairs(torch::tensor({3, 3, 3}, torch::kLong), 4, rng), greentune::Error);
}

namespace {

std::string small_mnist(const greentune::testing::TempDir& dir) {
  greentune::testing::IdxFixture f;
  f.train = 96;
  f.test = 48;
  greentune::testing::write_mnist(dir.path() + "/mnist", f);
  return dir.path();
}

}  // namespace

TEST(Siamese, TrainsOnPairsOfTheMnistFixture) {
  greentune::testing::TempDir dir;
  std::string log;
  auto r = greentune::testing::train_on_fixture("siamese", small_mnist(dir), {{"epochs", 2}, {"batch_size", 32}}, &log);
  EXPECT_EQ(r.status, "ok") << r.reason;
  EXPECT_EQ(r.metric, "test_accuracy");
  EXPECT_EQ(r.epochs_completed, 2);
  EXPECT_EQ(r.dataset.name, "mnist");
  ASSERT_TRUE(r.final_train_loss.has_value());
  EXPECT_TRUE(std::isfinite(*r.final_train_loss));
  ASSERT_TRUE(r.performance.has_value());
  EXPECT_GE(*r.performance, 0.0);
  EXPECT_LE(*r.performance, 1.0);
  // 48 test pairs: the accuracy is a multiple of 1/48
  EXPECT_NEAR(*r.performance * 48, std::round(*r.performance * 48), 1e-9);
  EXPECT_NE(log.find("epoch 2/2"), std::string::npos) << log;
  greentune::testing::expect_history(r, 2, 1);
  EXPECT_DOUBLE_EQ(r.history[1].lr[0], 0.7);  // StepLR(1, 0.7)
}

// Upstream feeds the raw bytes as float: 0..255, no scaling, no normalisation.
TEST(Siamese, InputIsRawPixelValues) {
  auto images = torch::tensor(std::vector<uint8_t>{0, 1, 128, 255}, torch::kUInt8).view({1, 1, 2, 2});
  auto x = greentune::dl::siamese_prepare(images, torch::kCPU);
  EXPECT_EQ(x.dtype(), torch::kFloat32);
  EXPECT_TRUE(torch::equal(x, torch::tensor(std::vector<float>{0, 1, 128, 255}).view({1, 1, 2, 2})));
}

// Positive pairs are two distinct images of one class, also when a class has only two images;
// a class with a single image only appears in negative pairs.
TEST(Siamese, PositivePairsAreDistinctImages) {
  // class 0: images 0,1; class 1: image 2 only; class 2: images 3,4,5
  auto labels = torch::tensor(std::vector<int64_t>{0, 0, 1, 2, 2, 2});
  std::mt19937_64 rng(4);
  auto pairs = greentune::dl::make_pairs(labels, 2000, rng);
  const auto* f = pairs.first.data_ptr<int64_t>();
  const auto* s = pairs.second.data_ptr<int64_t>();
  const auto* t = pairs.target.data_ptr<float>();
  const auto* l = labels.data_ptr<int64_t>();
  int positives = 0;
  for (int64_t i = 0; i < 2000; ++i) {
    if (t[i] == 1.0f) {
      ++positives;
      EXPECT_NE(f[i], s[i]) << "pair " << i;
      EXPECT_EQ(l[f[i]], l[s[i]]);
      EXPECT_NE(l[f[i]], 1);
    } else {
      EXPECT_NE(l[f[i]], l[s[i]]);
    }
  }
  EXPECT_EQ(positives, 1000);
}

// The 1-channel stem keeps PyTorch's default initialisation (Kaiming uniform, a = sqrt(5):
// bound 1/sqrt(fan_in) = 1/7 for 1x7x7), the other convolutions torchvision's Kaiming normal.
TEST(Siamese, StemHasPyTorchDefaultInitialisation) {
  torch::manual_seed(3);
  greentune::dl::ResNet18Trunk trunk(1);
  torch::Tensor stem = trunk->named_parameters()["stem.weight"];
  ASSERT_EQ(stem.sizes(), (std::vector<int64_t>{64, 1, 7, 7}));
  EXPECT_LE(stem.abs().max().item<double>(), 1.0 / 7.0 + 1e-6);
  EXPECT_GT(stem.abs().max().item<double>(), 0.9 / 7.0);
  // Kaiming normal (fan_out, ReLU) elsewhere: std sqrt(2 / (64*9)) = 0.059, with values far beyond 1/sqrt(fan_in)'s bound.
  torch::Tensor conv = trunk->named_parameters()["layers.0.conv1.weight"];
  EXPECT_NEAR(conv.std().item<double>(), std::sqrt(2.0 / (64 * 9)), 0.005);
}

TEST(Siamese, SameSeedSameLoss) {
  greentune::testing::TempDir dir;
  const auto root = small_mnist(dir);
  const greentune::Configuration config = {{"epochs", 1}, {"batch_size", 32}, {"train_limit", 64}};
  auto a = greentune::testing::train_on_fixture("siamese", root, config);
  auto b = greentune::testing::train_on_fixture("siamese", root, config);
  auto other = config;
  other["seed"] = 9;
  auto c = greentune::testing::train_on_fixture("siamese", root, other);
  ASSERT_TRUE(a.final_train_loss && b.final_train_loss && c.final_train_loss);
  EXPECT_EQ(*a.final_train_loss, *b.final_train_loss);
  EXPECT_EQ(*a.performance, *b.performance);
  EXPECT_NE(*a.final_train_loss, *c.final_train_loss);
}
