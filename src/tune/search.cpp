#include "greentune/tune/search.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include <boost/math/distributions/students_t.hpp>

#include "greentune/mutation/operators.hpp"
#include "greentune/tune/gaussian_process.hpp"

namespace greentune::tune {

namespace {

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
double normal_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI); }

Configuration from_unit(const SearchInput& in, const std::vector<double>& u) {
  Configuration hp = in.original;
  for (size_t i = 0; i < in.space.size(); ++i) hp[in.space[i].name] = in.space[i].from_unit(u[i]);
  return hp;
}

int initial_count(const SearchInput& in) {
  if (in.initial > 0) return in.initial;
  return std::max(6, 2 * static_cast<int>(in.space.size()) + 2);
}

// The seeded Latin hypercube of the first proposals (the same for every batch of one search).
std::vector<std::vector<double>> latin_hypercube(size_t n, size_t d, std::uint64_t seed) {
  mutation::Rng rng(mutation::derive_seed(seed, "tune", "initial"));
  std::vector<std::vector<double>> pts(n, std::vector<double>(d));
  for (size_t j = 0; j < d; ++j) {
    std::vector<size_t> perm(n);
    for (size_t i = 0; i < n; ++i) perm[i] = i;
    for (size_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[rng.below(i)]);
    for (size_t i = 0; i < n; ++i) pts[i][j] = (static_cast<double>(perm[i]) + rng.uniform_open()) / static_cast<double>(n);
  }
  return pts;
}

struct Models {
  GaussianProcess objective, performance;
  bool has_performance = false;
};

// Fits both models; failed runs count as the worst performance seen (infeasible), runs without
// an objective reading are left out of the objective model, runs whose performance is unknown
// (pruned for their cost) out of the performance model.
Models fit_models(const SearchInput& in) {
  Models m;
  std::vector<std::vector<double>> xo, xp;
  std::vector<double> yo, yp;
  double worst = std::numeric_limits<double>::infinity();
  for (const auto& o : in.observations)
    if (o.performance) worst = std::min(worst, *o.performance);
  for (const auto& o : in.observations) {
    auto u = to_unit(in.space, o.hp);
    if (o.objective && *o.objective > 0) {
      xo.push_back(u);
      yo.push_back(std::log(*o.objective));
    }
    if (std::isfinite(worst) && !o.performance_unknown) {
      xp.push_back(u);
      yp.push_back(o.performance ? *o.performance : worst);
    }
  }
  if (!xo.empty()) m.objective.fit(xo, yo, mutation::derive_seed(in.seed, "gp-objective", std::to_string(xo.size())));
  if (!xp.empty()) {
    m.performance.fit(xp, yp, mutation::derive_seed(in.seed, "gp-performance", std::to_string(xp.size())));
    m.has_performance = true;
  }
  return m;
}

double feasible_probability(const Models& m, const std::vector<double>& u, double threshold) {
  if (!m.has_performance) return 0.5;
  Prediction p = m.performance.predict(u);
  return normal_cdf((p.mean - threshold) / std::max(p.sd, 1e-12));
}

std::vector<Configuration> evaluated(const SearchInput& in) {
  std::vector<Configuration> out;
  std::set<Configuration> seen;
  for (const auto& o : in.observations)
    if (seen.insert(o.hp).second && o.hp != in.original) out.push_back(o.hp);
  return out;
}

// Points where the acquisition is evaluated: uniform, plus local perturbations of the most
// promising evaluated configurations (likely feasible, lowest predicted objective).
std::vector<std::vector<double>> candidate_points(const SearchInput& in, const Models& m,
                                                  const std::vector<Configuration>& done, mutation::Rng& rng) {
  const size_t d = in.space.size();
  std::vector<std::vector<double>> cand;
  for (int i = 0; i < 1500; ++i) {
    std::vector<double> u(d);
    for (auto& v : u) v = rng.uniform_open();
    cand.push_back(u);
  }
  std::vector<std::pair<double, std::vector<double>>> ranked;
  for (const auto& hp : done) {
    auto u = to_unit(in.space, hp);
    double pf = feasible_probability(m, u, in.threshold);
    if (pf >= 0.3) ranked.emplace_back(m.objective.predict(u).mean, u);
  }
  std::sort(ranked.begin(), ranked.end());
  for (size_t r = 0; r < std::min<size_t>(5, ranked.size()); ++r)
    for (double scale : {0.03, 0.1, 0.25})
      for (int i = 0; i < 60; ++i) {
        std::vector<double> u = ranked[r].second;
        for (auto& v : u) {
          // Box-Muller from two uniform draws.
          double z = std::sqrt(-2 * std::log(rng.uniform_open())) * std::cos(2 * M_PI * rng.uniform_open());
          v = std::clamp(v + scale * z, 0.0, 1.0);
        }
        cand.push_back(u);
      }
  return cand;
}

}  // namespace

std::vector<double> to_unit(const std::vector<SearchDimension>& space, const Configuration& hp) {
  std::vector<double> u(space.size());
  for (size_t i = 0; i < space.size(); ++i) {
    auto it = hp.find(space[i].name);
    u[i] = space[i].to_unit(it == hp.end() ? space[i].default_value : it->second);
  }
  return u;
}

std::vector<Configuration> propose(const SearchInput& in, int count) {
  std::set<Configuration> taken;
  taken.insert(in.original);
  for (const auto& o : in.observations) taken.insert(o.hp);
  std::vector<Configuration> out;
  const size_t d = in.space.size();
  const auto done = evaluated(in);
  const int n_init = initial_count(in);

  // Space-filling start (also the fallback when the models have too little to go on).
  if (static_cast<int>(done.size()) < n_init) {
    auto lhs = latin_hypercube(static_cast<size_t>(n_init), d, in.seed);
    for (size_t i = done.size(); i < lhs.size() && static_cast<int>(out.size()) < count; ++i) {
      Configuration hp = from_unit(in, lhs[i]);
      if (taken.insert(hp).second) out.push_back(hp);
    }
    if (static_cast<int>(out.size()) == count) return out;
  }

  Models m = fit_models(in);
  mutation::Rng rng(mutation::derive_seed(in.seed, "tune-batch", std::to_string(in.observations.size())));
  std::vector<std::vector<double>> cand = candidate_points(in, m, done, rng);

  while (static_cast<int>(out.size()) < count) {
    // Incumbent: the lowest predicted objective among evaluated (and fantasised) points likely feasible.
    double best = std::numeric_limits<double>::infinity();
    for (const auto& o : in.observations) {
      auto u = to_unit(in.space, o.hp);
      if (feasible_probability(m, u, in.threshold) >= 0.5) best = std::min(best, m.objective.predict(u).mean);
    }
    for (const auto& hp : out) {
      auto u = to_unit(in.space, hp);
      if (feasible_probability(m, u, in.threshold) >= 0.5) best = std::min(best, m.objective.predict(u).mean);
    }
    double best_a = -1;
    Configuration best_hp;
    std::vector<double> best_u;
    for (const auto& u : cand) {
      Configuration hp = from_unit(in, u);
      if (taken.count(hp)) continue;
      auto us = to_unit(in.space, hp);  // snapped point (integers, choices)
      double pf = feasible_probability(m, us, in.threshold);
      double a;
      if (std::isfinite(best) && m.objective.fitted()) {
        Prediction p = m.objective.predict(us);
        double s = std::max(p.sd, 1e-12);
        double z = (best - p.mean) / s;
        a = (s * (z * normal_cdf(z) + normal_pdf(z))) * pf;
      } else {
        a = pf;  // nothing feasible yet: look for feasibility first
      }
      if (a > best_a) best_a = a, best_hp = hp, best_u = us;
    }
    if (best_a < 0) break;  // every candidate already taken
    taken.insert(best_hp);
    out.push_back(best_hp);
    m.objective.add(best_u, m.objective.predict(best_u).mean);
    if (m.has_performance) m.performance.add(best_u, m.performance.predict(best_u).mean);
  }
  return out;
}

double CandidateModel::confirm_probability(int pairs, double level) const {
  if (pairs < 2 || saving <= 0) return 0;
  boost::math::students_t t(2.0 * pairs - 2);
  double crit = boost::math::quantile(boost::math::complement(t, level));
  auto power = [&](double d, double var, double noise) {
    double se = noise * std::sqrt(2.0 / pairs);
    double spread = std::sqrt(se * se + var);
    if (spread < 1e-12) return d - crit * se > 0 ? 1.0 : 0.0;
    return normal_cdf((d - crit * se) / spread);
  };
  return power(advantage, advantage_var, performance_noise) * power(log_saving, log_saving_var, log_noise);
}

std::vector<CandidateModel> candidate_models(const SearchInput& in, double margin, bool unevaluated) {
  std::vector<CandidateModel> out;
  if (in.observations.empty()) return out;
  Models m = fit_models(in);
  if (!m.objective.fitted() || !m.has_performance) return out;
  auto u0 = to_unit(in.space, in.original);
  Prediction o0 = m.objective.predict(u0), p0 = m.performance.predict(u0);
  std::map<Configuration, int> runs;
  for (const auto& o : in.observations) ++runs[o.hp];
  std::vector<Configuration> points = evaluated(in);
  if (unevaluated) {
    std::set<Configuration> seen(points.begin(), points.end());
    seen.insert(in.original);
    mutation::Rng rng(mutation::derive_seed(in.seed, "tune-confirm", std::to_string(in.observations.size())));
    for (const auto& u : candidate_points(in, m, evaluated(in), rng)) {
      Configuration hp = from_unit(in, u);
      if (seen.insert(hp).second) points.push_back(hp);
    }
  }
  for (const auto& hp : points) {
    auto u = to_unit(in.space, hp);
    Prediction po = m.objective.predict(u), pp = m.performance.predict(u);
    CandidateModel c;
    c.hp = hp;
    c.runs = runs[hp];
    c.objective_mean = std::exp(po.mean);
    c.saving = std::exp(o0.mean) - c.objective_mean;
    c.advantage = pp.mean - p0.mean + margin;
    c.advantage_var = pp.sd * pp.sd + p0.sd * p0.sd;
    c.performance_noise = m.performance.noise_sd();
    c.log_saving = o0.mean - po.mean;
    c.log_saving_var = po.sd * po.sd + o0.sd * o0.sd;
    c.log_noise = m.objective.noise_sd();
    if (c.saving > 0) out.push_back(c);
  }
  return out;
}

}  // namespace greentune::tune
