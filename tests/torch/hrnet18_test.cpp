#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <torch/torch.h>

#include "greentune/torch/models/hrnet18.hpp"
#include "greentune/torch/trainer.hpp"
#include "fixtures.hpp"

namespace gm = greentune::dl;

TEST(HrNet18, BackboneGivesPooled2048FeatureAtSmallAndOddSizes) {
  torch::manual_seed(0);
  gm::HrNetW18 net;
  net->eval();
  torch::NoGradGuard ng;
  EXPECT_EQ(net->forward(torch::randn({2, 3, 64, 32})).sizes(), (std::vector<int64_t>{2, 2048}));
  // not a multiple of 32: fusion resamples to the exact branch size
  EXPECT_EQ(net->forward(torch::randn({1, 3, 72, 40})).sizes(), (std::vector<int64_t>{1, 2048}));
  int64_t params = 0;
  for (const auto& p : net->parameters()) params += p.numel();
  // timm's hrnet_w18 has 21,299,004 parameters including its 2048x1000 classifier.
  EXPECT_EQ(params, 21299004 - (2048 * 1000 + 1000));
}

TEST(HrNet18, ReidModelGivesIdentityLogitsAnd512dFeatures) {
  torch::manual_seed(0);
  gm::ReidHrNet net(7, 0.5);
  net->train();
  auto logits = net->forward(torch::randn({2, 3, 64, 32}));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 7}));
  net->eval();
  torch::NoGradGuard ng;
  EXPECT_EQ(net->features(torch::randn({3, 3, 64, 32})).sizes(), (std::vector<int64_t>{3, 512}));
}

TEST(HrNet18, Rank1FollowsMarketProtocol) {
  // 2-d unit features; gallery: 0 = same id same camera (junk), 1 = junk id -1,
  // 2 = distractor id 0, 3 = same id other camera, 4 = other id.
  auto unit = [](float a) { return std::vector<float>{std::cos(a), std::sin(a)}; };
  auto rows = [&](std::vector<float> angles) {
    std::vector<float> v;
    for (float a : angles) {
      auto u = unit(a);
      v.insert(v.end(), u.begin(), u.end());
    }
    return torch::tensor(v).view({static_cast<int64_t>(angles.size()), 2});
  };
  const std::vector<int> gid = {7, -1, 0, 7, 8}, gcam = {1, 2, 3, 2, 4};
  // Query id 7 cam 1 at angle 0: the junk images are closest, then the true match: a hit.
  auto gf = rows({0.0f, 0.01f, 0.5f, 0.1f, 0.3f});
  EXPECT_EQ(gm::rank1_accuracy(rows({0.0f}), {7}, {1}, gf, gid, gcam), std::optional<double>(1.0));
  // Distractors are not junk: closer than the match, it is a miss.
  auto gf2 = rows({0.0f, 0.01f, 0.05f, 0.1f, 0.3f});
  EXPECT_EQ(gm::rank1_accuracy(rows({0.0f}), {7}, {1}, gf2, gid, gcam), std::optional<double>(0.0));
  // A query whose identity is only in its own camera is left out; two valid queries, one hit.
  auto r = gm::rank1_accuracy(rows({0.0f, 0.0f, 0.3f}), {7, 9, 8}, {1, 1, 1}, gf2, gid, gcam);
  ASSERT_TRUE(r.has_value());
  EXPECT_DOUBLE_EQ(*r, 0.5);
  // No valid query at all: not measured.
  EXPECT_FALSE(gm::rank1_accuracy(rows({0.0f}), {9}, {1}, gf, gid, gcam).has_value());
}

namespace {

std::string small_market(const greentune::testing::TempDir& dir) {
  greentune::testing::MarketFixture f;
  f.identities = 4;
  f.per_identity = 4;
  greentune::testing::write_market1501(dir.path() + "/market1501", f);
  return dir.path();
}

// 64x32 inputs, 16 training images in batches of 8: two optimisation steps per epoch.
const greentune::Configuration kSmall = {{"epochs", 1}, {"batch_size", 8}, {"image_height", 64}};

}  // namespace

TEST(HrNet18, TrainsOnMarketFixtureAndMeasuresRank1) {
  greentune::testing::TempDir dir;
  std::string log;
  auto r = greentune::testing::train_on_fixture("hrnet18", small_market(dir), kSmall, &log);
  EXPECT_EQ(r.status, "ok") << r.reason;
  EXPECT_EQ(r.metric, "rank1_accuracy");
  EXPECT_EQ(r.epochs_completed, 1);
  EXPECT_EQ(r.dataset.name, "market1501");
  EXPECT_EQ(r.hyperparameters.at("image_height"), 64);
  ASSERT_TRUE(r.final_train_loss.has_value());
  EXPECT_TRUE(std::isfinite(*r.final_train_loss));
  ASSERT_TRUE(r.performance.has_value()) << log;
  EXPECT_GE(*r.performance, 0.0);
  EXPECT_LE(*r.performance, 1.0);
  EXPECT_NE(log.find("input 64x32"), std::string::npos) << log;
  EXPECT_NE(log.find("rank-1"), std::string::npos) << log;
}

TEST(HrNet18, SameSeedSameLossAndDivergenceIsAResult) {
  greentune::testing::TempDir dir;
  const auto root = small_market(dir);
  auto a = greentune::testing::train_on_fixture("hrnet18", root, kSmall);
  auto b = greentune::testing::train_on_fixture("hrnet18", root, kSmall);
  ASSERT_TRUE(a.final_train_loss && b.final_train_loss);
  EXPECT_EQ(*a.final_train_loss, *b.final_train_loss);
  EXPECT_EQ(a.performance, b.performance);

  auto huge = kSmall;
  huge["lr"] = 1000;
  huge["epochs"] = 3;
  auto d = greentune::testing::train_on_fixture("hrnet18", root, huge);
  EXPECT_EQ(d.status, "diverged");
  EXPECT_LT(d.epochs_completed, 3);
}
