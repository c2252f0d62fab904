#include "greentune/tune/gaussian_process.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "greentune/mutation/operators.hpp"

namespace greentune::tune {

namespace {
constexpr double kMinLogLength = -3.5, kMaxLogLength = 1.5;  // length scales in [0.03, 4.5] of the unit cube
constexpr double kMinLogNoise = -9.2, kMaxLogNoise = 0.5;    // noise variance (standardised) in [1e-4, 1.6]
constexpr double kMinLogSignal = -2.3, kMaxLogSignal = 2.3;  // signal variance in [0.1, 10]
}  // namespace

double GaussianProcess::kernel(const std::vector<double>& a, const std::vector<double>& b) const {
  double r2 = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double d = (a[i] - b[i]) / length_[i];
    r2 += d * d;
  }
  double r = std::sqrt(5 * r2);
  return signal_var_ * (1 + r + r * r / 3) * std::exp(-r);
}

bool GaussianProcess::factor() {
  const size_t n = x_.size();
  chol_.assign(n * n, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j <= i; ++j) chol_[i * n + j] = kernel(x_[i], x_[j]) + (i == j ? noise_var_ + 1e-9 : 0);
  for (size_t j = 0; j < n; ++j) {
    double s = chol_[j * n + j];
    for (size_t k = 0; k < j; ++k) s -= chol_[j * n + k] * chol_[j * n + k];
    if (!(s > 0)) return false;
    double d = std::sqrt(s);
    chol_[j * n + j] = d;
    for (size_t i = j + 1; i < n; ++i) {
      double v = chol_[i * n + j];
      for (size_t k = 0; k < j; ++k) v -= chol_[i * n + k] * chol_[j * n + k];
      chol_[i * n + j] = v / d;
    }
  }
  // alpha = K^-1 y: forward then backward substitution.
  alpha_ = y_;
  for (size_t i = 0; i < n; ++i) {
    double v = alpha_[i];
    for (size_t k = 0; k < i; ++k) v -= chol_[i * n + k] * alpha_[k];
    alpha_[i] = v / chol_[i * n + i];
  }
  double quad = 0, logdet = 0;
  for (size_t i = 0; i < n; ++i) {
    quad += alpha_[i] * alpha_[i];
    logdet += std::log(chol_[i * n + i]);
  }
  for (size_t ii = n; ii-- > 0;) {
    double v = alpha_[ii];
    for (size_t k = ii + 1; k < n; ++k) v -= chol_[k * n + ii] * alpha_[k];
    alpha_[ii] = v / chol_[ii * n + ii];
  }
  lml_ = -0.5 * quad - logdet - 0.5 * static_cast<double>(n) * std::log(2 * M_PI);
  return true;
}

double GaussianProcess::evaluate(const std::vector<double>& p) {
  const size_t d = length_.size();
  for (size_t i = 0; i < d; ++i) length_[i] = std::exp(std::clamp(p[i], kMinLogLength, kMaxLogLength));
  signal_var_ = std::exp(std::clamp(p[d], kMinLogSignal, kMaxLogSignal));
  noise_var_ = std::exp(std::clamp(p[d + 1], kMinLogNoise, kMaxLogNoise));
  if (!factor()) return -std::numeric_limits<double>::infinity();
  // Weak log-normal priors keep length scales and noise away from degenerate fits with few points.
  double prior = 0;
  for (size_t i = 0; i < d; ++i) prior -= 0.5 * std::pow((p[i] + 0.7) / 1.0, 2);
  prior -= 0.5 * std::pow((p[d + 1] + 4.0) / 2.0, 2);
  return lml_ + prior;
}

void GaussianProcess::fit(const std::vector<std::vector<double>>& x, const std::vector<double>& y, std::uint64_t seed) {
  x_ = x;
  const size_t n = y.size();
  y_mean_ = 0;
  for (double v : y) y_mean_ += v;
  y_mean_ /= static_cast<double>(n);
  double var = 0;
  for (double v : y) var += (v - y_mean_) * (v - y_mean_);
  y_sd_ = n > 1 ? std::sqrt(var / static_cast<double>(n - 1)) : 1;
  if (!(y_sd_ > 1e-12)) y_sd_ = 1;
  y_.resize(n);
  for (size_t i = 0; i < n; ++i) y_[i] = (y[i] - y_mean_) / y_sd_;
  const size_t d = x.empty() ? 0 : x.front().size();
  length_.assign(d, 0.5);
  const std::vector<double> lo = [&] {
    std::vector<double> v(d, kMinLogLength);
    v.push_back(kMinLogSignal);
    v.push_back(kMinLogNoise);
    return v;
  }();
  std::vector<double> hi(d, kMaxLogLength);
  hi.push_back(kMaxLogSignal);
  hi.push_back(kMaxLogNoise);

  mutation::Rng rng(seed);
  std::vector<double> best(d + 2, -0.7);
  best[d] = 0;
  best[d + 1] = -4;
  double best_v = evaluate(best);
  for (int s = 0; s < 24; ++s) {
    std::vector<double> p(d + 2);
    for (size_t i = 0; i < p.size(); ++i) p[i] = lo[i] + rng.uniform_open() * (hi[i] - lo[i]);
    double v = evaluate(p);
    if (v > best_v) best_v = v, best = p;
  }
  // Pattern search: coordinate steps, halved when no step improves.
  double step = 1.0;
  while (step > 0.02) {
    bool improved = false;
    for (size_t i = 0; i < best.size(); ++i)
      for (double dir : {-1.0, 1.0}) {
        std::vector<double> p = best;
        p[i] = std::clamp(p[i] + dir * step, lo[i], hi[i]);
        double v = evaluate(p);
        if (v > best_v + 1e-9) best_v = v, best = p, improved = true;
      }
    if (!improved) step /= 2;
  }
  evaluate(best);
}

void GaussianProcess::add(const std::vector<double>& x, double y) {
  if (!fitted() || x.size() != length_.size()) return;
  x_.push_back(x);
  y_.push_back((y - y_mean_) / y_sd_);
  if (!factor()) {
    noise_var_ *= 2;
    factor();
  }
}

Prediction GaussianProcess::predict(const std::vector<double>& x) const {
  if (!fitted()) return Prediction{0, 1};
  const size_t n = x_.size();
  std::vector<double> k(n);
  for (size_t i = 0; i < n; ++i) k[i] = kernel(x, x_[i]);
  double mean = 0;
  for (size_t i = 0; i < n; ++i) mean += k[i] * alpha_[i];
  // v = L^-1 k
  for (size_t i = 0; i < n; ++i) {
    double v = k[i];
    for (size_t j = 0; j < i; ++j) v -= chol_[i * n + j] * k[j];
    k[i] = v / chol_[i * n + i];
  }
  double var = signal_var_;
  for (double v : k) var -= v * v;
  var = std::max(var, 1e-12);
  return Prediction{y_mean_ + y_sd_ * mean, y_sd_ * std::sqrt(var)};
}

double GaussianProcess::noise_sd() const { return y_sd_ * std::sqrt(noise_var_); }

}  // namespace greentune::tune
