// The pytorch/examples "mnist" CNN, written from its architecture description.
#include "greentune/torch/models/mnist_cnn.hpp"

#include <cstdio>

#include "greentune/core/subprocess.hpp"
#include "greentune/torch/datasets.hpp"
#include "greentune/torch/kernels.hpp"
#include "greentune/torch/optim.hpp"
#include "greentune/torch/trainer.hpp"

namespace greentune::dl {

namespace F = torch::nn::functional;

MnistCnnImpl::MnistCnnImpl(double dropout) {
  conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, 3).stride(1)));
  conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3).stride(1)));
  dropout2 = dropout;
  fc1 = register_module("fc1", torch::nn::Linear(9216, 128));
  fc2 = register_module("fc2", torch::nn::Linear(128, 10));
}

torch::Tensor MnistCnnImpl::forward(torch::Tensor x) {
  x = conv1(x).relu_();
  // max_pool(relu(x)) == relu(max_pool(x)) exactly (relu is monotone), values and gradients
  // alike; pooling first runs the ReLU and its backward on a quarter of the elements.
  x = torch::max_pool2d(conv2(x), 2).relu_();
  x = dl::dropout(x, dropout1, is_training());
  x = torch::flatten(x, 1);
  x = torch::relu(fc1(x));
  x = dl::dropout(x, dropout2, is_training());
  x = fc2(x);
  return torch::log_softmax(x, 1);
}

torch::Tensor mnist_prepare(const torch::Tensor& images_u8, const torch::Device& device) {
  return normalize_images(images_u8.to(device), {0.1307}, {0.3081});
}

TrainResult train_mnist_cnn(const TrainContext& ctx) {
  const torch::Device device = ctx.device();
  SplitDataset data = load_mnist(ctx.data(), ctx.limits(), ctx.log());
  TrainResult result = ctx.make_result();
  result.dataset = data.info;

  const int64_t epochs = ctx.hp_int("epochs");
  const int64_t batch_size = ctx.hp_int("batch_size");
  const int64_t n = data.train.size();
  ctx.info("dataset " + data.info.name + " (" + std::to_string(n) + " train, " + std::to_string(data.test.size()) +
           " test), device " + device.str());

  MnistCnn model(ctx.hp("dropout"));
  model->to(device);
  if (device.is_cpu()) use_channels_last(*model);
  Adadelta optimizer(model->parameters(), AdadeltaOptions(ctx.hp("lr")));
  StepLR scheduler(optimizer, 1, ctx.hp("gamma"));

  // Normalised once: the per-batch work is then only the gather.
  torch::Tensor train_x = mnist_prepare(data.train.images, device);
  torch::Tensor train_y = data.train.labels.to(device);
  auto prepare = [&](const torch::Tensor& u8) { return mnist_prepare(u8, device); };
  auto forward = [&](const torch::Tensor& x) { return model->forward(x); };

  const int64_t steps_per_epoch = (n + batch_size - 1) / batch_size;
  for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
    const double epoch_start = monotonic_seconds();
    model->train();
    torch::Tensor order = shuffled_indices(n).to(device);
    auto epoch_loss = train_epoch(ctx, result, epoch, steps_per_epoch, [&](int64_t step) {
      const int64_t start = step * batch_size, count = std::min(batch_size, n - start);
      torch::Tensor x = take_batch(train_x, order, start, count);
      torch::Tensor y = take_batch(train_y, order, start, count);
      clear_gradients(optimizer);
      torch::Tensor loss = F::nll_loss(model->forward(x), y);
      loss.backward();
      optimizer.step();
      return StepLoss{loss, count};
    });
    if (!epoch_loss) return result;

    // As the original example: test after every epoch, then decay the learning rate.
    model->eval();
    result.performance = evaluate_accuracy(forward, data.test, prepare, device, kMnistEvalBatch);
    result.epochs_completed = epoch;
    record_epoch(result, epoch, group_lrs(optimizer), *epoch_loss, result.performance,
                 monotonic_seconds() - epoch_start);
    log_epoch(ctx, epoch, epochs, *epoch_loss, "test accuracy " + fixed(*result.performance, 4), current_lr(optimizer),
              double(n), "img/s");
    scheduler.step();
  }
  return result;
}

}  // namespace greentune::dl
