#pragma once
// Dataset readers for the real on-disk formats, data-directory resolution and the
// substitution rules (every substitution is printed and recorded in DatasetInfo).
//
//   MNIST / Fashion-MNIST   IDX files, plain or .gz:  train-images-idx3-ubyte[.gz],
//                           train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz],
//                           t10k-labels-idx1-ubyte[.gz]
//   CIFAR-10                binary batches: data_batch_1.bin .. data_batch_5.bin, test_batch.bin
//   Market-1501             bounding_box_train/, bounding_box_test/, query/ with JPEGs named
//                           <identity>_c<camera>s<sequence>_<frame>_<box>.jpg
//
// Where each dataset is looked for (first hit wins), with ROOT = --data-dir, else
// $GREENTUNE_DATA, else no root:
//   mnist          ROOT/mnist, ROOT/MNIST/raw, ROOT/MNIST, ROOT (if it holds the IDX files and
//                  its name does not contain "fashion")
//   fashion-mnist  ROOT/fashion-mnist, ROOT/FashionMNIST/raw, ROOT (if its name contains
//                  "fashion"), /usr/share/datasets/fashion-mnist (Debian: dataset-fashion-mnist)
//   cifar10        ROOT/cifar10, ROOT/cifar-10-batches-bin, ROOT/cifar10/cifar-10-batches-bin, ROOT
//   market1501     ROOT/market1501, ROOT/Market-1501-v15.09.15, ROOT/Market-1501, ROOT
//
// A root that is given (--data-dir or $GREENTUNE_DATA) but does not exist is an error.
//
// Substitutions happen only when asked for (DataOptions.substitute: the hyperparameter
// `substitute_data`, `greentune train --substitute-data`, a study's [budgets]
// substitute_data = 1), are printed and recorded in DatasetInfo, and do the original's work
// per epoch: Fashion-MNIST (60,000/10,000, as MNIST) for MNIST; for CIFAR-10 (only where the
// model allows it, e.g. resnet20) the first 50,000 training and 10,000 test images of
// Fashion-MNIST, padded to 32x32 and repeated to 3 channels.
// Missing or corrupt data throws greentune::data_error naming the path and how to get the data.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "greentune/core/train_result.hpp"

namespace greentune::dl {

// ---- low-level readers (throw data_error naming the file on any problem) ----

// IDX image file (magic 0x00000803) -> uint8 tensor [N, rows, cols]. Reads .gz transparently
// (zlib). limit > 0 reads only the first `limit` items (faster for budgets and tests).
torch::Tensor read_idx_images(const std::string& path, int64_t limit = 0);
// IDX label file (magic 0x00000801) -> int64 tensor [N].
torch::Tensor read_idx_labels(const std::string& path, int64_t limit = 0);

// Images [N,3,32,32] uint8 and labels [N] int64 from CIFAR-10 binary batch files
// (3073-byte records). limit > 0 stops after that many records across all files.
struct TensorDataset {
  torch::Tensor images;  // uint8 [N, C, H, W]
  torch::Tensor labels;  // int64 [N]
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};
TensorDataset read_cifar10_batches(const std::vector<std::string>& files, int64_t limit = 0);

// Decodes a JPEG (libjpeg) into uint8 [3, H, W] (grayscale is expanded to 3 channels).
torch::Tensor read_jpeg(const std::string& path);

// ---- data directories ----

struct DataOptions {
  // --data-dir. Unset: $GREENTUNE_DATA (in-process callers). Set, even to "": that root
  // only ("" = none, only the Fashion-MNIST default below).
  std::optional<std::string> data_dir;
  // Extra fallback directory for fashion-mnist (Debian's package). Tests set it to a path
  // that does not exist to simulate a machine without the package.
  std::string fashion_mnist_default = "/usr/share/datasets/fashion-mnist";
  // A stand-in dataset may replace a missing one (see the substitution rules above).
  bool substitute = false;
};

// CIFAR-10's sample counts: what its Fashion-MNIST stand-in is cut to.
constexpr int64_t kCifar10Train = 50000;
constexpr int64_t kCifar10Test = 10000;

// Throws data_error when a root is given but is not an existing directory.
void check_data_root(const DataOptions& options);

// The root actually used: options.data_dir when set, else $GREENTUNE_DATA, else "".
std::string data_root(const DataOptions& options);

// Directory holding a dataset's files, or nullopt if none of its candidate places holds them.
// Throws (check_data_root) when the given root does not exist.
// name: "mnist", "fashion-mnist", "cifar10", "market1501".
std::optional<std::string> find_dataset_dir(const std::string& name, const DataOptions& options);

// The places searched for `name` (for error messages and documentation).
std::vector<std::string> dataset_candidates(const std::string& name, const DataOptions& options);

// ---- loaders with substitution (what the model trainers call) ----

struct SplitDataset {
  TensorDataset train;
  TensorDataset test;
  DatasetInfo info;  // name actually used, path, substitute_for, note, sample counts
};

struct Limits {
  int64_t train = 0;  // 0 = all (hyperparameter train_limit)
  int64_t test = 0;   // 0 = all (hyperparameter test_limit)
};

// MNIST if present, else (options.substitute) Fashion-MNIST (printed on `log` and recorded).
// Images uint8 [N,1,28,28], labels int64 [N].
SplitDataset load_mnist(const DataOptions& options, Limits limits, std::ostream& log);

// CIFAR-10 if present; else, when options.substitute and allow_fashion_substitute, the first
// 50,000/10,000 Fashion-MNIST images padded to 32x32 (2 pixels each side) and repeated to 3
// channels (printed and recorded).
// Images uint8 [N,3,32,32], labels int64 [N].
SplitDataset load_cifar10(const DataOptions& options, Limits limits, std::ostream& log,
                          bool allow_fashion_substitute);

// ---- Market-1501 (person re-identification) ----

struct ReidImage {
  std::string path;
  int identity = 0;   // from the file name; -1 = junk, 0 = distractor (test/query only)
  int camera = 0;     // 1..6
  int64_t label = -1; // contiguous class index 0..K-1 (training split only; else -1)
};

struct Market1501 {
  std::string root;
  std::vector<ReidImage> train;    // bounding_box_train less the val images (labels assigned)
  std::vector<ReidImage> val;      // the first image (file-name order) of each training identity
  std::vector<ReidImage> gallery;  // bounding_box_test
  std::vector<ReidImage> query;    // query
  int64_t num_classes = 0;         // identities in train
  DatasetInfo info;
};

// Parses "0002_c1s1_000451_03.jpg" -> identity 2, camera 1; nullopt if not in that form.
std::optional<ReidImage> parse_market1501_name(const std::string& file_name);

// Lists the three subfolders (sorted by file name, deterministic) and splits
// bounding_box_train as upstream's prepare.py: the first image of each identity is `val`,
// the others `train` (labels: identities in ascending order, shared by both). Limits apply
// to bounding_box_train before the split (first N after sorting) and to val, query and
// gallery (first N each). info counts train and val. Throws data_error if the folder or a
// subfolder is missing, a split holds no well-named JPEG, or nothing is left to train on.
Market1501 load_market1501(const DataOptions& options, Limits limits, std::ostream& log);

// Decodes and resizes (bilinear) a batch of images to uint8 [B,3,height,width]. Plain loops
// and libjpeg on the calling thread (no libtorch parallel region): data-loading workers call it.
torch::Tensor load_reid_batch(const std::vector<ReidImage>& images, const std::vector<int64_t>& indices,
                              int64_t height, int64_t width);

// Bilinear resize (PyTorch's align_corners=false arithmetic, rounded) of a uint8 [C,H,W]
// image into `out_u8` [C,h,w] (contiguous).
void resize_bilinear(const torch::Tensor& image_u8, torch::Tensor out_u8);

// ---- tensor helpers ----

// ImageNet's per-channel RGB mean and standard deviation: the normalisation of upstream's
// resnet20 (pytorch_resnet_cifar10) and hrnet18 (Person_reID_baseline_pytorch) scripts.
inline const std::vector<double> kImageNetMean = {0.485, 0.456, 0.406};
inline const std::vector<double> kImageNetStd = {0.229, 0.224, 0.225};

// uint8 images -> float (x/255 - mean)/std per channel (mean/std size 1 or C).
torch::Tensor normalize_images(const torch::Tensor& images_u8, const std::vector<double>& mean,
                               const std::vector<double>& std);

// The same values as normalize_images (CPU, float32), computed in one plain loop on the
// calling thread: no libtorch parallel region, so data-loading workers can call it.
torch::Tensor normalize_images_serial(const torch::Tensor& images_u8, const std::vector<double>& mean,
                                      const std::vector<double>& std);

// Rows indices[start, start+count) of a CPU tensor, copied row by row on the calling thread
// (take_batch's result without a libtorch parallel region).
torch::Tensor take_batch_serial(const torch::Tensor& data, const torch::Tensor& indices, int64_t start, int64_t count);

}  // namespace greentune::dl
