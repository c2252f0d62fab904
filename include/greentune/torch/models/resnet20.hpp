#pragma once
// ResNet-20 for 32x32 images (He et al. 2016, CIFAR variant as in
// akamaster/pytorch_resnet_cifar10): a 3x3 stem with 16 channels, three stages of three
// basic blocks with 16/32/64 channels (stride 2 at the start of stages 2 and 3), option-A
// shortcuts (stride-2 subsampling plus zero channel padding, no parameters), global average
// pooling and one linear classifier. Kaiming-normal initialisation of conv and linear weights.
#include <torch/torch.h>

namespace greentune::models {

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

}  // namespace greentune::models
