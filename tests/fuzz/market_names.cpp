// Fuzz target: Market-1501 file names (torch/datasets.hpp parse_market1501_name), as the
// folder listing reads them. A name either does not match or gives identity -1 or 0..9999
// and camera 0..9; nothing throws.
#include <string>

#include "fuzz_support.hpp"
#include "greentune/torch/datasets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace greentune;
  std::string name(reinterpret_cast<const char*>(data), size);
  auto r = dl::parse_market1501_name(name);
  if (r && (r->identity < -1 || r->identity > 9999 || r->camera < 0 || r->camera > 9))
    fuzz::violated("implausible identity or camera from a file name", name);
  return 0;
}
