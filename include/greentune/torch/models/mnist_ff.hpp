#pragma once
// Hinton's Forward-Forward network as in pytorch/examples `mnist_forward_forward`.
// Images are flattened to 784 values with the label written one-hot over the first 10
// pixels (the "on" pixel gets the image maximum). Each layer L2-normalises its input, applies
// Linear + ReLU, and is trained on its own (no gradient crosses layers) with Adam to make its
// goodness (the mean squared activation) exceed `threshold` on positive data (true label)
// and stay below it on negative data (a wrong label). A label is predicted by overlaying
// every candidate label and picking the one with the highest goodness summed over layers.
#include <vector>

#include <torch/torch.h>

#include "greentune/core/train_result.hpp"

namespace greentune::dl {

class FFLayerImpl : public torch::nn::Module {
 public:
  FFLayerImpl(int64_t in_features, int64_t out_features);
  // relu(W x/(|x|_2 + 1e-4) + b)
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor goodness(const torch::Tensor& activations) const;  // mean of squares, [N]

 private:
  torch::nn::Linear linear_{nullptr};
};
TORCH_MODULE(FFLayer);

class FFNetImpl : public torch::nn::Module {
 public:
  explicit FFNetImpl(const std::vector<int64_t>& dims = {784, 500, 500});
  std::vector<FFLayer>& layers() { return layers_; }
  // [N, 784] unlabelled images -> [N, num_classes] summed goodness of every label overlay.
  torch::Tensor goodness_per_label(const torch::Tensor& x, int64_t num_classes = 10);
  torch::Tensor predict(const torch::Tensor& x, int64_t num_classes = 10);

 private:
  std::vector<FFLayer> layers_;
};
TORCH_MODULE(FFNet);

// Copy of x ([N, D], D >= num_classes) with the first num_classes values zeroed and
// x[i, labels[i]] set to the maximum of x.
torch::Tensor overlay_label(const torch::Tensor& x, const torch::Tensor& labels,
                            int64_t num_classes = 10);
// log(1 + exp(cat(threshold - g_pos, g_neg - threshold))).mean(), as upstream (overflows to
// inf for margins beyond ~88, which ends the run as diverged)
torch::Tensor ff_loss(const torch::Tensor& goodness_pos, const torch::Tensor& goodness_neg,
                      double threshold);
// A uniformly random label different from each entry of `labels` (values 0..num_classes-1),
// drawn from libtorch's (seeded) default generator.
torch::Tensor wrong_labels(const torch::Tensor& labels, int64_t num_classes);

class TrainContext;

// The whole run: MNIST (or the recorded Fashion-MNIST substitute), one random training batch
// of `batch_size` images (upstream: the first batch of a shuffled loader), every layer trained
// for `epochs` iterations in turn, test accuracy of the goodness-based prediction.
// final_train_loss is the last layer's loss at its last iteration.
TrainResult train_mnist_ff(const TrainContext& ctx);

}  // namespace greentune::dl
