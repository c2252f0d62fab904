#pragma once
// The siamese network of pytorch/examples `siamese_network`: one ResNet-18 trunk (1-channel
// 7x7/2 stem with PyTorch's default initialisation, no pretrained weights, classifier removed) shared by both images of a pair;
// the two 512-d features are concatenated and fed to Linear(1024, 256)-ReLU-Linear(256, 1)
// and a sigmoid: the probability that both images show the same digit.
#include <random>

#include <torch/torch.h>

#include "greentune/core/train_result.hpp"

namespace greentune::dl {

// torchvision's BasicBlock: conv3x3-BN-ReLU-conv3x3-BN + (1x1 conv + BN projection when the
// shape changes), ReLU.
class ResNetBasicBlockImpl : public torch::nn::Module {
 public:
  ResNetBasicBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(ResNetBasicBlock);

// ResNet-18 up to and including global average pooling: [N, C, H, W] -> [N, 512].
class ResNet18TrunkImpl : public torch::nn::Module {
 public:
  explicit ResNet18TrunkImpl(int64_t in_channels = 1);
  torch::Tensor forward(const torch::Tensor& x);
  static constexpr int64_t feature_dim = 512;

 private:
  torch::nn::Conv2d stem_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  torch::nn::Sequential layers_{nullptr};
};
TORCH_MODULE(ResNet18Trunk);

class SiameseNetworkImpl : public torch::nn::Module {
 public:
  explicit SiameseNetworkImpl(int64_t in_channels = 1);
  // Two batches of images -> [N] probabilities that each pair shows the same class.
  torch::Tensor forward(const torch::Tensor& a, const torch::Tensor& b);

 private:
  ResNet18Trunk trunk_{nullptr};
  torch::nn::Sequential head_{nullptr};
};
TORCH_MODULE(SiameseNetwork);

// Balanced pairs as upstream draws them: pair i takes a random class and a random image of
// it; even i pairs it with a different image of the same class (target 1; classes with one
// image are not drawn for these), odd i with an image of a different random class (target
// 0). `labels` holds class ids 0..num_classes-1; classes without images are skipped.
struct PairIndices {
  torch::Tensor first, second;  // [N] int64 indices into the image set
  torch::Tensor target;         // [N] float, 1 = same class
};
PairIndices make_pairs(const torch::Tensor& labels, int64_t count, std::mt19937_64& rng);

class TrainContext;

// The whole run: MNIST (or the recorded Fashion-MNIST substitute); every epoch draws as many
// fresh training pairs as there are training images (as upstream's dataset does); BCE loss,
// Adadelta(lr) and StepLR(1, gamma). The metric is the accuracy of "same class" predictions
// (probability > .5) on a fixed set of balanced test pairs, one per test image, drawn once
// from `seed`.
TrainResult train_siamese(const TrainContext& ctx);

// The network's input as upstream feeds it: the raw 0-255 pixel values as float, no scaling
// or normalisation.
torch::Tensor siamese_prepare(const torch::Tensor& images_u8, const torch::Device& device);

// Accuracy of thresholded predictions on pairs, in eval mode, batch kSiameseEvalBatch.
double evaluate_pairs(SiameseNetwork& net, const torch::Tensor& images, const PairIndices& pairs,
                      const torch::Device& device);

}  // namespace greentune::dl
