#include "fixtures.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "greentune/torch/trainer.hpp"

#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <csetjmp>
#include <jpeglib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

namespace fs = std::filesystem;

namespace greentune::testing {
namespace {

void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(uint8_t(v >> 24));
  out.push_back(uint8_t(v >> 16));
  out.push_back(uint8_t(v >> 8));
  out.push_back(uint8_t(v));
}

void write_maybe_gz(const std::string& path, const std::vector<uint8_t>& bytes, bool gzip) {
  fs::create_directories(fs::path(path).parent_path());
  if (!gzip) {
    write_file_bytes(path, bytes);
    return;
  }
  gzFile f = gzopen(path.c_str(), "wb6");
  if (!f) throw std::runtime_error("fixture: cannot write " + path);
  if (!bytes.empty() && gzwrite(f, bytes.data(), unsigned(bytes.size())) != int(bytes.size())) {
    gzclose(f);
    throw std::runtime_error("fixture: gzwrite failed for " + path);
  }
  gzclose(f);
}

// A 28x28 digit-like pattern per class: a bright bar whose position and orientation depend
// on the class, plus uniform noise. Deterministic: only raw mt19937 output is used.
void draw_class(std::vector<uint8_t>& img, int rows, int cols, int label, std::mt19937& rng) {
  for (auto& p : img) p = uint8_t(rng() % 48);
  const int band = 2 + (label % 5) * 5;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      bool on = label < 5 ? (r >= band && r < band + 3 && c > 3 && c < cols - 4)
                          : (c >= band && c < band + 3 && r > 3 && r < rows - 4);
      if (on) img[size_t(r * cols + c)] = uint8_t(200 + rng() % 56);
    }
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/greentune-torch-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("fixture: cannot read " + path);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  if (!out) throw std::runtime_error("fixture: cannot write " + path);
}

void write_idx_images(const std::string& path, int n, int rows, int cols, const std::vector<uint8_t>& images,
                      bool gzip) {
  std::vector<uint8_t> out;
  put_be32(out, 0x00000803);
  put_be32(out, uint32_t(n));
  put_be32(out, uint32_t(rows));
  put_be32(out, uint32_t(cols));
  out.insert(out.end(), images.begin(), images.end());
  write_maybe_gz(path, out, gzip);
}

void write_idx_labels(const std::string& path, const std::vector<uint8_t>& labels, bool gzip) {
  std::vector<uint8_t> out;
  put_be32(out, 0x00000801);
  put_be32(out, uint32_t(labels.size()));
  out.insert(out.end(), labels.begin(), labels.end());
  write_maybe_gz(path, out, gzip);
}

void write_mnist(const std::string& dir, const IdxFixture& f) {
  std::mt19937 rng(f.seed);
  const std::string ext = f.gzip ? ".gz" : "";
  for (auto [prefix, n] : {std::pair<std::string, int>{"train", f.train}, {"t10k", f.test}}) {
    std::vector<uint8_t> images(static_cast<size_t>(n) * 28 * 28), labels(static_cast<size_t>(n));
    std::vector<uint8_t> one(28 * 28);
    for (int i = 0; i < n; ++i) {
      labels[size_t(i)] = uint8_t(rng() % 10);
      draw_class(one, 28, 28, labels[size_t(i)], rng);
      std::copy(one.begin(), one.end(), images.begin() + ptrdiff_t(i) * 28 * 28);
    }
    write_idx_images(dir + "/" + prefix + "-images-idx3-ubyte" + ext, n, 28, 28, images, f.gzip);
    write_idx_labels(dir + "/" + prefix + "-labels-idx1-ubyte" + ext, labels, f.gzip);
  }
}

void write_cifar10(const std::string& dir, const CifarFixture& f) {
  std::mt19937 rng(f.seed);
  auto batch = [&](const std::string& name, int n) {
    std::vector<uint8_t> out;
    std::vector<uint8_t> plane(32 * 32);
    for (int i = 0; i < n; ++i) {
      int label = int(rng() % 10);
      out.push_back(uint8_t(label));
      for (int ch = 0; ch < 3; ++ch) {
        draw_class(plane, 32, 32, label, rng);
        if (ch != label % 3)
          for (auto& p : plane) p = uint8_t(p / 2);
        out.insert(out.end(), plane.begin(), plane.end());
      }
    }
    write_file_bytes(dir + "/" + name, out);
  };
  for (int b = 1; b <= 5; ++b) batch("data_batch_" + std::to_string(b) + ".bin", f.per_batch);
  batch("test_batch.bin", f.test);
  std::ofstream meta(dir + "/batches.meta.txt");
  meta << "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n";
}

void write_jpeg(const std::string& path, int width, int height, const std::vector<uint8_t>& rgb) {
  fs::create_directories(fs::path(path).parent_path());
  FILE* out = std::fopen(path.c_str(), "wb");
  if (!out) throw std::runtime_error("fixture: cannot write " + path);
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  jpeg_stdio_dest(&cinfo, out);
  cinfo.image_width = JDIMENSION(width);
  cinfo.image_height = JDIMENSION(height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 90, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(rgb.data()) + size_t(cinfo.next_scanline) * size_t(width) * 3;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(out);
}

void write_market1501(const std::string& dir, const MarketFixture& f) {
  std::mt19937 rng(f.seed);
  // Identity i wears a colour: upper half and lower half differ per identity.
  auto person = [&](int identity) {
    std::vector<uint8_t> rgb(size_t(f.width) * f.height * 3);
    const uint8_t top[3] = {uint8_t(40 + 53 * identity % 200), uint8_t(30 + 97 * identity % 200),
                            uint8_t(60 + 31 * identity % 190)};
    const uint8_t bottom[3] = {uint8_t(200 - 41 * identity % 180), uint8_t(90 + 71 * identity % 160),
                               uint8_t(20 + 13 * identity % 220)};
    for (int r = 0; r < f.height; ++r)
      for (int c = 0; c < f.width; ++c) {
        const uint8_t* col = r < f.height / 2 ? top : bottom;
        bool body = c > f.width / 5 && c < f.width * 4 / 5;
        for (int k = 0; k < 3; ++k) {
          int v = body ? col[k] : 128;
          v += int(rng() % 21) - 10;
          rgb[(size_t(r) * f.width + c) * 3 + k] = uint8_t(std::clamp(v, 0, 255));
        }
      }
    return rgb;
  };
  char name[64];
  int frame = 100;
  auto emit = [&](const std::string& sub, int identity, int camera) {
    if (identity < 0)
      std::snprintf(name, sizeof name, "-1_c%ds1_%06d_%02d.jpg", camera, frame++, 1);
    else
      std::snprintf(name, sizeof name, "%04d_c%ds1_%06d_%02d.jpg", identity, camera, frame++, 1);
    write_jpeg(dir + "/" + sub + "/" + name, f.width, f.height, person(identity < 0 ? 999 : identity));
  };
  for (int id = 1; id <= f.identities; ++id)
    for (int k = 0; k < f.per_identity; ++k) emit("bounding_box_train", id, 1 + k % 6);
  for (int id = f.identities + 1; id <= 2 * f.identities; ++id) {
    emit("query", id, 1);
    for (int k = 0; k < std::max(2, f.per_identity / 2); ++k) emit("bounding_box_test", id, 2 + k % 5);
  }
  if (f.junk) {
    emit("bounding_box_test", -1, 1);
    emit("bounding_box_test", 0, 2);
  }
}

TrainResult train_on_fixture(const std::string& model, const std::string& root, const Configuration& config,
                             std::string* log_text) {
  dl::TrainOptions options;
  options.data_dir = root;
  options.fashion_mnist_default = root + "/no-fashion-mnist";
  std::ostringstream log;
  options.log = &log;
  TrainResult result = dl::train(model, config, options);
  if (log_text) *log_text = log.str();
  return result;
}

void expect_history(const TrainResult& r, size_t entries, size_t groups, int layers) {
  ASSERT_EQ(r.history.size(), entries) << r.model;
  for (size_t i = 0; i < entries; ++i) {
    const EpochRecord& e = r.history[i];
    if (layers > 0) {
      EXPECT_EQ(e.layer, static_cast<long long>(i + 1));
    } else {
      EXPECT_EQ(e.epoch, static_cast<long long>(i + 1));
      EXPECT_EQ(e.layer, 0);
    }
    EXPECT_EQ(e.lr.size(), groups);
    ASSERT_TRUE(e.train_loss.has_value());
    EXPECT_TRUE(std::isfinite(*e.train_loss));
    EXPECT_GT(e.seconds, 0);
  }
  EXPECT_EQ(r.history.back().metric, r.performance);
  nlohmann::json j = to_json(r);
  ASSERT_TRUE(j.contains("history"));
  EXPECT_EQ(j["history"].size(), entries);
  TrainResult back = train_result_from_json(j);
  ASSERT_EQ(back.history.size(), entries);
  for (size_t i = 0; i < entries; ++i) {
    EXPECT_EQ(back.history[i].lr, r.history[i].lr);
    EXPECT_EQ(back.history[i].train_loss, r.history[i].train_loss);
    EXPECT_EQ(back.history[i].metric, r.history[i].metric);
  }
}

}  // namespace greentune::testing
