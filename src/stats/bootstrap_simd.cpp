// The bootstrap's resampling on AVX-512 (see bootstrap_draw.hpp), chosen at run time: the build
// targets baseline x86-64, and every other CPU takes the scalar loop in effect.cpp. Lane l of a
// block is resample r0 + l: its generator state is seed + ((r0 + l) * (n_o + n_m) + i) * gamma
// before its draw i (SplitMix64's output at a stream position is a function of the position
// alone), each draw is Lemire's bounded draw as SplitMix64::below computes it, and each sum
// adds its values in draw order; the savings take the scalar's operations in its order. Also
// the percentile tails of quantiles() (effect.cpp) in registers. Every floating-point result
// is the scalar code's, bit for bit (tests/stats/bootstrap_exact_test.cpp checks both paths).
#include "bootstrap_draw.hpp"

#include <atomic>

#if defined(__x86_64__) && defined(__GNUC__)
// GCC 12's AVX-512 headers warn of their own deliberately undefined registers at -O3.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#define GREENTUNE_BOOTSTRAP_AVX512 1
#endif

namespace greentune::stats::detail {

#ifdef GREENTUNE_BOOTSTRAP_AVX512
namespace {

#define GT_AVX512 __attribute__((target("avx512f,avx512dq")))

// One sample's runs as the lanes pick them: up to 8 runs in one register per metric (a
// permute), up to 16 in two, more by gathering from the rows.
template <std::size_t K>
struct Picker {
  const double* rows;
  std::uint64_t n;
  __m512d lo[K], hi[K];

  GT_AVX512 Picker(const double* r, std::uint64_t count) : rows(r), n(count) {
    for (std::size_t j = 0; j < K; ++j) {
      alignas(64) double a[16] = {};
      for (std::uint64_t i = 0; i < n && i < 16; ++i) a[i] = rows[i * K + j];
      lo[j] = _mm512_load_pd(a);
      hi[j] = _mm512_load_pd(a + 8);
    }
  }
  GT_AVX512 __m512d pick(std::size_t j, __m512i index) const {
    if (n <= 8) return _mm512_permutexvar_pd(index, lo[j]);
    if (n <= 16) return _mm512_permutex2var_pd(lo[j], index, hi[j]);
    const __m512i at = _mm512_add_epi64(_mm512_mullo_epi64(index, _mm512_set1_epi64(K)),
                                        _mm512_set1_epi64(static_cast<long long>(j)));
    return _mm512_i64gather_pd(at, rows, 8);
  }
};

// SplitMix64's output for the state `s` (already advanced).
GT_AVX512 inline __m512i mix(__m512i z) {
  z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)),
                         _mm512_set1_epi64(static_cast<long long>(0xBF58476D1CE4E5B9ULL)));
  z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)),
                         _mm512_set1_epi64(static_cast<long long>(0x94D049BB133111EBULL)));
  return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
}

// Lemire's draw below `bound` (< 2^32) from z: the high 64 bits of z * bound; `rejected` gets
// the lanes whose low 64 bits fall under the threshold (where SplitMix64::below draws again).
GT_AVX512 inline __m512i below(__m512i z, __m512i bound, __m512i threshold, __mmask8& rejected) {
  const __m512i pl = _mm512_mul_epu32(z, bound);                         // low half x bound
  const __m512i ph = _mm512_mul_epu32(_mm512_srli_epi64(z, 32), bound);  // high half x bound
  const __m512i t = _mm512_add_epi64(ph, _mm512_srli_epi64(pl, 32));
  const __m512i low = _mm512_or_si512(_mm512_slli_epi64(t, 32), _mm512_and_si512(pl, _mm512_set1_epi64(0xffffffffLL)));
  rejected = static_cast<__mmask8>(rejected | _mm512_cmplt_epu64_mask(low, threshold));
  return _mm512_srli_epi64(t, 32);
}

template <std::size_t K>
GT_AVX512 std::size_t resample_blocks(std::uint64_t seed, const Draw& d, double* const* savings) {
  const Picker<K> po(d.rows_o, d.n_o), pm(d.rows_m, d.n_m);
  const std::uint64_t per_resample = d.n_o + d.n_m;
  const __m512i gamma = _mm512_set1_epi64(static_cast<long long>(kGamma));
  const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i bound_o = _mm512_set1_epi64(static_cast<long long>(d.n_o));
  const __m512i bound_m = _mm512_set1_epi64(static_cast<long long>(d.n_m));
  const __m512i threshold_o = _mm512_set1_epi64(static_cast<long long>((0 - d.n_o) % d.n_o));
  const __m512i threshold_m = _mm512_set1_epi64(static_cast<long long>((0 - d.n_m) % d.n_m));
  const __m512d count_o = _mm512_set1_pd(static_cast<double>(d.n_o));
  const __m512d count_m = _mm512_set1_pd(static_cast<double>(d.n_m));
  const __m512d hundred = _mm512_set1_pd(100.0);
  std::size_t r0 = 0;
  for (; r0 + 8 <= d.b; r0 += 8) {
    // The state before each lane's first draw: seed + (r0 + l) * per_resample * gamma.
    const __m512i position = _mm512_mullo_epi64(_mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(r0)), lane),
                                                _mm512_set1_epi64(static_cast<long long>(per_resample)));
    __m512i state = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(seed)), _mm512_mullo_epi64(position, gamma));
    __mmask8 rejected = 0;
    __m512d so[K], sm[K];
    for (std::size_t j = 0; j < K; ++j) so[j] = sm[j] = _mm512_setzero_pd();
    for (std::uint64_t i = 0; i < d.n_o; ++i) {
      state = _mm512_add_epi64(state, gamma);
      const __m512i index = below(mix(state), bound_o, threshold_o, rejected);
      for (std::size_t j = 0; j < K; ++j) so[j] = _mm512_add_pd(so[j], po.pick(j, index));
    }
    for (std::uint64_t i = 0; i < d.n_m; ++i) {
      state = _mm512_add_epi64(state, gamma);
      const __m512i index = below(mix(state), bound_m, threshold_m, rejected);
      for (std::size_t j = 0; j < K; ++j) sm[j] = _mm512_add_pd(sm[j], pm.pick(j, index));
    }
    if (rejected) break;  // a redraw in this block: the scalar loop takes over from r0
    // saving(mo, mm) = mo == 0 ? 0 : 100 * (mo - mm) / mo, each operation as the scalar one.
    for (std::size_t j = 0; j < K; ++j) {
      const __m512d mo = _mm512_div_pd(so[j], count_o), mm = _mm512_div_pd(sm[j], count_m);
      const __m512d s = _mm512_div_pd(_mm512_mul_pd(hundred, _mm512_sub_pd(mo, mm)), mo);
      const __mmask8 zero = _mm512_cmp_pd_mask(mo, _mm512_setzero_pd(), _CMP_EQ_OQ);
      _mm512_storeu_pd(savings[j] + r0, _mm512_mask_blend_pd(zero, s, _mm512_setzero_pd()));
    }
  }
  return r0;
}

// Lane `i` of the 32 lanes in r[0..3].
GT_AVX512 inline double lane(const __m512d* r, std::size_t i) {
  return _mm512_cvtsd_f64(_mm512_permutexvar_pd(_mm512_set1_epi64(static_cast<long long>(i % 8)), r[i / 8]));
}

// x into the ascending lanes of l after its equals, the last lane dropped: lane p keeps l[p]
// when l[p] <= x, takes x when l[p - 1] <= x (or p = 0), else l[p - 1].
GT_AVX512 inline void insert_low(__m512d* l, double x) {
  const __m512d xb = _mm512_set1_pd(x);
  __m512d prev[4];
  __m512i below = _mm512_castpd_si512(_mm512_set1_pd(-__builtin_inf()));
  for (int r = 0; r < 4; ++r) {
    const __m512i cur = _mm512_castpd_si512(l[r]);
    prev[r] = _mm512_castsi512_pd(_mm512_alignr_epi64(cur, below, 7));
    below = cur;
  }
  for (int r = 0; r < 4; ++r) {
    const __m512d shifted = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(prev[r], xb, _CMP_LE_OQ), prev[r], xb);
    l[r] = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(l[r], xb, _CMP_LE_OQ), shifted, l[r]);
  }
}

// x into the ascending lanes of h before its equals, the first lane dropped: lane p takes
// h[p + 1] when h[p + 1] < x, else x when h[p] < x, else keeps h[p]. Lanes past the tail hold
// +inf and stay so.
GT_AVX512 inline void insert_high(__m512d* h, double x) {
  const __m512d xb = _mm512_set1_pd(x);
  __m512d next[4];
  for (int r = 0; r < 4; ++r) {
    const __m512i above = r < 3 ? _mm512_castpd_si512(h[r + 1]) : _mm512_castpd_si512(_mm512_set1_pd(__builtin_inf()));
    next[r] = _mm512_castsi512_pd(_mm512_alignr_epi64(above, _mm512_castpd_si512(h[r]), 1));
  }
  for (int r = 0; r < 4; ++r) {
    const __m512d here = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(h[r], xb, _CMP_LT_OQ), h[r], xb);
    h[r] = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(next[r], xb, _CMP_LT_OQ), here, next[r]);
  }
}

// The lanes of x8 (among `valid`) below tl; above th.
GT_AVX512 inline unsigned below_mask(__m512d x8, double tl, __mmask8 valid) {
  return static_cast<unsigned>(_mm512_mask_cmp_pd_mask(valid, x8, _mm512_set1_pd(tl), _CMP_LT_OQ));
}
GT_AVX512 inline unsigned above_mask(__m512d x8, double th, __mmask8 valid) {
  return static_cast<unsigned>(_mm512_mask_cmp_pd_mask(valid, x8, _mm512_set1_pd(th), _CMP_GT_OQ));
}

GT_AVX512 bool tails_avx512(const double* v, std::size_t start, std::size_t n, double* low, std::size_t kl, double* high,
                            std::size_t kh) {
  alignas(64) double a[32], b[32];
  for (std::size_t p = 0; p < 32; ++p) {
    a[p] = p < kl ? low[p] : __builtin_inf();
    b[p] = p < kh ? high[p] : __builtin_inf();
    if (a[p] != a[p] || b[p] != b[p]) return false;
  }
  __m512d l[4], h[4];
  for (int r = 0; r < 4; ++r) l[r] = _mm512_load_pd(a + 8 * r), h[r] = _mm512_load_pd(b + 8 * r);
  // The two tails do not depend on each other (each value goes into each tail or not by that
  // tail alone), so each has its own pass: no branch on which tail a value belongs to.
  double tl = low[kl - 1], th = high[0];
  for (std::size_t i = start; i < n; i += 8) {
    const __mmask8 valid = n - i >= 8 ? __mmask8(0xff) : static_cast<__mmask8>((1u << (n - i)) - 1);
    const __m512d x8 = _mm512_maskz_loadu_pd(valid, v + i);
    for (unsigned m = below_mask(x8, tl, valid); m != 0;) {
      const unsigned at = static_cast<unsigned>(__builtin_ctz(m));
      insert_low(l, v[i + at]), tl = lane(l, kl - 1);
      m = below_mask(x8, tl, valid) & ~((2u << at) - 1);
    }
  }
  for (std::size_t i = start; i < n; i += 8) {
    const __mmask8 valid = n - i >= 8 ? __mmask8(0xff) : static_cast<__mmask8>((1u << (n - i)) - 1);
    const __m512d x8 = _mm512_maskz_loadu_pd(valid, v + i);
    for (unsigned m = above_mask(x8, th, valid); m != 0;) {
      const unsigned at = static_cast<unsigned>(__builtin_ctz(m));
      insert_high(h, v[i + at]), th = _mm512_cvtsd_f64(h[0]);
      m = above_mask(x8, th, valid) & ~((2u << at) - 1);
    }
  }
  for (int r = 0; r < 4; ++r) _mm512_store_pd(a + 8 * r, l[r]), _mm512_store_pd(b + 8 * r, h[r]);
  for (std::size_t p = 0; p < kl; ++p) low[p] = a[p];
  for (std::size_t p = 0; p < kh; ++p) high[p] = b[p];
  return true;
}

GT_AVX512 std::size_t next_outside_avx512(const double* v, std::size_t from, std::size_t n, double low, double high) {
  const __m512d lo = _mm512_set1_pd(low), hi = _mm512_set1_pd(high);
  std::size_t i = from;
  for (; i + 8 <= n; i += 8) {
    const __m512d x = _mm512_loadu_pd(v + i);
    const unsigned m = static_cast<unsigned>(_mm512_cmp_pd_mask(x, lo, _CMP_LT_OQ) | _mm512_cmp_pd_mask(x, hi, _CMP_GT_OQ));
    if (m) return i + static_cast<std::size_t>(__builtin_ctz(m));
  }
  for (; i < n; ++i)
    if (v[i] < low || v[i] > high) return i;
  return n;
}

GT_AVX512 bool ranks_avx512(const double* v, std::size_t n, double* out) {
  __m512d r[4];
  __mmask8 valid[4];
  for (std::size_t k = 0; k < 4; ++k) {
    const std::size_t from = 8 * k;
    valid[k] = from >= n ? __mmask8(0) : n - from >= 8 ? __mmask8(0xff) : static_cast<__mmask8>((1u << (n - from)) - 1);
    r[k] = _mm512_maskz_loadu_pd(valid[k], v + from);
    if (_mm512_mask_cmp_pd_mask(valid[k], r[k], r[k], _CMP_UNORD_Q)) return false;  // NaN
  }
  for (std::size_t i = 0; i < n; ++i) {
    const __m512d x = _mm512_set1_pd(v[i]);
    unsigned less = 0, equal = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      less += static_cast<unsigned>(__builtin_popcount(_mm512_mask_cmp_pd_mask(valid[k], r[k], x, _CMP_LT_OQ)));
      equal += static_cast<unsigned>(__builtin_popcount(_mm512_mask_cmp_pd_mask(valid[k], r[k], x, _CMP_EQ_OQ)));
    }
    out[i] = 0.5 * static_cast<double>(2 * less + equal + 1);
  }
  return true;
}

bool cpu_has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}

std::atomic<bool>& enabled() {
  static std::atomic<bool> on{cpu_has_avx512()};
  return on;
}

}  // namespace

bool vectorised_available() { return enabled().load(std::memory_order_relaxed); }
void set_vectorised(bool on) { enabled().store(on && cpu_has_avx512(), std::memory_order_relaxed); }

std::size_t next_outside(const double* v, std::size_t from, std::size_t n, double low, double high) {
  if (vectorised_available()) return next_outside_avx512(v, from, n, low, high);
  for (std::size_t i = from; i < n; ++i)
    if (v[i] < low || v[i] > high) return i;
  return n;
}

bool tails_vectorised(const double* v, std::size_t start, std::size_t n, double* low, std::size_t kl, double* high,
                      std::size_t kh) {
  if (!vectorised_available() || kl < 1 || kh < 1 || kl > 32 || kh > 32) return false;
  return tails_avx512(v, start, n, low, kl, high, kh);
}

bool ranks_vectorised(const double* v, std::size_t n, double* out) {
  if (!vectorised_available() || n > 32) return false;
  return ranks_avx512(v, n, out);
}

std::size_t resample_vectorised(std::uint64_t seed, const Draw& d, std::size_t k, double* const* savings) {
  constexpr std::uint64_t kMaxBound = std::uint64_t{1} << 32;
  if (!vectorised_available() || d.n_o == 0 || d.n_m == 0 || d.n_o >= kMaxBound || d.n_m >= kMaxBound) return 0;
  switch (k) {
    case 1: return resample_blocks<1>(seed, d, savings);
    case 2: return resample_blocks<2>(seed, d, savings);
    case 3: return resample_blocks<3>(seed, d, savings);
    case 4: return resample_blocks<4>(seed, d, savings);
    default: return 0;
  }
}

#else

bool vectorised_available() { return false; }
void set_vectorised(bool) {}
std::size_t resample_vectorised(std::uint64_t, const Draw&, std::size_t, double* const*) { return 0; }
bool tails_vectorised(const double*, std::size_t, std::size_t, double*, std::size_t, double*, std::size_t) { return false; }
bool ranks_vectorised(const double*, std::size_t, double*) { return false; }
std::size_t next_outside(const double* v, std::size_t from, std::size_t n, double low, double high) {
  for (std::size_t i = from; i < n; ++i)
    if (v[i] < low || v[i] > high) return i;
  return n;
}

#endif

}  // namespace greentune::stats::detail
