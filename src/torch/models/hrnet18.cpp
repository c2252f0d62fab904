// Training loop and rank-1 evaluation of the HRNet-18 person re-identification model
// (layumi/Person_reID_baseline_pytorch, ft_net_hr).
#include <cmath>
#include <cstdio>
#include <limits>

#include "greentune/core/error.hpp"
#include "greentune/torch/datasets.hpp"
#include "greentune/torch/models/hrnet18.hpp"
#include "greentune/torch/models/resnet20.hpp"  // random_crop_flip
#include "greentune/torch/optim.hpp"
#include "greentune/torch/trainer.hpp"

namespace greentune::dl {
namespace {

const std::vector<double> kMean = {0.485, 0.456, 0.406};
const std::vector<double> kStd = {0.229, 0.224, 0.225};

torch::Tensor reid_prepare(const torch::Tensor& images_u8, const torch::Device& device) {
  return normalize_images(images_u8.to(device), kMean, kStd);
}

// Retrieval features of a split: (f(x) + f(mirror x)) L2-normalised, on the CPU.
torch::Tensor extract_features(ReidHrNet& net, const std::vector<ReidImage>& images, int64_t height, int64_t width,
                               const torch::Device& device) {
  torch::NoGradGuard no_grad;
  net->eval();
  const auto n = static_cast<int64_t>(images.size());
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < n; start += kEvalBatchSize) {
    const int64_t count = std::min(kEvalBatchSize, n - start);
    std::vector<int64_t> idx(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) idx[static_cast<size_t>(i)] = start + i;
    torch::Tensor x = reid_prepare(load_reid_batch(images, idx, height, width), device);
    torch::Tensor f = net->features(x) + net->features(x.flip({3}));
    parts.push_back((f / f.norm(2, 1, true).clamp_min(1e-12)).to(torch::kCPU));
  }
  return torch::cat(parts, 0);
}

}  // namespace

std::optional<double> rank1_accuracy(const torch::Tensor& query_features, const std::vector<int>& query_ids,
                                     const std::vector<int>& query_cameras, const torch::Tensor& gallery_features,
                                     const std::vector<int>& gallery_ids, const std::vector<int>& gallery_cameras) {
  const auto nq = static_cast<size_t>(query_features.size(0));
  const auto ng = static_cast<size_t>(gallery_features.size(0));
  if (query_ids.size() != nq || query_cameras.size() != nq || gallery_ids.size() != ng ||
      gallery_cameras.size() != ng)
    throw runtime_error("rank1_accuracy: feature rows and id/camera lists differ in length");
  torch::Tensor scores =
      torch::matmul(query_features.to(torch::kCPU, torch::kFloat), gallery_features.to(torch::kCPU, torch::kFloat).t())
          .contiguous();
  const float* s = scores.data_ptr<float>();
  int64_t valid = 0, hits = 0;
  for (size_t q = 0; q < nq; ++q) {
    bool has_match = false;
    float best = -std::numeric_limits<float>::infinity();
    size_t best_j = ng;
    for (size_t j = 0; j < ng; ++j) {
      const bool same_id = gallery_ids[j] == query_ids[q];
      if (gallery_ids[j] == -1 || (same_id && gallery_cameras[j] == query_cameras[q])) continue;  // junk
      if (same_id) has_match = true;
      const float v = s[q * ng + j];
      if (best_j == ng || v > best) {
        best = v;
        best_j = j;
      }
    }
    if (!has_match) continue;
    ++valid;
    if (gallery_ids[best_j] == query_ids[q]) ++hits;
  }
  if (valid == 0) return std::nullopt;
  return static_cast<double>(hits) / static_cast<double>(valid);
}

TrainResult train_hrnet18(const TrainContext& ctx) {
  const torch::Device device = ctx.device();
  Market1501 market = load_market1501(ctx.data(), ctx.limits(), ctx.log());
  TrainResult result = ctx.make_result();
  result.dataset = market.info;

  const int64_t epochs = ctx.hp_int("epochs");
  const int64_t height = ctx.hp_int("image_height");
  const int64_t width = std::max<int64_t>(1, height / 2);
  const int64_t padding = std::lround(10.0 * static_cast<double>(height) / 256.0);
  const auto n = static_cast<int64_t>(market.train.size());
  int64_t num_classes = 0;
  for (const auto& img : market.train) num_classes = std::max(num_classes, img.label + 1);
  if (n < 2 || num_classes < 1)
    throw data_error("hrnet18: " + market.root + "/bounding_box_train holds " + std::to_string(n) +
                     " usable images; training needs at least 2");
  // Full batches only, as upstream; a training set smaller than one batch is one batch.
  const int64_t batch_size = std::min(ctx.hp_int("batch_size"), n);
  if (batch_size < 2)
    throw input_error("hrnet18: batch_size must be at least 2 (BatchNorm over one image is undefined)");
  const int64_t steps_per_epoch = n / batch_size;
  ctx.info("dataset " + market.info.name + " (" + std::to_string(n) + " train images of " +
           std::to_string(num_classes) + " identities, " + std::to_string(market.query.size()) + " query, " +
           std::to_string(market.gallery.size()) + " gallery), input " + std::to_string(height) + "x" +
           std::to_string(width) + ", device " + device.str());

  ReidHrNet net(num_classes, ctx.hp("dropout"));
  net->to(device);
  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(ctx.hp("lr"))
                                                     .momentum(ctx.hp("momentum"))
                                                     .weight_decay(ctx.hp("weight_decay"))
                                                     .nesterov(ctx.hp("momentum") > 0));
  StepLR scheduler(optimizer, static_cast<unsigned>(std::max<int64_t>(1, epochs * 2 / 3)), 0.1);

  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = market.train[static_cast<size_t>(i)].label;
  const torch::Tensor label_tensor = torch::tensor(labels, torch::kLong);
  for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
    net->train();
    torch::Tensor order = shuffled_indices(n);
    const auto* ord = order.data_ptr<int64_t>();
    torch::Tensor correct = torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(device));
    auto epoch_loss = train_epoch(ctx, result, epoch, steps_per_epoch, [&](int64_t step) {
      std::vector<int64_t> idx(ord + step * batch_size, ord + (step + 1) * batch_size);
      torch::Tensor images = load_reid_batch(market.train, idx, height, width);
      torch::Tensor x = reid_prepare(random_crop_flip(images, padding), device);
      torch::Tensor y = take_batch(label_tensor, order, step * batch_size, batch_size).to(device);
      clear_gradients(optimizer);
      torch::Tensor logits = net->forward(x);
      torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
      loss.backward();
      optimizer.step();
      correct += logits.detach().argmax(1).eq(y).sum();
      return StepLoss{loss, batch_size};
    });
    if (!epoch_loss) return result;
    result.epochs_completed = epoch;
    const double seen = static_cast<double>(steps_per_epoch * batch_size);
    log_epoch(ctx, epoch, epochs, *epoch_loss, "train accuracy " + fixed(static_cast<double>(correct.item<int64_t>()) / seen, 4),
              current_lr(optimizer), seen, "img/s");
    scheduler.step();
  }

  // Retrieval evaluation (upstream's test.py + evaluate_gpu.py), once after training.
  auto ids = [](const std::vector<ReidImage>& v) {
    std::vector<int> out;
    for (const auto& i : v) out.push_back(i.identity);
    return out;
  };
  auto cams = [](const std::vector<ReidImage>& v) {
    std::vector<int> out;
    for (const auto& i : v) out.push_back(i.camera);
    return out;
  };
  torch::Tensor qf = extract_features(net, market.query, height, width, device);
  torch::Tensor gf = extract_features(net, market.gallery, height, width, device);
  result.performance = rank1_accuracy(qf, ids(market.query), cams(market.query), gf, ids(market.gallery),
                                      cams(market.gallery));
  if (result.performance)
    ctx.info("rank-1 " + fixed(*result.performance, 4) + " over " + std::to_string(market.query.size()) + " queries");
  else
    ctx.info("rank-1 not measured: no query has a same-identity gallery image from another camera");
  return result;
}

}  // namespace greentune::dl
