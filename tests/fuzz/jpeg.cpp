// Fuzz target: Market-1501 JPEG data (torch/datasets.hpp read_jpeg, libjpeg). Only greentune's
// data_error may escape; a decoded image is [3, H, W].
#include "fuzz_support.hpp"
#include "greentune/core/error.hpp"
#include "greentune/torch/datasets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace greentune;
  std::string file = fuzz::write_scratch("0002_c1s1_000451_03.jpg", data, size);
  try {
    torch::Tensor img = dl::read_jpeg(file);
    if (img.dim() != 3 || img.size(0) != 3 || img.size(1) < 1 || img.size(2) < 1)
      fuzz::violated("decoded JPEG of the wrong shape");
  } catch (const Error&) {
  }
  return 0;
}
