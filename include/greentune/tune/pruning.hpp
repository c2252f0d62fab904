#pragma once
// Pruning: when tune stops a search run early (docs/tune.md, "Pruning").
//
// A pure rule over learning curves: given a running run's curve so far (metric and cost after
// each epoch) and a reference frozen when its batch started (the complete curves of the runs
// that trained to the end, the feasibility threshold, the best feasible objective), decide at
// a rung whether the run can still
//   (a) reach the feasible region: an optimistic bound on its final metric clears the
//       threshold (original mean - margin, in the metric's direction), and
//   (b) beat the best feasible objective: a lower bound on its final cost (spent so far plus
//       its remaining epochs at its pace after the first epoch, less `cost_slack`) stays below it.
// It is stopped only when (a) or (b) fails. The optimistic metric bound is the run's metric now
// plus the larger of
//   - the largest gain any complete curve made after the same epoch (scaled up when this run
//     has more epochs left), times `gain_safety`, and
//   - what the run's own curve promises: its recent slope continued linearly over its
//     remaining epochs (learning curves are concave once they rise, so this over-estimates: a
//     slow starter that is still climbing is kept even when no complete curve climbed like
//     it), or, when its increments clearly exceed the noise and shrink geometrically (the
//     curve saturates), their geometric series at the largest ratio seen, times `gain_safety`,
//     if that is smaller,
// plus `noise_z` times the metric's noise. Feasibility pruning needs `min_complete` complete
// curves that went past the epoch; before that, only (b) can stop a run.
// Deterministic: the same curve and reference give the same decision (resume repeats them).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace greentune::tune {

struct CurvePoint {
  int epoch = 0;         // 1-based, increasing
  double metric = 0;     // the model's performance metric after this epoch
  double cost = 0;       // objective spent so far (J for energy objectives, s for time)
};

struct LearningCurve {
  std::vector<CurvePoint> points;
  int planned_epochs = 0;  // the epochs the run trains when not stopped
};

struct PruningOptions {
  int first_rung = 2;        // first epoch at which a run may be stopped (a slope needs 2 points)
  double rung_factor = 2;    // rungs at first_rung * factor^i (2, 4, 8, ...), rounded up
  int min_complete = 2;      // complete curves (past the epoch) needed for feasibility pruning
  double gain_safety = 1.5;  // multiplies the largest gain seen after the same epoch
  int slope_window = 3;      // last increments for the slope and the saturation test
  double noise_z = 2.5;      // noise cushion on the metric bound, in noise_sd
  double cost_slack = 0.1;   // the cost bound uses the pace after the first epoch times (1 - slack)
  bool higher_is_better = true;
};

struct PruningReference {
  std::vector<LearningCurve> complete;       // runs that trained to the end (frozen per batch)
  double threshold = 0;                      // original mean -/+ margin (metric's direction)
  std::optional<double> best_feasible_cost;  // objective of the best safely feasible configuration
  double noise_sd = 0;                       // the metric's noise per run (the original's sd)
};

enum class PruneVerdict { keep, infeasible, too_costly };
const char* to_string(PruneVerdict v);

struct PruneDecision {
  PruneVerdict verdict = PruneVerdict::keep;
  int epoch = 0;                             // the curve's last epoch
  std::optional<double> metric_bound;        // optimistic final metric (when computed)
  std::optional<double> cost_bound;          // lower bound on the final cost
  std::optional<double> cost_projection;     // its final cost at the pace so far (what the search learns)
  std::string reason;                        // one line, for the run's reason column
  bool stop() const { return verdict != PruneVerdict::keep; }
};

// Whether `epoch` is a rung (a point where a run may be stopped).
bool is_rung(int epoch, const PruningOptions& options);

// The decision at the curve's last point. Keep when that point is not a rung, the run has no
// epochs left, or neither bound rules it out.
PruneDecision decide(const LearningCurve& run, const PruningReference& reference,
                     const PruningOptions& options = {});

// The curve as stored in a run's details ("progress": [{"epoch", "metric", "cost"}, ...]).
nlohmann::json curve_to_json(const LearningCurve& curve);
// Throws input_error naming `where` when the JSON is not such a list (epochs must increase).
LearningCurve curve_from_json(const nlohmann::json& j, int planned_epochs, const std::string& where);

}  // namespace greentune::tune
