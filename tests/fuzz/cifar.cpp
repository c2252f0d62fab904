// Fuzz target: CIFAR-10 binary batches (torch/datasets.hpp), one file, whole and with a
// limit. Only greentune's data_error may escape; labels are 0..9, images [N,3,32,32].
#include "fuzz_support.hpp"
#include "greentune/core/error.hpp"
#include "greentune/torch/datasets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace greentune;
  std::string file = fuzz::write_scratch("data_batch_1.bin", data, size);
  for (int64_t limit : {int64_t(0), int64_t(1)}) {
    try {
      dl::TensorDataset d = dl::read_cifar10_batches({file}, limit);
      if (d.images.dim() != 4 || d.images.size(1) != 3 || d.images.size(2) != 32 || d.images.size(3) != 32 ||
          d.images.size(0) != d.size())
        fuzz::violated("CIFAR-10 images of the wrong shape");
      if (d.size() > 0 && (d.labels.min().item<int64_t>() < 0 || d.labels.max().item<int64_t>() > 9))
        fuzz::violated("CIFAR-10 label outside 0..9 accepted");
    } catch (const Error&) {
    }
  }
  return 0;
}
