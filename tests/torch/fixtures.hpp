#pragma once
// Small datasets written in the REAL on-disk formats into a temporary directory, for the
// torch tests (readers, substitution, every model's end-to-end training in seconds).
//
//   TempDir dir;                                // removed at scope exit
//   auto root = dir.path();
//   write_mnist(root + "/mnist", {.train = 256, .test = 64});          // IDX .gz
//   write_mnist(root + "/fashion-mnist", {.gzip = false});             // plain IDX
//   write_cifar10(root + "/cifar10", {...});                           // data_batch_1..5 + test_batch
//   write_market1501(root + "/market1501", {...});                     // JPEGs in 3 subfolders
//
// Images are learnable: each class has its own pattern plus noise, so a model trained for a
// few steps beats chance. Everything is deterministic in `seed`.
#include <cstdint>
#include <string>
#include <vector>

#include "greentune/core/hyperparameters.hpp"
#include "greentune/core/train_result.hpp"

namespace greentune::testing {

class TempDir {
 public:
  TempDir();   // mkdtemp under $TMPDIR (or /tmp)
  ~TempDir();  // removes the tree
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct IdxFixture {
  int train = 256;
  int test = 64;
  bool gzip = true;      // write .gz files (false: plain IDX)
  unsigned seed = 1;
};
// Writes train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-... (with .gz if gzip) in
// `dir` (created). 28x28 images, labels 0..9.
void write_mnist(const std::string& dir, const IdxFixture& f = {});

// Raw IDX writers (for corrupt-file tests). `images` is N*rows*cols bytes.
void write_idx_images(const std::string& path, int n, int rows, int cols, const std::vector<uint8_t>& images,
                      bool gzip);
void write_idx_labels(const std::string& path, const std::vector<uint8_t>& labels, bool gzip);

struct CifarFixture {
  int per_batch = 40;    // records in each of data_batch_1..5.bin
  int test = 40;         // records in test_batch.bin
  unsigned seed = 2;
};
// Writes data_batch_1.bin .. data_batch_5.bin, test_batch.bin and batches.meta.txt in `dir`.
void write_cifar10(const std::string& dir, const CifarFixture& f = {});

struct MarketFixture {
  int identities = 4;    // training identities (ids 1..N, ids N+1..2N appear in test/query)
  int per_identity = 4;  // images per identity in bounding_box_train
  int width = 64;        // Market-1501's real images are 64x128
  int height = 128;
  bool junk = true;      // also a -1_... junk and a 0000_... distractor image in bounding_box_test
  unsigned seed = 3;
};
// Writes bounding_box_train/, bounding_box_test/, query/ with Market-1501-named JPEGs
// (e.g. 0001_c1s1_000101_01.jpg) under `dir`.
void write_market1501(const std::string& dir, const MarketFixture& f = {});

// Writes a w x h RGB JPEG (quality 90); `rgb` is h*w*3 bytes.
void write_jpeg(const std::string& path, int width, int height, const std::vector<uint8_t>& rgb);

// Whole file as bytes / overwrite with bytes (for truncation tests).
std::vector<uint8_t> read_file_bytes(const std::string& path);
void write_file_bytes(const std::string& path, const std::vector<uint8_t>& bytes);

// Trains `model` in-process (greentune::dl::train) on the fixtures under `root` (its
// --data-dir), with no Fashion-MNIST fallback; the progress log goes to *log_text if given.
TrainResult train_on_fixture(const std::string& model, const std::string& root, const Configuration& config,
                             std::string* log_text = nullptr);

// Checks a finished run's per-epoch history: `entries` entries numbered 1..entries (mnist_ff:
// `layers` > 0 entries, one per layer), `groups` learning rates each, finite training losses,
// the metric on the last entry equal to the result's, positive durations, and the same
// history after a JSON round trip.
void expect_history(const TrainResult& r, size_t entries, size_t groups, int layers = 0);

}  // namespace greentune::testing
