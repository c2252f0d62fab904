#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <torch/torch.h>

#include "greentune/torch/datasets.hpp"
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

  // mAP with upstream's compute_mAP: the one match first -> AP 1; second after a distractor ->
  // (0/1 + 1/2) / 2 = 0.25.
  auto m1 = gm::retrieval_metrics(rows({0.0f}), {7}, {1}, gf, gid, gcam);
  EXPECT_EQ(m1.queries, 1);
  EXPECT_DOUBLE_EQ(*m1.mean_ap, 1.0);
  auto m2 = gm::retrieval_metrics(rows({0.0f}), {7}, {1}, gf2, gid, gcam);
  EXPECT_DOUBLE_EQ(*m2.rank1, 0.0);
  EXPECT_DOUBLE_EQ(*m2.mean_ap, 0.25);
  // Two matches at kept ranks 0 and 2: (1 + 1)/2/2 + (1/2 + 2/3)/2/2 = 0.7916...
  const std::vector<int> gid3 = {7, 8, 7}, gcam3 = {2, 2, 3};
  auto m3 = gm::retrieval_metrics(rows({0.0f}), {7}, {1}, rows({0.0f, 0.1f, 0.2f}), gid3, gcam3);
  EXPECT_DOUBLE_EQ(*m3.rank1, 1.0);
  EXPECT_NEAR(*m3.mean_ap, 0.5 + (0.5 + 2.0 / 3.0) / 4, 1e-12);
}

// The val split of upstream's prepare.py on a fake Market-1501 tree (real JPEGs, real file
// names): the first image of each identity in file-name order is val, the rest is trained on.
TEST(HrNet18, ValSplitTakesTheFirstImageOfEachIdentity) {
  greentune::testing::TempDir dir;
  greentune::testing::MarketFixture f;
  f.identities = 3;
  f.per_identity = 3;
  greentune::testing::write_market1501(dir.path() + "/market1501", f);
  greentune::dl::DataOptions options;
  options.data_dir = dir.path();
  std::ostringstream log;
  auto m = greentune::dl::load_market1501(options, {}, log);
  ASSERT_EQ(m.val.size(), 3u);
  ASSERT_EQ(m.train.size(), 6u);
  EXPECT_EQ(m.num_classes, 3);
  std::vector<std::string> all;
  for (const auto& e : std::filesystem::directory_iterator(dir.path() + "/market1501/bounding_box_train"))
    all.push_back(e.path().string());
  std::sort(all.begin(), all.end());
  for (int id = 0; id < 3; ++id) {
    EXPECT_EQ(m.val[size_t(id)].path, all[size_t(3 * id)]);  // 3 files per identity, sorted
    EXPECT_EQ(m.val[size_t(id)].label, id);
    for (const auto& t : m.train) EXPECT_NE(t.path, m.val[size_t(id)].path);
  }
  EXPECT_EQ(m.info.train_samples, 6);
  EXPECT_EQ(m.info.test_samples, 3);
  EXPECT_NE(m.info.note.find("val split"), std::string::npos);
}

namespace {

std::string small_market(const greentune::testing::TempDir& dir) {
  greentune::testing::MarketFixture f;
  f.identities = 4;
  f.per_identity = 4;
  greentune::testing::write_market1501(dir.path() + "/market1501", f);
  return dir.path();
}

// 64x32 inputs, 12 training images (16 less one val image per identity) in batches of 8: one
// optimisation step per epoch.
const greentune::Configuration kSmall = {{"epochs", 1}, {"batch_size", 8}, {"image_height", 64}};

}  // namespace

// Trains on all but one image per identity (12 of 16), reports upstream's val accuracy after
// every epoch, the backbone at 0.1*lr, and with retrieval = 1 rank-1 and mAP as well.
TEST(HrNet18, TrainsOnTheSplitAndReportsValAccuracyPerEpoch) {
  greentune::testing::TempDir dir;
  std::string log;
  auto config = kSmall;
  config["epochs"] = 2;
  config["batch_size"] = 4;
  config["retrieval"] = 1;
  auto r = greentune::testing::train_on_fixture("hrnet18", small_market(dir), config, &log);
  EXPECT_EQ(r.status, "ok") << r.reason;
  EXPECT_EQ(r.metric, "val_accuracy");
  EXPECT_EQ(r.epochs_completed, 2);
  EXPECT_EQ(r.dataset.name, "market1501");
  EXPECT_EQ(r.dataset.train_samples, 12);
  EXPECT_EQ(r.dataset.test_samples, 4);
  EXPECT_EQ(r.hyperparameters.at("image_height"), 64);
  ASSERT_TRUE(r.performance.has_value()) << log;
  // 4 val images in one batch of 4: a multiple of 1/4.
  EXPECT_NEAR(*r.performance * 4, std::round(*r.performance * 4), 1e-9);
  greentune::testing::expect_history(r, 2, 2);
  for (const auto& e : r.history) ASSERT_TRUE(e.metric.has_value());
  EXPECT_DOUBLE_EQ(r.history[0].lr[0], 0.1 * 0.05);  // backbone
  EXPECT_DOUBLE_EQ(r.history[0].lr[1], 0.05);        // ClassBlock
  // StepLR(step = 2 * 2 // 3 = 1 epoch, gamma 0.1) decays both groups after epoch 1.
  EXPECT_DOUBLE_EQ(r.history[1].lr[0], 0.1 * 0.1 * 0.05);
  EXPECT_DOUBLE_EQ(r.history[1].lr[1], 0.1 * 0.05);
  EXPECT_NE(log.find("12 train, 4 val"), std::string::npos) << log;
  EXPECT_NE(log.find("val accuracy"), std::string::npos) << log;
  ASSERT_EQ(r.extra_metrics.count("rank1"), 1u) << log;
  ASSERT_EQ(r.extra_metrics.count("mAP"), 1u);
  EXPECT_GE(r.extra_metrics.at("mAP"), 0.0);
  EXPECT_LE(r.extra_metrics.at("mAP"), 1.0);
}

TEST(HrNet18, SameSeedSameLossAndDivergenceIsAResult) {
  greentune::testing::TempDir dir;
  const auto root = small_market(dir);
  auto a = greentune::testing::train_on_fixture("hrnet18", root, kSmall);
  auto b = greentune::testing::train_on_fixture("hrnet18", root, kSmall);
  ASSERT_TRUE(a.final_train_loss && b.final_train_loss);
  EXPECT_EQ(*a.final_train_loss, *b.final_train_loss);
  EXPECT_EQ(a.performance, b.performance);

  EXPECT_TRUE(a.extra_metrics.empty());  // retrieval is off by default
  auto huge = kSmall;
  // lr 1000 with weight decay 1 multiplies the ClassBlock's weights by about -999 per step
  // (the backbone's by -99: it trains at 0.1 * lr); 6 steps per epoch at batch 2.
  huge["lr"] = 1000;
  huge["weight_decay"] = 1;
  huge["batch_size"] = 2;
  huge["epochs"] = 3;
  auto d = greentune::testing::train_on_fixture("hrnet18", root, huge);
  EXPECT_EQ(d.status, "diverged");
  EXPECT_LT(d.epochs_completed, 3);
}
