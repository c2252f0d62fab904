#include "greentune/tune/pruning.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "greentune/core/error.hpp"

namespace greentune::tune {

namespace pruning_detail {

// The metric in the higher-is-better direction.
double up(double metric, bool higher_is_better) { return higher_is_better ? metric : -metric; }

// The point of `curve` at `epoch` (the last one at or before it), if any.
const CurvePoint* at_epoch(const LearningCurve& curve, int epoch) {
  const CurvePoint* found = nullptr;
  for (const auto& p : curve.points) {
    if (p.epoch > epoch) break;
    found = &p;
  }
  return found;
}

// The largest gain (higher-is-better units) a complete curve made after `epoch`, scaled to
// `remaining` epochs when it had fewer left; nullopt with fewer than `min_complete` curves
// that went past `epoch`.
std::optional<double> gain_envelope(const std::vector<LearningCurve>& complete, int epoch, int remaining,
                                    const PruningOptions& o) {
  int used = 0;
  double best = 0;
  for (const auto& c : complete) {
    if (c.points.empty() || c.points.back().epoch <= epoch) continue;
    const CurvePoint* now = at_epoch(c, epoch);
    if (!now) continue;
    const CurvePoint& last = c.points.back();
    double gain = up(last.metric, o.higher_is_better) - up(now->metric, o.higher_is_better);
    const int left = last.epoch - now->epoch;
    if (remaining > left) gain *= static_cast<double>(remaining) / static_cast<double>(left);
    best = std::max(best, gain);
    ++used;
  }
  if (used < o.min_complete) return std::nullopt;
  return best;
}

// The gain the run's own curve still promises over `remaining` epochs: its recent slope
// (max of the last epoch's and the window's mean, never negative) continued linearly; or, when
// every increment in the window clearly exceeds the noise and they shrink geometrically (the
// curve is saturating), the geometric series of its last increment at the largest ratio seen,
// times gain_safety, plus that series' noise (noise_z increments' sd), if that is smaller.
double own_gain(const LearningCurve& run, int remaining, double noise_sd, const PruningOptions& o) {
  const auto& p = run.points;
  const std::size_t n = p.size();
  if (n < 2) return 0;
  const std::size_t window = std::min(n - 1, static_cast<std::size_t>(std::max(1, o.slope_window)));
  std::vector<double> inc;  // per-epoch increments, oldest first
  for (std::size_t i = n - window; i < n; ++i)
    inc.push_back((up(p[i].metric, o.higher_is_better) - up(p[i - 1].metric, o.higher_is_better)) /
                  static_cast<double>(p[i].epoch - p[i - 1].epoch));
  double mean = 0;
  for (double d : inc) mean += d / static_cast<double>(inc.size());
  const double slope = std::max({0.0, inc.back(), mean});
  const double linear = slope * static_cast<double>(remaining);
  if (inc.size() < 2) return linear;
  double ratio = 0;
  for (std::size_t i = 0; i < inc.size(); ++i) {
    if (!(inc[i] > 3 * noise_sd) || inc[i] <= 0) return linear;
    if (i > 0) ratio = std::max(ratio, inc[i] / inc[i - 1]);
  }
  if (ratio >= 0.9) return linear;
  // The last increment read robustly (each earlier one carried forward at the largest ratio),
  // its series, and the noise of one increment (two noisy points) carried through the series.
  double last = 0;
  for (std::size_t i = 0; i < inc.size(); ++i)
    last = std::max(last, inc[i] * std::pow(ratio, static_cast<double>(inc.size() - 1 - i)));
  const double series = ratio * (1 - std::pow(ratio, remaining)) / (1 - ratio);
  const double geometric = o.gain_safety * last * series + o.noise_z * std::sqrt(2.0) * noise_sd * series;
  return std::min(linear, geometric);
}

// The run's pace (cost per epoch) after its first epoch, which carries start-up costs (the
// first epoch alone when that is all there is). Averaged over the epochs, so that a meter that
// samples more slowly than the epochs come (steps of cost) still gives the pace.
double pace(const LearningCurve& run) {
  const auto& p = run.points;
  if (p.size() < 2) return std::max(0.0, p.back().cost / static_cast<double>(p.back().epoch));
  return std::max(0.0, (p.back().cost - p.front().cost) / static_cast<double>(p.back().epoch - p.front().epoch));
}

}  // namespace pruning_detail

const char* to_string(PruneVerdict v) {
  switch (v) {
    case PruneVerdict::keep: return "keep";
    case PruneVerdict::infeasible: return "infeasible";
    case PruneVerdict::too_costly: return "too_costly";
  }
  return "?";
}

bool is_rung(int epoch, const PruningOptions& o) {
  if (epoch < o.first_rung) return false;
  if (o.rung_factor <= 1) return true;
  double r = std::max(1, o.first_rung);
  while (static_cast<int>(std::ceil(r - 1e-9)) < epoch) r *= o.rung_factor;
  return static_cast<int>(std::ceil(r - 1e-9)) == epoch;
}

PruneDecision decide(const LearningCurve& run, const PruningReference& ref, const PruningOptions& o) {
  using namespace pruning_detail;
  PruneDecision d;
  if (run.points.empty()) return d;
  const CurvePoint& now = run.points.back();
  d.epoch = now.epoch;
  const int remaining = run.planned_epochs - now.epoch;
  if (remaining <= 0 || !is_rung(now.epoch, o)) return d;

  // Both bounds first (the search learns from them), then the verdict.
  d.cost_projection = now.cost + pace(run) * static_cast<double>(remaining);
  d.cost_bound = now.cost + pace(run) * (1 - o.cost_slack) * static_cast<double>(remaining);
  const auto envelope = gain_envelope(ref.complete, now.epoch, remaining, o);
  double bound_up = 0;
  if (envelope) {
    const double trend = own_gain(run, remaining, ref.noise_sd, o);
    bound_up = up(now.metric, o.higher_is_better) + std::max(o.gain_safety * *envelope, trend) + o.noise_z * ref.noise_sd;
    d.metric_bound = o.higher_is_better ? bound_up : -bound_up;
  }

  // (b) The objective: even at its pace less the slack the run ends above the best feasible one.
  if (ref.best_feasible_cost && *d.cost_bound > *ref.best_feasible_cost) {
    d.verdict = PruneVerdict::too_costly;
    d.reason = fmt::format("pruned at epoch {} of {}: its objective will be at least {:.6g} (spent {:.6g} so far), "
                           "above the best feasible {:.6g}",
                           now.epoch, run.planned_epochs, *d.cost_bound, now.cost, *ref.best_feasible_cost);
    return d;
  }

  // (a) Feasibility: an optimistic bound on the final metric.
  if (!envelope) return d;
  if (bound_up < up(ref.threshold, o.higher_is_better)) {
    d.verdict = PruneVerdict::infeasible;
    d.reason = fmt::format("pruned at epoch {} of {}: metric {:.6g} can reach at most {:.6g}, the feasible region "
                           "needs {} {:.6g}",
                           now.epoch, run.planned_epochs, now.metric, *d.metric_bound,
                           o.higher_is_better ? ">=" : "<=", ref.threshold);
  }
  return d;
}

nlohmann::json curve_to_json(const LearningCurve& curve) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& p : curve.points) a.push_back({{"epoch", p.epoch}, {"metric", p.metric}, {"cost", p.cost}});
  return a;
}

LearningCurve curve_from_json(const nlohmann::json& j, int planned_epochs, const std::string& where) {
  if (!j.is_array()) throw input_error(where + ": expected a list of {\"epoch\", \"metric\", \"cost\"}");
  LearningCurve c;
  c.planned_epochs = planned_epochs;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains("epoch") || !e["epoch"].is_number_integer() || !e.contains("metric") ||
        !e["metric"].is_number() || !e.contains("cost") || !e["cost"].is_number())
      throw input_error(at + ": expected {\"epoch\": integer, \"metric\": number, \"cost\": number}");
    CurvePoint p{e["epoch"].get<int>(), e["metric"].get<double>(), e["cost"].get<double>()};
    if (!c.points.empty() && p.epoch <= c.points.back().epoch)
      throw input_error(at + ": epoch " + std::to_string(p.epoch) + " does not follow epoch " +
                        std::to_string(c.points.back().epoch));
    if (p.epoch < 1) throw input_error(at + ": epoch " + std::to_string(p.epoch) + " is below 1");
    c.points.push_back(p);
  }
  return c;
}

}  // namespace greentune::tune
