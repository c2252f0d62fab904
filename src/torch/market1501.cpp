// Market-1501 folder listing (identity and camera from file names) and JPEG decoding (libjpeg).
#include <cstdio>
// jpeglib.h needs size_t and FILE declared first.
#include <csetjmp>
#include <jpeglib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "greentune/core/error.hpp"
#include "greentune/core/pattern.hpp"
#include "greentune/torch/datasets.hpp"

namespace fs = std::filesystem;

namespace greentune::dl {
namespace {

const char* const kMarketHint =
    "download Market-1501-v15.09.15.zip (Zheng et al., ICCV 2015) and unpack it into DATA/market1501 "
    "(with bounding_box_train/, bounding_box_test/ and query/)";

struct JpegError {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_jpeg_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void on_jpeg_message(j_common_ptr cinfo, int level) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  if (level < 0) {  // a warning (e.g. premature end of data): remember it, print nothing
    if (err->pub.num_warnings == 0) (*cinfo->err->format_message)(cinfo, err->message);
    err->pub.num_warnings++;
  }
}

struct Decoded {
  std::vector<uint8_t> rgb;
  int width = 0, height = 0;
};

// Largest image decoded (8192 x 8192; Market-1501's are 64 x 128).
constexpr uint64_t kMaxJpegPixels = uint64_t(1) << 26;

// C-style decoder: only POD locals live across setjmp/longjmp. Returns false with `message`.
bool decode_jpeg(const uint8_t* data, size_t size, Decoded* out, char* message) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_jpeg_error;
  err.pub.emit_message = on_jpeg_message;
  err.message[0] = '\0';
  if (setjmp(err.jump)) {
    std::snprintf(message, JMSG_LENGTH_MAX, "%s", err.message);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, const_cast<uint8_t*>(data), static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  // A corrupt header may declare up to 65500x65500 pixels: refuse more than kMaxJpegPixels before
  // libjpeg or the pixel buffer allocate that much (found by the jpeg fuzz target, docs/fuzzing.md).
  if (uint64_t(cinfo.image_width) * cinfo.image_height > kMaxJpegPixels) {
    std::snprintf(message, JMSG_LENGTH_MAX, "%ux%u pixels, more than the %llu greentune decodes",
                  unsigned(cinfo.image_width), unsigned(cinfo.image_height), (unsigned long long)kMaxJpegPixels);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  out->width = static_cast<int>(cinfo.output_width);
  out->height = static_cast<int>(cinfo.output_height);
  out->rgb.resize(size_t(out->width) * out->height * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out->rgb.data() + size_t(cinfo.output_scanline) * out->width * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  bool warned = err.pub.num_warnings > 0;
  if (warned) std::snprintf(message, JMSG_LENGTH_MAX, "%s", err.message);
  jpeg_destroy_decompress(&cinfo);
  return !warned;
}

std::vector<ReidImage> list_split(const fs::path& dir, int64_t limit) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw data_error("Market-1501: missing folder '" + dir.string() + "' (" + kMarketHint + ")");
  std::vector<ReidImage> images;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    auto parsed = parse_market1501_name(entry.path().filename().string());
    if (!parsed) continue;  // Thumbs.db and the like
    parsed->path = entry.path().string();
    images.push_back(*parsed);
  }
  if (ec) throw data_error("Market-1501: cannot list '" + dir.string() + "': " + ec.message());
  std::sort(images.begin(), images.end(), [](const ReidImage& a, const ReidImage& b) { return a.path < b.path; });
  if (images.empty())
    throw data_error("Market-1501: no JPEG named like 0002_c1s1_000451_03.jpg in '" + dir.string() + "' (" +
                     kMarketHint + ")");
  if (limit > 0 && int64_t(images.size()) > limit) images.resize(size_t(limit));
  return images;
}

}  // namespace

torch::Tensor read_jpeg(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw data_error("cannot open '" + path + "'");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) throw data_error("corrupt JPEG '" + path + "': empty file");
  Decoded decoded;
  char message[JMSG_LENGTH_MAX] = {0};
  if (!decode_jpeg(bytes.data(), bytes.size(), &decoded, message))
    throw data_error("corrupt JPEG '" + path + "': " + message);
  torch::Tensor hwc = torch::from_blob(decoded.rgb.data(), {decoded.height, decoded.width, 3}, torch::kUInt8);
  return hwc.permute({2, 0, 1}).contiguous();
}

std::optional<ReidImage> parse_market1501_name(const std::string& file_name) {
  // <identity>_c<camera>s<sequence>_<frame>_<box>.jpg ; identity may be -1 (junk).
  static const Pattern kPattern(R"((-1|\d{4})_c(\d)s\d+_\d+_\d+\.jpe?g)", PatternOptions{true, {}});
  auto m = kPattern.full_match(file_name);
  if (!m) return std::nullopt;
  ReidImage r;
  r.identity = std::stoi(m->str(1));
  r.camera = std::stoi(m->str(2));
  return r;
}

Market1501 load_market1501(const DataOptions& options, Limits limits, std::ostream& /*log*/) {
  auto dir = find_dataset_dir("market1501", options);
  if (!dir) {
    auto tried = dataset_candidates("market1501", options);
    std::string where = tried.empty() ? "no data directory given (--data-dir or GREENTUNE_DATA)" : "looked in ";
    for (size_t i = 0; i < tried.size(); ++i) where += (i ? ", " : "") + tried[i];
    throw data_error("Market-1501 not found (" + where + "); " + kMarketHint);
  }
  Market1501 m;
  m.root = *dir;
  m.train = list_split(fs::path(*dir) / "bounding_box_train", limits.train);
  m.gallery = list_split(fs::path(*dir) / "bounding_box_test", limits.test);
  m.query = list_split(fs::path(*dir) / "query", limits.test);
  std::map<int, int64_t> classes;
  for (const auto& r : m.train) classes.emplace(r.identity, 0);
  int64_t next = 0;
  for (auto& [id, label] : classes) label = next++;
  for (auto& r : m.train) r.label = classes[r.identity];
  m.num_classes = next;
  // Upstream's prepare.py: one image of each identity moves to the val split, the rest is
  // trained on (upstream takes the first its directory walk yields; here the first in file-name
  // order). test_limit caps val as it caps query and gallery.
  std::vector<ReidImage> rest;
  std::map<int, bool> seen;
  for (auto& r : m.train) {
    if (seen.emplace(r.identity, true).second)
      m.val.push_back(r);
    else
      rest.push_back(r);
  }
  m.train = std::move(rest);
  if (limits.test > 0 && int64_t(m.val.size()) > limits.test) m.val.resize(size_t(limits.test));
  if (m.train.empty())
    throw data_error("Market-1501: '" + (fs::path(*dir) / "bounding_box_train").string() +
                     "' has one image per identity; training needs a second one of some identity (the first of each "
                     "goes to the val split)");
  m.info.name = "market1501";
  m.info.path = *dir;
  m.info.train_samples = static_cast<long long>(m.train.size());
  m.info.test_samples = static_cast<long long>(m.val.size());
  m.info.note = "bounding_box_train split as upstream's prepare.py: the first image (file-name order) of each of " +
                std::to_string(m.num_classes) + " identities is the val split";
  return m;
}

torch::Tensor load_reid_batch(const std::vector<ReidImage>& images, const std::vector<int64_t>& indices,
                              int64_t height, int64_t width) {
  torch::Tensor out = torch::empty({int64_t(indices.size()), 3, height, width}, torch::kUInt8);
  for (size_t i = 0; i < indices.size(); ++i) {
    const ReidImage& img = images.at(size_t(indices[i]));
    torch::Tensor x = read_jpeg(img.path);
    resize_bilinear(x, out[int64_t(i)]);
  }
  return out;
}

void resize_bilinear(const torch::Tensor& image_u8, torch::Tensor out_u8) {
  const torch::Tensor src = image_u8.contiguous();
  const int64_t c = src.size(0), ih = src.size(1), iw = src.size(2);
  const int64_t oh = out_u8.size(1), ow = out_u8.size(2);
  TORCH_CHECK(out_u8.is_contiguous() && out_u8.size(0) == c, "resize_bilinear: bad output tensor");
  const uint8_t* in = src.data_ptr<uint8_t>();
  uint8_t* o = out_u8.data_ptr<uint8_t>();
  if (ih == oh && iw == ow) {
    std::memcpy(o, in, static_cast<size_t>(c * ih * iw));
    return;
  }
  // PyTorch's bilinear interpolation with align_corners=false, in float.
  auto source = [](int64_t dst, int64_t in_size, int64_t out_size, int64_t* i0, int64_t* i1, float* l1) {
    const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
    float pos = scale * (static_cast<float>(dst) + 0.5f) - 0.5f;
    if (pos < 0) pos = 0;
    *i0 = static_cast<int64_t>(pos);
    *i1 = *i0 + (*i0 < in_size - 1 ? 1 : 0);
    *l1 = pos - static_cast<float>(*i0);
  };
  const auto columns = static_cast<size_t>(ow);
  std::vector<int64_t> x0(columns), x1(columns);
  std::vector<float> lx(columns);
  for (int64_t x = 0; x < ow; ++x) source(x, iw, ow, &x0[size_t(x)], &x1[size_t(x)], &lx[size_t(x)]);
  for (int64_t y = 0; y < oh; ++y) {
    int64_t y0 = 0, y1 = 0;
    float ly = 0;
    source(y, ih, oh, &y0, &y1, &ly);
    for (int64_t ch = 0; ch < c; ++ch) {
      const uint8_t* r0 = in + (ch * ih + y0) * iw;
      const uint8_t* r1 = in + (ch * ih + y1) * iw;
      uint8_t* dst = o + (ch * oh + y) * ow;
      for (int64_t x = 0; x < ow; ++x) {
        const size_t k = size_t(x);
        const float top = (1 - lx[k]) * r0[x0[k]] + lx[k] * r0[x1[k]];
        const float bottom = (1 - lx[k]) * r1[x0[k]] + lx[k] * r1[x1[k]];
        const float v = std::nearbyint((1 - ly) * top + ly * bottom);
        dst[x] = static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
      }
    }
  }
}

}  // namespace greentune::dl
