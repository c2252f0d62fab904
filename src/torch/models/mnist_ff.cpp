// Training loop of the Forward-Forward model (pytorch/examples mnist_forward_forward).
#include <cmath>
#include <cstdio>

#include "greentune/core/subprocess.hpp"
#include "greentune/torch/datasets.hpp"
#include "greentune/torch/models/mnist_ff.hpp"
#include "greentune/torch/trainer.hpp"

namespace greentune::dl {
namespace {

// Images as the original example feeds them: normalised with MNIST's mean/std, flattened.
torch::Tensor ff_prepare(const torch::Tensor& images_u8, const torch::Device& device) {
  return normalize_images(images_u8.to(device), {0.1307}, {0.3081}).flatten(1);
}

// Prediction is 10 label overlays through all layers: linear layers run efficiently at
// larger batches than the CNNs' kEvalBatchSize.
constexpr int64_t kFFEvalBatch = 1000;

}  // namespace

TrainResult train_mnist_ff(const TrainContext& ctx) {
  const torch::Device device = ctx.device();
  SplitDataset data = load_mnist(ctx.data(), ctx.limits(), ctx.log());
  TrainResult result = ctx.make_result();
  result.dataset = data.info;

  const int64_t iterations = ctx.hp_int("epochs");
  const double lr = ctx.hp("lr");
  const double threshold = ctx.hp("threshold");
  const int64_t n = data.train.size();
  const int64_t m = std::min(ctx.hp_int("batch_size"), n);
  ctx.info("dataset " + data.info.name + " (" + std::to_string(n) + " train, " + std::to_string(data.test.size()) +
           " test), training batch " + std::to_string(m) + ", device " + device.str());

  // One random batch of m training images, with true labels (positive) and wrong ones (negative).
  torch::Tensor order = shuffled_indices(n);
  torch::Tensor x = ff_prepare(take_batch(data.train.images, order, 0, m), device);
  torch::Tensor y = take_batch(data.train.labels, order, 0, m);
  torch::Tensor h_pos = overlay_label(x, y.to(device));
  torch::Tensor h_neg = overlay_label(x, wrong_labels(y, 10).to(device));

  FFNet net(std::vector<int64_t>{784, 500, 500});
  net->to(device);
  const int64_t check_every = device.is_cuda() ? 50 : 1;
  const int64_t progress_every = std::max<int64_t>(1, iterations / 10);
  auto& layers = net->layers();
  for (size_t li = 0; li < layers.size(); ++li) {
    FFLayer& layer = layers[li];
    const double layer_start = monotonic_seconds();
    torch::optim::Adam optimizer(layer->parameters(), torch::optim::AdamOptions(lr));
    torch::Tensor loss;
    for (int64_t it = 1; it <= iterations; ++it) {
      loss = ff_loss(layer->goodness(layer(h_pos)), layer->goodness(layer(h_neg)), threshold);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      if (it % check_every == 0 || it == iterations) {
        const double value = loss.item<double>();
        if (!finite_loss(value)) {
          result.status = "diverged";
          result.reason = "training loss became " + std::string(std::isnan(value) ? "NaN" : "infinite") +
                          " in layer " + std::to_string(li + 1) + " at iteration " + std::to_string(it);
          result.epochs_completed = it - 1;
          ctx.info("diverged: " + result.reason);
          return result;
        }
      }
      if (ctx.verbosity() >= 2 && it % progress_every == 0)
        ctx.info("layer " + std::to_string(li + 1) + " iteration " + std::to_string(it) + "/" +
                     std::to_string(iterations) + " loss " + fixed(loss.item<double>(), 4),
                 2);
    }
    result.final_train_loss = loss.item<double>();
    EpochRecord entry;  // one history entry per layer: its block of iterations
    entry.epoch = iterations;
    entry.layer = static_cast<long long>(li + 1);
    entry.lr = {lr};
    entry.train_loss = result.final_train_loss;
    entry.seconds = monotonic_seconds() - layer_start;
    result.history.push_back(entry);
    ctx.info("layer " + std::to_string(li + 1) + "/" + std::to_string(layers.size()) + " trained: loss " +
             fixed(*result.final_train_loss, 4));
    torch::NoGradGuard no_grad;  // the next layer sees this layer's outputs as constants
    h_pos = layer(h_pos);
    h_neg = layer(h_neg);
  }
  result.epochs_completed = iterations;
  ctx.synchronize();

  {
    torch::NoGradGuard no_grad;
    net->eval();
    // Upstream prints the train error before the test error: a prediction over the training batch.
    int64_t train_correct = 0;
    for (int64_t start = 0; start < m; start += kFFEvalBatch) {
      const int64_t count = std::min(kFFEvalBatch, m - start);
      train_correct += net->predict(x.slice(0, start, start + count))
                           .eq(y.slice(0, start, start + count).to(device))
                           .sum()
                           .item<int64_t>();
    }
    result.extra_metrics["train_accuracy"] = static_cast<double>(train_correct) / static_cast<double>(std::max<int64_t>(1, m));
    const int64_t nt = data.test.size();
    int64_t correct = 0;
    for (int64_t start = 0; start < nt; start += kFFEvalBatch) {
      const int64_t count = std::min(kFFEvalBatch, nt - start);
      torch::Tensor tx = ff_prepare(data.test.images.slice(0, start, start + count), device);
      torch::Tensor ty = data.test.labels.slice(0, start, start + count).to(device);
      correct += net->predict(tx).eq(ty).sum().item<int64_t>();
    }
    result.performance = nt > 0 ? static_cast<double>(correct) / static_cast<double>(nt) : 0.0;
  }
  if (!result.history.empty()) result.history.back().metric = result.performance;  // measured after the last layer
  ctx.info("test accuracy " + fixed(*result.performance, 4));
  return result;
}

}  // namespace greentune::dl
