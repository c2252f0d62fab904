#include "greentune/torch/models/resnet20.hpp"

namespace greentune::dl {
namespace {

torch::nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

}  // namespace

CifarBasicBlockImpl::CifarBasicBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride)
    : stride_(stride), pad_channels_(0) {
  conv1_ = register_module("conv1", conv3x3(in_channels, out_channels, stride));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(out_channels));
  conv2_ = register_module("conv2", conv3x3(out_channels, out_channels, 1));
  bn2_ = register_module("bn2", torch::nn::BatchNorm2d(out_channels));
  if (stride != 1 || in_channels != out_channels) {
    // Option A: the extra channels are split evenly on both sides (out = 2 * in here).
    pad_channels_ = (out_channels - in_channels) / 2;
  }
}

torch::Tensor CifarBasicBlockImpl::forward(const torch::Tensor& x) {
  auto out = torch::relu(bn1_(conv1_(x)));
  out = bn2_(conv2_(out));
  torch::Tensor shortcut = x;
  if (stride_ != 1 || pad_channels_ != 0) {
    using torch::indexing::None;
    using torch::indexing::Slice;
    shortcut = x.index({Slice(), Slice(), Slice(None, None, stride_), Slice(None, None, stride_)});
    shortcut = torch::constant_pad_nd(shortcut, {0, 0, 0, 0, pad_channels_, pad_channels_}, 0);
  }
  return torch::relu(out + shortcut);
}

ResNet20Impl::ResNet20Impl(int64_t num_classes, int64_t in_channels) {
  stem_ = register_module("stem", conv3x3(in_channels, 16, 1));
  stem_bn_ = register_module("stem_bn", torch::nn::BatchNorm2d(16));
  torch::nn::Sequential stages;
  const int64_t widths[3] = {16, 32, 64};
  int64_t in = 16;
  for (int s = 0; s < 3; ++s) {
    for (int b = 0; b < 3; ++b) {
      const int64_t stride = (s > 0 && b == 0) ? 2 : 1;
      stages->push_back(CifarBasicBlock(in, widths[s], stride));
      in = widths[s];
    }
  }
  stages_ = register_module("stages", stages);
  classifier_ = register_module("classifier", torch::nn::Linear(64, num_classes));
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight);
    } else if (auto* linear = m->as<torch::nn::Linear>()) {
      torch::nn::init::kaiming_normal_(linear->weight);
    }
  }
}

torch::Tensor ResNet20Impl::forward(const torch::Tensor& x) {
  auto out = torch::relu(stem_bn_(stem_(x)));
  out = stages_->forward(out);
  out = torch::adaptive_avg_pool2d(out, {1, 1}).flatten(1);
  return classifier_(out);
}

}  // namespace greentune::dl
