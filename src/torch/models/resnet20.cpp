// Training loop of ResNet-20 on CIFAR-10 (akamaster/pytorch_resnet_cifar10).
#include <cstdio>

#include "greentune/core/subprocess.hpp"
#include "greentune/torch/datasets.hpp"
#include "greentune/torch/models/resnet20.hpp"
#include "greentune/torch/optim.hpp"
#include "greentune/torch/prefetch.hpp"
#include "greentune/torch/trainer.hpp"

namespace greentune::dl {
namespace {


torch::Tensor cifar_prepare(const torch::Tensor& images_u8, const torch::Device& device) {
  return normalize_images(images_u8.to(device), kImageNetMean, kImageNetStd);
}

struct CifarBatch {
  torch::Tensor x;  // float [B,C,32,32], augmented and normalised
  torch::Tensor y;  // int64 [B]
};

}  // namespace

torch::Tensor random_crop_flip(const torch::Tensor& images_u8, int64_t padding, std::mt19937_64& rng) {
  const torch::Tensor src = images_u8.contiguous();
  const int64_t b = src.size(0), c = src.size(1), h = src.size(2), w = src.size(3);
  torch::Tensor out = torch::empty_like(src);
  const uint8_t* in = src.data_ptr<uint8_t>();
  uint8_t* dst = out.data_ptr<uint8_t>();
  std::uniform_int_distribution<int64_t> offset(0, 2 * padding);
  std::uniform_int_distribution<int> coin(0, 1);
  for (int64_t i = 0; i < b; ++i) {
    // Window of the zero-padded image: rows [dy, dy+h), columns [dx, dx+w) in padded coordinates.
    const int64_t dy = offset(rng) - padding, dx = offset(rng) - padding;
    const bool flip = coin(rng) == 1;
    for (int64_t ch = 0; ch < c; ++ch) {
      const uint8_t* plane = in + (i * c + ch) * h * w;
      uint8_t* o = dst + (i * c + ch) * h * w;
      for (int64_t r = 0; r < h; ++r) {
        const int64_t sr = r + dy;
        for (int64_t col = 0; col < w; ++col) {
          const int64_t sc = (flip ? w - 1 - col : col) + dx;
          o[r * w + col] = (sr >= 0 && sr < h && sc >= 0 && sc < w) ? plane[sr * w + sc] : 0;
        }
      }
    }
  }
  return out;
}

std::vector<unsigned> resnet20_milestones() { return {100, 150}; }

TrainResult train_resnet20(const TrainContext& ctx) {
  const torch::Device device = ctx.device();
  SplitDataset data = load_cifar10(ctx.data(), ctx.limits(), ctx.log(), /*allow_fashion_substitute=*/true);
  TrainResult result = ctx.make_result();
  result.dataset = data.info;

  const int64_t epochs = ctx.hp_int("epochs");
  const int64_t batch_size = ctx.hp_int("batch_size");
  const uint64_t seed = static_cast<uint64_t>(ctx.hp_int("seed"));
  const int64_t n = data.train.size();
  const int workers = ctx.data_workers();
  ctx.info("dataset " + data.info.name + " (" + std::to_string(n) + " train, " + std::to_string(data.test.size()) +
           " test), device " + device.str() + ", " + std::to_string(workers) + " data workers");

  const CudnnBenchmarkGuard cudnn_benchmark(device);  // as upstream on CUDA
  ResNet20 net(10, data.train.images.size(1));
  net->to(device);
  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(ctx.hp("lr"))
                                                     .momentum(ctx.hp("momentum"))
                                                     .weight_decay(ctx.hp("weight_decay")));
  // Upstream's MultiStepLR(milestones=[100, 150]) whatever the number of epochs.
  MultiStepLR scheduler(optimizer, resnet20_milestones(), 0.1);

  auto prepare = [&](const torch::Tensor& u8) { return cifar_prepare(u8, device); };
  auto forward = [&](const torch::Tensor& x) { return net->forward(x); };
  const int64_t steps_per_epoch = (n + batch_size - 1) / batch_size;
  for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
    const double epoch_start = monotonic_seconds();
    net->train();
    const torch::Tensor order = shuffled_indices(n);
    // Gather, augment (per-batch random stream) and normalise off the training thread.
    BatchPrefetcher<CifarBatch> batches(steps_per_epoch, workers, 2 * std::max(workers, 1), [&](int64_t step) {
      const int64_t start = step * batch_size, count = std::min(batch_size, n - start);
      std::mt19937_64 rng = batch_rng(seed, epoch, step);
      torch::Tensor u8 = random_crop_flip(take_batch_serial(data.train.images, order, start, count), 4, rng);
      return CifarBatch{pinned_for(normalize_images_serial(u8, kImageNetMean, kImageNetStd), device),
                        pinned_for(take_batch_serial(data.train.labels, order, start, count), device)};
    });
    auto epoch_loss = train_epoch(ctx, result, epoch, steps_per_epoch, [&](int64_t) {
      CifarBatch batch = batches.next();
      torch::Tensor x = to_device(batch.x, device), y = to_device(batch.y, device);
      clear_gradients(optimizer);
      torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(x), y);
      loss.backward();
      optimizer.step();
      return StepLoss{loss, y.size(0)};
    });
    if (!epoch_loss) return result;

    net->eval();
    result.performance = evaluate_accuracy(forward, data.test, prepare, device, kResnet20EvalBatch);
    result.epochs_completed = epoch;
    record_epoch(result, epoch, group_lrs(optimizer), *epoch_loss, result.performance,
                 monotonic_seconds() - epoch_start);
    log_epoch(ctx, epoch, epochs, *epoch_loss, "top-1 " + fixed(*result.performance, 4), current_lr(optimizer), double(n),
              "img/s");
    scheduler.step();
  }
  return result;
}

}  // namespace greentune::dl
