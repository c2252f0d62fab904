#pragma once
// Hyperparameters are data: a Configuration is a name -> value map that travels unchanged
// from the study plan to the trainer, the database and the exports.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace greentune {

enum class HpType { integer, real };

const char* to_string(HpType type);

struct HyperparameterSpec {
  std::string name;          // canonical name: epochs, lr, gamma, weight_decay, threshold, ...
  HpType type = HpType::real;
  double default_value = 0;
  double min_value = 0;      // inclusive unless min_exclusive
  double max_value = 0;      // inclusive
  bool min_exclusive = false;
  std::string description;
  bool budget = false;       // a budget knob (train_limit, test_limit), not a studied hyperparameter
  // Built-in models: where the default comes from ("package run.sh" = the paper's replication
  // package, "upstream FILE" = the upstream training code, "greentune" = ours).
  std::string default_source;

  // Throws input_error naming the hyperparameter if value is out of range or not integral.
  void validate(double value) const;
  std::string format(double value) const;  // integer types without decimals, reals exact
  std::string range_text() const;          // e.g. "(0, 100]" or "[1, 10000]"
};

// Ordered map so that text renderings are stable.
using Configuration = std::map<std::string, double>;

std::string format_configuration(const Configuration& config);  // "epochs=14 lr=1 ..."

}  // namespace greentune
