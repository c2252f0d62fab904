#pragma once
// Large vectors of the analysis (the run table's columns, the result rows) backed by huge
// pages where Linux offers them on request (transparent_hugepage = madvise): a 300 MB array
// then takes a few hundred page faults instead of 75,000. Advice only: where it is refused or
// unknown, nothing changes but the speed.
#include <cstddef>
#include <cstdint>
#include <vector>

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace greentune::analysis::detail {

// The 2 MB pages inside [p, p + bytes), for arrays of 8 MB or more.
inline void advise_huge_pages(const void* p, std::size_t bytes) {
#ifdef __linux__
  constexpr std::uintptr_t kHuge = std::uintptr_t{1} << 21;
  const auto begin = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t from = (begin + kHuge - 1) & ~(kHuge - 1), to = (begin + bytes) & ~(kHuge - 1);
  if (bytes >= 4 * kHuge && to > from) madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);
#else
  (void)p, (void)bytes;
#endif
}

// v.reserve(n), its new storage advised before anything touches it.
template <class T>
void reserve_in_huge_pages(std::vector<T>& v, std::size_t n) {
  if (n <= v.capacity()) return;
  v.reserve(n);
  advise_huge_pages(v.data(), n * sizeof(T));
}

template <class T>
void resize_in_huge_pages(std::vector<T>& v, std::size_t n) {
  reserve_in_huge_pages(v, n);
  v.resize(n);
}

}  // namespace greentune::analysis::detail
