#include "greentune/core/hyperparameters.hpp"

#include <cmath>

#include "greentune/core/error.hpp"
#include "greentune/core/number_format.hpp"

namespace greentune {

const char* to_string(HpType type) { return type == HpType::integer ? "int" : "real"; }

std::string HyperparameterSpec::range_text() const {
  return std::string(min_exclusive ? "(" : "[") + format(min_value) + ", " + format(max_value) + "]";
}

std::string HyperparameterSpec::format(double value) const {
  if (type == HpType::integer && std::floor(value) == value && std::fabs(value) < 9e15)
    return std::to_string(static_cast<long long>(value));
  return format_exact(value);
}

void HyperparameterSpec::validate(double value) const {
  if (!std::isfinite(value))
    throw input_error("hyperparameter '" + name + "': value must be a finite number");
  if (type == HpType::integer && std::floor(value) != value)
    throw input_error("hyperparameter '" + name + "': " + format_exact(value) +
                      " is not an integer");
  bool low_ok = min_exclusive ? value > min_value : value >= min_value;
  if (!low_ok || value > max_value)
    throw input_error("hyperparameter '" + name + "': " + format(value) + " is outside " +
                      range_text());
}

std::string format_configuration(const Configuration& config) {
  std::string out;
  for (const auto& [k, v] : config) {
    if (!out.empty()) out += ' ';
    out += k + "=" + format_exact(v);
  }
  return out;
}

}  // namespace greentune
