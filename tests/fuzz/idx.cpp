// Fuzz target: MNIST / Fashion-MNIST IDX files (torch/datasets.hpp), plain or gzip, as image
// and as label file, whole and with a limit. Only greentune's data_error may escape, and what
// is returned has the shape the header declares.
#include "fuzz_support.hpp"
#include "greentune/core/error.hpp"
#include "greentune/torch/datasets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace greentune;
  std::string file = fuzz::write_scratch("images-idx3-ubyte", data, size);
  for (int64_t limit : {int64_t(0), int64_t(3)}) {
    try {
      torch::Tensor t = dl::read_idx_images(file, limit);
      if (t.dim() != 3 || (limit > 0 && t.size(0) > limit)) fuzz::violated("IDX images of the wrong shape");
    } catch (const Error&) {
    }
    try {
      torch::Tensor t = dl::read_idx_labels(file, limit);
      if (t.dim() != 1 || (limit > 0 && t.size(0) > limit)) fuzz::violated("IDX labels of the wrong shape");
    } catch (const Error&) {
    }
  }
  return 0;
}
