// Training loop of the siamese network (pytorch/examples siamese_network).
#include <cmath>
#include <cstdio>

#include "greentune/core/subprocess.hpp"
#include "greentune/torch/datasets.hpp"
#include "greentune/torch/models/siamese.hpp"
#include "greentune/torch/optim.hpp"
#include "greentune/torch/trainer.hpp"

namespace greentune::dl {
namespace {

// Pairs are drawn by std::mt19937_64 streams derived from the seed (one for the test pairs,
// one for training), independent of how much libtorch's generator is used elsewhere.
constexpr uint64_t kTestPairStream = 0x7e57'0000'0000'0001ULL;
constexpr uint64_t kTrainPairStream = 0x7a1e'0000'0000'0002ULL;

}  // namespace

torch::Tensor siamese_prepare(const torch::Tensor& images_u8, const torch::Device& device) {
  return images_u8.to(device).to(torch::kFloat32);  // upstream: .float() of the raw bytes, no scaling
}

double evaluate_pairs(SiameseNetwork& net, const torch::Tensor& images, const PairIndices& pairs,
                      const torch::Device& device) {
  torch::NoGradGuard no_grad;
  net->eval();
  const int64_t n = pairs.target.numel();
  if (n == 0) return 0;
  int64_t correct = 0;
  for (int64_t start = 0; start < n; start += kSiameseEvalBatch) {
    const int64_t count = std::min(kSiameseEvalBatch, n - start);
    auto a = siamese_prepare(take_batch(images, pairs.first, start, count), device);
    auto b = siamese_prepare(take_batch(images, pairs.second, start, count), device);
    auto target = pairs.target.slice(0, start, start + count).to(device);
    auto predicted = net->forward(a, b).gt(0.5).to(torch::kFloat);
    correct += predicted.eq(target).sum().item<int64_t>();
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

TrainResult train_siamese(const TrainContext& ctx) {
  const torch::Device device = ctx.device();
  SplitDataset data = load_mnist(ctx.data(), ctx.limits(), ctx.log());
  TrainResult result = ctx.make_result();
  result.dataset = data.info;

  const int64_t epochs = ctx.hp_int("epochs");
  const int64_t batch_size = ctx.hp_int("batch_size");
  const uint64_t seed = static_cast<uint64_t>(ctx.hp_int("seed"));
  const int64_t n = data.train.size();
  ctx.info("dataset " + data.info.name + " (" + std::to_string(n) + " train, " + std::to_string(data.test.size()) +
           " test images; as many pairs per epoch), device " + device.str());

  std::mt19937_64 test_rng(seed ^ kTestPairStream);
  const PairIndices test_pairs = make_pairs(data.test.labels, data.test.size(), test_rng);
  std::mt19937_64 train_rng(seed ^ kTrainPairStream);

  SiameseNetwork net(1);
  net->to(device);
  Adadelta optimizer(net->parameters(), AdadeltaOptions(ctx.hp("lr")));
  StepLR scheduler(optimizer, 1, ctx.hp("gamma"));

  // Kept as uint8 on the host (as the example's loader): each step gathers and normalises.
  const torch::Tensor& images = data.train.images;
  const int64_t steps_per_epoch = (n + batch_size - 1) / batch_size;
  for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
    const double epoch_start = monotonic_seconds();
    net->train();
    const PairIndices pairs = make_pairs(data.train.labels, n, train_rng);
    auto epoch_loss = train_epoch(ctx, result, epoch, steps_per_epoch, [&](int64_t step) {
      const int64_t start = step * batch_size, count = std::min(batch_size, n - start);
      auto a = siamese_prepare(take_batch(images, pairs.first, start, count), device);
      auto b = siamese_prepare(take_batch(images, pairs.second, start, count), device);
      auto target = pairs.target.slice(0, start, start + count).to(device);
      clear_gradients(optimizer);
      torch::Tensor loss = torch::binary_cross_entropy(net->forward(a, b), target);
      loss.backward();
      optimizer.step();
      return StepLoss{loss, count};
    });
    if (!epoch_loss) return result;

    result.performance = evaluate_pairs(net, data.test.images, test_pairs, device);
    result.epochs_completed = epoch;
    record_epoch(result, epoch, group_lrs(optimizer), *epoch_loss, result.performance,
                 monotonic_seconds() - epoch_start);
    log_epoch(ctx, epoch, epochs, *epoch_loss, "test pair accuracy " + fixed(*result.performance, 4),
              current_lr(optimizer), double(n), "pairs/s");
    scheduler.step();
  }
  return result;
}

}  // namespace greentune::dl
