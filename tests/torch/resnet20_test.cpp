#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <torch/torch.h>

#include "greentune/core/error.hpp"
#include "greentune/torch/models/resnet20.hpp"
#include "greentune/torch/optim.hpp"
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

TEST(ResNet20, RandomCropFlipIsAPaddedCropMaybeMirrored) {
  torch::manual_seed(5);
  auto x = torch::randint(1, 256, {64, 3, 8, 8}, torch::kLong).to(torch::kUInt8);
  std::mt19937_64 rng(11);
  auto y = gm::random_crop_flip(x, 2, rng);
  ASSERT_EQ(y.sizes(), x.sizes());
  // Every output is the 8x8 window at some offset (0..4 each way) of the zero-padded image,
  // mirrored or not, the same window for all channels (torch's own pad/slice/flip as reference).
  auto padded = torch::constant_pad_nd(x, {2, 2, 2, 2}, 0);
  int flipped = 0, moved = 0;
  for (int64_t i = 0; i < 64; ++i) {
    bool found = false;
    for (int64_t dy = 0; dy <= 4 && !found; ++dy)
      for (int64_t dx = 0; dx <= 4 && !found; ++dx)
        for (bool flip : {false, true}) {
          auto crop = padded[i].slice(1, dy, dy + 8).slice(2, dx, dx + 8);
          if (flip) crop = crop.flip({2});
          if (torch::equal(crop, y[i])) {
            found = true;
            flipped += flip;
            moved += dy != 2 || dx != 2;
            break;
          }
        }
    EXPECT_TRUE(found) << "image " << i;
  }
  EXPECT_GT(flipped, 16);  // p = .5 each
  EXPECT_LT(flipped, 48);
  EXPECT_GT(moved, 48);  // 24 of 25 offsets move the image
  // The same stream gives the same batch; another stream another one.
  std::mt19937_64 same(11), other(12);
  EXPECT_TRUE(torch::equal(gm::random_crop_flip(x, 2, same), y));
  EXPECT_FALSE(torch::equal(gm::random_crop_flip(x, 2, other), y));
}

// Upstream's MultiStepLR(milestones=[100, 150]) whatever the number of epochs: checked on the
// schedule itself (200 scheduler steps), without training 200 epochs.
TEST(ResNet20, LearningRateDropsExactlyAtEpochs100And150) {
  EXPECT_EQ(gm::resnet20_milestones(), (std::vector<unsigned>{100, 150}));
  auto w = torch::zeros({1}, torch::requires_grad());
  torch::optim::SGD sgd({w}, torch::optim::SGDOptions(0.2).momentum(0.9));
  gm::MultiStepLR scheduler(sgd, gm::resnet20_milestones(), 0.1);
  for (int epoch = 1; epoch <= 200; ++epoch) {  // lr used during `epoch`, then the step after it
    const double expected = epoch <= 100 ? 0.2 : (epoch <= 150 ? 0.02 : 0.002);
    EXPECT_NEAR(gm::current_lr(sgd), expected, 1e-12) << "epoch " << epoch;
    scheduler.step();
  }
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
  // Milestones at epochs 100 and 150: no decay in a 2-epoch run.
  EXPECT_NE(log.find("epoch 2/2"), std::string::npos) << log;
  EXPECT_EQ(log.find("lr 0.00500"), std::string::npos) << log;
  EXPECT_NE(log.find("epoch 2/2: train loss"), std::string::npos) << log;
  greentune::testing::expect_history(r, 2, 1);
  EXPECT_EQ(r.history[1].lr[0], 0.05);
}

// A 4-epoch run keeps the learning rate constant (no milestone before epoch 100) and records
// one history entry per epoch; the batches are the same whatever the number of data workers.
TEST(ResNet20, FourEpochsKeepTheLearningRateAndWorkersDoNotChangeTheRun) {
  greentune::testing::TempDir dir;
  const std::string root = small_cifar(dir);
  const greentune::Configuration config = {{"epochs", 4}, {"batch_size", 32}, {"train_limit", 64}, {"test_limit", 32}};
  auto run = [&](int workers) {
    gm::TrainOptions options;
    options.data_dir = root;
    options.fashion_mnist_default = root + "/none";
    options.data_workers = workers;
    std::ostringstream log;
    options.log = &log;
    return gm::train("resnet20", config, options);
  };
  auto r = run(0);
  ASSERT_EQ(r.status, "ok") << r.reason;
  greentune::testing::expect_history(r, 4, 1);
  for (const auto& e : r.history) {
    EXPECT_EQ(e.lr[0], 0.2);  // the paper's package (run.sh); upstream trainer.py's own default is 0.1
    EXPECT_TRUE(e.metric.has_value());
  }
  for (int workers : {1, 3}) {
    auto w = run(workers);
    ASSERT_EQ(w.status, "ok") << w.reason;
    ASSERT_EQ(w.history.size(), 4u);
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(w.history[i].train_loss, r.history[i].train_loss) << workers;
    EXPECT_EQ(w.performance, r.performance);
  }
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
  // Not without being asked for.
  EXPECT_THROW(greentune::testing::train_on_fixture("resnet20", dir.path(), {{"epochs", 1}, {"batch_size", 32}}),
               greentune::Error);
  auto r = greentune::testing::train_on_fixture("resnet20", dir.path(),
                                                {{"epochs", 1}, {"batch_size", 32}, {"substitute_data", 1}}, &log);
  EXPECT_EQ(r.status, "ok") << r.reason;
  EXPECT_EQ(r.hyperparameters.at("substitute_data"), 1);
  EXPECT_EQ(r.dataset.name, "fashion-mnist");
  EXPECT_EQ(r.dataset.substitute_for, "cifar10");
  EXPECT_EQ(r.dataset.train_samples, 64);
}
