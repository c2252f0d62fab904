#pragma once
// pytorch/examples "mnist" CNN: conv(1->32,3x3) relu, conv(32->64,3x3) relu, maxpool 2,
// dropout .25, fc 9216->128 relu, dropout (hp `dropout`), fc 128->10, log_softmax; NLL loss,
// Adadelta(lr) with StepLR(step 1, gamma) per epoch. Metric: test accuracy.
// On the CPU the trainer keeps the convolution weights channels-last (oneDNN's native layout,
// about 10% faster here); the forward pass accepts either layout.
#include <torch/torch.h>

#include "greentune/core/train_result.hpp"

namespace greentune::dl {

class TrainContext;

struct MnistCnnImpl : torch::nn::Module {
  explicit MnistCnnImpl(double dropout = 0.5);
  torch::Tensor forward(torch::Tensor x);  // [B,1,28,28] float -> log-probabilities [B,10]

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  double dropout1 = 0.25, dropout2 = 0.5;  // probabilities (kernels.hpp's dropout)
};
TORCH_MODULE(MnistCnn);

// Normalisation of the original example: (x/255 - 0.1307) / 0.3081.
torch::Tensor mnist_prepare(const torch::Tensor& images_u8, const torch::Device& device);

TrainResult train_mnist_cnn(const TrainContext& ctx);

}  // namespace greentune::dl
