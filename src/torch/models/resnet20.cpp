// Training loop of ResNet-20 on CIFAR-10 (akamaster/pytorch_resnet_cifar10).
#include <cstdio>

#include "greentune/torch/datasets.hpp"
#include "greentune/torch/models/resnet20.hpp"
#include "greentune/torch/optim.hpp"
#include "greentune/torch/trainer.hpp"

namespace greentune::dl {
namespace {

const std::vector<double> kMean = {0.485, 0.456, 0.406};
const std::vector<double> kStd = {0.229, 0.224, 0.225};

torch::Tensor cifar_prepare(const torch::Tensor& images_u8, const torch::Device& device) {
  return normalize_images(images_u8.to(device), kMean, kStd);
}

}  // namespace

torch::Tensor random_crop_flip(const torch::Tensor& images_u8, int64_t padding) {
  using torch::indexing::Slice;
  const int64_t b = images_u8.size(0), h = images_u8.size(2), w = images_u8.size(3);
  torch::Tensor padded = torch::constant_pad_nd(images_u8, {padding, padding, padding, padding}, 0);
  torch::Tensor offsets = torch::randint(0, 2 * padding + 1, {b, 2}, torch::kLong);
  torch::Tensor flips = torch::rand({b}) < 0.5;
  torch::Tensor out = torch::empty_like(images_u8);
  const auto* off = offsets.data_ptr<int64_t>();
  const auto* flip = flips.data_ptr<bool>();
  for (int64_t i = 0; i < b; ++i) {
    const int64_t y = off[2 * i], x = off[2 * i + 1];
    torch::Tensor crop = padded[i].index({Slice(), Slice(y, y + h), Slice(x, x + w)});
    out[i].copy_(flip[i] ? crop.flip({2}) : crop);
  }
  return out;
}

TrainResult train_resnet20(const TrainContext& ctx) {
  const torch::Device device = ctx.device();
  SplitDataset data = load_cifar10(ctx.data(), ctx.limits(), ctx.log(), /*allow_fashion_substitute=*/true);
  TrainResult result = ctx.make_result();
  result.dataset = data.info;

  const int64_t epochs = ctx.hp_int("epochs");
  const int64_t batch_size = ctx.hp_int("batch_size");
  const int64_t n = data.train.size();
  ctx.info("dataset " + data.info.name + " (" + std::to_string(n) + " train, " + std::to_string(data.test.size()) +
           " test), device " + device.str());

  ResNet20 net(10, data.train.images.size(1));
  net->to(device);
  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(ctx.hp("lr"))
                                                     .momentum(ctx.hp("momentum"))
                                                     .weight_decay(ctx.hp("weight_decay")));
  // Upstream: milestones 100 and 150 of 200 epochs. For very short runs the two can coincide;
  // it is then one decay, not two.
  std::vector<unsigned> milestones = {static_cast<unsigned>(epochs / 2)};
  if (3 * epochs / 4 != epochs / 2) milestones.push_back(static_cast<unsigned>(3 * epochs / 4));
  MultiStepLR scheduler(optimizer, milestones, 0.1);

  auto prepare = [&](const torch::Tensor& u8) { return cifar_prepare(u8, device); };
  auto forward = [&](const torch::Tensor& x) { return net->forward(x); };
  const int64_t steps_per_epoch = (n + batch_size - 1) / batch_size;
  for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
    net->train();
    torch::Tensor order = shuffled_indices(n);
    auto epoch_loss = train_epoch(ctx, result, epoch, steps_per_epoch, [&](int64_t step) {
      const int64_t start = step * batch_size, count = std::min(batch_size, n - start);
      torch::Tensor x = prepare(random_crop_flip(take_batch(data.train.images, order, start, count), 4));
      torch::Tensor y = take_batch(data.train.labels, order, start, count).to(device);
      clear_gradients(optimizer);
      torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(x), y);
      loss.backward();
      optimizer.step();
      return StepLoss{loss, count};
    });
    if (!epoch_loss) return result;

    net->eval();
    result.performance = evaluate_accuracy(forward, data.test, prepare, device);
    result.epochs_completed = epoch;
    log_epoch(ctx, epoch, epochs, *epoch_loss, "top-1 " + fixed(*result.performance, 4), current_lr(optimizer), double(n),
              "img/s");
    scheduler.step();
  }
  return result;
}

}  // namespace greentune::dl
