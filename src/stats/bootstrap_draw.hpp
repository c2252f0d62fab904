#pragma once
// Internals of the bootstrap (effect.cpp) shared with its vectorised kernel (bootstrap_simd.cpp).
#include <cstddef>
#include <cstdint>

namespace greentune::stats::detail {

// The samples to resample: run-major rows of k metrics, b resamples.
struct Draw {
  const double* rows_o;
  std::uint64_t n_o;
  const double* rows_m;
  std::uint64_t n_m;
  std::size_t b;
};

// SplitMix64's increment: its state after p draws is seed + p * kGamma.
inline constexpr std::uint64_t kGamma = 0x9E3779B97F4A7C15ULL;

// The first resamples of the bootstrap on the CPU's vector unit: 8 resamples at a time, one
// per lane, each drawing the same generator outputs in the same order as the scalar loop and
// summing in draw order, so the sums are bit for bit the scalar ones; the savings from them
// with the scalar's operations in the scalar's order. savings[j][r]: the saving of metric j in
// resample r. Returns how many resamples it did (a multiple of 8): it stops before the first
// block in which a bounded draw would be rejected (a redraw shifts the stream; probability
// about n / 2^64 per draw), and does nothing where the CPU lacks AVX-512, k > 4, or a sample
// has 2^32 runs or more. The caller does the rest with a generator at
// seed + done * (n_o + n_m) * kGamma.
std::size_t resample_vectorised(std::uint64_t seed, const Draw& d, std::size_t k, double* const* savings);

// The first i in [from, n) with v[i] < low or v[i] > high (n when none; NaN is neither).
std::size_t next_outside(const double* v, std::size_t from, std::size_t n, double low, double high);

// quantiles()' one-pass selection from v[start] on, once both tails are full: low[0..kl) the kl
// smallest values so far and high[0..kh) the kh largest, each ascending; each value goes in as
// the scalar loop puts it (after its equals in low, before them in high), so the tails end
// the same, bit for bit. False, with nothing done, where the CPU lacks AVX-512, a tail is
// longer than 32 or holds a NaN.
bool tails_vectorised(const double* v, std::size_t start, std::size_t n, double* low, std::size_t kl, double* high,
                      std::size_t kh);

// Average ranks (1-based, ties averaged) of v[0..n) into out, for n <= 32 without NaN, on the
// vector unit: a value after `less` smaller ones with `equal` equal ones (itself included)
// gets 0.5 * (2 less + equal + 1), the mean of the ranks its run spans, exactly the sorted
// computation's 0.5 * (i + 1 + j). False, with nothing done, where the CPU lacks AVX-512, n > 32
// or a value is NaN. (Used by the correlations; here beside the other AVX-512 kernels.)
bool ranks_vectorised(const double* v, std::size_t n, double* out);

// Whether resample_vectorised may run (default: when the CPU has AVX-512F and DQ).
bool vectorised_available();
void set_vectorised(bool enabled);

}  // namespace greentune::stats::detail
