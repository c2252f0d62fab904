#pragma once
// A small Gaussian-process regression model for the search (tune/search.hpp): ARD Matern-5/2
// kernel on the unit cube, outputs standardised, homoscedastic noise; hyperparameters fitted by
// maximising the log marginal likelihood with a seeded random start plus pattern search, so the
// same data and seed give the same model on every machine. Sizes are small (a few hundred points).
#include <cstdint>
#include <vector>

namespace greentune::tune {

struct Prediction {
  double mean = 0;
  double sd = 0;  // of the latent function (the configuration's true mean), not of one run
};

class GaussianProcess {
 public:
  // x: points in [0,1]^d (all of the same dimension), y: one observation each (n >= 1).
  void fit(const std::vector<std::vector<double>>& x, const std::vector<double>& y, std::uint64_t seed);
  // Adds an observation keeping the fitted hyperparameters (batch proposals: fantasies).
  void add(const std::vector<double>& x, double y);
  Prediction predict(const std::vector<double>& x) const;
  double noise_sd() const;              // in output units
  bool fitted() const { return !x_.empty(); }
  double log_marginal_likelihood() const { return lml_; }

 private:
  double kernel(const std::vector<double>& a, const std::vector<double>& b) const;
  bool factor();  // Cholesky of K + noise I and alpha; false when not positive definite
  double evaluate(const std::vector<double>& log_params);  // sets params, factors, returns lml

  std::vector<std::vector<double>> x_;
  std::vector<double> y_;               // standardised
  double y_mean_ = 0, y_sd_ = 1;
  std::vector<double> length_;          // per dimension
  double signal_var_ = 1, noise_var_ = 0.01;
  std::vector<double> chol_;            // n x n lower triangle, row-major
  std::vector<double> alpha_;
  double lml_ = 0;
};

}  // namespace greentune::tune
