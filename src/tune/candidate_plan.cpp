// Which configuration to confirm next, with how many pairs and what share of alpha (state.hpp).
#include <algorithm>
#include <cmath>

#include "greentune/tune/confirmation.hpp"
#include "state.hpp"

namespace greentune::tune {

std::optional<CandidatePlan> plan_next_candidate(const TuneState& s, long long left_runs) {
  const auto& d = s.def;
  const int m = d.confirm_min;
  const int pairs_left = static_cast<int>(std::min<long long>(left_runs / 2, kMaxPlannedPairs));
  if (pairs_left < m) return std::nullopt;
  double spent = 0;
  for (double l : s.candidate_level) spent += l;
  const double alpha_left = d.alpha - spent;
  if (alpha_left <= d.alpha * 1e-9) return std::nullopt;
  SearchInput in = s.search_input();
  if (std::isnan(in.threshold)) return std::nullopt;
  // A candidate given n of the pairs left also gets n / pairs_left of the alpha left, so that
  // whatever follows it keeps its share: the shares of all candidates sum to at most alpha.
  auto level = [&](int n) { return alpha_left * n / pairs_left; };
  std::vector<std::pair<long long, CandidateModel>> cs;
  // Points never run are candidates too: only fresh confirmation runs enter the test, so a point
  // the models put closer to the margin's edge costs no honesty, only the risk the models carry.
  for (auto& c : candidate_models(in, s.margin(), true)) {
    long long cid = 0;
    for (const auto& row : s.configurations)
      if (row.hp == c.hp) cid = row.id;
    if (cid == 0 && c.runs > 0) continue;
    if (std::find(s.candidates.begin(), s.candidates.end(), cid) == s.candidates.end() || cid == 0)
      cs.emplace_back(cid, std::move(c));
  }
  if (cs.empty()) return std::nullopt;
  if (cs.size() > kMaxPlannedCandidates) {
    // The most promising alone with every pair left (stable: ties keep the models' order).
    const double full = planned_levels(level(pairs_left), pairs_left, m).second;
    std::vector<double> v(cs.size());
    for (size_t i = 0; i < cs.size(); ++i) v[i] = cs[i].second.confirm_probability(pairs_left, full) * cs[i].second.saving;
    std::vector<size_t> order(cs.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] > v[b]; });
    std::vector<std::pair<long long, CandidateModel>> kept;
    for (size_t i = 0; i < kMaxPlannedCandidates; ++i) kept.push_back(std::move(cs[order[i]]));
    cs = std::move(kept);
  }
  const size_t nc = cs.size();
  std::vector<std::vector<double>> prob(nc, std::vector<double>(static_cast<size_t>(pairs_left) + 1, 0.0));
  for (size_t i = 0; i < nc; ++i)
    for (int n = m; n <= pairs_left; ++n)
      prob[i][static_cast<size_t>(n)] = cs[i].second.confirm_probability(n, planned_levels(level(n), n, m).second);
  auto value = [&](size_t i, int n) { return prob[i][static_cast<size_t>(n)] * cs[i].second.saving; };
  // Expected confirmed saving of a plan: this candidate with n pairs, then (when it is not
  // confirmed) the best other one with the pairs that remain.
  std::optional<CandidatePlan> best;
  double best_value = 0;
  for (size_t i = 0; i < nc; ++i)
    for (int n = m; n <= pairs_left; ++n) {
      double p = prob[i][static_cast<size_t>(n)];
      if (p < kMinConfirmProbability) continue;
      double next = 0;
      if (pairs_left - n >= m)
        for (size_t j = 0; j < nc; ++j)
          if (j != i) next = std::max(next, value(j, pairs_left - n));
      double v = value(i, n) + (1 - p) * next;
      if (v > best_value) {
        best_value = v;
        best = CandidatePlan{cs[i].first, cs[i].second.hp, n, level(n), p, cs[i].second.saving};
      }
    }
  return best;
}

}  // namespace greentune::tune
