#include "greentune/torch/models/hrnet18.hpp"

#include <string>

namespace greentune::dl {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).bias(false));
}

// Appends conv - BN (- ReLU) to s (Sequentials cannot nest in libtorch).
void append_conv_bn(nn::Sequential& s, int64_t in, int64_t out, int64_t k, int64_t stride, bool relu) {
  s->push_back(conv(in, out, k, stride));
  s->push_back(nn::BatchNorm2d(out));
  if (relu) s->push_back(nn::ReLU());
}

nn::Sequential conv_bn(int64_t in, int64_t out, int64_t k, int64_t stride, bool relu) {
  nn::Sequential s;
  append_conv_bn(s, in, out, k, stride, relu);
  return s;
}

std::string indexed(const char* prefix, size_t i) { return std::string(prefix) + std::to_string(i); }
std::string indexed(const char* prefix, size_t i, size_t j) {
  return indexed(prefix, i) + "_" + std::to_string(j);
}

// Transition from the previous stage's branches to `next` branches: existing branches are
// kept (or re-projected when the width changes), each new branch is a strided 3x3 conv of
// the lowest-resolution previous branch.
std::vector<nn::Sequential> make_transition(nn::Module& owner, const char* name,
                                            const std::vector<int64_t>& prev,
                                            const std::vector<int64_t>& next) {
  std::vector<nn::Sequential> t;
  for (size_t i = 0; i < next.size(); ++i) {
    nn::Sequential s{nullptr};
    if (i < prev.size()) {
      if (prev[i] != next[i]) s = conv_bn(prev[i], next[i], 3, 1, true);
    } else {
      s = conv_bn(prev.back(), next[i], 3, 2, true);
    }
    if (s) s = owner.register_module(indexed(name, i), s);
    t.push_back(s);
  }
  return t;
}

}  // namespace

HrBottleneckImpl::HrBottleneckImpl(int64_t in_channels, int64_t planes, int64_t stride) {
  conv1_ = register_module("conv1", conv(in_channels, planes, 1));
  bn1_ = register_module("bn1", nn::BatchNorm2d(planes));
  conv2_ = register_module("conv2", conv(planes, planes, 3, stride));
  bn2_ = register_module("bn2", nn::BatchNorm2d(planes));
  conv3_ = register_module("conv3", conv(planes, planes * expansion, 1));
  bn3_ = register_module("bn3", nn::BatchNorm2d(planes * expansion));
  if (stride != 1 || in_channels != planes * expansion)
    downsample_ = register_module("downsample", conv_bn(in_channels, planes * expansion, 1, stride, false));
}

torch::Tensor HrBottleneckImpl::forward(const torch::Tensor& x) {
  auto out = torch::relu(bn1_(conv1_(x)));
  out = torch::relu(bn2_(conv2_(out)));
  out = bn3_(conv3_(out));
  return torch::relu(out + (downsample_ ? downsample_->forward(x) : x));
}

HrBasicBlockImpl::HrBasicBlockImpl(int64_t in_channels, int64_t channels) {
  conv1_ = register_module("conv1", conv(in_channels, channels, 3));
  bn1_ = register_module("bn1", nn::BatchNorm2d(channels));
  conv2_ = register_module("conv2", conv(channels, channels, 3));
  bn2_ = register_module("bn2", nn::BatchNorm2d(channels));
  if (in_channels != channels)
    downsample_ = register_module("downsample", conv_bn(in_channels, channels, 1, 1, false));
}

torch::Tensor HrBasicBlockImpl::forward(const torch::Tensor& x) {
  auto out = torch::relu(bn1_(conv1_(x)));
  out = bn2_(conv2_(out));
  return torch::relu(out + (downsample_ ? downsample_->forward(x) : x));
}

HrModuleImpl::HrModuleImpl(const std::vector<int64_t>& channels, int64_t blocks_per_branch) {
  const size_t n = channels.size();
  for (size_t i = 0; i < n; ++i) {
    nn::Sequential branch;
    for (int64_t b = 0; b < blocks_per_branch; ++b) branch->push_back(HrBasicBlock(channels[i], channels[i]));
    branches_.push_back(register_module(indexed("branch", i), branch));
  }
  fuse_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      nn::Sequential f{nullptr};
      if (j > i) {
        // lower resolution -> 1x1 projection; upsampled in forward() to the target size
        f = conv_bn(channels[j], channels[i], 1, 1, false);
      } else if (j < i) {
        // higher resolution -> (i - j) strided 3x3 convs, the last one changes the width
        f = nn::Sequential();
        for (size_t k = 0; k < i - j; ++k) {
          const bool last = k + 1 == i - j;
          append_conv_bn(f, channels[j], last ? channels[i] : channels[j], 3, 2, !last);
        }
      }
      if (f) f = register_module(indexed("fuse", i, j), f);
      fuse_[i].push_back(f);
    }
  }
}

std::vector<torch::Tensor> HrModuleImpl::forward(std::vector<torch::Tensor> xs) {
  const size_t n = branches_.size();
  for (size_t i = 0; i < n; ++i) xs[i] = branches_[i]->forward(xs[i]);
  std::vector<torch::Tensor> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    torch::Tensor y = xs[i];
    const auto h = xs[i].size(2), w = xs[i].size(3);
    for (size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      auto z = fuse_[i][j]->forward(xs[j]);
      if (j > i) {
        z = nn::functional::interpolate(
            z, nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kNearest));
      }
      y = y + z;
    }
    out.push_back(torch::relu(y));
  }
  return out;
}

HrNetW18Impl::HrNetW18Impl() {
  stem_ = conv_bn(3, 64, 3, 2, true);
  append_conv_bn(stem_, 64, 64, 3, 2, true);
  stem_ = register_module("stem", stem_);
  layer1_ = nn::Sequential();
  for (int b = 0; b < 4; ++b) layer1_->push_back(HrBottleneck(b == 0 ? 64 : 256, 64));
  layer1_ = register_module("layer1", layer1_);

  const std::vector<int64_t> c2 = {18, 36}, c3 = {18, 36, 72}, c4 = {18, 36, 72, 144};
  transition1_ = make_transition(*this, "transition1_", {256}, c2);
  for (size_t m = 0; m < 1; ++m) stage2_.push_back(register_module(indexed("stage2_", m), HrModule(c2, 4)));
  transition2_ = make_transition(*this, "transition2_", c2, c3);
  for (size_t m = 0; m < 4; ++m) stage3_.push_back(register_module(indexed("stage3_", m), HrModule(c3, 4)));
  transition3_ = make_transition(*this, "transition3_", c3, c4);
  for (size_t m = 0; m < 3; ++m) stage4_.push_back(register_module(indexed("stage4_", m), HrModule(c4, 4)));

  // Classification head: widen each branch with a bottleneck, fold resolutions downwards.
  const int64_t head_planes[4] = {32, 64, 128, 256};
  for (size_t i = 0; i < 4; ++i)
    incre_.push_back(register_module(indexed("incre", i), HrBottleneck(c4[i], head_planes[i])));
  for (size_t i = 0; i < 3; ++i) {
    const int64_t in = head_planes[i] * HrBottleneckImpl::expansion;
    const int64_t out = head_planes[i + 1] * HrBottleneckImpl::expansion;
    // As in the original classification head, these convs (and the final 1x1) have biases.
    downsample_.push_back(register_module(
        indexed("downsamp", i),
        nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(2).padding(1)), nn::BatchNorm2d(out),
                       nn::ReLU())));
  }
  final_layer_ = nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1024, feature_dim, 1)), nn::BatchNorm2d(feature_dim),
                                nn::ReLU());
  final_layer_ = register_module("final_layer", final_layer_);

  for (auto& m : modules(false)) {
    if (auto* c = m->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(c->weight, 0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = m->as<nn::BatchNorm2d>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    }
  }
}

std::vector<torch::Tensor> HrNetW18Impl::run_stage(std::vector<HrModule>& stage, std::vector<torch::Tensor> xs) {
  for (auto& m : stage) xs = m->forward(std::move(xs));
  return xs;
}

torch::Tensor HrNetW18Impl::forward(const torch::Tensor& x) {
  auto y = layer1_->forward(stem_->forward(x));
  std::vector<torch::Tensor> xs;
  for (auto& t : transition1_) xs.push_back(t ? t->forward(y) : y);
  xs = run_stage(stage2_, std::move(xs));
  auto transition = [](std::vector<nn::Sequential>& t, const std::vector<torch::Tensor>& prev) {
    std::vector<torch::Tensor> next;
    for (size_t i = 0; i < t.size(); ++i) {
      if (i < prev.size())
        next.push_back(t[i] ? t[i]->forward(prev[i]) : prev[i]);
      else
        next.push_back(t[i]->forward(prev.back()));
    }
    return next;
  };
  xs = run_stage(stage3_, transition(transition2_, xs));
  xs = run_stage(stage4_, transition(transition3_, xs));

  auto z = incre_[0]->forward(xs[0]);
  for (size_t i = 0; i < downsample_.size(); ++i) z = incre_[i + 1]->forward(xs[i + 1]) + downsample_[i]->forward(z);
  z = final_layer_->forward(z);
  return torch::adaptive_avg_pool2d(z, {1, 1}).flatten(1);
}

ClassBlockImpl::ClassBlockImpl(int64_t in_features, int64_t num_classes, double dropout, int64_t bottleneck) {
  fc_ = register_module("fc", nn::Linear(in_features, bottleneck));
  bn_ = register_module("bn", nn::BatchNorm1d(bottleneck));
  dropout_ = register_module("dropout", nn::Dropout(dropout));
  classifier_ = register_module("classifier", nn::Linear(bottleneck, num_classes));
  // Upstream: Kaiming (fan_out) for the bottleneck, N(1, 0.02) BN weights, N(0, 0.001) classifier.
  nn::init::kaiming_normal_(fc_->weight, 0, torch::kFanOut);
  nn::init::zeros_(fc_->bias);
  nn::init::normal_(bn_->weight, 1.0, 0.02);
  nn::init::zeros_(bn_->bias);
  nn::init::normal_(classifier_->weight, 0.0, 0.001);
  nn::init::zeros_(classifier_->bias);
}

torch::Tensor ClassBlockImpl::embed(const torch::Tensor& x) { return dropout_(bn_(fc_(x))); }

torch::Tensor ClassBlockImpl::forward(const torch::Tensor& x) { return classifier_(embed(x)); }

ReidHrNetImpl::ReidHrNetImpl(int64_t num_identities, double dropout) {
  backbone_ = register_module("backbone", HrNetW18());
  head_ = register_module("head", ClassBlock(HrNetW18Impl::feature_dim, num_identities, dropout));
}

torch::Tensor ReidHrNetImpl::forward(const torch::Tensor& x) { return head_(backbone_(x)); }

torch::Tensor ReidHrNetImpl::features(const torch::Tensor& x) { return head_->embed(backbone_(x)); }

}  // namespace greentune::dl
