#include "greentune/mutation/operators.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>

#include "greentune/core/error.hpp"
#include "greentune/core/models.hpp"
#include "greentune/core/number_format.hpp"

using namespace greentune;
using namespace greentune::mutation;

namespace {

std::vector<double> draw(const std::string& op, double d, int n, std::uint64_t seed,
                         const OperatorOptions& o = {}, const HyperparameterSpec* spec = nullptr) {
  Rng rng(seed);
  return mutate(op, d, n, rng, o, spec);
}

void expect_distinct_and_not_default(const std::vector<double>& v, double d) {
  std::set<double> s(v.begin(), v.end());
  EXPECT_EQ(s.size(), v.size());
  EXPECT_EQ(s.count(d), 0u);
}

}  // namespace

TEST(Rng, UniformOpenIsInsideTheOpenIntervalAndDeterministic) {
  Rng a(7), b(7), c(8);
  bool differs = false;
  for (int i = 0; i < 10000; ++i) {
    double x = a.uniform_open();
    EXPECT_GT(x, 0.0);
    EXPECT_LT(x, 1.0);
    EXPECT_EQ(x, b.uniform_open());
    if (x != c.uniform_open()) differs = true;
  }
  EXPECT_TRUE(differs);
}

TEST(Rng, CoinIsRoughlyFair) {
  Rng r(3);
  int heads = 0;
  for (int i = 0; i < 20000; ++i) heads += r.coin();
  EXPECT_NEAR(heads / 20000.0, 0.5, 0.02);
}

TEST(Rng, KnownStreamIsStable) {
  // Pinned so that a study's mutants never change silently between versions.
  Rng r(42);
  std::vector<double> v = mutate("lr", 1.0, 3, r);
  Rng r2(42);
  std::vector<double> v2 = mutate("lr", 1.0, 3, r2);
  EXPECT_EQ(v, v2);
  EXPECT_NE(derive_seed(1, "mnist_cnn", "lr"), derive_seed(1, "mnist_cnn", "epochs"));
  EXPECT_NE(derive_seed(1, "a", "bc"), derive_seed(1, "ab", "c"));
  EXPECT_EQ(derive_seed(5, "x", "y"), derive_seed(5, "x", "y"));
}

TEST(Operators, EpochsFollowTheRuleAndAreDistinctIntegers) {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    auto v = draw("epochs", 14, 5, seed);
    ASSERT_EQ(v.size(), 5u);
    expect_distinct_and_not_default(v, 14);
    for (double x : v) {
      EXPECT_EQ(std::floor(x), x);
      EXPECT_GE(x, 1);
      // int(14*U*0.25) <= 3
      EXPECT_GE(x, 11);
      EXPECT_LE(x, 17);
    }
  }
}

TEST(Operators, EpochsReachBothDirections) {
  std::set<double> all;
  for (std::uint64_t seed = 0; seed < 50; ++seed)
    for (double x : draw("epochs", 200, 5, seed)) all.insert(x);
  EXPECT_LT(*all.begin(), 200);
  EXPECT_GT(*all.rbegin(), 200);
  EXPECT_GE(*all.begin(), 150);   // 200 - int(200*U*0.25) > 150
  EXPECT_LE(*all.rbegin(), 249);
}

TEST(Operators, EpochsWithTooSmallADefaultIsAClearError) {
  // d=4: int(4*U*0.25) is always 0, so no mutant can differ from 4.
  try {
    draw("epochs", 4, 1, 1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_NE(std::string(e.what()).find("epochs"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("distinct"), std::string::npos);
  }
  // d=5 reaches exactly {4, 6}.
  auto v = draw("epochs", 5, 2, 9);
  EXPECT_EQ(std::set<double>(v.begin(), v.end()), (std::set<double>{4, 6}));
  EXPECT_THROW(draw("epochs", 5, 3, 9), Error);
}

TEST(Operators, LearningRateIsLogUniformWithinAFactorTen) {
  int up = 0, n = 0;
  for (std::uint64_t seed = 0; seed < 400; ++seed) {
    for (double x : draw("lr", 0.03, 5, seed)) {
      EXPECT_GT(x, 0.003);
      EXPECT_LT(x, 0.3);
      up += x > 0.03;
      ++n;
    }
  }
  EXPECT_NEAR(static_cast<double>(up) / n, 0.5, 0.05);
  // log10(x/d) is uniform on (-1, 1): its mean is ~0 and its mean absolute value ~0.5.
  double sum = 0, abs_sum = 0;
  int m = 0;
  for (std::uint64_t seed = 0; seed < 400; ++seed)
    for (double x : draw("lr", 1.0, 5, seed)) {
      double l = std::log10(x);
      sum += l;
      abs_sum += std::fabs(l);
      ++m;
    }
  EXPECT_NEAR(sum / m, 0.0, 0.05);
  EXPECT_NEAR(abs_sum / m, 0.5, 0.03);
}

TEST(Operators, GammaAndWeightDecayStayWithinAFifthAndThreeTimes) {
  for (const char* op : {"gamma", "weight_decay"}) {
    double d = std::strcmp(op, "gamma") == 0 ? 0.7 : 1e-4;
    bool below = false, above = false;
    for (std::uint64_t seed = 0; seed < 300; ++seed) {
      auto v = draw(op, d, 5, seed);
      expect_distinct_and_not_default(v, d);
      for (double x : v) {
        EXPECT_GE(x, d / 5) << op;
        EXPECT_LE(x, 3 * d) << op;
        below = below || x < d;
        above = above || x > d;
      }
    }
    EXPECT_TRUE(below && above) << op;
  }
}

TEST(Operators, ThresholdIsADistinctIntegerBelowFiveTimesTheDefault) {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    auto v = draw("threshold", 2, 5, seed);
    expect_distinct_and_not_default(v, 2);
    for (double x : v) {
      EXPECT_EQ(std::floor(x), x);
      EXPECT_GE(x, 0);
      EXPECT_LE(x, 9);  // int(2*U*5) <= 9
    }
  }
  // Support is {0,1,3,...,9}: 9 values; asking for 10 is impossible.
  EXPECT_EQ(draw("threshold", 2, 9, 1).size(), 9u);
  EXPECT_THROW(draw("threshold", 2, 10, 1), Error);
}

TEST(Operators, BatchSizeComesFromTheSet) {
  auto v = draw("batch_size", 64, 5, 3);
  EXPECT_EQ(std::set<double>(v.begin(), v.end()), (std::set<double>{16, 32, 128, 256, 512}));
  OperatorOptions o;
  o.choices = {8, 24, 64};
  auto w = draw("batch_size", 64, 2, 3, o);
  EXPECT_EQ(std::set<double>(w.begin(), w.end()), (std::set<double>{8, 24}));
  EXPECT_THROW(draw("batch_size", 64, 3, 3, o), Error);
  o.choices = {8, 2.5};
  EXPECT_THROW(draw("batch_size", 64, 1, 3, o), Error);
}

TEST(Operators, DropoutMomentumAndSeed) {
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    for (double x : draw("dropout", 0.5, 5, seed)) {
      EXPECT_GT(x, 0);
      EXPECT_LT(x, 0.9);
    }
    auto m = draw("momentum", 0.9, 5, seed);
    expect_distinct_and_not_default(m, 0.9);
    for (double x : m) {
      EXPECT_GE(x, 0);
      EXPECT_LE(x, 0.999);
    }
    for (double x : draw("seed", 1, 5, seed)) {
      EXPECT_EQ(std::floor(x), x);
      EXPECT_GE(x, 0);
      EXPECT_LT(x, 2147483648.0);
      EXPECT_NE(x, 1);
    }
  }
}

TEST(Operators, RespectTheHyperparameterSpecRange) {
  const ModelSpec& m = model_or_throw("resnet20");
  const HyperparameterSpec* mom = m.find("momentum");
  ASSERT_NE(mom, nullptr);
  for (std::uint64_t seed = 0; seed < 50; ++seed)
    for (double x : draw("momentum", 0.9, 5, seed, {}, mom)) EXPECT_NO_THROW(mom->validate(x));
  // An integer spec never gets a fractional mutant, whatever the rule draws.
  HyperparameterSpec integer_spec;
  integer_spec.name = "k";
  integer_spec.type = HpType::integer;
  integer_spec.min_value = 0;
  integer_spec.max_value = 1e9;
  integer_spec.default_value = 3;
  for (double x : draw("seed", 3, 5, 1, {}, &integer_spec)) EXPECT_EQ(std::floor(x), x);
}

TEST(Operators, DeterministicUnderASeedAndDifferentAcrossSeeds) {
  for (const auto& op : operator_names()) {
    double d = op == "epochs" ? 14 : op == "threshold" ? 2 : op == "batch_size" ? 64 : op == "seed" ? 1 : 0.5;
    auto a = draw(op, d, 5, 123);
    auto b = draw(op, d, 5, 123);
    EXPECT_EQ(a, b) << op;
    bool any_diff = false;
    for (std::uint64_t s = 124; s < 140 && !any_diff; ++s) any_diff = draw(op, d, 5, s) != a;
    EXPECT_TRUE(any_diff) << op;
  }
}

TEST(Operators, ValuesRoundTripExactlyThroughText) {
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    for (const char* op : {"lr", "gamma", "weight_decay", "momentum", "dropout"}) {
      for (double x : draw(op, 0.7, 5, seed)) {
        auto back = parse_double(format_exact(x));
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(std::memcmp(&x, &*back, sizeof(double)), 0) << op << " " << format_exact(x);
      }
    }
  }
}

TEST(Operators, UnknownOperatorNamesTheKnownOnes) {
  try {
    draw("learning_rate", 1, 1, 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("known: epochs, lr"), std::string::npos) << e.what();
  }
}
