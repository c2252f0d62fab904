#pragma once
// HRNet-W18 (Wang et al. 2019, the classification variant timm calls `hrnet_w18`) as the
// backbone of the person re-identification baseline of layumi/Person_reID_baseline_pytorch
// (`ft_net_hr`), followed by its ClassBlock.
//
//   stem      two 3x3 stride-2 convs (64 channels): 1/4 resolution
//   stage 1   4 bottlenecks (64 -> 256 channels)
//   stage 2-4 1/4/3 modules of 2/3/4 parallel branches (18/36/72/144 channels, 1/4 .. 1/32
//             resolution), 4 basic blocks per branch, then multi-resolution fusion
//   head      one bottleneck per branch (128/256/512/1024 channels), strided 3x3 convs that
//             fold the high-resolution branch into the lower ones, a 1x1 conv to 2048
//             channels and global average pooling: a 2048-d feature
//   ClassBlock Linear(2048, 512) - BatchNorm1d - Dropout(dropout) - Linear(512, identities)
//
// Fusion upsamples to the exact size of the target branch (nearest), so inputs need not be
// multiples of 32; at the upstream 256x128 it equals 2^k nearest upsampling.
#include <optional>
#include <vector>

#include <torch/torch.h>

#include "greentune/core/train_result.hpp"

namespace greentune::dl {

class HrBottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int64_t expansion = 4;
  HrBottleneckImpl(int64_t in_channels, int64_t planes, int64_t stride = 1);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(HrBottleneck);

class HrBasicBlockImpl : public torch::nn::Module {
 public:
  HrBasicBlockImpl(int64_t in_channels, int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(HrBasicBlock);

// One high-resolution module: parallel branches of basic blocks, then every output branch
// receives the sum of all input branches resampled to its resolution and width, then ReLU.
class HrModuleImpl : public torch::nn::Module {
 public:
  HrModuleImpl(const std::vector<int64_t>& channels, int64_t blocks_per_branch);
  std::vector<torch::Tensor> forward(std::vector<torch::Tensor> xs);

 private:
  std::vector<torch::nn::Sequential> branches_;
  // fuse_[i][j] maps branch j to branch i; empty (nullptr) when i == j.
  std::vector<std::vector<torch::nn::Sequential>> fuse_;
};
TORCH_MODULE(HrModule);

// The backbone up to the pooled 2048-d feature.
class HrNetW18Impl : public torch::nn::Module {
 public:
  HrNetW18Impl();
  torch::Tensor forward(const torch::Tensor& x);  // [N, 3, H, W] -> [N, 2048]
  static constexpr int64_t feature_dim = 2048;

 private:
  std::vector<torch::Tensor> run_stage(std::vector<HrModule>& stage, std::vector<torch::Tensor> xs);

  torch::nn::Sequential stem_{nullptr}, layer1_{nullptr};
  std::vector<torch::nn::Sequential> transition1_, transition2_, transition3_;
  std::vector<HrModule> stage2_, stage3_, stage4_;
  std::vector<HrBottleneck> incre_;
  std::vector<torch::nn::Sequential> downsample_;
  torch::nn::Sequential final_layer_{nullptr};
};
TORCH_MODULE(HrNetW18);

// Person_reID_baseline's ClassBlock: Linear(in, bottleneck) - BN1d - Dropout - Linear(classes).
class ClassBlockImpl : public torch::nn::Module {
 public:
  ClassBlockImpl(int64_t in_features, int64_t num_classes, double dropout, int64_t bottleneck = 512);
  torch::Tensor embed(const torch::Tensor& x);    // the bottleneck feature (used for retrieval)
  torch::Tensor forward(const torch::Tensor& x);  // identity logits

 private:
  torch::nn::Linear fc_{nullptr}, classifier_{nullptr};
  torch::nn::BatchNorm1d bn_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(ClassBlock);

class ReidHrNetImpl : public torch::nn::Module {
 public:
  ReidHrNetImpl(int64_t num_identities, double dropout);
  torch::Tensor forward(const torch::Tensor& x);   // identity logits
  torch::Tensor features(const torch::Tensor& x);  // 512-d retrieval feature (before the classifier)
  HrNetW18& backbone() { return backbone_; }
  ClassBlock& head() { return head_; }  // upstream's `classifier` (trained at the full lr)

 private:
  HrNetW18 backbone_{nullptr};
  ClassBlock head_{nullptr};
};
TORCH_MODULE(ReidHrNet);

class TrainContext;

// Retrieval evaluation under the Market-1501 protocol of upstream's evaluate_gpu.py: rank-1
// (CMC at 1) and mean average precision (compute_mAP's formula), over the queries that count.
struct RetrievalMetrics {
  std::optional<double> rank1;
  std::optional<double> mean_ap;
  int64_t queries = 0;  // queries with a correct match in another camera
};
RetrievalMetrics retrieval_metrics(const torch::Tensor& query_features, const std::vector<int>& query_ids,
                                   const std::vector<int>& query_cameras, const torch::Tensor& gallery_features,
                                   const std::vector<int>& gallery_ids, const std::vector<int>& gallery_cameras);

// Rank-1 accuracy under the Market-1501 protocol. Features are L2-normalised rows; the score
// is their dot product. For each query, gallery images with identity -1 (junk) and those of
// the query's identity taken by the query's camera are ignored; the query is a hit when the
// best-scoring remaining gallery image shows its identity (ties: the first in gallery order).
// Queries whose identity appears in no other camera of the gallery are left out, as
// upstream's evaluation does. nullopt when no query is left.
std::optional<double> rank1_accuracy(const torch::Tensor& query_features, const std::vector<int>& query_ids,
                                     const std::vector<int>& query_cameras, const torch::Tensor& gallery_features,
                                     const std::vector<int>& gallery_ids, const std::vector<int>& gallery_cameras);

// Retrieval feature extraction batch (upstream's test.py uses 256; 64 keeps a 2-core CPU's
// memory in bounds).
constexpr int64_t kHrnetRetrievalBatch = 64;

// The whole run: Market-1501's bounding_box_train split as upstream's prepare.py (one val
// image per identity, load_market1501), resized to image_height x image_height/2 (bilinear),
// training augmentation as upstream (zero padding of 10 px at 256x128, scaled with the size;
// random crop; horizontal flip; ImageNet normalisation) prepared in data-loading workers,
// SGD(momentum, weight_decay, Nesterov) with the backbone at 0.1*lr and the ClassBlock at lr,
// cross entropy over training identities, StepLR(gamma .1) after 2/3 of the epochs, full
// batches only (a last partial batch is skipped, as upstream). The metric is upstream's val
// accuracy after every epoch: full batches of batch_size (the last partial one skipped, as
// upstream), correct predictions divided by all val images. With the hyperparameter
// retrieval = 1: 512-d features of query and gallery (image + mirror image, summed,
// L2-normalised), rank-1 and mAP in result.extra_metrics.
TrainResult train_hrnet18(const TrainContext& ctx);

}  // namespace greentune::dl
