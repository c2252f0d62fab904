// Compiled with -O3 -fno-math-errno (CMakeLists.txt) so the loops below vectorise: GCC
// only vectorises sqrt when it need not set errno. No -ffast-math: the float arithmetic
// is done in the order written.
#include "greentune/torch/kernels.hpp"

#include <cmath>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

namespace greentune::dl {
namespace {

constexpr int64_t kGrain = 16384;  // elements per parallel chunk

// SplitMix64's output function of its state after k steps from `key`: a counter-based
// generator, so element i's draw needs no other element's.
inline uint64_t splitmix64(uint64_t key, uint64_t k) {
  uint64_t z = key + (k + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Elements whose 32-bit draw is below this are dropped.
uint64_t drop_threshold(double p) { return static_cast<uint64_t>(std::llround(std::ldexp(p, 32))); }

// mask[i] = (draw_i >= threshold) ? scale : 0, out[i] = x[i] * mask[i] (out may be null).
void fill_mask(float* mask, const float* x, float* out, int64_t n, uint64_t key, uint64_t threshold, float scale) {
  at::parallel_for(0, (n + 1) / 2, kGrain / 2, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      const uint64_t r = splitmix64(key, static_cast<uint64_t>(k));
      const int64_t i = 2 * k;
      const float m0 = (r & 0xFFFFFFFFULL) >= threshold ? scale : 0.0f;
      mask[i] = m0;
      if (out) out[i] = x[i] * m0;
      if (i + 1 < n) {
        const float m1 = (r >> 32) >= threshold ? scale : 0.0f;
        mask[i + 1] = m1;
        if (out) out[i + 1] = x[i + 1] * m1;
      }
    }
  });
}

uint64_t draw_key() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return at::check_generator<at::CPUGeneratorImpl>(gen)->random64();
}

void check_probability(double p) {
  if (!(p >= 0 && p <= 1)) throw std::invalid_argument("dropout probability " + std::to_string(p) + " is outside [0, 1]");
}

class FusedDropout : public torch::autograd::Function<FusedDropout> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, double p) {
    torch::Tensor input = x.contiguous();
    torch::Tensor mask = torch::empty_like(input, torch::MemoryFormat::Contiguous);
    torch::Tensor out = torch::empty_like(input, torch::MemoryFormat::Contiguous);
    fill_mask(mask.data_ptr<float>(), input.data_ptr<float>(), out.data_ptr<float>(), input.numel(), draw_key(),
              drop_threshold(p), static_cast<float>(1.0 / (1.0 - p)));
    ctx->save_for_backward({mask});
    return out;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    torch::Tensor mask = ctx->get_saved_variables()[0];
    return {grads[0] * mask, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor dropout(const torch::Tensor& x, double p, bool training) {
  check_probability(p);
  if (!training || p == 0) return x;
  if (p == 1) return x * 0;
  if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat) return torch::dropout(x, p, true);
  return FusedDropout::apply(x, p);
}

torch::Tensor dropout_mask(int64_t n, double p, uint64_t key) {
  check_probability(p);
  torch::Tensor mask = torch::empty({n});
  if (p == 1) return mask.zero_();
  fill_mask(mask.data_ptr<float>(), nullptr, nullptr, n, key, drop_threshold(p), static_cast<float>(1.0 / (1.0 - p)));
  return mask;
}

void adadelta_update(float* p, const float* g, float* v, float* u, int64_t n, const AdadeltaScalars& s) {
  // The scalars as the tensor operations use them on float tensors (cast to float).
  const float rho = float(s.rho), keep = float(1 - s.rho), eps = float(s.eps), wd = float(s.weight_decay);
  const float neg_lr = float(-s.lr);
  const bool decay = s.weight_decay != 0;
  at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
    if (decay) {
      for (int64_t i = begin; i < end; ++i) {
        const float gi = g[i] + wd * p[i];
        const float vi = v[i] * rho + keep * gi * gi;
        const float dx = std::sqrt(u[i] + eps) / std::sqrt(vi + eps) * gi;
        v[i] = vi;
        u[i] = u[i] * rho + keep * dx * dx;
        p[i] = p[i] + neg_lr * dx;
      }
    } else {
      for (int64_t i = begin; i < end; ++i) {
        const float gi = g[i];
        const float vi = v[i] * rho + keep * gi * gi;
        const float dx = std::sqrt(u[i] + eps) / std::sqrt(vi + eps) * gi;
        v[i] = vi;
        u[i] = u[i] * rho + keep * dx * dx;
        p[i] = p[i] + neg_lr * dx;
      }
    }
  });
}

}  // namespace greentune::dl
