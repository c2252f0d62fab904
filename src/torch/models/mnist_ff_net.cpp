#include "greentune/torch/models/mnist_ff.hpp"

namespace greentune::dl {

FFLayerImpl::FFLayerImpl(int64_t in_features, int64_t out_features) {
  linear_ = register_module("linear", torch::nn::Linear(in_features, out_features));
}

torch::Tensor FFLayerImpl::forward(const torch::Tensor& x) {
  auto direction = x / (x.norm(2, 1, /*keepdim=*/true) + 1e-4);
  return torch::relu(linear_(direction));
}

torch::Tensor FFLayerImpl::goodness(const torch::Tensor& activations) const {
  return activations.pow(2).mean(1);
}

FFNetImpl::FFNetImpl(const std::vector<int64_t>& dims) {
  for (size_t i = 0; i + 1 < dims.size(); ++i)
    layers_.push_back(register_module("layer" + std::to_string(i), FFLayer(dims[i], dims[i + 1])));
}

torch::Tensor FFNetImpl::goodness_per_label(const torch::Tensor& x, int64_t num_classes) {
  std::vector<torch::Tensor> per_label;
  per_label.reserve(static_cast<size_t>(num_classes));
  for (int64_t label = 0; label < num_classes; ++label) {
    auto h = overlay_label(x, torch::full({x.size(0)}, label, torch::kLong), num_classes);
    auto total = torch::zeros({x.size(0)}, x.options());
    for (auto& layer : layers_) {
      h = layer(h);
      total = total + layer->goodness(h);
    }
    per_label.push_back(total.unsqueeze(1));
  }
  return torch::cat(per_label, 1);
}

torch::Tensor FFNetImpl::predict(const torch::Tensor& x, int64_t num_classes) {
  return goodness_per_label(x, num_classes).argmax(1);
}

torch::Tensor overlay_label(const torch::Tensor& x, const torch::Tensor& labels, int64_t num_classes) {
  using torch::indexing::Slice;
  auto out = x.clone();
  out.index_put_({Slice(), Slice(0, num_classes)}, 0.0);
  auto rows = torch::arange(x.size(0), torch::TensorOptions().dtype(torch::kLong).device(x.device()));
  out.index_put_({rows, labels.to(x.device(), torch::kLong)}, x.max());
  return out;
}

torch::Tensor ff_loss(const torch::Tensor& goodness_pos, const torch::Tensor& goodness_neg,
                      double threshold) {
  // softplus written as upstream does, log(1 + exp(z)): it overflows to inf when a goodness is
  // ~88 beyond the threshold (e.g. after a too large learning rate), which the trainer reports
  // as divergence, as the original would produce inf/NaN there. torch::softplus would not.
  return torch::log(1 + torch::exp(torch::cat({threshold - goodness_pos, goodness_neg - threshold}))).mean();
}

torch::Tensor wrong_labels(const torch::Tensor& labels, int64_t num_classes) {
  auto offset = torch::randint(1, num_classes, labels.sizes(), torch::kLong);
  return (labels.to(torch::kCPU, torch::kLong) + offset).remainder(num_classes).to(labels.device());
}

}  // namespace greentune::dl
