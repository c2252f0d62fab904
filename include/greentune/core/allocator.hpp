#pragma once
namespace greentune {
// Raises glibc malloc's mmap and trim thresholds so large tensors are not unmapped and
// re-mapped every step (measured: 2.5-3x faster libtorch CPU training on 2 cores).
// Called once at the start of main(); GREENTUNE_MALLOC_DEFAULTS=1 skips it (for benchmarks).
void tune_allocator();
}  // namespace greentune
