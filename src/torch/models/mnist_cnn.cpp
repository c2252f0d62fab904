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

  // On the CPU every step's loss is checked (item() is free there); on CUDA every 50 steps,
  // to keep the GPU queue full. Divergence ends the run with status "diverged".
  const int64_t check_every = device.is_cuda() ? 50 : 1;
  const int64_t steps_per_epoch = (n + batch_size - 1) / batch_size;
  const int64_t progress_every = std::max<int64_t>(1, steps_per_epoch / 10);

  for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
    const double epoch_start_s = monotonic_seconds();
    model->train();
    torch::Tensor order = shuffled_indices(n).to(device);
    torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
    int64_t step = 0;
    for (int64_t start = 0; start < n; start += batch_size, ++step) {
      const int64_t count = std::min(batch_size, n - start);
      torch::Tensor x = take_batch(train_x, order, start, count);
      torch::Tensor y = take_batch(train_y, order, start, count);
      clear_gradients(optimizer);
      torch::Tensor loss = F::nll_loss(model->forward(x), y);
      loss.backward();
      optimizer.step();
      loss_sum += loss.detach().to(torch::kFloat64) * static_cast<double>(count);
      if (!check_step(ctx, result, loss, epoch, step + 1, steps_per_epoch, check_every, progress_every,
                      start + count >= n))
        return result;
    }
    const double mean_loss = loss_sum.item<double>() / static_cast<double>(n);
    if (!finite_loss(mean_loss)) {  // a non-finite value between checks (CUDA)
      mark_diverged(result, epoch, step, mean_loss);
      return result;
    }
    result.final_train_loss = mean_loss;
    ctx.synchronize();
    const double train_s = monotonic_seconds() - epoch_start_s;

    // As the original example: test after every epoch, then decay the learning rate.
    model->eval();
    result.performance = evaluate_accuracy(forward, data.test, prepare, device);
    result.epochs_completed = epoch;
    ctx.info("epoch " + std::to_string(epoch) + "/" + std::to_string(epochs) + ": train loss " +
             fixed(mean_loss, 4) + ", test accuracy " + fixed(*result.performance, 4) + ", lr " +
             fixed(current_lr(optimizer), 5) + ", " + fixed(double(n) / std::max(train_s, 1e-9), 0) + " img/s");
    scheduler.step();
  }
  return result;
}

}  // namespace greentune::dl
