// Dataset readers (IDX plain/.gz, CIFAR-10 batches, Market-1501 JPEGs), data-directory
// resolution, substitution and the errors for missing or corrupt data.
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>

#include <gmock/gmock.h>

#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "greentune/core/error.hpp"
#include "greentune/torch/datasets.hpp"

namespace fs = std::filesystem;
using namespace greentune::dl;
using greentune::Error;
using greentune::ErrorKind;
using namespace greentune::testing;
using ::testing::HasSubstr;

namespace {

// Runs f, expects a data_error, returns its message.
template <typename F>
std::string data_error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::data) << e.what();
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected greentune::Error, got: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected a data_error, nothing was thrown";
  return "";
}

// root: the --data-dir given; nullopt: none given (GREENTUNE_DATA then applies).
// substitute: whether a stand-in may replace a missing dataset (--substitute-data).
DataOptions options_for(std::optional<std::string> root, const std::string& fashion_default = "/nonexistent/fashion",
                        bool substitute = false) {
  DataOptions o;
  o.data_dir = std::move(root);
  o.fashion_mnist_default = fashion_default;
  o.substitute = substitute;
  return o;
}
DataOptions substituting(std::optional<std::string> root, const std::string& fashion_default = "/nonexistent/fashion") {
  return options_for(std::move(root), fashion_default, true);
}

// Unsets GREENTUNE_DATA for the scope of a test and restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_)
      setenv(name_.c_str(), old_.c_str(), 1);
    else
      unsetenv(name_.c_str());
  }

 private:
  std::string name_, old_;
  bool had_ = false;
};

}  // namespace

TEST(Idx, PlainAndGzipReadTheSameImages) {
  TempDir tmp;
  write_mnist(tmp.path() + "/plain", {.train = 50, .test = 20, .gzip = false, .seed = 7});
  write_mnist(tmp.path() + "/gz", {.train = 50, .test = 20, .gzip = true, .seed = 7});
  auto plain = read_idx_images(tmp.path() + "/plain/train-images-idx3-ubyte");
  auto gz = read_idx_images(tmp.path() + "/gz/train-images-idx3-ubyte.gz");
  ASSERT_EQ(plain.sizes(), (std::vector<int64_t>{50, 28, 28}));
  EXPECT_EQ(plain.dtype(), torch::kUInt8);
  EXPECT_TRUE(torch::equal(plain, gz));
  auto labels = read_idx_labels(tmp.path() + "/gz/t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(labels.size(0), 20);
  EXPECT_EQ(labels.dtype(), torch::kInt64);
  EXPECT_GE(labels.min().item<int64_t>(), 0);
  EXPECT_LE(labels.max().item<int64_t>(), 9);
  EXPECT_GT(plain.to(torch::kFloat).std().item<double>(), 10.0);  // not blank images
}

TEST(Idx, LimitReadsTheFirstItems) {
  TempDir tmp;
  write_mnist(tmp.path(), {.train = 40, .test = 10});
  auto all = read_idx_images(tmp.path() + "/train-images-idx3-ubyte.gz");
  auto first = read_idx_images(tmp.path() + "/train-images-idx3-ubyte.gz", 7);
  ASSERT_EQ(first.size(0), 7);
  EXPECT_TRUE(torch::equal(first, all.slice(0, 0, 7)));
  EXPECT_EQ(read_idx_labels(tmp.path() + "/train-labels-idx1-ubyte.gz", 1000).size(0), 40);
}

TEST(Idx, MissingFileNamesThePath) {
  std::string msg = data_error_of([] { read_idx_images("/nonexistent/dir/train-images-idx3-ubyte"); });
  EXPECT_THAT(msg, HasSubstr("/nonexistent/dir/train-images-idx3-ubyte"));
}

TEST(Idx, WrongMagicIsReported) {
  TempDir tmp;
  write_mnist(tmp.path(), {.train = 10, .test = 5, .gzip = false});
  // A label file is not an image file.
  std::string msg = data_error_of([&] { read_idx_images(tmp.path() + "/train-labels-idx1-ubyte"); });
  EXPECT_THAT(msg, HasSubstr("not an IDX image file"));
  EXPECT_THAT(msg, HasSubstr(tmp.path()));
}

TEST(Idx, TruncatedPlainAndGzipFilesAreReported) {
  TempDir tmp;
  write_mnist(tmp.path() + "/plain", {.train = 30, .test = 5, .gzip = false});
  write_mnist(tmp.path() + "/gz", {.train = 30, .test = 5, .gzip = true});
  for (const std::string path :
       {tmp.path() + "/plain/train-images-idx3-ubyte", tmp.path() + "/gz/train-images-idx3-ubyte.gz"}) {
    auto bytes = read_file_bytes(path);
    bytes.resize(bytes.size() / 2);
    write_file_bytes(path, bytes);
    std::string msg = data_error_of([&] { read_idx_images(path); });
    EXPECT_THAT(msg, HasSubstr(path));
  }
}

TEST(Idx, CorruptGzipDataIsReported) {
  TempDir tmp;
  write_mnist(tmp.path(), {.train = 30, .test = 5, .gzip = true});
  std::string path = tmp.path() + "/train-images-idx3-ubyte.gz";
  auto bytes = read_file_bytes(path);
  for (size_t i = 30; i < bytes.size() - 8; i += 7) bytes[i] ^= 0x5a;  // scramble the deflate stream
  write_file_bytes(path, bytes);
  std::string msg = data_error_of([&] { read_idx_images(path); });
  EXPECT_THAT(msg, HasSubstr(path));
}

TEST(Mnist, LoadsFromDataDirWithoutSubstitution) {
  TempDir tmp;
  write_mnist(tmp.path() + "/mnist", {.train = 64, .test = 16});
  std::ostringstream log;
  SplitDataset d = load_mnist(options_for(tmp.path()), {}, log);
  EXPECT_EQ(d.info.name, "mnist");
  EXPECT_EQ(d.info.substitute_for, "");
  EXPECT_EQ(d.info.path, tmp.path() + "/mnist");
  EXPECT_EQ(d.train.images.sizes(), (std::vector<int64_t>{64, 1, 28, 28}));
  EXPECT_EQ(d.test.size(), 16);
  EXPECT_EQ(d.info.train_samples, 64);
  EXPECT_EQ(log.str(), "");
}

TEST(Mnist, LimitsTakeSubsets) {
  TempDir tmp;
  write_mnist(tmp.path() + "/mnist", {.train = 64, .test = 16});
  std::ostringstream log;
  SplitDataset d = load_mnist(options_for(tmp.path()), {.train = 10, .test = 3}, log);
  EXPECT_EQ(d.train.size(), 10);
  EXPECT_EQ(d.test.size(), 3);
  EXPECT_EQ(d.info.train_samples, 10);
  EXPECT_EQ(d.info.test_samples, 3);
}

TEST(Mnist, FashionMnistStandsInAndSaysSo) {
  TempDir tmp;
  write_mnist(tmp.path() + "/fashion-mnist", {.train = 32, .test = 8});
  std::ostringstream log;
  SplitDataset d = load_mnist(substituting(tmp.path()), {}, log);
  EXPECT_EQ(d.info.name, "fashion-mnist");
  EXPECT_EQ(d.info.substitute_for, "mnist");
  EXPECT_THAT(d.info.note, HasSubstr("Fashion-MNIST"));
  EXPECT_THAT(log.str(), HasSubstr("MNIST not found; using Fashion-MNIST from " + tmp.path() + "/fashion-mnist"));
}

TEST(Mnist, NoSubstitutionUnlessAskedFor) {
  TempDir tmp;
  write_mnist(tmp.path() + "/fashion-mnist", {.train = 32, .test = 8});
  std::ostringstream log;
  std::string msg = data_error_of([&] { load_mnist(options_for(tmp.path()), {}, log); });
  EXPECT_THAT(msg, HasSubstr("MNIST not found"));
  EXPECT_THAT(msg, HasSubstr("--substitute-data"));
  EXPECT_THAT(msg, HasSubstr("ossci-datasets"));  // where to download it
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  EXPECT_EQ(log.str(), "");
}

TEST(DataRoot, GivenRootThatDoesNotExistIsAnError) {
  TempDir tmp;
  std::ostringstream log;
  for (bool substitute : {false, true}) {
    std::string msg =
        data_error_of([&] { load_mnist(options_for(tmp.path() + "/nonexistent", "/nonexistent/fashion", substitute), {}, log); });
    EXPECT_THAT(msg, HasSubstr("data directory '" + tmp.path() + "/nonexistent' (--data-dir) does not exist"));
    msg = data_error_of([&] { load_cifar10(options_for(tmp.path() + "/nonexistent", "/nonexistent/fashion", substitute), {}, log, true); });
    EXPECT_THAT(msg, HasSubstr("does not exist"));
  }
  ScopedEnv env("GREENTUNE_DATA", (tmp.path() + "/gone").c_str());
  EXPECT_THAT(data_error_of([&] { load_mnist(options_for(std::nullopt), {}, log); }),
              HasSubstr("'" + tmp.path() + "/gone' (GREENTUNE_DATA) does not exist"));
  write_file_bytes(tmp.path() + "/file", {1, 2, 3});
  EXPECT_THAT(data_error_of([&] { load_mnist(options_for(tmp.path() + "/file"), {}, log); }),
              HasSubstr("is not a directory"));
  EXPECT_EQ(log.str(), "");
}

TEST(Mnist, DebianFashionMnistIsTheDefault) {
  TempDir tmp;
  write_mnist(tmp.path() + "/debian", {.train = 20, .test = 8, .gzip = true});
  ScopedEnv env("GREENTUNE_DATA", nullptr);
  std::ostringstream log;
  SplitDataset d = load_mnist(substituting("", tmp.path() + "/debian"), {}, log);
  EXPECT_EQ(d.info.name, "fashion-mnist");
  EXPECT_EQ(d.info.path, tmp.path() + "/debian");
  EXPECT_EQ(d.info.substitute_for, "mnist");
}

TEST(Mnist, EnvironmentVariableGivesTheRoot) {
  TempDir tmp;
  write_mnist(tmp.path() + "/MNIST/raw", {.train = 20, .test = 8, .gzip = false});
  ScopedEnv env("GREENTUNE_DATA", tmp.path().c_str());
  std::ostringstream log;
  SplitDataset d = load_mnist(options_for(std::nullopt), {}, log);
  EXPECT_EQ(d.info.name, "mnist");
  EXPECT_EQ(d.info.path, tmp.path() + "/MNIST/raw");
  // An explicit empty root overrides the environment: nothing to find.
  std::string msg = data_error_of([&] { load_mnist(options_for(""), {}, log); });
  EXPECT_THAT(msg, HasSubstr("MNIST not found"));
  EXPECT_THAT(msg, ::testing::Not(HasSubstr(tmp.path())));
}

TEST(Mnist, RootNamedFashionHoldsFashionMnist) {
  TempDir tmp;
  write_mnist(tmp.path() + "/my-fashion-data", {.train = 20, .test = 8});
  std::ostringstream log;
  SplitDataset d = load_mnist(substituting(tmp.path() + "/my-fashion-data"), {}, log);
  EXPECT_EQ(d.info.name, "fashion-mnist");
  EXPECT_EQ(d.info.substitute_for, "mnist");
}

TEST(Mnist, MissingEverythingIsOneLineNamingPathsAndRemedy) {
  TempDir tmp;
  std::ostringstream log;
  std::string msg = data_error_of([&] { load_mnist(substituting(tmp.path()), {}, log); });
  EXPECT_THAT(msg, HasSubstr(tmp.path() + "/mnist"));
  EXPECT_THAT(msg, HasSubstr("/nonexistent/fashion"));
  EXPECT_THAT(msg, HasSubstr("dataset-fashion-mnist"));
  EXPECT_EQ(msg.find('\n'), std::string::npos);
}

TEST(Mnist, IncompleteDirectoryIsAnErrorNotASubstitution) {
  TempDir tmp;
  write_mnist(tmp.path() + "/mnist", {.train = 20, .test = 8});
  write_mnist(tmp.path() + "/fashion-mnist", {.train = 20, .test = 8});
  fs::remove(tmp.path() + "/mnist/t10k-labels-idx1-ubyte.gz");
  std::ostringstream log;
  std::string msg = data_error_of([&] { load_mnist(options_for(tmp.path()), {}, log); });
  EXPECT_THAT(msg, HasSubstr(tmp.path() + "/mnist/t10k-labels-idx1-ubyte"));
  EXPECT_EQ(msg.find('\n'), std::string::npos);
}

TEST(Mnist, ImageAndLabelCountsMustAgree) {
  TempDir tmp;
  write_mnist(tmp.path() + "/mnist", {.train = 20, .test = 8});
  write_idx_labels(tmp.path() + "/mnist/train-labels-idx1-ubyte.gz", std::vector<uint8_t>(19, 1), true);
  std::ostringstream log;
  std::string msg = data_error_of([&] { load_mnist(options_for(tmp.path()), {}, log); });
  EXPECT_THAT(msg, HasSubstr("20 images"));
  EXPECT_THAT(msg, HasSubstr("19 labels"));
}

TEST(Mnist, RealDebianFashionMnistIfInstalled) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(dir + "/train-images-idx3-ubyte.gz")) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  ScopedEnv env("GREENTUNE_DATA", nullptr);
  std::ostringstream log;
  DataOptions options;
  options.substitute = true;
  SplitDataset d = load_mnist(options, {.train = 100, .test = 50}, log);
  EXPECT_EQ(d.info.name, "fashion-mnist");
  EXPECT_EQ(d.train.images.sizes(), (std::vector<int64_t>{100, 1, 28, 28}));
  EXPECT_EQ(d.test.size(), 50);
  // Real clothing images: about half the pixels are background (0) and labels cover most classes.
  EXPECT_GT(std::get<0>(at::_unique(d.train.labels)).size(0), 7);
}

TEST(Cifar10, ReadsBatchesWithLimit) {
  TempDir tmp;
  write_cifar10(tmp.path() + "/cifar-10-batches-bin", {.per_batch = 12, .test = 9});
  std::ostringstream log;
  SplitDataset d = load_cifar10(options_for(tmp.path()), {}, log, true);
  EXPECT_EQ(d.info.name, "cifar10");
  EXPECT_EQ(d.train.images.sizes(), (std::vector<int64_t>{60, 3, 32, 32}));
  EXPECT_EQ(d.test.size(), 9);
  EXPECT_EQ(log.str(), "");
  SplitDataset limited = load_cifar10(options_for(tmp.path()), {.train = 15, .test = 4}, log, true);
  EXPECT_EQ(limited.train.size(), 15);  // crosses from batch 1 into batch 2
  EXPECT_TRUE(torch::equal(limited.train.images, d.train.images.slice(0, 0, 15)));
  EXPECT_EQ(limited.test.size(), 4);
}

TEST(Cifar10, CorruptBatchIsReported) {
  TempDir tmp;
  write_cifar10(tmp.path() + "/cifar10", {.per_batch = 5, .test = 5});
  std::string path = tmp.path() + "/cifar10/data_batch_3.bin";
  auto bytes = read_file_bytes(path);
  bytes.pop_back();
  write_file_bytes(path, bytes);
  std::ostringstream log;
  std::string msg = data_error_of([&] { load_cifar10(options_for(tmp.path()), {}, log, true); });
  EXPECT_THAT(msg, HasSubstr(path));
  EXPECT_THAT(msg, HasSubstr("cifar.html"));
}

TEST(Cifar10, FashionMnistPaddedStandsInWhenAllowed) {
  TempDir tmp;
  write_mnist(tmp.path() + "/fashion-mnist", {.train = 12, .test = 6});
  std::ostringstream log;
  EXPECT_THAT(data_error_of([&] { load_cifar10(options_for(tmp.path()), {}, log, true); }),
              HasSubstr("--substitute-data"));
  SplitDataset d = load_cifar10(substituting(tmp.path()), {}, log, true);
  EXPECT_EQ(d.info.name, "fashion-mnist");
  EXPECT_EQ(d.info.substitute_for, "cifar10");
  EXPECT_THAT(d.info.note, HasSubstr("32x32x3"));
  EXPECT_THAT(log.str(), HasSubstr("CIFAR-10 not found"));
  ASSERT_EQ(d.train.images.sizes(), (std::vector<int64_t>{12, 3, 32, 32}));
  // Border is zero padding; the three channels are copies; the centre is the original.
  auto original = read_idx_images(tmp.path() + "/fashion-mnist/train-images-idx3-ubyte.gz");
  EXPECT_EQ(d.train.images.slice(2, 0, 2).sum().item<int64_t>(), 0);
  EXPECT_TRUE(torch::equal(d.train.images.select(1, 0), d.train.images.select(1, 2)));
  EXPECT_TRUE(torch::equal(d.train.images.select(1, 1).slice(1, 2, 30).slice(2, 2, 30), original));

  std::string msg = data_error_of([&] { load_cifar10(substituting(tmp.path()), {}, log, false); });
  EXPECT_THAT(msg, HasSubstr("CIFAR-10 not found"));
  EXPECT_THAT(msg, HasSubstr(tmp.path() + "/cifar10"));
}

TEST(Cifar10, FashionMnistStandInHasCifarSampleCounts) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(dir + "/train-images-idx3-ubyte.gz")) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  std::ostringstream log;
  SplitDataset d = load_cifar10(substituting("", dir), {}, log, true);
  EXPECT_EQ(d.train.size(), kCifar10Train);  // not Fashion-MNIST's 60,000: the original's work per epoch
  EXPECT_EQ(d.test.size(), kCifar10Test);
  EXPECT_EQ(d.info.train_samples, 50000);
  EXPECT_THAT(d.info.note, HasSubstr("50,000"));
  SplitDataset limited = load_cifar10(substituting("", dir), {.train = 70000, .test = 20}, log, true);
  EXPECT_EQ(limited.train.size(), 50000);
  EXPECT_EQ(limited.test.size(), 20);
}

TEST(Market1501, ParsesFileNames) {
  auto r = parse_market1501_name("0002_c1s1_000451_03.jpg");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->identity, 2);
  EXPECT_EQ(r->camera, 1);
  auto junk = parse_market1501_name("-1_c3s2_012345_01.jpg");
  ASSERT_TRUE(junk);
  EXPECT_EQ(junk->identity, -1);
  EXPECT_EQ(junk->camera, 3);
  EXPECT_FALSE(parse_market1501_name("Thumbs.db"));
  EXPECT_FALSE(parse_market1501_name("2_c1s1_000451_03.jpg"));
  EXPECT_FALSE(parse_market1501_name("0002_c1s1_000451_03.png"));
  EXPECT_EQ(parse_market1501_name("0007_C4S1_000451_03.JPEG")->camera, 4);  // any case
  // A long name is matched without recursion (core/pattern.hpp; std::regex recursed per digit).
  auto long_name = parse_market1501_name("0003_c2s" + std::string(300000, '1') + "_000451_03.jpg");
  ASSERT_TRUE(long_name);
  EXPECT_EQ(long_name->identity, 3);
  EXPECT_FALSE(parse_market1501_name("0003_c2s" + std::string(300000, '1') + "_000451_03.jpgx"));
}

TEST(Market1501, ListsSplitsWithContiguousLabels) {
  TempDir tmp;
  write_market1501(tmp.path() + "/market1501", {.identities = 3, .per_identity = 4});
  std::ostringstream log;
  Market1501 m = load_market1501(options_for(tmp.path()), {}, log);
  EXPECT_EQ(m.root, tmp.path() + "/market1501");
  EXPECT_EQ(m.info.name, "market1501");
  // 12 images of 3 identities: the first of each is the val split (upstream's prepare.py).
  ASSERT_EQ(m.train.size(), 9u);
  ASSERT_EQ(m.val.size(), 3u);
  EXPECT_EQ(m.num_classes, 3);
  EXPECT_EQ(m.val.front().label, 0);
  EXPECT_EQ(m.val.back().label, 2);
  EXPECT_EQ(m.train.front().identity, 1);
  EXPECT_EQ(m.train.front().label, 0);
  EXPECT_EQ(m.train.back().identity, 3);
  EXPECT_EQ(m.train.back().label, 2);
  EXPECT_EQ(m.query.size(), 3u);
  EXPECT_EQ(m.gallery.size(), 3u * 2 + 2);  // two per test identity + junk + distractor
  int junk = 0, distractors = 0;
  for (const auto& g : m.gallery) {
    junk += g.identity == -1;
    distractors += g.identity == 0;
    EXPECT_EQ(g.label, -1);
  }
  EXPECT_EQ(junk, 1);
  EXPECT_EQ(distractors, 1);

  Market1501 limited = load_market1501(options_for(tmp.path()), {.train = 5, .test = 2}, log);
  // The first 5 files: 4 of identity 1, 1 of identity 2; both firsts are val.
  EXPECT_EQ(limited.train.size(), 3u);
  EXPECT_EQ(limited.val.size(), 2u);
  EXPECT_EQ(limited.num_classes, 2);
  EXPECT_EQ(limited.query.size(), 2u);
}

TEST(Market1501, DecodesAndResizesJpegs) {
  TempDir tmp;
  write_market1501(tmp.path() + "/market1501", {.identities = 2, .per_identity = 2});
  std::ostringstream log;
  Market1501 m = load_market1501(options_for(tmp.path()), {}, log);
  torch::Tensor img = read_jpeg(m.train[0].path);
  EXPECT_EQ(img.sizes(), (std::vector<int64_t>{3, 128, 64}));
  EXPECT_EQ(img.dtype(), torch::kUInt8);
  ASSERT_EQ(m.train.size(), 2u);  // one image per identity is val
  torch::Tensor batch = load_reid_batch(m.train, {0, 1}, 256, 128);
  EXPECT_EQ(batch.sizes(), (std::vector<int64_t>{2, 3, 256, 128}));
  // The resize is PyTorch's bilinear interpolation (align_corners=false), rounded.
  for (std::vector<int64_t> size : {std::vector<int64_t>{256, 128}, std::vector<int64_t>{64, 32}, std::vector<int64_t>{100, 47}}) {
    torch::Tensor expected = torch::nn::functional::interpolate(
                                 img.unsqueeze(0).to(torch::kFloat32),
                                 torch::nn::functional::InterpolateFuncOptions().size(size).mode(torch::kBilinear).align_corners(false))
                                 .squeeze(0)
                                 .round()
                                 .clamp(0, 255);
    torch::Tensor out = torch::empty({3, size[0], size[1]}, torch::kUInt8);
    resize_bilinear(img, out);
    EXPECT_LE((out.to(torch::kFloat32) - expected).abs().max().item<float>(), 1.0f) << size[0] << "x" << size[1];
    EXPECT_LT((out.to(torch::kFloat32) - expected).abs().mean().item<float>(), 0.01f);
  }
  // Different identities wear different colours: the decoded batches differ clearly.
  EXPECT_GT((batch[0].to(torch::kFloat) - batch[1].to(torch::kFloat)).abs().mean().item<double>(), 10.0);
}

TEST(Market1501, MissingAndCorruptDataAreReported) {
  TempDir tmp;
  std::ostringstream log;
  std::string msg = data_error_of([&] { load_market1501(options_for(tmp.path()), {}, log); });
  EXPECT_THAT(msg, HasSubstr("Market-1501 not found"));
  EXPECT_THAT(msg, HasSubstr(tmp.path() + "/market1501"));

  write_market1501(tmp.path() + "/market1501", {.identities = 2, .per_identity = 2});
  fs::remove_all(tmp.path() + "/market1501/query");
  msg = data_error_of([&] { load_market1501(options_for(tmp.path()), {}, log); });
  EXPECT_THAT(msg, HasSubstr(tmp.path() + "/market1501/query"));

  std::string bad = tmp.path() + "/market1501/bounding_box_train/0001_c1s1_000100_01.jpg";
  auto bytes = read_file_bytes(bad);
  bytes.resize(bytes.size() / 3);
  write_file_bytes(bad, bytes);
  msg = data_error_of([&] { read_jpeg(bad); });
  EXPECT_THAT(msg, HasSubstr(bad));
  write_file_bytes(bad, {'n', 'o', 't', ' ', 'a', ' ', 'j', 'p', 'e', 'g'});
  msg = data_error_of([&] { read_jpeg(bad); });
  EXPECT_THAT(msg, HasSubstr("corrupt JPEG"));
}
