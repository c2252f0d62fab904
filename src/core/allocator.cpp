#include "greentune/core/allocator.hpp"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace greentune {

void tune_allocator() {
  const char* skip = std::getenv("GREENTUNE_MALLOC_DEFAULTS");
  if (skip && std::strcmp(skip, "1") == 0) return;
  // The largest allowed threshold (32 MiB on 64-bit): buffers below it come from the heap and are reused instead of mmap/munmap.
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(4 * 1024 * 1024 * sizeof(long)));  // glibc maximum
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
}

}  // namespace greentune
