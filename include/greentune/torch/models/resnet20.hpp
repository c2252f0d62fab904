#pragma once
// ResNet-20 for 32x32 images (He et al. 2016, CIFAR variant as in
// akamaster/pytorch_resnet_cifar10): a 3x3 stem with 16 channels, three stages of three
// basic blocks with 16/32/64 channels (stride 2 at the start of stages 2 and 3), option-A
// shortcuts (stride-2 subsampling plus zero channel padding, no parameters), global average
// pooling and one linear classifier. Kaiming-normal initialisation of conv and linear weights.
#include <random>
#include <vector>

#include <torch/torch.h>

#include "greentune/core/train_result.hpp"

namespace greentune::dl {

// conv3x3-BN-ReLU-conv3x3-BN plus the option-A shortcut, then ReLU.
class CifarBasicBlockImpl : public torch::nn::Module {
 public:
  CifarBasicBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  int64_t stride_;
  int64_t pad_channels_;  // zero channels added on each side by the option-A shortcut
};
TORCH_MODULE(CifarBasicBlock);

class ResNet20Impl : public torch::nn::Module {
 public:
  explicit ResNet20Impl(int64_t num_classes = 10, int64_t in_channels = 3);
  torch::Tensor forward(const torch::Tensor& x);  // [N, C, 32, 32] -> logits [N, classes]

 private:
  torch::nn::Conv2d stem_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  torch::nn::Sequential stages_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(ResNet20);

class TrainContext;

// Standard CIFAR augmentation on a uint8 batch [B, C, H, W]: zero-pad `padding` pixels on
// each side, crop a random HxW window, flip horizontally with probability .5. Draws three
// numbers per image from `rng` (row offset, column offset, flip); plain loops on the calling
// thread (safe in data-loading workers).
torch::Tensor random_crop_flip(const torch::Tensor& images_u8, int64_t padding, std::mt19937_64& rng);

// Upstream's MultiStepLR milestones (epochs after which lr is multiplied by 0.1): 100 and
// 150, fixed, whatever the number of epochs.
std::vector<unsigned> resnet20_milestones();

// The whole run: CIFAR-10 (or the recorded Fashion-MNIST 32x32x3 substitute), per-channel
// normalisation (mean .485/.456/.406, std .229/.224/.225 as upstream), augmentation
// prepared in data-loading workers (same batches for any number), SGD(lr, momentum,
// weight_decay), cross entropy, MultiStepLR(gamma .1) at epochs 100 and 150, top-1 test
// accuracy (batch 128) after every epoch.
TrainResult train_resnet20(const TrainContext& ctx);

}  // namespace greentune::dl
