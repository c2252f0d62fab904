#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <torch/torch.h>

#include "greentune/torch/models/resnet20.hpp"
#include "greentune/torch/trainer.hpp"
#include "fixtures.hpp"

namespace gm = greentune::dl;

TEST(ResNet20, ForwardShapeAndParameterCount) {
  torch::manual_seed(0);
  gm::ResNet20 net(10, 3);
  auto out = net->forward(torch::randn({2, 3, 32, 32}));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 10}));
  int64_t params = 0;
  for (const auto& p : net->parameters()) params += p.numel();
  // ResNet-20 has 0.27M parameters (He et al. 2016, Table 6); akamaster's model counts
  // 269,722 (conv, BN and fc weights); option A adds none.
  EXPECT_EQ(params, 269722);
}

TEST(ResNet20, OptionAShortcutIsParameterFreeSubsampleWithZeroPadding) {
  torch::manual_seed(0);
  gm::CifarBasicBlock block(16, 32, 2);
  // Zero the residual branch's last BN so the block outputs relu(shortcut) only.
  for (auto& item : block->named_parameters())
    if (item.key().rfind("bn2.", 0) == 0) {
      torch::NoGradGuard ng;
      item.value().zero_();
    }
  block->eval();
  auto x = torch::rand({1, 16, 8, 8});  // non-negative, so relu is the identity
  auto y = block->forward(x);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, 32, 4, 4}));
  using torch::indexing::Slice;
  EXPECT_TRUE(torch::allclose(y.index({Slice(), Slice(8, 24)}),
                              x.index({Slice(), Slice(), Slice(0, 8, 2), Slice(0, 8, 2)})));
  EXPECT_EQ(y.index({Slice(), Slice(0, 8)}).abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(y.index({Slice(), Slice(24, 32)}).abs().sum().item<float>(), 0.0f);
}

namespace {

std::string small_cifar(const greentune::testing::TempDir& dir) {
  greentune::testing::CifarFixture f;
  f.per_batch = 40;
  f.test = 40;
  greentune::testing::write_cifar10(dir.path() + "/cifar10", f);
  return dir.path();
}

}  // namespace

TEST(ResNet20, RandomCropFlipKeepsShapeAndShiftsWithinPadding) {
  torch::manual_seed(5);
  auto x = torch::randint(1, 256, {64, 3, 8, 8}, torch::kLong).to(torch::kUInt8);
  auto y = gm::random_crop_flip(x, 2);
  ASSERT_EQ(y.sizes(), x.sizes());
  // Every output is a shifted (and maybe mirrored) copy: its non-zero pixels are original values
  // and, with a shift of at most 2 each way, at least a 6x6 window survives.
  for (int64_t i = 0; i < 64; ++i) EXPECT_GE((y[i][0] != 0).sum().item<int64_t>(), 36);
  // Not the identity for every image, and reproducible under the same seed.
  EXPECT_FALSE(torch::equal(x, y));
  torch::manual_seed(5);
  auto x2 = torch::randint(1, 256, {64, 3, 8, 8}, torch::kLong).to(torch::kUInt8);
  EXPECT_TRUE(torch::equal(gm::random_crop_flip(x2, 2), y));
}

TEST(ResNet20, TrainsOnCifarFixture) {
  greentune::testing::TempDir dir;
  std::string log;
  auto r = greentune::testing::train_on_fixture("resnet20", small_cifar(dir), {{"epochs", 2}, {"batch_size", 32}, {"lr", 0.05}}, &log);
  EXPECT_EQ(r.status, "ok") << r.reason;
  EXPECT_EQ(r.metric, "top1_accuracy");
  EXPECT_EQ(r.epochs_completed, 2);
  EXPECT_EQ(r.dataset.name, "cifar10");
  EXPECT_EQ(r.dataset.train_samples, 200);
  ASSERT_TRUE(r.final_train_loss.has_value());
  EXPECT_TRUE(std::isfinite(*r.final_train_loss));
  ASSERT_TRUE(r.performance.has_value());
  EXPECT_GE(*r.performance, 0.0);
  EXPECT_LE(*r.performance, 1.0);
  // MultiStepLR at 50% / 75% of 2 epochs: decayed after epoch 1 (lr 0.005 shown for epoch 2).
  EXPECT_NE(log.find("epoch 2/2"), std::string::npos) << log;
  EXPECT_NE(log.find("lr 0.00500"), std::string::npos) << log;
}

TEST(ResNet20, SameSeedSameLoss) {
  greentune::testing::TempDir dir;
  const auto root = small_cifar(dir);
  const greentune::Configuration config = {{"epochs", 1}, {"batch_size", 32}, {"train_limit", 96}};
  auto a = greentune::testing::train_on_fixture("resnet20", root, config);
  auto b = greentune::testing::train_on_fixture("resnet20", root, config);
  auto other = config;
  other["seed"] = 3;
  auto c = greentune::testing::train_on_fixture("resnet20", root, other);
  ASSERT_TRUE(a.final_train_loss && b.final_train_loss && c.final_train_loss);
  EXPECT_EQ(*a.final_train_loss, *b.final_train_loss);
  EXPECT_EQ(*a.performance, *b.performance);
  EXPECT_NE(*a.final_train_loss, *c.final_train_loss);
}

TEST(ResNet20, HugeLearningRateEndsAsDivergedResult) {
  greentune::testing::TempDir dir;
  // lr 1000 with weight decay 1 multiplies every weight by about -999 per step.
  auto r = greentune::testing::train_on_fixture("resnet20", small_cifar(dir), {{"epochs", 3}, {"batch_size", 32}, {"lr", 1000}, {"weight_decay", 1},
                                                {"train_limit", 96}});
  EXPECT_EQ(r.status, "diverged");
  EXPECT_FALSE(r.reason.empty());
  EXPECT_LT(r.epochs_completed, 3);
}

TEST(ResNet20, FashionMnistStandsInForMissingCifarAndIsRecorded) {
  greentune::testing::TempDir dir;
  greentune::testing::IdxFixture f;
  f.train = 64;
  f.test = 32;
  greentune::testing::write_mnist(dir.path() + "/fashion-mnist", f);
  std::string log;
  auto r = greentune::testing::train_on_fixture("resnet20", dir.path(), {{"epochs", 1}, {"batch_size", 32}}, &log);
  EXPECT_EQ(r.status, "ok") << r.reason;
  EXPECT_EQ(r.dataset.name, "fashion-mnist");
  EXPECT_EQ(r.dataset.substitute_for, "cifar10");
  EXPECT_EQ(r.dataset.train_samples, 64);
}
