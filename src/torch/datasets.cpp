// IDX and CIFAR-10 readers, data-directory resolution, MNIST/CIFAR loaders with substitution.
#include "greentune/torch/datasets.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "greentune/core/error.hpp"

namespace fs = std::filesystem;

namespace greentune::dl {
namespace {

const char* const kMnistHint =
    "get MNIST (train-images-idx3-ubyte.gz etc., e.g. from https://ossci-datasets.s3.amazonaws.com/mnist/) "
    "into DATA/mnist, or let Fashion-MNIST (Debian's dataset-fashion-mnist) stand in for it with "
    "--substitute-data (study file: substitute_data = 1 under [budgets])";
const char* const kFashionHint =
    "install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or put its IDX files "
    "into DATA/fashion-mnist";
const char* const kCifarHint =
    "download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and unpack it into DATA "
    "(DATA/cifar-10-batches-bin)";

// A gz (or plain: zlib reads those transparently) file opened for reading.
class GzFile {
 public:
  explicit GzFile(const std::string& path) : path_(path) {
    if (!fs::is_regular_file(path)) throw data_error("cannot open '" + path + "': no such file");
    file_ = gzopen(path.c_str(), "rb");
    if (!file_) throw data_error("cannot open '" + path + "'");
    gzbuffer(file_, 1 << 17);
  }
  ~GzFile() {
    if (file_) gzclose(file_);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Reads exactly n bytes or throws data_error (truncated / corrupt compressed data). `before`
  // and `total`: where these bytes lie in a larger read (for the message).
  void read_exact(void* out, size_t n, const char* what, size_t before = 0, size_t total = 0) {
    auto* p = static_cast<unsigned char*>(out);
    size_t done = 0;
    while (done < n) {
      unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
      int got = gzread(file_, p + done, chunk);
      if (got < 0) {
        int errnum = 0;
        const char* msg = gzerror(file_, &errnum);
        throw data_error("corrupt file '" + path_ + "' while reading " + what + ": " + (msg ? msg : "zlib error"));
      }
      if (got == 0) {
        throw data_error("truncated file '" + path_ + "': " + what + " needs " + std::to_string(total ? total : n) +
                         " bytes, only " + std::to_string(before + done) + " present");
      }
      done += static_cast<size_t>(got);
    }
  }

  // Exactly n bytes into a buffer that grows only as the data arrives (64 MiB steps): a header that
  // declares more than the file holds fails as truncated instead of allocating what it declares
  // (found by the idx fuzz target, docs/fuzzing.md).
  std::vector<uint8_t> read_bytes(size_t n, const char* what) {
    std::vector<uint8_t> out;
    while (out.size() < n) {
      size_t done = out.size(), step = std::min<size_t>(n - done, size_t(1) << 26);
      out.resize(done + step);
      read_exact(out.data() + done, step, what, done, n);
    }
    return out;
  }

  uint32_t read_be32(const char* what) {
    unsigned char b[4];
    read_exact(b, 4, what);
    return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
  }

 private:
  std::string path_;
  gzFile file_ = nullptr;
};

// Index of the first existing name among {base, base.gz} in dir; "" if neither.
std::string idx_file(const std::string& dir, const std::string& base) {
  for (const std::string& name : {base, base + ".gz"}) {
    fs::path p = fs::path(dir) / name;
    if (fs::is_regular_file(p)) return p.string();
  }
  return "";
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

bool contains_fashion(const std::string& dir) {
  std::string name = fs::path(dir).lexically_normal().filename().string();
  if (name.empty()) name = fs::path(dir).lexically_normal().parent_path().filename().string();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name.find("fashion") != std::string::npos;
}

bool holds(const std::string& name, const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  if (name == "mnist" || name == "fashion-mnist") return !idx_file(dir, "train-images-idx3-ubyte").empty();
  if (name == "cifar10") return fs::is_regular_file(fs::path(dir) / "data_batch_1.bin", ec);
  if (name == "market1501") return fs::is_directory(fs::path(dir) / "bounding_box_train", ec);
  return false;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string hint_for(const std::string& name) {
  if (name == "mnist") return kMnistHint;
  if (name == "fashion-mnist") return kFashionHint;
  if (name == "cifar10") return kCifarHint;
  return "";
}

// Reads one IDX split from dir; rethrows errors with how to get the data.
TensorDataset read_idx_split(const std::string& dir, const std::string& prefix, int64_t limit,
                             const std::string& dataset) {
  try {
    std::string images_path = idx_file(dir, prefix + "-images-idx3-ubyte");
    std::string labels_path = idx_file(dir, prefix + "-labels-idx1-ubyte");
    if (images_path.empty())
      throw data_error("missing '" + (fs::path(dir) / (prefix + "-images-idx3-ubyte[.gz]")).string() + "'");
    if (labels_path.empty())
      throw data_error("missing '" + (fs::path(dir) / (prefix + "-labels-idx1-ubyte[.gz]")).string() + "'");
    TensorDataset d;
    d.images = read_idx_images(images_path, limit).unsqueeze(1);
    d.labels = read_idx_labels(labels_path, limit);
    if (d.images.size(0) != d.labels.size(0))
      throw data_error("'" + images_path + "' has " + std::to_string(d.images.size(0)) + " images but '" +
                       labels_path + "' has " + std::to_string(d.labels.size(0)) + " labels");
    if (d.labels.numel() > 0 && (d.labels.min().item<int64_t>() < 0 || d.labels.max().item<int64_t>() > 9))
      throw data_error("'" + labels_path + "' holds labels outside 0..9");
    return d;
  } catch (const Error& e) {
    throw data_error(std::string(e.what()) + " (" + dataset + "; " + hint_for(dataset) + ")");
  }
}

SplitDataset read_idx_dataset(const std::string& dir, Limits limits, const std::string& dataset) {
  SplitDataset s;
  s.train = read_idx_split(dir, "train", limits.train, dataset);
  s.test = read_idx_split(dir, "t10k", limits.test, dataset);
  s.info.name = dataset;
  s.info.path = dir;
  s.info.train_samples = s.train.size();
  s.info.test_samples = s.test.size();
  return s;
}

std::optional<std::string> fashion_or_nothing(const DataOptions& options) { return find_dataset_dir("fashion-mnist", options); }

}  // namespace

// ---- readers ----

torch::Tensor read_idx_images(const std::string& path, int64_t limit) {
  GzFile f(path);
  uint32_t magic = f.read_be32("the IDX header");
  if (magic != 0x00000803)
    throw data_error("'" + path + "' is not an IDX image file (magic " + std::to_string(magic) + ", expected 2051)");
  uint32_t n = f.read_be32("the IDX header");
  uint32_t rows = f.read_be32("the IDX header");
  uint32_t cols = f.read_be32("the IDX header");
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096)
    throw data_error("'" + path + "' has implausible image size " + std::to_string(rows) + "x" + std::to_string(cols));
  int64_t count = (limit > 0 && limit < int64_t(n)) ? limit : int64_t(n);
  std::vector<uint8_t> bytes = f.read_bytes(size_t(count) * rows * cols, "image data");
  torch::Tensor images = torch::empty({count, int64_t(rows), int64_t(cols)}, torch::kUInt8);
  std::copy(bytes.begin(), bytes.end(), images.data_ptr<uint8_t>());
  return images;
}

torch::Tensor read_idx_labels(const std::string& path, int64_t limit) {
  GzFile f(path);
  uint32_t magic = f.read_be32("the IDX header");
  if (magic != 0x00000801)
    throw data_error("'" + path + "' is not an IDX label file (magic " + std::to_string(magic) + ", expected 2049)");
  uint32_t n = f.read_be32("the IDX header");
  int64_t count = (limit > 0 && limit < int64_t(n)) ? limit : int64_t(n);
  std::vector<uint8_t> bytes = f.read_bytes(size_t(count), "label data");
  torch::Tensor raw = torch::empty({count}, torch::kUInt8);
  std::copy(bytes.begin(), bytes.end(), raw.data_ptr<uint8_t>());
  return raw.to(torch::kInt64);
}

TensorDataset read_cifar10_batches(const std::vector<std::string>& files, int64_t limit) {
  constexpr int64_t kRecord = 1 + 3 * 32 * 32;
  std::vector<torch::Tensor> images, labels;
  int64_t total = 0;
  for (const auto& path : files) {
    if (limit > 0 && total >= limit) break;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw data_error("cannot open '" + path + "': no such file");
    auto size = static_cast<int64_t>(fs::file_size(path, ec));
    if (ec || size == 0 || size % kRecord != 0)
      throw data_error("corrupt CIFAR-10 batch '" + path + "': size " + std::to_string(size) +
                       " bytes is not a positive multiple of " + std::to_string(kRecord));
    int64_t n = size / kRecord;
    if (limit > 0) n = std::min(n, limit - total);
    torch::Tensor raw = torch::empty({n, kRecord}, torch::kUInt8);
    GzFile f(path);
    f.read_exact(raw.data_ptr<uint8_t>(), size_t(n * kRecord), "CIFAR-10 records");
    torch::Tensor lab = raw.select(1, 0).to(torch::kInt64);
    if (lab.max().item<int64_t>() > 9) throw data_error("corrupt CIFAR-10 batch '" + path + "': label outside 0..9");
    labels.push_back(lab);
    images.push_back(raw.slice(1, 1).reshape({n, 3, 32, 32}).clone());
    total += n;
  }
  if (images.empty()) throw data_error("no CIFAR-10 batch files given");
  return TensorDataset{torch::cat(images), torch::cat(labels)};
}

// ---- data directories ----

std::string data_root(const DataOptions& options) {
  if (options.data_dir) return *options.data_dir;
  return env_or_empty("GREENTUNE_DATA");
}

std::vector<std::string> dataset_candidates(const std::string& name, const DataOptions& options) {
  std::vector<std::string> out;
  std::string root = data_root(options);
  auto sub = [&](const char* s) { out.push_back((fs::path(root) / s).string()); };
  if (name == "mnist") {
    if (!root.empty()) {
      sub("mnist");
      sub("MNIST/raw");
      sub("MNIST");
      if (!contains_fashion(root)) out.push_back(root);
    }
  } else if (name == "fashion-mnist") {
    if (!root.empty()) {
      sub("fashion-mnist");
      sub("FashionMNIST/raw");
      if (contains_fashion(root)) out.push_back(root);
    }
    if (!options.fashion_mnist_default.empty()) out.push_back(options.fashion_mnist_default);
  } else if (name == "cifar10") {
    if (!root.empty()) {
      sub("cifar10");
      sub("cifar-10-batches-bin");
      sub("cifar10/cifar-10-batches-bin");
      out.push_back(root);
    }
  } else if (name == "market1501") {
    if (!root.empty()) {
      sub("market1501");
      sub("Market-1501-v15.09.15");
      sub("Market-1501");
      out.push_back(root);
    }
  } else {
    throw runtime_error("unknown dataset '" + name + "'");
  }
  return out;
}

void check_data_root(const DataOptions& options) {
  const std::string root = data_root(options);
  if (root.empty()) return;
  std::error_code ec;
  const char* from = options.data_dir ? "--data-dir" : "GREENTUNE_DATA";
  if (!fs::exists(root, ec)) throw data_error("data directory '" + root + "' (" + from + ") does not exist");
  if (!fs::is_directory(root, ec))
    throw data_error("data directory '" + root + "' (" + from + ") is not a directory");
}

std::optional<std::string> find_dataset_dir(const std::string& name, const DataOptions& options) {
  check_data_root(options);
  for (const auto& dir : dataset_candidates(name, options))
    if (holds(name, dir)) return dir;
  return std::nullopt;
}

// ---- loaders ----

SplitDataset load_mnist(const DataOptions& options, Limits limits, std::ostream& log) {
  if (auto dir = find_dataset_dir("mnist", options)) return read_idx_dataset(*dir, limits, "mnist");
  if (!options.substitute) {
    auto tried = dataset_candidates("mnist", options);
    std::string where = tried.empty() ? "no data directory given (--data-dir or GREENTUNE_DATA)" : "looked in " + join(tried);
    throw data_error("MNIST not found (" + where + "); " + kMnistHint);
  }
  auto fashion = fashion_or_nothing(options);
  if (!fashion) {
    auto tried = dataset_candidates("mnist", options);
    auto tried_f = dataset_candidates("fashion-mnist", options);
    tried.insert(tried.end(), tried_f.begin(), tried_f.end());
    std::string where = tried.empty() ? "no data directory given (--data-dir or GREENTUNE_DATA)" : "looked in " + join(tried);
    throw data_error("MNIST not found and no Fashion-MNIST to stand in for it (" + where + "); " + kMnistHint +
                     "; " + kFashionHint);
  }
  SplitDataset s = read_idx_dataset(*fashion, limits, "fashion-mnist");
  s.info.substitute_for = "mnist";
  s.info.note = "Fashion-MNIST stands in for MNIST (MNIST not found, substitution asked for); same sample counts";
  log << "greentune: note: MNIST not found; using Fashion-MNIST from " << *fashion << " instead (substitution asked for)\n";
  return s;
}

SplitDataset load_cifar10(const DataOptions& options, Limits limits, std::ostream& log,
                          bool allow_fashion_substitute) {
  if (auto dir = find_dataset_dir("cifar10", options)) {
    std::vector<std::string> train_files;
    for (int i = 1; i <= 5; ++i) {
      fs::path p = fs::path(*dir) / ("data_batch_" + std::to_string(i) + ".bin");
      train_files.push_back(p.string());
    }
    SplitDataset s;
    try {
      s.train = read_cifar10_batches(train_files, limits.train);
      s.test = read_cifar10_batches({(fs::path(*dir) / "test_batch.bin").string()}, limits.test);
    } catch (const Error& e) {
      throw data_error(std::string(e.what()) + " (cifar10; " + kCifarHint + ")");
    }
    s.info.name = "cifar10";
    s.info.path = *dir;
    s.info.train_samples = s.train.size();
    s.info.test_samples = s.test.size();
    return s;
  }
  auto tried = dataset_candidates("cifar10", options);
  std::string where = tried.empty() ? "no data directory given (--data-dir or GREENTUNE_DATA)" : "looked in " + join(tried);
  if (!allow_fashion_substitute) throw data_error("CIFAR-10 not found (" + where + "); " + kCifarHint);
  if (!options.substitute)
    throw data_error("CIFAR-10 not found (" + where + "); " + kCifarHint +
                     "; or let Fashion-MNIST stand in for it with --substitute-data (study file: substitute_data = 1 "
                     "under [budgets])");
  auto fashion = fashion_or_nothing(options);
  if (!fashion)
    throw data_error("CIFAR-10 not found (" + where + ") and no Fashion-MNIST to stand in for it; " + kCifarHint +
                     "; or " + kFashionHint);
  // Equal work: CIFAR-10's 50,000 training and 10,000 test images, not Fashion-MNIST's 60,000.
  Limits cut = limits;
  cut.train = limits.train > 0 ? std::min(limits.train, kCifar10Train) : kCifar10Train;
  cut.test = limits.test > 0 ? std::min(limits.test, kCifar10Test) : kCifar10Test;
  SplitDataset s = read_idx_dataset(*fashion, cut, "fashion-mnist");
  auto pad = [](const torch::Tensor& x) {  // [N,1,28,28] -> [N,3,32,32]
    return torch::constant_pad_nd(x, {2, 2, 2, 2}, 0).repeat({1, 3, 1, 1}).contiguous();
  };
  s.train.images = pad(s.train.images);
  s.test.images = pad(s.test.images);
  s.info.substitute_for = "cifar10";
  s.info.note = "Fashion-MNIST padded to 32x32x3 stands in for CIFAR-10 (CIFAR-10 not found, substitution asked "
                "for); its first 50,000 training and 10,000 test images, CIFAR-10's counts";
  log << "greentune: note: CIFAR-10 not found (" << where << "); using Fashion-MNIST from " << *fashion
      << ", padded to 32x32x3 and cut to CIFAR-10's 50,000/10,000 images, instead (substitution asked for)\n";
  return s;
}

torch::Tensor normalize_images(const torch::Tensor& images_u8, const std::vector<double>& mean,
                               const std::vector<double>& std) {
  torch::Tensor x = images_u8.to(torch::kFloat32).div_(255.0);
  if (mean.size() == 1 && std.size() == 1) return x.sub_(mean[0]).div_(std[0]);
  int64_t c = static_cast<int64_t>(mean.size());
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(x.device());
  torch::Tensor m = torch::tensor(std::vector<float>(mean.begin(), mean.end())).to(opts).view({1, c, 1, 1});
  torch::Tensor s = torch::tensor(std::vector<float>(std.begin(), std.end())).to(opts).view({1, c, 1, 1});
  return x.sub_(m).div_(s);
}

torch::Tensor normalize_images_serial(const torch::Tensor& images_u8, const std::vector<double>& mean,
                                      const std::vector<double>& std) {
  const torch::Tensor src = images_u8.contiguous();
  torch::Tensor out = torch::empty(src.sizes(), torch::kFloat32);
  const int64_t c = src.dim() >= 2 ? src.size(1) : 1;
  const int64_t plane = c > 0 && src.numel() > 0 ? src.numel() / (src.size(0) * c) : 0;
  const uint8_t* in = src.data_ptr<uint8_t>();
  float* o = out.data_ptr<float>();
  const int64_t planes = plane > 0 ? src.numel() / plane : 0;
  for (int64_t p = 0; p < planes; ++p) {
    const size_t k = mean.size() == 1 ? 0 : static_cast<size_t>(p % c);
    // normalize_images: (x / 255 - mean) / std in float32, the same operations in the same order.
    const float m = static_cast<float>(mean.at(k)), sd = static_cast<float>(std.at(k));
    for (int64_t j = 0; j < plane; ++j) o[p * plane + j] = (static_cast<float>(in[p * plane + j]) / 255.0f - m) / sd;
  }
  return out;
}

torch::Tensor take_batch_serial(const torch::Tensor& data, const torch::Tensor& indices, int64_t start, int64_t count) {
  const torch::Tensor src = data.contiguous();
  std::vector<int64_t> shape(src.sizes().begin(), src.sizes().end());
  shape[0] = count;
  torch::Tensor out = torch::empty(shape, src.options());
  const int64_t row = src.numel() / std::max<int64_t>(1, src.size(0)) * static_cast<int64_t>(src.element_size());
  const torch::Tensor idx = indices.to(torch::kLong).contiguous();
  const int64_t* ix = idx.data_ptr<int64_t>() + start;
  const auto* in = static_cast<const uint8_t*>(src.data_ptr());
  auto* o = static_cast<uint8_t*>(out.data_ptr());
  for (int64_t i = 0; i < count; ++i) std::memcpy(o + i * row, in + ix[i] * row, static_cast<size_t>(row));
  return out;
}

}  // namespace greentune::dl
