#include "greentune/torch/models/siamese.hpp"

#include <vector>

#include "greentune/core/error.hpp"

namespace greentune::dl {
namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(false));
}

}  // namespace

ResNetBasicBlockImpl::ResNetBasicBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride) {
  conv1_ = register_module("conv1", conv(in_channels, out_channels, 3, stride, 1));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(out_channels));
  conv2_ = register_module("conv2", conv(out_channels, out_channels, 3, 1, 1));
  bn2_ = register_module("bn2", torch::nn::BatchNorm2d(out_channels));
  if (stride != 1 || in_channels != out_channels) {
    downsample_ = register_module(
        "downsample", torch::nn::Sequential(conv(in_channels, out_channels, 1, stride, 0),
                                            torch::nn::BatchNorm2d(out_channels)));
  }
}

torch::Tensor ResNetBasicBlockImpl::forward(const torch::Tensor& x) {
  auto out = torch::relu(bn1_(conv1_(x)));
  out = bn2_(conv2_(out));
  return torch::relu(out + (downsample_ ? downsample_->forward(x) : x));
}

ResNet18TrunkImpl::ResNet18TrunkImpl(int64_t in_channels) {
  stem_ = register_module("stem", conv(in_channels, 64, 7, 2, 3));
  stem_bn_ = register_module("stem_bn", torch::nn::BatchNorm2d(64));
  torch::nn::Sequential layers;
  const int64_t widths[4] = {64, 128, 256, 512};
  int64_t in = 64;
  for (int s = 0; s < 4; ++s) {
    for (int b = 0; b < 2; ++b) {
      layers->push_back(ResNetBasicBlock(in, widths[s], (s > 0 && b == 0) ? 2 : 1));
      in = widths[s];
    }
  }
  layers_ = register_module("layers", layers);
  // torchvision's initialisation: Kaiming normal (fan_out, ReLU) convs, BN weight 1 bias 0.
  for (auto& m : modules(false)) {
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(c->weight, 0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      torch::nn::init::ones_(bn->weight);
      torch::nn::init::zeros_(bn->bias);
    }
  }
  // Upstream replaces torchvision's 3-channel conv1 by a fresh 1-channel Conv2d after that
  // initialisation: the stem keeps PyTorch's default (Kaiming uniform, a = sqrt(5)).
  stem_->reset_parameters();
}

torch::Tensor ResNet18TrunkImpl::forward(const torch::Tensor& x) {
  auto out = torch::relu(stem_bn_(stem_(x)));
  out = torch::max_pool2d(out, 3, 2, 1);
  out = layers_->forward(out);
  return torch::adaptive_avg_pool2d(out, {1, 1}).flatten(1);
}

SiameseNetworkImpl::SiameseNetworkImpl(int64_t in_channels) {
  trunk_ = register_module("trunk", ResNet18Trunk(in_channels));
  head_ = register_module("head", torch::nn::Sequential(
                                      torch::nn::Linear(2 * ResNet18TrunkImpl::feature_dim, 256),
                                      torch::nn::ReLU(), torch::nn::Linear(256, 1)));
  // Upstream: Xavier-uniform weights and biases of 0.01 in the head.
  for (auto& m : head_->modules(false)) {
    if (auto* l = m->as<torch::nn::Linear>()) {
      torch::nn::init::xavier_uniform_(l->weight);
      torch::nn::init::constant_(l->bias, 0.01);
    }
  }
}

torch::Tensor SiameseNetworkImpl::forward(const torch::Tensor& a, const torch::Tensor& b) {
  auto features = torch::cat({trunk_(a), trunk_(b)}, 1);
  return torch::sigmoid(head_->forward(features)).flatten();
}

PairIndices make_pairs(const torch::Tensor& labels, int64_t count, std::mt19937_64& rng) {
  auto lab = labels.to(torch::kLong).contiguous();
  const int64_t n = lab.numel();
  const auto* p = lab.data_ptr<int64_t>();
  int64_t num_classes = 0;
  for (int64_t i = 0; i < n; ++i) num_classes = std::max(num_classes, p[i] + 1);
  std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(num_classes));
  for (int64_t i = 0; i < n; ++i) {
    if (p[i] < 0) throw data_error("siamese: negative class label in the dataset");
    by_class[static_cast<size_t>(p[i])].push_back(i);
  }
  std::vector<int64_t> classes;        // classes that have at least one image
  std::vector<int64_t> pair_classes;   // classes with two images or more (positive pairs)
  for (int64_t c = 0; c < num_classes; ++c) {
    const size_t size = by_class[static_cast<size_t>(c)].size();
    if (size > 0) classes.push_back(c);
    if (size > 1) pair_classes.push_back(static_cast<int64_t>(classes.size()) - 1);
  }
  if (classes.size() < 2)
    throw data_error("siamese: pairs need images of at least two classes (found " +
                     std::to_string(classes.size()) + ")");
  if (pair_classes.empty()) throw data_error("siamese: positive pairs need a class with two images or more");

  auto draw = [&](int64_t bound) {  // uniform integer in [0, bound)
    return std::uniform_int_distribution<int64_t>(0, bound - 1)(rng);
  };
  PairIndices out;
  out.first = torch::empty({count}, torch::kLong);
  out.second = torch::empty({count}, torch::kLong);
  out.target = torch::empty({count}, torch::kFloat);
  auto* f = out.first.data_ptr<int64_t>();
  auto* s = out.second.data_ptr<int64_t>();
  auto* t = out.target.data_ptr<float>();
  const auto k = static_cast<int64_t>(classes.size());
  const auto kp = static_cast<int64_t>(pair_classes.size());
  for (int64_t i = 0; i < count; ++i) {
    const bool positive = i % 2 == 0;
    const int64_t ci = positive ? pair_classes[static_cast<size_t>(draw(kp))] : draw(k);
    const auto& first_pool = by_class[static_cast<size_t>(classes[static_cast<size_t>(ci)])];
    const auto first_size = static_cast<int64_t>(first_pool.size());
    const int64_t a = draw(first_size);
    f[i] = first_pool[static_cast<size_t>(a)];
    if (positive) {
      // Another image of the same class, never the same one (as upstream's redraw loop).
      int64_t b = draw(first_size - 1);
      if (b >= a) ++b;
      s[i] = first_pool[static_cast<size_t>(b)];
      t[i] = 1.0f;
    } else {
      const int64_t cj = (ci + 1 + draw(k - 1)) % k;  // any other class, uniformly
      const auto& second_pool = by_class[static_cast<size_t>(classes[static_cast<size_t>(cj)])];
      s[i] = second_pool[static_cast<size_t>(draw(static_cast<int64_t>(second_pool.size())))];
      t[i] = 0.0f;
    }
  }
  return out;
}

}  // namespace greentune::dl
