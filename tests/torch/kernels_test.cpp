// The fused CPU kernels: dropout's counter-based mask (rate, reproducibility, thread-count
// independence, gradient) and the tensor-operation fallbacks' agreement.
#include <cmath>
#include <stdexcept>

#include <gtest/gtest.h>

#include "greentune/torch/kernels.hpp"

using namespace greentune::dl;
namespace dl = greentune::dl;

namespace {

struct ThreadsGuard {
  int saved = torch::get_num_threads();
  ~ThreadsGuard() { torch::set_num_threads(saved); }
};

}  // namespace

TEST(DropoutMask, KeepsOneMinusPOfTheElementsScaledByItsInverse) {
  const int64_t n = 1 << 20;
  for (double p : {0.25, 0.5, 0.3, 0.9}) {
    torch::Tensor mask = dropout_mask(n, p, 12345);
    torch::Tensor kept = mask.ne(0);
    const double rate = kept.to(torch::kFloat64).mean().item<double>();
    const double sigma = std::sqrt(p * (1 - p) / double(n));
    EXPECT_NEAR(rate, 1 - p, 5 * sigma) << "p " << p;
    // Every kept element carries exactly the inverted-dropout scale.
    EXPECT_TRUE(torch::all(mask.masked_select(kept).eq(float(1.0 / (1.0 - p)))).item<bool>()) << "p " << p;
    // Two elements drawn from one 64-bit word (2k, 2k+1) are independent: both kept with
    // probability (1-p)^2. Neighbours across words (2k+1, 2k+2) too.
    torch::Tensor k = kept.to(torch::kFloat64);
    const double both_in_word = (k.slice(0, 0, n, 2) * k.slice(0, 1, n, 2)).mean().item<double>();
    const double both_across = (k.slice(0, 1, n - 1, 2) * k.slice(0, 2, n, 2)).mean().item<double>();
    const double q = (1 - p) * (1 - p), sigma2 = std::sqrt(q * (1 - q) / double(n / 2));
    EXPECT_NEAR(both_in_word, q, 5 * sigma2) << "p " << p;
    EXPECT_NEAR(both_across, q, 5 * sigma2) << "p " << p;
  }
}

TEST(DropoutMask, SameKeySameMaskOtherKeyOtherMaskAnyThreadCount) {
  ThreadsGuard guard;
  torch::set_num_threads(1);
  torch::Tensor one = dropout_mask(100001, 0.5, 7);
  torch::set_num_threads(2);
  torch::Tensor two = dropout_mask(100001, 0.5, 7);
  EXPECT_TRUE(torch::equal(one, two));
  torch::Tensor other = dropout_mask(100001, 0.5, 8);
  EXPECT_FALSE(torch::equal(one, other));
  // Different keys give unrelated masks: they agree on about half of the elements.
  const double agree = one.eq(other).to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(agree, 0.5, 0.01);
}

TEST(DropoutMask, EdgeProbabilities) {
  EXPECT_TRUE(torch::all(dropout_mask(1000, 0.0, 1).eq(1)).item<bool>());
  EXPECT_TRUE(torch::all(dropout_mask(1000, 1.0, 1).eq(0)).item<bool>());
  EXPECT_THROW(dropout_mask(10, 1.5, 1), std::invalid_argument);
  EXPECT_THROW(dropout_mask(10, -0.1, 1), std::invalid_argument);
  EXPECT_THROW(dl::dropout(torch::ones({3}), std::nan(""), true), std::invalid_argument);
}

TEST(Dropout, IdentityInEvalModeAndWithZeroProbability) {
  torch::Tensor x = torch::randn({4, 5});
  EXPECT_TRUE(torch::equal(dl::dropout(x, 0.5, false), x));
  EXPECT_TRUE(torch::equal(dl::dropout(x, 0.0, true), x));
  EXPECT_TRUE(torch::all(dl::dropout(x, 1.0, true).eq(0)).item<bool>());
}

TEST(Dropout, OutputAndGradientUseTheSameMask) {
  torch::manual_seed(5);
  torch::Tensor x = (torch::rand({64, 300}) + 0.5).set_requires_grad(true);  // no zeros
  torch::Tensor w = torch::randn({64, 300});
  torch::Tensor y = dl::dropout(x, 0.25, true);
  (y * w).sum().backward();
  torch::Tensor ratio = y.detach() / x.detach();  // the mask: 0 or 1/(1-p)
  torch::Tensor kept = ratio.ne(0);
  EXPECT_TRUE(torch::allclose(ratio.masked_select(kept), torch::full({1}, 1 / 0.75f), 1e-6, 0));
  EXPECT_TRUE(torch::allclose(x.grad(), ratio * w, 1e-6, 1e-6));
  EXPECT_GT(kept.sum().item<int64_t>(), 0);
  EXPECT_LT(kept.sum().item<int64_t>(), x.numel());
}

TEST(Dropout, FollowsTheSeedOfTheGlobalGeneratorAndLayout) {
  torch::Tensor x = torch::randn({2, 3, 8, 8});
  torch::manual_seed(42);
  torch::Tensor a = dl::dropout(x, 0.5, true);
  torch::manual_seed(42);
  torch::Tensor b = dl::dropout(x.contiguous(torch::MemoryFormat::ChannelsLast), 0.5, true);
  torch::Tensor c = dl::dropout(x, 0.5, true);  // the generator moved on: another mask
  // The mask follows the logical element order, whatever the memory layout.
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
}

TEST(Dropout, OtherDtypesUseLibtorchsDropout) {
  torch::Tensor x = torch::ones({1000}, torch::kFloat64);
  torch::Tensor y = dl::dropout(x, 0.5, true);
  EXPECT_EQ(y.scalar_type(), torch::kFloat64);
  const double kept = y.ne(0).to(torch::kFloat64).mean().item<double>();
  EXPECT_GT(kept, 0.4);
  EXPECT_LT(kept, 0.6);
  EXPECT_TRUE(torch::all(y.eq(0) | y.eq(2)).item<bool>());
}

TEST(AdadeltaUpdate, OnePassMatchesTheTensorOperations) {
  torch::manual_seed(9);
  for (double wd : {0.0, 0.01}) {
    torch::Tensor p = torch::randn({40000}), g = torch::randn({40000});
    torch::Tensor v = torch::rand({40000}), u = torch::rand({40000});
    torch::Tensor p2 = p.clone(), v2 = v.clone(), u2 = u.clone();
    const double lr = 0.7, rho = 0.9, eps = 1e-6;
    adadelta_update(p.data_ptr<float>(), g.data_ptr<float>(), v.data_ptr<float>(), u.data_ptr<float>(), p.numel(),
                    {lr, rho, eps, wd});
    torch::Tensor g2 = wd != 0 ? g.add(p2, wd) : g;
    v2.mul_(rho).addcmul_(g2, g2, 1 - rho);
    torch::Tensor dx = u2.add(eps).sqrt_().div_(v2.add(eps).sqrt_()).mul_(g2);
    u2.mul_(rho).addcmul_(dx, dx, 1 - rho);
    p2.add_(dx, -lr);
    // libtorch's vectorised add may fuse p + alpha * dx into one rounding (FMA): the
    // results agree to a few float ulps of values of order 1.
    EXPECT_TRUE(torch::allclose(v, v2, 1e-6, 1e-7)) << "wd " << wd;
    EXPECT_TRUE(torch::allclose(u, u2, 1e-6, 1e-7)) << "wd " << wd;
    EXPECT_TRUE(torch::allclose(p, p2, 1e-6, 1e-6)) << "wd " << wd << ", largest difference " << (p - p2).abs().max().item<double>();
  }
}
