// Training loop, per-epoch val accuracy and the optional retrieval evaluation of the HRNet-18
// person re-identification model (layumi/Person_reID_baseline_pytorch, ft_net_hr).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

#include "greentune/core/error.hpp"
#include "greentune/core/subprocess.hpp"
#include "greentune/torch/datasets.hpp"
#include "greentune/torch/models/hrnet18.hpp"
#include "greentune/torch/models/resnet20.hpp"  // random_crop_flip
#include "greentune/torch/optim.hpp"
#include "greentune/torch/prefetch.hpp"
#include "greentune/torch/trainer.hpp"

namespace greentune::dl {
namespace {


struct ReidBatch {
  torch::Tensor x;  // float [B,3,H,W], normalised
  torch::Tensor y;  // int64 [B]
};

// Images [first, first+count) of `images`, decoded, resized and normalised (no augmentation),
// pinned for `device` (see pinned_for).
ReidBatch plain_batch(const std::vector<ReidImage>& images, int64_t first, int64_t count, int64_t height,
                      int64_t width, const torch::Device& device) {
  std::vector<int64_t> idx(static_cast<size_t>(count));
  std::iota(idx.begin(), idx.end(), first);
  std::vector<int64_t> labels;
  for (int64_t i : idx) labels.push_back(images[static_cast<size_t>(i)].label);
  torch::Tensor x = normalize_images_serial(load_reid_batch(images, idx, height, width), kImageNetMean, kImageNetStd);
  return ReidBatch{pinned_for(x, device),
                   pinned_for(torch::tensor(labels, torch::kLong), device)};
}

// Retrieval features of a split: (f(x) + f(mirror x)) L2-normalised, on the CPU.
torch::Tensor extract_features(ReidHrNet& net, const std::vector<ReidImage>& images, int64_t height, int64_t width,
                               const torch::Device& device, int workers) {
  torch::NoGradGuard no_grad;
  net->eval();
  const auto n = static_cast<int64_t>(images.size());
  const int64_t batch = kHrnetRetrievalBatch;
  const int64_t steps = (n + batch - 1) / batch;
  BatchPrefetcher<ReidBatch> batches(steps, workers, 2 * std::max(workers, 1), [&](int64_t step) {
    return plain_batch(images, step * batch, std::min(batch, n - step * batch), height, width, device);
  });
  std::vector<torch::Tensor> parts;
  for (int64_t step = 0; step < steps; ++step) {
    torch::Tensor x = to_device(batches.next().x, device);
    torch::Tensor f = net->features(x) + net->features(x.flip({3}));
    parts.push_back((f / f.norm(2, 1, true).clamp_min(1e-12)).to(torch::kCPU));
  }
  return torch::cat(parts, 0);
}

std::vector<int> identities(const std::vector<ReidImage>& v) {
  std::vector<int> out;
  for (const auto& i : v) out.push_back(i.identity);
  return out;
}

std::vector<int> cameras(const std::vector<ReidImage>& v) {
  std::vector<int> out;
  for (const auto& i : v) out.push_back(i.camera);
  return out;
}

}  // namespace

RetrievalMetrics retrieval_metrics(const torch::Tensor& query_features, const std::vector<int>& query_ids,
                                   const std::vector<int>& query_cameras, const torch::Tensor& gallery_features,
                                   const std::vector<int>& gallery_ids, const std::vector<int>& gallery_cameras) {
  const auto nq = static_cast<size_t>(query_features.size(0));
  const auto ng = static_cast<size_t>(gallery_features.size(0));
  if (query_ids.size() != nq || query_cameras.size() != nq || gallery_ids.size() != ng ||
      gallery_cameras.size() != ng)
    throw runtime_error("retrieval_metrics: feature rows and id/camera lists differ in length");
  torch::Tensor scores =
      torch::matmul(query_features.to(torch::kCPU, torch::kFloat), gallery_features.to(torch::kCPU, torch::kFloat).t())
          .contiguous();
  const float* s = scores.data_ptr<float>();
  RetrievalMetrics out;
  int64_t hits = 0;
  double ap_sum = 0;
  std::vector<size_t> order(ng);
  for (size_t q = 0; q < nq; ++q) {
    // Ranking by score (ties: gallery order), junk (identity -1, and the query's identity seen
    // by the query's camera) removed.
    std::iota(order.begin(), order.end(), size_t{0});
    const float* row = s + q * ng;
    std::stable_sort(order.begin(), order.end(), [row](size_t a, size_t b) { return row[a] > row[b]; });
    std::vector<int64_t> good_ranks;  // 0-based ranks of correct matches among the kept images
    int64_t rank = 0;
    for (size_t j : order) {
      const bool same_id = gallery_ids[j] == query_ids[q];
      if (gallery_ids[j] == -1 || (same_id && gallery_cameras[j] == query_cameras[q])) continue;
      if (same_id) good_ranks.push_back(rank);
      ++rank;
    }
    if (good_ranks.empty()) continue;  // no correct match in another camera: left out, as upstream
    ++out.queries;
    if (good_ranks.front() == 0) ++hits;
    // Upstream's compute_mAP: average of the precisions before and at each correct match.
    const double ngood = static_cast<double>(good_ranks.size());
    double ap = 0;
    for (size_t i = 0; i < good_ranks.size(); ++i) {
      const double r = static_cast<double>(good_ranks[i]);
      const double precision = static_cast<double>(i + 1) / (r + 1);
      const double old_precision = good_ranks[i] != 0 ? static_cast<double>(i) / r : 1.0;
      ap += (old_precision + precision) / 2 / ngood;
    }
    ap_sum += ap;
  }
  if (out.queries > 0) {
    out.rank1 = static_cast<double>(hits) / static_cast<double>(out.queries);
    out.mean_ap = ap_sum / static_cast<double>(out.queries);
  }
  return out;
}

std::optional<double> rank1_accuracy(const torch::Tensor& query_features, const std::vector<int>& query_ids,
                                     const std::vector<int>& query_cameras, const torch::Tensor& gallery_features,
                                     const std::vector<int>& gallery_ids, const std::vector<int>& gallery_cameras) {
  return retrieval_metrics(query_features, query_ids, query_cameras, gallery_features, gallery_ids, gallery_cameras)
      .rank1;
}

TrainResult train_hrnet18(const TrainContext& ctx) {
  const torch::Device device = ctx.device();
  Market1501 market = load_market1501(ctx.data(), ctx.limits(), ctx.log());
  TrainResult result = ctx.make_result();
  result.dataset = market.info;

  const int64_t epochs = ctx.hp_int("epochs");
  const double lr = ctx.hp("lr");
  const uint64_t seed = static_cast<uint64_t>(ctx.hp_int("seed"));
  const int64_t height = ctx.hp_int("image_height");
  const int64_t width = std::max<int64_t>(1, height / 2);
  const int64_t padding = std::lround(10.0 * static_cast<double>(height) / 256.0);
  const int workers = ctx.data_workers();
  const auto n = static_cast<int64_t>(market.train.size());
  const auto n_val = static_cast<int64_t>(market.val.size());
  const int64_t num_classes = market.num_classes;
  if (n < 2)
    throw data_error("hrnet18: " + market.root + "/bounding_box_train leaves " + std::to_string(n) +
                     " training image(s) after the val split; training needs at least 2");
  // Full batches only, as upstream; a training set smaller than one batch is one batch.
  const int64_t batch_size = std::min(ctx.hp_int("batch_size"), n);
  if (batch_size < 2)
    throw input_error("hrnet18: batch_size must be at least 2 (BatchNorm over one image is undefined)");
  const int64_t steps_per_epoch = n / batch_size;
  // Upstream's val loader: batches of batch_size, the last partial one skipped; accuracy over all val images.
  const int64_t val_batch = ctx.hp_int("batch_size");
  const int64_t val_steps = n_val / val_batch;
  ctx.info("dataset " + market.info.name + " (" + std::to_string(n) + " train, " + std::to_string(n_val) +
           " val images of " + std::to_string(num_classes) + " identities), input " + std::to_string(height) + "x" +
           std::to_string(width) + ", device " + device.str() + ", " + std::to_string(workers) + " data workers");

  const CudnnBenchmarkGuard cudnn_benchmark(device);  // as upstream on CUDA
  ReidHrNet net(num_classes, ctx.hp("dropout"));
  net->to(device);
  // Upstream: the backbone at 0.1 lr, the classifier block at lr; one momentum/decay/Nesterov.
  std::vector<torch::optim::OptimizerParamGroup> groups;
  auto group_options = [&](double group_lr) {
    return std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(group_lr)
                                                          .momentum(ctx.hp("momentum"))
                                                          .weight_decay(ctx.hp("weight_decay"))
                                                          .nesterov(ctx.hp("momentum") > 0));
  };
  groups.emplace_back(net->backbone()->parameters(), group_options(0.1 * lr));
  groups.emplace_back(net->head()->parameters(), group_options(lr));
  torch::optim::SGD optimizer(groups, torch::optim::SGDOptions(lr));
  StepLR scheduler(optimizer, static_cast<unsigned>(std::max<int64_t>(1, epochs * 2 / 3)), 0.1);

  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = market.train[static_cast<size_t>(i)].label;
  const torch::Tensor label_tensor = torch::tensor(labels, torch::kLong);
  for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
    const double epoch_start = monotonic_seconds();
    net->train();
    const torch::Tensor order = shuffled_indices(n);
    const auto* ord = order.data_ptr<int64_t>();
    // Decoding, resizing, augmentation and normalisation in data-loading workers.
    BatchPrefetcher<ReidBatch> batches(steps_per_epoch, workers, 2 * std::max(workers, 1), [&](int64_t step) {
      std::vector<int64_t> idx(ord + step * batch_size, ord + (step + 1) * batch_size);
      std::mt19937_64 rng = batch_rng(seed, epoch, step);
      torch::Tensor images = random_crop_flip(load_reid_batch(market.train, idx, height, width), padding, rng);
      return ReidBatch{pinned_for(normalize_images_serial(images, kImageNetMean, kImageNetStd), device),
                       pinned_for(take_batch_serial(label_tensor, order, step * batch_size, batch_size), device)};
    });
    auto epoch_loss = train_epoch(ctx, result, epoch, steps_per_epoch, [&](int64_t) {
      ReidBatch batch = batches.next();
      torch::Tensor x = to_device(batch.x, device), y = to_device(batch.y, device);
      clear_gradients(optimizer);
      torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(x), y);
      loss.backward();
      optimizer.step();
      return StepLoss{loss, batch_size};
    });
    if (!epoch_loss) return result;

    // The val pass after every epoch, as upstream's loop.
    {
      torch::NoGradGuard no_grad;
      net->eval();
      BatchPrefetcher<ReidBatch> val(val_steps, workers, 2 * std::max(workers, 1), [&](int64_t step) {
        return plain_batch(market.val, step * val_batch, val_batch, height, width, device);
      });
      torch::Tensor correct = torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(device));
      for (int64_t step = 0; step < val_steps; ++step) {
        ReidBatch b = val.next();
        correct += net->forward(to_device(b.x, device)).argmax(1).eq(to_device(b.y, device)).sum();
      }
      result.performance = static_cast<double>(correct.item<int64_t>()) / static_cast<double>(std::max<int64_t>(1, n_val));
    }
    result.epochs_completed = epoch;
    record_epoch(result, epoch, group_lrs(optimizer), *epoch_loss, result.performance,
                 monotonic_seconds() - epoch_start);
    log_epoch(ctx, epoch, epochs, *epoch_loss, "val accuracy " + fixed(*result.performance, 4), current_lr(optimizer),
              static_cast<double>(steps_per_epoch * batch_size), "img/s");
    scheduler.step();
  }

  if (ctx.hp_int("retrieval") != 0) {  // upstream's test.py + evaluate_gpu.py, once after training
    torch::Tensor qf = extract_features(net, market.query, height, width, device, workers);
    torch::Tensor gf = extract_features(net, market.gallery, height, width, device, workers);
    RetrievalMetrics m = retrieval_metrics(qf, identities(market.query), cameras(market.query), gf,
                                           identities(market.gallery), cameras(market.gallery));
    if (m.rank1) {
      result.extra_metrics["rank1"] = *m.rank1;
      result.extra_metrics["mAP"] = *m.mean_ap;
      ctx.info("retrieval: rank-1 " + fixed(*m.rank1, 4) + ", mAP " + fixed(*m.mean_ap, 4) + " over " +
               std::to_string(m.queries) + " queries");
    } else {
      ctx.info("retrieval not measured: no query has a same-identity gallery image from another camera");
    }
  }
  return result;
}

}  // namespace greentune::dl
