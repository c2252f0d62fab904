#pragma once
// CPU kernels that fuse what libtorch 1.13 does in several passes (or on one thread), for
// the trainers' hot loops. Each has a tensor-operation fallback for other devices/layouts.
//
//  - dropout: inverted dropout whose mask comes from a counter-based generator (SplitMix64
//    over the element index, keyed by one draw from libtorch's seeded CPU generator), so it
//    is filled in parallel and is the same for any thread count. libtorch 1.13's
//    bernoulli_ draws element by element from one locked generator (serial).
//    Keep probability resolution: 2^-32 (an element is dropped when a 32-bit draw is below
//    round(p * 2^32)).
//  - Adadelta's update fused into one pass (see optim.hpp for the rule).
#include <cstdint>

#include <torch/torch.h>

namespace greentune::dl {

// In training mode: x * mask / (1 - p), mask ~ Bernoulli(1 - p), differentiable. In eval
// mode, or with p == 0: x. p == 1: zeros. p outside [0, 1]: std::invalid_argument.
// CPU float32 tensors take the fused kernel; others use torch::dropout.
torch::Tensor dropout(const torch::Tensor& x, double p, bool training);

// The mask values the fused kernel uses for `n` elements keyed by `key` (0 or 1/(1-p)); for
// tests of the generator (reproducibility, keep rate, independence of neighbours).
torch::Tensor dropout_mask(int64_t n, double p, uint64_t key);

struct AdadeltaScalars {
  double lr, rho, eps, weight_decay;
};

// One pass over `n` elements: p, v (square_avg) and u (acc_delta) updated in place from g.
void adadelta_update(float* p, const float* g, float* v, float* u, int64_t n, const AdadeltaScalars& s);

}  // namespace greentune::dl
